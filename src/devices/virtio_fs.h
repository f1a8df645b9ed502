/* SPDX-License-Identifier: MIT */
/*
 * virtio-fs (virtio 1.2, 5.11): a host directory shared with the guest,
 * served in process. Queue 0 is the high-priority queue (FORGET), queue
 * 1 the one request queue; each chain is a FUSE request and its reply,
 * answered by the FUSE server (fuse_server.h). Its file operations go
 * through the io thread's loop (io_uring: many at once), as a chain of
 * steps where an op takes several; the rest run on the io thread. No DAX
 * window.
 *
 * Wiring (vm/attach.c): vfs_create() -> virtio_mmio_create(..,
 * vfs_dev(f), ..) -> run -> virtio_mmio_destroy() -> vfs_destroy().
 */
#ifndef VIRTIO_FS_H
#define VIRTIO_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuse_server.h"

struct io_loop;
struct mem;
struct vfs;
struct virtio_dev;

/* Entries of each queue (QueueNumMax). */
#define VFS_QUEUE_SIZE 128
/* The longest tag: the config field, not NUL-terminated when full. */
#define VFS_TAG_MAX 36
/* vfs_create() flags */
#define VFS_READONLY (1u << 0)

/* Counters (any thread). */
struct vfs_stats {
	uint64_t requests;     /* answered (or forgotten) */
	uint64_t io_requests;  /* of them through io_uring */
	uint64_t bad_requests; /* chains that could not carry a reply */
	uint64_t serve_ns;     /* summed: chain taken -> chain returned */
	uint64_t ops[FUSE_SERVER_NOPS];	  /* requests by FUSE opcode */
	uint64_t op_ns[FUSE_SERVER_NOPS]; /* serve_ns by FUSE opcode */
};

/*
 * Share @dir as @tag (1..VFS_TAG_MAX bytes). Main thread, before the
 * loop runs. Returns 0 or -errno with a reason in @err.
 */
int vfs_create(struct vfs **out, const char *tag, const char *dir,
	       unsigned int flags, const struct mem *mem, struct io_loop *loop,
	       char *err, size_t err_len);

/* The generic device, for virtio_mmio_create(). */
struct virtio_dev *vfs_dev(struct vfs *f);

void vfs_stats(struct vfs *f, struct vfs_stats *st);

/* For io_loop_drain(): I/O of the device still in flight (a struct vfs). */
bool vfs_busy(void *f);

/* After virtio_mmio_destroy(), the loop stopped. NULL is a no-op. */
void vfs_destroy(struct vfs *f);

#endif /* VIRTIO_FS_H */
