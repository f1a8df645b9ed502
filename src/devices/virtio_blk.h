/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image (backends/disk.h). Every
 * request queue is served on the io thread and every request goes through
 * its io_uring: reads and writes as readv/writev (short transfers are
 * resubmitted for the rest), FLUSH as fdatasync, DISCARD and WRITE_ZEROES
 * as fallocate on files (ioctls on block devices). Many requests fly at
 * once and complete in any order; a request's status and used entry are
 * written only once its I/O completed. direct=on (O_DIRECT) bounces guest
 * buffers that are not aligned to the host's logical block size.
 *
 * Guest input is hostile: a request past the end, a bad type or a data
 * length the image cannot take gets IOERR/UNSUPP; a chain without a
 * header or a status byte breaks the device (DEVICE_NEEDS_RESET).
 *
 * Wiring (vm/attach.c): vblk_create() -> virtio_mmio_create(..,
 * vblk_dev(b), ..) -> run -> virtio_mmio_destroy() -> vblk_destroy().
 */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io_loop;
struct mem;
struct vblk;
struct virtio_dev;

/* Request queues at most (VIRTIO_BLK_F_MQ). */
#define VBLK_MAX_QUEUES 8
/* Entries per queue (QueueNumMax). */
#define VBLK_QUEUE_SIZE 256
/* The GET_ID string: up to 20 bytes. */
#define VBLK_SERIAL_MAX 20

struct vblk_config {
	const char *path;
	bool readonly;	    /* VIRTIO_BLK_F_RO, the image opened O_RDONLY */
	bool direct;	    /* O_DIRECT */
	const char *serial; /* NULL: none (GET_ID answers an empty id) */
	unsigned int num_queues; /* 1..VBLK_MAX_QUEUES */
};

/* I/O counters of one disk (a snapshot, vblk_stats()). */
struct vblk_stats {
	uint64_t reads, writes, flushes, discards, write_zeroes;
	uint64_t read_bytes, write_bytes;
	uint64_t io_errors;    /* requests answered IOERR for a host error */
	uint64_t bad_requests; /* refused guest requests (IOERR / UNSUPP) */
	uint64_t bounced; /* direct=on requests that used a bounce buffer */
};

/*
 * Open the image (backends/disk.h: lock, size) and make the device. Main
 * thread, before the loop runs. Returns 0 or -errno with a one-line
 * reason in @err (bad input: the image).
 */
int vblk_create(struct vblk **out, const struct vblk_config *cfg,
		const struct mem *mem, struct io_loop *loop, char *err,
		size_t err_len);

/* The generic device, for virtio_mmio_create(). */
struct virtio_dev *vblk_dev(struct vblk *b);

/*
 * True while requests of @b (a struct vblk *) are in the io_uring: for
 * io_loop_drain() before the VM's memory goes.
 */
bool vblk_busy(void *b);

/* Counters (any thread). */
void vblk_stats(struct vblk *b, struct vblk_stats *st);

/*
 * Free the device and close the image. After virtio_mmio_destroy(), with
 * the loop destroyed (no request in flight any more) or never run. NULL
 * is a no-op.
 */
void vblk_destroy(struct vblk *b);

#endif /* VIRTIO_BLK_H */
