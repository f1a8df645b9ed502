/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue, device side (virtio 1.2, 2.7). The guest writes the
 * descriptor table and available ring concurrently with us, so each value
 * is read once into a local before it is checked and used, and every check
 * goes through vq_check(): one place that logs the first violation of a
 * queue and marks it broken. Index arithmetic is modulo 2^16 as in the
 * spec; the queue size is a power of 2 so slot = idx & (size - 1).
 */
#define pr_fmt(fmt) "virtqueue: " fmt

#include "virtqueue.h"

#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "base/log.h"
#include "base/mem.h"

/* Prevent the compiler from re-reading guest memory behind a copy. */
#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

/*
 * The checking helper: every guest-controlled condition goes through here.
 * Returns @bad; on the first violation of this queue logs what and the two
 * values involved, and marks the queue broken until the device is reset.
 */
static bool vq_check(struct virtqueue *vq, bool bad, const char *what,
		     uint64_t a, uint64_t b)
{
	if (!bad)
		return false;
	if (!vq->warned)
		pr_warn("queue %u: %s (0x%llx, 0x%llx): device needs reset",
			vq->index, what, (unsigned long long)a,
			(unsigned long long)b);
	vq->warned = true;
	vq->broken = true;
	return true;
}

/* A guest range as a host pointer, or NULL after a logged violation. */
static void *vq_map(struct virtqueue *vq, uint64_t gpa, uint64_t len,
		    const char *what)
{
	void *p = gpa_ptr(vq->mem, gpa, len);

	vq_check(vq, p == NULL, what, gpa, len);
	return p;
}

size_t vq_desc_bytes(unsigned int size)
{
	return (size_t)size * sizeof(struct vring_desc);
}

/* flags, idx, ring[size], used_event */
size_t vq_avail_bytes(unsigned int size)
{
	return 6 + 2 * (size_t)size;
}

/* flags, idx, ring[size], avail_event */
size_t vq_used_bytes(unsigned int size)
{
	return 6 + 8 * (size_t)size;
}

void vq_reset(struct virtqueue *vq)
{
	uint16_t max = vq->max_size;
	unsigned int index = vq->index;
	bool warned = vq->warned;

	memset(vq, 0, sizeof(*vq));
	vq->max_size = max;
	vq->size = max;
	vq->index = index;
	vq->warned = warned;
}

int vq_enable(struct virtqueue *vq, const struct mem *mem, bool event_idx,
	      bool indirect)
{
	unsigned int n = vq->size;

	vq->mem = mem;
	vq->broken = false;
	if (vq_check(vq, !n || (n & (n - 1)) || n > vq->max_size,
		     "queue size not a power of 2 up to the maximum", n,
		     vq->max_size) ||
	    vq_check(
		vq, vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4,
		"misaligned ring", vq->desc_gpa, vq->avail_gpa | vq->used_gpa))
		return -EINVAL;
	vq->desc = vq_map(vq, vq->desc_gpa, vq_desc_bytes(n),
			  "descriptor table outside RAM");
	vq->avail = vq_map(vq, vq->avail_gpa, vq_avail_bytes(n),
			   "available ring outside RAM");
	vq->used =
	    vq_map(vq, vq->used_gpa, vq_used_bytes(n), "used ring outside RAM");
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EINVAL;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	/* A new ring starts out asking for doorbells (its bytes are 0). */
	vq->notify_off = false;
	vq->polled = false;
	vq->parked = 0;
	vq_set_features(vq, event_idx, indirect);
	vq->ready = true;
	return 0;
}

void vq_set_features(struct virtqueue *vq, bool event_idx, bool indirect)
{
	vq->event_idx = event_idx;
	vq->indirect = indirect;
}

/* avail_event: the last 2 bytes of the used ring (EVENT_IDX). */
static uint16_t *vq_avail_event(struct virtqueue *vq)
{
	return (uint16_t *)(void *)((char *)vq->used + vq_used_bytes(vq->size) -
				    2);
}

