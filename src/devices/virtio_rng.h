/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (virtio 1.2, 5.4): one queue of device-writable buffers,
 * filled from getrandom(2) on the io thread. An optional rate limit (a
 * token bucket of one second's worth of bytes, as Firecracker's entropy
 * device has) holds a buffer back until enough tokens have accrued; a
 * timerfd on the io loop wakes it up.
 *
 * Wiring (vm/attach.c): vrng_create() -> virtio_mmio_create(..,
 * vrng_dev(r), ..) -> run -> virtio_mmio_destroy() -> vrng_destroy().
 */
#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#include <stddef.h>
#include <stdint.h>

struct io_loop;
struct mem;
struct vrng;
struct virtio_dev;

/* Entries of the queue (QueueNumMax). */
#define VRNG_QUEUE_SIZE 64
/* Bytes given to one buffer at most (a guest may post huge ones). */
#define VRNG_MAX_FILL (64 * 1024)

/*
 * @rate: bytes per second, 0 for no limit. Main thread, before the loop
 * runs. Returns 0 or -errno with a reason in @err.
 */
int vrng_create(struct vrng **out, uint64_t rate, const struct mem *mem,
		struct io_loop *loop, char *err, size_t err_len);

/* The generic device, for virtio_mmio_create(). */
struct virtio_dev *vrng_dev(struct vrng *r);

/* Bytes given to the guest so far (any thread). */
uint64_t vrng_bytes(const struct vrng *r);

/* After virtio_mmio_destroy(), the loop stopped. NULL is a no-op. */
void vrng_destroy(struct vrng *r);

#endif /* VIRTIO_RNG_H */
