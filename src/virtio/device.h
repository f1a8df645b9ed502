/* SPDX-License-Identifier: MIT */
/*
 * A virtio device independent of its transport (virtio 1.2, 2 and 3):
 * feature negotiation, the status state machine, DEVICE_NEEDS_RESET,
 * configuration space and its generation, and interrupts. A device embeds
 * struct virtio_dev and supplies one const struct virtio_dev_ops; the
 * transport (mmio.c) drives it through the functions below and installs
 * the interrupt hook. Neither ever writes into the other's ops.
 *
 * Locking: vd->lock is the device mutex. The transport holds it around
 * every register access (vCPU threads) and virtio_dev_kick() holds it
 * around queue work (loop thread), so every ops callback but
 * config_written runs with it held. Device code running from its own loop
 * callbacks (backend ready, write completions) takes it itself. Since the
 * loop thread takes the lock, nothing may wait for the loop under it.
 */
#ifndef VIRTIO_DEVICE_H
#define VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/log.h"
#include "virtqueue.h"

struct mem;
struct io_loop;
struct virtio_dev;

struct virtio_dev_ops {
	const char *name;
	uint32_t device_id; /* VIRTIO_ID_CONSOLE */
	uint64_t features;  /* device features offered */
	unsigned int num_queues;
	uint16_t queue_size; /* QueueNumMax of every queue */
	size_t config_size;
	/* @off + @len <= config_size is checked by the caller. */
	void (*read_config)(struct virtio_dev *vd, size_t off, void *buf,
			    size_t len);
	/* Optional: driver writes into config space (EMERG_WRITE). */
	void (*write_config)(struct virtio_dev *vd, size_t off, const void *buf,
			     size_t len);
	/*
	 * Optional: right after write_config, on the same (vCPU) thread,
	 * with the lock NOT held: for work that may wait, such as writing
	 * what write_config staged to a console that may wait for the loop.
	 */
	void (*config_written)(struct virtio_dev *vd);
	/* On DRIVER_OK, queues enabled. Failure sets NEEDS_RESET. */
	int (*activate)(struct virtio_dev *vd);
	/* On reset (status 0); queues are reset after it returns. */
	void (*reset)(struct virtio_dev *vd);
	/*
	 * Optional: right after a reset, on the same (vCPU) thread, with the
	 * lock NOT held: wait for I/O still in flight that would write into
	 * guest buffers, so none lands after the driver saw the reset done
	 * (as QEMU drains a disk before its reset returns).
	 */
	void (*reset_wait)(struct virtio_dev *vd);
	/*
	 * A doorbell for queue @q, or new chains on it that the transport's
	 * poller found without one (loop thread, lock held).
	 */
	void (*queue_notify)(struct virtio_dev *vd, unsigned int q);
};

/* Interrupt causes, as in virtio-mmio's InterruptStatus. */
#define VIRTIO_DEV_INT_VRING  0x1
#define VIRTIO_DEV_INT_CONFIG 0x2

/* Ring features every device gets from virtqueue.c. */
#define VIRTIO_DEV_RING_FEATURES                                               \
	((1ULL << 32) /* VIRTIO_F_VERSION_1 */ |                               \
	 (1ULL << 28) /* VIRTIO_RING_F_INDIRECT_DESC */ |                      \
	 (1ULL << 29) /* VIRTIO_RING_F_EVENT_IDX */)

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	pthread_mutex_t lock;
	struct virtqueue *vqs; /* ops->num_queues of them */
	const struct mem *mem;
	struct io_loop *loop;
	uint64_t driver_features; /* written by the driver */
	uint8_t status;
	bool started; /* DRIVER_OK was set once; a reset does not clear it */
	uint32_t config_generation;
	/* What the driver gets wrong, per device (the transport's too). */
	struct log_ratelimit warn_rl;
	/* Transport hook: raise @bits (VIRTIO_DEV_INT_*). Any thread. */
	void (*interrupt)(struct virtio_dev *vd, uint32_t bits);
	/*
	 * Transport hook, lock held: the device itself changed what the
	 * driver can read (its status, the config space). May be NULL.
	 */
	void (*changed)(struct virtio_dev *vd);
	void *transport;
};

/*
 * Initialise @vd for @ops (allocates the queues). The device's own struct
 * embeds @vd. Returns 0 or -ENOMEM. virtio_dev_uninit() undoes it and is
 * safe on a zeroed struct.
 */
int virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_ops *ops,
		    const struct mem *mem, struct io_loop *loop);
void virtio_dev_uninit(struct virtio_dev *vd);

/* Features offered: ops->features plus VIRTIO_DEV_RING_FEATURES. */
uint64_t virtio_dev_features(const struct virtio_dev *vd);

/* True if feature @bit was negotiated (driver acked it, FEATURES_OK). */
bool virtio_dev_has(const struct virtio_dev *vd, unsigned int bit);

/* Lock held. Driver feature bank @sel (0/1) write; ignored after FEATURES_OK.
 */
void virtio_dev_write_features(struct virtio_dev *vd, uint32_t sel,
			       uint32_t val);

/*
 * Lock held. A driver status write other than 0 (the transport handles 0
 * with virtio_dev_reset()). Refuses to clear bits, checks the features at
 * FEATURES_OK, enables the ring features and calls ops->activate at
 * DRIVER_OK. Returns true when this write set DRIVER_OK (the transport
 * then wires its doorbells).
 */
bool virtio_dev_write_status(struct virtio_dev *vd, uint8_t status);

/* Lock held. Device reset: ops->reset, queues, features, status = 0. */
void virtio_dev_reset(struct virtio_dev *vd);

/*
 * Lock held. QueueReady = 1 for queue @q: checks and maps the rings; on a
 * bad configuration sets NEEDS_RESET. Returns 0 or -EINVAL.
 */
int virtio_dev_queue_enable(struct virtio_dev *vd, unsigned int q);

/*
 * Lock held. The driver broke the rules (a malformed ring, a bad register
 * write): set DEVICE_NEEDS_RESET and send a configuration-change interrupt
 * if the driver is running. The queues stop doing work until reset.
 */
void virtio_dev_set_needs_reset(struct virtio_dev *vd);

/* True between DRIVER_OK and reset unless NEEDS_RESET is set. */
bool virtio_dev_live(const struct virtio_dev *vd);

/*
 * Did a driver ever set DRIVER_OK, since virtio_dev_init()? Stays true
 * through resets (a guest resets its devices when it powers off). Takes
 * the lock.
 */
bool virtio_dev_ever_started(struct virtio_dev *vd);

/*
 * Lock held, loop thread. Used buffers were pushed on queue @q: interrupt
 * the driver unless it suppressed it (EVENT_IDX / NO_INTERRUPT).
 */
void virtio_dev_notify(struct virtio_dev *vd, unsigned int q);

/* Lock held. The config space changed: bump the generation, interrupt. */
void virtio_dev_config_changed(struct virtio_dev *vd);

/*
 * Loop thread, lock NOT held: a doorbell for queue @q. Takes the lock and
 * calls ops->queue_notify if the device is live and the queue ready.
 */
void virtio_dev_kick(struct virtio_dev *vd, unsigned int q);

/*
 * Lock held. Pop from queue @q; a malformed chain sets NEEDS_RESET.
 * Returns 1 (chain), 0 (empty) or -errno (stop using the queue).
 */
int virtio_dev_pop(struct virtio_dev *vd, unsigned int q,
		   struct vq_chain *chain);

#endif /* VIRTIO_DEVICE_H */
