/* SPDX-License-Identifier: MIT */
/*
 * Fake guest driver for split virtqueues (see vring_driver.h). Guest-side
 * stores use release order where a real driver needs a write barrier.
 */
#include "vring_driver.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "virtio/virtqueue.h"

int vrd_init(struct vring_driver *d, struct mem *mem, gpa_t base, uint64_t span,
	     unsigned int size)
{
	memset(d, 0, sizeof(*d));
	d->mem = mem;
	d->size = size;
	d->desc_gpa = base;
	d->avail_gpa = base + vq_desc_bytes(size);
	d->used_gpa = ALIGN_UP(d->avail_gpa + vq_avail_bytes(size), 4096);
	d->heap = ALIGN_UP(d->used_gpa + vq_used_bytes(size), 4096);
	d->heap_end = base + span;
	if (d->heap >= d->heap_end)
		return -EINVAL;
	d->desc = vrd_ptr(d, d->desc_gpa, vq_desc_bytes(size));
	d->avail = vrd_ptr(d, d->avail_gpa, vq_avail_bytes(size));
	d->used = vrd_ptr(d, d->used_gpa, vq_used_bytes(size));
	memset(d->desc, 0, vq_desc_bytes(size));
	memset(d->avail, 0, vq_avail_bytes(size));
	memset(d->used, 0, vq_used_bytes(size));
	return 0;
}

void vrd_configure(const struct vring_driver *d, struct virtqueue *vq)
{
	vq->size = (uint16_t)d->size;
	vq->desc_gpa = d->desc_gpa;
	vq->avail_gpa = d->avail_gpa;
	vq->used_gpa = d->used_gpa;
}

gpa_t vrd_alloc(struct vring_driver *d, uint64_t len)
{
	gpa_t a = d->heap;

	d->heap = ALIGN_UP(d->heap + len, 16);
	assert(d->heap <= d->heap_end);
	return a;
}

void *vrd_ptr(const struct vring_driver *d, gpa_t gpa, uint64_t len)
{
	void *p = gpa_ptr(d->mem, gpa, len);

	assert(p);
	return p;
}

void vrd_desc(struct vring_driver *d, uint16_t i, gpa_t addr, uint32_t len,
	      uint16_t flags, uint16_t next)
{
	struct vring_desc *e = &d->desc[i % d->size];

	e->addr = addr;
	e->len = len;
	e->flags = flags;
	e->next = next;
}

static void vrd_fill(struct vring_desc *table, const struct vrd_seg *segs,
		     unsigned int n, unsigned int first, unsigned int mod)
{
	for (unsigned int k = 0; k < n; k++) {
		struct vring_desc *e = &table[(first + k) % mod];

		e->addr = segs[k].addr;
		e->len = segs[k].len;
		e->flags = (segs[k].write ? VRING_DESC_F_WRITE : 0) |
			   (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		e->next = (uint16_t)((first + k + 1) % mod);
	}
}

uint16_t vrd_chain(struct vring_driver *d, const struct vrd_seg *segs,
		   unsigned int n, uint16_t first)
{
	vrd_fill(d->desc, segs, n, first % d->size, d->size);
	return first % d->size;
}

uint16_t vrd_indirect(struct vring_driver *d, const struct vrd_seg *segs,
		      unsigned int n, uint16_t slot)
{
	uint64_t bytes = (uint64_t)n * sizeof(struct vring_desc);
	gpa_t t = vrd_alloc(d, bytes);

	vrd_fill(vrd_ptr(d, t, bytes), segs, n, 0, n);
	vrd_desc(d, slot, t, (uint32_t)bytes, VRING_DESC_F_INDIRECT, 0);
	return slot;
}

void vrd_publish(struct vring_driver *d, uint16_t head)
{
	d->avail->ring[d->avail_idx % d->size] = head;
	d->avail_idx++;
	__atomic_store_n(&d->avail->idx, d->avail_idx, __ATOMIC_RELEASE);
}

void vrd_set_avail_idx(struct vring_driver *d, uint16_t idx)
{
	d->avail_idx = idx;
	__atomic_store_n(&d->avail->idx, idx, __ATOMIC_RELEASE);
}

int vrd_get_used(struct vring_driver *d, uint32_t *id, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&d->used->idx, __ATOMIC_ACQUIRE);
	struct vring_used_elem *e;

	if (idx == d->last_used)
		return 0;
	e = &d->used->ring[d->last_used % d->size];
	*id = e->id;
	*len = e->len;
	d->last_used++;
	return 1;
}

void vrd_set_used_event(struct vring_driver *d, uint16_t v)
{
	d->avail->ring[d->size] = v;
}

void vrd_set_no_interrupt(struct vring_driver *d, bool on)
{
	d->avail->flags = on ? VRING_AVAIL_F_NO_INTERRUPT : 0;
}

uint16_t vrd_avail_event(const struct vring_driver *d)
{
	uint16_t v;

	/* avail_event sits right after the used ring's elements. */
	memcpy(&v, (const char *)d->used + vq_used_bytes(d->size) - 2, 2);
	return v;
}

bool vrd_no_notify(const struct vring_driver *d)
{
	return d->used->flags & VRING_USED_F_NO_NOTIFY;
}