static uint16_t vq_avail_idx(const struct virtqueue *vq)
{
	/*
	 * Acquire: the ring slots and descriptors the driver published
	 * before this index are read after it (virtio 1.2, 2.7.13).
	 */
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

/* Does the queue want doorbells now? */
static bool vq_doorbells(const struct virtqueue *vq)
{
	return !vq->notify_off && !vq->polled;
}

/*
 * EVENT_IDX without doorbells: avail_event = parked - 1, with parked at
 * most last_avail, is behind every chain the driver publishes from now
 * on, so vring_need_event() is false for it (the driver's old index is at
 * least last_avail; a driver that decides late for a batch the device
 * already took may ring once, harmlessly). Re-parked (@force, or every
 * 16384 chains) before the device's progress could wrap the 16-bit
 * distance to it.
 */
static void vq_park(struct virtqueue *vq, bool force)
{
	if (!force && (uint16_t)(vq->last_avail - vq->parked) < 0x4000)
		return;
	vq->parked = vq->last_avail;
	__atomic_store_n(vq_avail_event(vq), (uint16_t)(vq->parked - 1),
			 __ATOMIC_RELAXED);
}

/* Stop doorbells: avail_event parked, or VRING_USED_F_NO_NOTIFY. */
static void vq_doorbells_off(struct virtqueue *vq)
{
	if (vq->event_idx)
		vq_park(vq, true);
	else
		__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
}

/*
 * Ask for doorbells, then look again: true if chains are available.
 * Store-load order (SEQ_CST on both sides: a full barrier): publish
 * "kick me" before looking, so a chain made available in between is
 * either seen now or kicked.
 */
static bool vq_doorbells_on(struct virtqueue *vq)
{
	if (vq->event_idx)
		__atomic_store_n(vq_avail_event(vq), vq->last_avail,
				 __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_SEQ_CST) !=
	       vq->last_avail;
}

bool vq_has_avail(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	return vq_avail_idx(vq) != vq->last_avail;
}

/* One descriptor, copied out of guest memory once. */
static void vq_read_desc(const struct vring_desc *table, unsigned int i,
			 struct vring_desc *d)
{
	memcpy(d, &table[i], sizeof(*d));
	compiler_barrier();
}

/* Switch the walk to the indirect table @d points at. */
static int vq_enter_indirect(struct virtqueue *vq, struct vq_chain *chain,
			     const struct vring_desc *d,
			     const struct vring_desc **table,
			     unsigned int *tsize)
{
	if (vq_check(vq, !vq->indirect, "indirect descriptor not negotiated",
		     d->addr, d->len) ||
	    vq_check(vq,
		     chain->n_out + chain->n_in != 0 ||
			 (d->flags & VRING_DESC_F_NEXT),
		     "indirect descriptor inside a chain", d->addr, d->flags) ||
	    vq_check(vq, !d->len || d->len % sizeof(struct vring_desc),
		     "indirect table length", d->addr, d->len) ||
	    vq_check(vq, d->len / sizeof(struct vring_desc) > chain->max,
		     "indirect table longer than the chain limit", d->len,
		     chain->max))
		return -EINVAL;
	*table = vq_map(vq, d->addr, d->len, "indirect table outside RAM");
	if (!*table)
		return -EINVAL;
	*tsize = d->len / sizeof(struct vring_desc);
	return 0;
}

/* Walk the chain at @head into @chain. */
static int vq_walk(struct virtqueue *vq, uint16_t head, struct vq_chain *chain)
{
	const struct vring_desc *table = vq->desc;
	unsigned int tsize = vq->size, count = 0, idx = head, n;
	bool in_indirect = false;
	struct vring_desc d;
	uint32_t in_len;

	chain->n_out = chain->n_in = 0;
	chain->out_len = 0;
	chain->in_len = 0;
	for (;;) {
		if (vq_check(vq, idx >= tsize, "descriptor index out of range",
			     idx, tsize))
			return -EINVAL;
		vq_read_desc(table, idx, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (vq_check(vq, in_indirect, "nested indirect table",
				     d.addr, d.len) ||
			    vq_enter_indirect(vq, chain, &d, &table, &tsize))
				return -EINVAL;
			in_indirect = true;
			idx = 0;
			continue;
		}
		n = chain->n_out + chain->n_in;
		count++;
		/* In a table of tsize entries a longer walk must loop. */
		if (vq_check(vq, count > tsize, "descriptor loop", head,
			     count) ||
		    vq_check(vq, n >= chain->max, "chain too long", head, n))
			return -EINVAL;
		if (d.flags & VRING_DESC_F_WRITE) {
			if (vq_check(vq,
				     __builtin_add_overflow(chain->in_len,
							    d.len, &in_len),
				     "writable length overflow", head, d.len))
				return -EINVAL;
			chain->in_len = in_len;
			chain->n_in++;
		} else {
			if (vq_check(vq, chain->n_in != 0,
				     "readable descriptor after a writable one",
				     head, idx))
				return -EINVAL;
			chain->out_len += d.len;
			chain->n_out++;
		}
		chain->iov[n].iov_len = d.len;
		chain->iov[n].iov_base = NULL;
		if (d.len) {
			chain->iov[n].iov_base =
			    vq_map(vq, d.addr, d.len, "buffer outside RAM");
			if (!chain->iov[n].iov_base)
				return -EINVAL;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *chain)
{
	uint16_t avail_idx, pending, head;
	int r;

	if (!vq->ready || vq->broken)
		return -EIO;
	/*
	 * EVENT_IDX: ask for a doorbell for the first chain we have not
	 * consumed, before looking (SEQ_CST store then SEQ_CST load: a chain
	 * published meanwhile is either seen here or kicked). Without
	 * doorbells, keep avail_event parked behind us.
	 */
	if (vq->event_idx && vq_doorbells(vq))
		__atomic_store_n(vq_avail_event(vq), vq->last_avail,
				 __ATOMIC_SEQ_CST);
	else if (vq->event_idx)
		vq_park(vq, false);
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_SEQ_CST);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (vq_check(vq, pending > vq->size, "available index ran ahead",
		     avail_idx, vq->last_avail))
		return -EINVAL;
	if (!pending)
		return 0;
	head =
	    __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->size - 1)],
			    __ATOMIC_RELAXED);
	if (vq_check(vq, head >= vq->size, "chain head out of range", head,
		     vq->size))
		return -EINVAL;
	r = vq_walk(vq, head, chain);
	if (r)
		return r;
	chain->head = head;
	vq->last_avail++;
	return 1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;

	if (!vq->ready || vq->broken)
		return;
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	vq->used_idx++;
	/*
	 * The element is visible before the index that covers it. SEQ_CST
	 * (a locked instruction on x86) also orders this store before the
	 * suppression reads in vq_should_notify(): a full barrier.
	 */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_SEQ_CST);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, used_event;
	bool valid;

	if (!vq->ready || vq->broken)
		return false;
	/*
	 * Our used->idx store (SEQ_CST in vq_push) must be visible before we
	 * read the driver's suppression state, or we could miss its update
	 * while it misses our buffers (virtio 1.2, 2.7.10): SEQ_CST loads.
	 */
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_SEQ_CST) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	used_event =
	    __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_SEQ_CST);
	return !valid || vring_need_event(used_event, vq->used_idx, old);
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return false;
	vq->notify_off = false;
	if (!vq->polled)
		return vq_doorbells_on(vq);
	/* Polled: the poller re-arms at vq_poll_stop(); just look. */
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_SEQ_CST) !=
	       vq->last_avail;
}

