/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.2, 2.7): the device side. The driver (the
 * guest) owns the descriptor table and the available ring; the device
 * consumes chains from the available ring and returns them on the used
 * ring. Everything read from guest memory is hostile: every address goes
 * through gpa_ptr() and every index, length and chain through one checking
 * helper in virtqueue.c; a violation marks the queue broken, logs once and
 * is reported as -EINVAL so the device can set DEVICE_NEEDS_RESET.
 *
 * Threads: a virtqueue belongs to its device and is used under the
 * device's mutex (queue work on the loop thread, configuration from vCPU
 * register writes).
 */
#ifndef VIRTIO_VIRTQUEUE_H
#define VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/util.h"

struct mem;
struct vring_desc;
struct vring_avail;
struct vring_used;

/* The split ring's largest queue size (virtio 1.2, 2.7). */
#define VQ_SIZE_LIMIT 32768

struct virtqueue {
	/* Set by the transport from the driver's register writes. */
	uint16_t size;	   /* QueueNum: a power of 2, <= max_size */
	uint16_t max_size; /* QueueNumMax, fixed by the device */
	bool ready;	   /* QueueReady, after vq_enable() succeeded */
	gpa_t desc_gpa, avail_gpa, used_gpa;

	/* Private: host views of the rings while ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;	 /* next avail ring slot to consume */
	uint16_t used_idx;	 /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last notification */
	bool signalled_valid;
	bool event_idx;	 /* VIRTIO_F_EVENT_IDX negotiated */
	bool notify_off; /* the device asked for no doorbells */
	bool polled;	 /* the transport polls: no doorbells either */
	uint16_t parked; /* no doorbells: avail_event is parked - 1 */
	bool indirect;	 /* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;	 /* a violation was seen: no more work */
	bool warned;	 /* one message per queue, across resets */
	const struct mem *mem;
	unsigned int index; /* for messages */
};

/*
 * One popped chain: device-readable segments first (n_out), then
 * device-writable ones (n_in), in iov[]. The caller provides iov with room
 * for max entries (max >= the queue's size is always enough). Segments of
 * length 0 are kept (iov_base NULL).
 */
struct vq_chain {
	struct iovec *iov;
	unsigned int max;
	uint16_t head;
	unsigned int n_out, n_in;
	size_t out_len;	 /* bytes the device may read */
	uint32_t in_len; /* bytes the device may write */
};

/*
 * What a queue looks like right now, for diagnosis (a stalled queue shows
 * whether the driver published chains the device never took, or the
 * device returned chains the driver was never told of). The driver's
 * fields are read from guest RAM; 0 while the queue is not ready.
 */
struct vq_state {
	bool ready, broken, event_idx, notify_off, polled;
	uint16_t size;
	uint16_t last_avail;  /* device: next avail slot to take */
	uint16_t used_idx;    /* device: chains returned */
	uint16_t avail_idx;   /* driver: chains published */
	uint16_t avail_flags; /* driver: VRING_AVAIL_F_NO_INTERRUPT */
	uint16_t used_event;  /* driver: interrupt me after this (EVENT_IDX) */
	uint16_t used_flags;  /* device: VRING_USED_F_NO_NOTIFY */
	uint16_t avail_event; /* device: kick me after this (EVENT_IDX) */
};

/* Snapshot @vq into @s (the caller holds whatever serialises the queue). */
void vq_get_state(const struct virtqueue *vq, struct vq_state *s);

/* Forget everything the driver configured (device reset). */
void vq_reset(struct virtqueue *vq);

/*
 * QueueReady = 1: check size and ring addresses (alignment, inside guest
 * RAM, no overflow) and map the rings. @event_idx / @indirect: the
 * negotiated ring features (final only after FEATURES_OK; vq_set_features()
 * updates them at DRIVER_OK). Returns 0, or -EINVAL (logged once).
 */
int vq_enable(struct virtqueue *vq, const struct mem *mem, bool event_idx,
	      bool indirect);

/* Update the negotiated ring features of an enabled queue. */
void vq_set_features(struct virtqueue *vq, bool event_idx, bool indirect);

/*
 * Pop the next available chain into @chain. Returns 1 with a chain, 0 when
 * the ring is empty, -EINVAL when the driver broke the rules (the queue is
 * broken from then on; the caller sets DEVICE_NEEDS_RESET) or -EIO if it
 * was already broken or is not ready.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);

/*
 * Return chain @head to the driver with @len bytes written into its
 * device-writable part, and publish the used index (release order).
 */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);

/*
 * After one or more vq_push(): does the driver want an interrupt?
 * Honours VIRTIO_F_EVENT_IDX (used_event) or VRING_AVAIL_F_NO_INTERRUPT.
 * Call once per batch; it records what was signalled.
 */
bool vq_should_notify(struct virtqueue *vq);

/*
 * The device asks for (or stops asking for) doorbells (virtio 1.2,
 * 2.7.10). With EVENT_IDX, asking publishes avail_event = the next slot we
 * will consume, and vq_pop() keeps it there; not asking parks avail_event
 * just behind the chains the device has consumed (vring_need_event() then
 * stays false for the driver) and vq_pop() keeps it parked. Without
 * EVENT_IDX it is VRING_USED_F_NO_NOTIFY. While the queue is polled
 * (vq_poll_start()) doorbells stay off whatever the device asks; the
 * request takes effect at vq_poll_stop(). vq_enable_notify() returns true
 * when chains are available (so the caller must keep processing instead
 * of sleeping).
 */
bool vq_enable_notify(struct virtqueue *vq);
void vq_disable_notify(struct virtqueue *vq);

/*
 * The transport polls this queue (io/loop.h, struct io_poller): the
 * driver is asked not to ring while it does. vq_poll_stop() restores what
 * the device asked for, ordered (a full barrier) before the caller's next
 * load of avail->idx: a chain the driver publishes is then either seen by
 * that look or followed by a doorbell (if the device asked for them).
 * Both are no-ops on a queue that is not ready.
 */
void vq_poll_start(struct virtqueue *vq);
void vq_poll_stop(struct virtqueue *vq);

/*
 * avail->idx in guest RAM while the queue is ready, else NULL: for a
 * poller that peeks at it without the device mutex (atomic loads only;
 * guest RAM stays mapped while the VM lives, so a stale pointer is safe).
 */
const uint16_t *vq_avail_idx_ptr(const struct virtqueue *vq);

/* True when the driver has made chains available that we have not popped. */
bool vq_has_avail(struct virtqueue *vq);

/* Bytes needed by each ring part of a queue of @size entries. */
size_t vq_desc_bytes(unsigned int size);
size_t vq_avail_bytes(unsigned int size);
size_t vq_used_bytes(unsigned int size);

#endif /* VIRTIO_VIRTQUEUE_H */
