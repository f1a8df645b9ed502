/* SPDX-License-Identifier: MIT */
/*
 * A fake virtio guest driver for unit tests: lays out a split ring in fake
 * guest RAM, writes descriptor chains (direct or indirect, well-formed or
 * hostile), publishes them on the available ring and reads the used ring,
 * like a guest would (after rust-vmm's virtio-queue mock). Addresses are
 * guest-physical; vrd_ptr() gives the host view.
 */
#ifndef TESTS_UNIT_VRING_DRIVER_H
#define TESTS_UNIT_VRING_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"

struct virtqueue;
struct vring_desc;
struct vring_avail;
struct vring_used;

struct vring_driver {
	struct mem *mem;
	unsigned int size;
	gpa_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;   /* next avail index the driver publishes */
	uint16_t last_used;   /* next used index the driver consumes */
	gpa_t heap, heap_end; /* bump allocator for buffers and tables */
};

/* One segment of a chain to build. */
struct vrd_seg {
	gpa_t addr;
	uint32_t len;
	bool write; /* device-writable */
};

/*
 * Lay out a ring of @size entries at @base (page aligned) with a buffer
 * heap after it up to @base + @span. Returns 0 or -EINVAL.
 */
int vrd_init(struct vring_driver *d, struct mem *mem, gpa_t base, uint64_t span,
	     unsigned int size);

/* Point @vq's size and ring addresses at this ring (what QueueNum etc. do). */
void vrd_configure(const struct vring_driver *d, struct virtqueue *vq);

/* Allocate @len bytes of guest memory from the heap (aligned to 16). */
gpa_t vrd_alloc(struct vring_driver *d, uint64_t len);

/* Host pointer of a guest range (asserts it is inside RAM). */
void *vrd_ptr(const struct vring_driver *d, gpa_t gpa, uint64_t len);

/*
 * Write @n descriptors for @segs at table slots first, first+1, ...
 * (mod size) linked with NEXT. Returns the head slot (@first).
 */
uint16_t vrd_chain(struct vring_driver *d, const struct vrd_seg *segs,
		   unsigned int n, uint16_t first);

/* Write one raw descriptor into slot @i. */
void vrd_desc(struct vring_driver *d, uint16_t i, gpa_t addr, uint32_t len,
	      uint16_t flags, uint16_t next);

/*
 * Build an indirect table for @segs in the heap and point slot @slot at
 * it. Returns @slot.
 */
uint16_t vrd_indirect(struct vring_driver *d, const struct vrd_seg *segs,
		      unsigned int n, uint16_t slot);

/* Make chain @head available and publish avail->idx (release). */
void vrd_publish(struct vring_driver *d, uint16_t head);

/* Hostile: write avail->idx directly. */
void vrd_set_avail_idx(struct vring_driver *d, uint16_t idx);

/* Next used element: returns 1 and fills id and len, or 0 if none. */
int vrd_get_used(struct vring_driver *d, uint32_t *id, uint32_t *len);

/* used_event (EVENT_IDX) and VRING_AVAIL_F_NO_INTERRUPT. */
void vrd_set_used_event(struct vring_driver *d, uint16_t v);
void vrd_set_no_interrupt(struct vring_driver *d, bool on);

/* avail_event as the device wrote it, and VRING_USED_F_NO_NOTIFY. */
uint16_t vrd_avail_event(const struct vring_driver *d);
bool vrd_no_notify(const struct vring_driver *d);

#endif /* TESTS_UNIT_VRING_DRIVER_H */