void vq_disable_notify(struct virtqueue *vq)
{
	if (!vq->ready || vq->broken)
		return;
	if (!vq->notify_off && !vq->polled)
		vq_doorbells_off(vq);
	vq->notify_off = true;
}

void vq_poll_start(struct virtqueue *vq)
{
	if (!vq->ready || vq->polled)
		return;
	if (!vq->notify_off && !vq->broken)
		vq_doorbells_off(vq);
	vq->polled = true;
}

void vq_poll_stop(struct virtqueue *vq)
{
	if (!vq->ready || !vq->polled)
		return;
	vq->polled = false;
	/*
	 * Its SEQ_CST store then SEQ_CST load orders the request before the
	 * caller's next look (which follows that load). A device that asked
	 * for no doorbells gets none: nothing to order.
	 */
	if (!vq->notify_off && !vq->broken)
		(void)vq_doorbells_on(vq); /* the caller looks itself */
}

const uint16_t *vq_avail_idx_ptr(const struct virtqueue *vq)
{
	return vq->ready ? &vq->avail->idx : NULL;
}

void vq_get_state(const struct virtqueue *vq, struct vq_state *s)
{
	memset(s, 0, sizeof(*s));
	s->ready = vq->ready;
	s->broken = vq->broken;
	s->event_idx = vq->event_idx;
	s->notify_off = vq->notify_off;
	s->polled = vq->polled;
	s->size = vq->size;
	s->last_avail = vq->last_avail;
	s->used_idx = vq->used_idx;
	if (!vq->ready)
		return;
	s->avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	s->avail_flags = __atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED);
	s->used_event =
	    __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
	s->used_flags = __atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED);
	s->avail_event = __atomic_load_n(
	    (const uint16_t *)(const void *)((const char *)vq->used +
					     vq_used_bytes(vq->size) - 2),
	    __ATOMIC_RELAXED);
}
