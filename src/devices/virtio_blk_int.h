/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk internals shared by virtio_blk.c (the device, its queues and
 * the parsing of requests) and virtio_blk_io.c (a parsed request's trip
 * through the io_uring). Not for other modules.
 */
#ifndef VIRTIO_BLK_INT_H
#define VIRTIO_BLK_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_blk.h>

#include "backends/disk.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio_blk.h"

/* Data segments of a request: the chain less header and status. */
#define VBLK_SEG_MAX (VBLK_QUEUE_SIZE - 2)
/* The largest segment the driver is told to make (SIZE_MAX). */
#define VBLK_SIZE_MAX (1U << 20)
/* A request's data at most (a driver that follows SEG_MAX stays below). */
#define VBLK_MAX_DATA ((uint64_t)VBLK_SEG_MAX * VBLK_SIZE_MAX)
/* Segments of one DISCARD / WRITE_ZEROES request. */
#define VBLK_MAX_DWZ_SEG 16
/* Sectors of one DISCARD / WRITE_ZEROES segment (1 GiB). */
#define VBLK_MAX_DWZ_SECTORS (1U << 21)
/* Bounce buffers (direct=on, unaligned guest memory) in flight, bytes. */
#define VBLK_BOUNCE_BUDGET (64 * MiB)

struct vblk;

struct vblk_req {
	struct io_request io;
	struct vblk *b;
	struct vblk_req *next; /* free list, or the bounce wait list */
	uint32_t gen;	       /* the device's reset generation */
	uint16_t queue, head;
	uint32_t type;
	uint8_t *status;   /* the chain's last writable byte */
	uint32_t used_len; /* bytes written into the chain, status included */
	uint64_t offset;   /* byte offset of the transfer */
	uint64_t len;	   /* bytes of data */
	uint64_t done;	   /* bytes transferred so far */
	/*
	 * The data in guest memory. A short transfer advances it in place
	 * (iov_at: the first segment with bytes left), since nothing
	 * reads it after the transfer unless it was bounced.
	 */
	struct iovec iov[VBLK_QUEUE_SIZE];
	unsigned int niov, iov_at;
	/* direct=on and unaligned: the data goes through here instead. */
	void *bounce;
	uint64_t bounce_len;
	struct iovec biov;
	/* DISCARD / WRITE_ZEROES segments, done one after another. */
	struct virtio_blk_discard_write_zeroes seg[VBLK_MAX_DWZ_SEG];
	unsigned int nseg, seg_done;
	bool zero_fallback; /* ZERO_RANGE refused: punch holes instead */
};

struct vblk {
	struct virtio_dev vd;
	struct virtio_dev_ops ops; /* per disk: RO and the queue count vary */
	struct io_loop *loop;
	struct disk disk;
	char serial[VBLK_SERIAL_MAX];
	char name[64]; /* the image's path (maybe cut short), for messages */
	unsigned int num_queues;
	uint32_t gen; /* bumped at every reset: old requests are stale */
	struct virtio_blk_config config; /* fixed at create time */
	/* Queue + 1 while vblk_queue_notify() runs: completions then
	 * interrupt once at its end (notify_pending). */
	unsigned int processing;
	bool notify_pending;
	/* Completions from the ring: one interrupt per queue per batch. */
	struct io_request batch;
	bool batch_queued;
	uint32_t batch_queues; /* bit q: queue q has new used entries */
	struct vq_chain chain;
	struct iovec chain_iov[VBLK_QUEUE_SIZE];
	struct vblk_req *free_reqs;
	unsigned int inflight; /* requests given to the io_uring */
	pthread_cond_t idle;   /* signalled when inflight drops to 0 */
	uint64_t bounce_bytes; /* bounce memory in use */
	struct vblk_req *bounce_wait, **bounce_wait_tail;
	struct vblk_stats stats; /* atomics */
};

/*
 * virtio_blk_io.c, lock held, loop thread: start the I/O of a parsed
 * request (IN, OUT, FLUSH, DISCARD, WRITE_ZEROES). It ends with
 * vblk_complete(), possibly before this returns.
 */
void vblk_io_start(struct vblk_req *r);

/* Lock held: one request fewer in the ring (wakes a reset waiting). */
void vblk_inflight_dec(struct vblk *b);

/* virtio_blk.c, lock held: write the status, return the chain, free @r. */
void vblk_complete(struct vblk_req *r, uint8_t status);

/* Count @field of the stats (atomically: vblk_stats() reads anywhere). */
#define vblk_count(b, field, n)                                                \
	__atomic_fetch_add(&(b)->stats.field, (n), __ATOMIC_RELAXED)

#endif /* VIRTIO_BLK_INT_H */
