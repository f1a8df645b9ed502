/* SPDX-License-Identifier: MIT */
/*
 * The statistics document: what `--stats PATH` writes at exit and what the
 * control socket's "stats" and "vcpus" commands return. Built with json-c
 * from a struct vm_stats, a plain copy of every vCPU's runstate snapshot
 * and KVM counters taken at one moment.
 *
 * Document (one object; all times in ns of CLOCK_MONOTONIC):
 *   { "time_ns": T,                      when the copy was taken
 *     "vcpus": [ {
 *       "id": 0, "tid": 1234,            host thread id (0: not started)
 *       "state": "running",              running|runnable|blocked|offline
 *       "paused": false, "down": false,  why offline (VMM pause/stop;
 *                                        AP waiting for INIT/SIPI)
 *       "created_ns": C, "state_entry_ns": E,
 *       "time_ns": { "running": .., "runnable": .., "blocked": ..,
 *                    "offline": .. },    sum == T - C
 *       "transitions": { "running->runnable": n, ... },  allowed edges
 *       "invalid_transitions": n,
 *       "wakeups": n,                    blocked -> runnable
 *       "wake_latency_log2_ns": [32 counts], bucket i: [2^i, 2^(i+1)) ns
 *       "unattributed_ns": n,            kernel time the model dropped
 *       "kvm": { "exits": n, "io_exits": n, "mmio_exits": n,
 *                "halt_exits": n, "halt_wakeup": n, "halt_wait_ns": n,
 *                "blocking": 0|1 }       counters the host lacks are left out
 *     } ],
 *   "disks": [ {                        with --disk, in order
 *       "path": P, "reads": n, "writes": n, "flushes": n, "discards": n,
 *       "write_zeroes": n, "read_bytes": n, "write_bytes": n,
 *       "io_errors": n,                  host errors answered IOERR
 *       "bad_requests": n,               guest requests refused
 *       "bounced": n } ],                direct=on requests bounced
 *   "rng": { "bytes": n },               with --rng: bytes given
 *   "nets": [ { "link_up": b, "rx_frames": n, ... } ],   with --net
 *   "vsock": { "connections": n, "open": n, ... },       with --vsock
 *   "fs": [ { "tag": T, "requests": n, "io_requests": n,  with --fs
 *             "bad_requests": n } ],
 *   "virtio": [ {                       every virtio-mmio window, in order
 *       "device_id": n, "base": A, "gsi": n, "status": n,
 *       "int_status": n,                 raised, not acknowledged yet
 *       "queues": [ { "ready": b, "size": n, "broken": b, "event_idx": b,
 *           "notify_off": b, "polled": b, "avail": n, "last_avail": n,
 *           "used": n, "avail_flags": n, "used_event": n,
 *           "used_flags": n, "avail_event": n } ] } ] }   (stats_virtio.c)
 * The "vcpus" command's list has only id, tid, state, paused and down.
 */
#ifndef VMM_STATS_JSON_H
#define VMM_STATS_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "vcpu/vcpu_stats.h"

struct json_object;

/* One vCPU as copied at one moment. */
/*
 * Add "time_ns" and "vcpus" (the full document above; @brief: the short
 * list) to the json object @obj. Returns 0 or -ENOMEM.
 */
int stats_json_fill(struct json_object *obj, const struct vm_stats *st,
		    bool brief);

/*
 * Write the document to @path (created or truncated, mode 0644),
 * pretty-printed with a final newline. Returns 0 or -errno.
 */
int stats_json_write(const char *path, const struct vm_stats *st);

#endif /* VMM_STATS_JSON_H */
