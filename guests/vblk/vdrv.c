/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-mmio driver (virtio 1.2, 3.1.1, 4.2.3 and 2.7) for any
 * device with up to VQ_MAXQ queues: version-2 registers, split queues of
 * VQ_N entries (fewer if QueueNumMax says so) cut into request slots (a
 * slot's chain is direct in its own four ring descriptors or goes through
 * its own indirect table), EVENT_IDX in both directions. Runs at CPL 3:
 * register accesses are MMIO exits (QueueNotify an ioeventfd), the rings
 * are plain memory.
 */
#include "vblk.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define MMIO_MAGIC 0x74726976 /* "virt" */

/* The ring parts at their alignments (virtio 1.2, 2.7: 16, 2, 4). */
struct vq_mem {
	struct vring_desc desc[VQ_N] __attribute__((aligned(16)));
	struct vq_avail avail __attribute__((aligned(64)));
	struct vq_used used __attribute__((aligned(64)));
	struct vring_desc ind[VQ_SLOTS][VQ_IND] __attribute__((aligned(16)));
	struct vq_slot slot[VQ_SLOTS];
} __attribute__((aligned(4096)));

static struct vq_mem qmem[VDEV_MAX][VQ_MAXQ];

/* Store-load order between our ring writes and the device's fields. */
static inline void mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint32_t vreg_read(const struct vdev *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

void vreg_write(const struct vdev *d, uint32_t off, uint32_t val)
{
	mmio_write32(d->base + off, val);
}

static void vreg_write64(const struct vdev *d, uint32_t lo, uint64_t val)
{
	vreg_write(d, lo, (uint32_t)val);
	vreg_write(d, lo + 4, (uint32_t)(val >> 32));
}

/* virtio 1.2, 4.2.2.2: reread until the generation holds still. */
uint32_t vcfg_read32(const struct vdev *d, uint32_t off)
{
	uint32_t gen, v;

	do {
		gen = vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		v = mmio_read32(d->base + VIRTIO_MMIO_CONFIG + off);
	} while (gen != vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return v;
}

uint64_t vcfg_read64(const struct vdev *d, uint32_t off)
{
	uint32_t gen, lo, hi;

	do {
		gen = vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = mmio_read32(d->base + VIRTIO_MMIO_CONFIG + off);
		hi = mmio_read32(d->base + VIRTIO_MMIO_CONFIG + off + 4);
	} while (gen != vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return ((uint64_t)hi << 32) | lo;
}

/* The device may take its time: the reset is done when 0 reads back. */
void vdev_reset(struct vdev *d)
{
	vreg_write(d, VIRTIO_MMIO_STATUS, 0);
	while (vreg_read(d, VIRTIO_MMIO_STATUS))
		cpu_relax();
}

static int vq_setup(struct vdev *d, unsigned int i, char *msg, size_t len)
{
	struct vq_mem *m = &qmem[d->n][i];
	struct vq *q = &d->q[i];
	uint32_t max, size = VQ_N;

	vreg_write(d, VIRTIO_MMIO_QUEUE_SEL, i);
	max = vreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	/* Split queue sizes are powers of 2 (virtio 1.2, 2.7). */
	while (size > max)
		size /= 2;
	if (size < 2 * VQ_SLOT_DESC || vreg_read(d, VIRTIO_MMIO_QUEUE_READY)) {
		snprintk(msg, len, "queue %u: QueueNumMax %u", i, max);
		return -1;
	}
	memset(m, 0, sizeof(*m));
	*q = (struct vq){
	    .index = i,
	    .size = (uint16_t)size,
	    .nslots = size / VQ_SLOT_DESC,
	    .desc = m->desc,
	    .avail = &m->avail,
	    .used = &m->used,
	    .used_event = &m->avail.ring[size],
	    .avail_event = (volatile uint16_t *)&m->used.ring[size],
	    .ind = m->ind,
	    .slot = m->slot,
	};
	vreg_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	vreg_write64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uintptr_t)m->desc);
	vreg_write64(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uintptr_t)&m->avail);
	vreg_write64(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uintptr_t)&m->used);
	vreg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	if (vreg_read(d, VIRTIO_MMIO_QUEUE_READY) != 1) {
		snprintk(msg, len, "queue %u refused", i);
		return -1;
	}
	return 0;
}

int vdev_negotiate(struct vdev *d, uint64_t want, char *msg, size_t len)
{
	uint64_t ring = 1ULL << VIRTIO_F_VERSION_1;

	if (!opts.plain)
		ring |= (1ULL << VIRTIO_RING_F_EVENT_IDX) |
			(1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	if (vreg_read(d, VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC ||
	    vreg_read(d, VIRTIO_MMIO_VERSION) != 2) {
		snprintk(msg, len, "no virtio-mmio v2 at 0x%lx", d->base);
		return -1;
	}
	/* virtio 1.2, 3.1.1: reset, ACKNOWLEDGE, DRIVER, features. */
	vdev_reset(d);
	vreg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vreg_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	d->offered = vreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	vreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	d->offered |= (uint64_t)vreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	if (!(d->offered & (1ULL << VIRTIO_F_VERSION_1))) {
		snprintk(msg, len, "no VIRTIO_F_VERSION_1");
		return -1;
	}
	/* Only what was offered: a driver may not accept more (2.2.1). */
	d->features = d->offered & (want | ring);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES,
		   (uint32_t)(d->features >> 32));
	/* The device may refuse the subset: FEATURES_OK must read back. */
	vreg_write(d, VIRTIO_MMIO_STATUS, 0xb);
	if (!(vreg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		snprintk(msg, len, "FEATURES_OK refused");
		return -1;
	}
	return 0;
}

int vdev_start(struct vdev *d, unsigned int nq, char *msg, size_t len)
{
	if (nq > VQ_MAXQ) {
		snprintk(msg, len, "%u queues: we have room for %u", nq,
			 VQ_MAXQ);
		return -1;
	}
	d->nq = nq;
	for (unsigned int i = 0; i < nq; i++)
		if (vq_setup(d, i, msg, len))
			return -1;
	vreg_write(d, VIRTIO_MMIO_STATUS, 0xf);
	if (vreg_read(d, VIRTIO_MMIO_STATUS) != 0xf) {
		snprintk(msg, len, "status 0x%x after DRIVER_OK",
			 vreg_read(d, VIRTIO_MMIO_STATUS));
		return -1;
	}
	return 0;
}

int vdev_init(struct vdev *d, uint64_t want, unsigned int nq, char *msg,
	      size_t len)
{
	if (vdev_negotiate(d, want, msg, len))
		return -1;
	return vdev_start(d, nq, msg, len);
}

void vq_add_head(struct vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx % q->size] = head;
	q->avail_idx++;
}

int vq_add(struct vq *q, unsigned int slot, const struct vseg *seg,
	   unsigned int n, bool indirect)
{
	unsigned int head = slot * VQ_SLOT_DESC;
	volatile struct vring_desc *t;

	if (slot >= q->nslots || !n || n > (indirect ? VQ_IND : VQ_SLOT_DESC))
		return -1;
	t = indirect ? q->ind[slot] : &q->desc[head];
	for (unsigned int i = 0; i < n; i++) {
		t[i].addr = (uintptr_t)seg[i].addr;
		t[i].len = seg[i].len;
		t[i].flags =
		    (uint16_t)((seg[i].write ? VRING_DESC_F_WRITE : 0) |
			       (i + 1 < n ? VRING_DESC_F_NEXT : 0));
		t[i].next = (uint16_t)(indirect ? i + 1 : head + i + 1);
	}
	if (indirect) {
		q->desc[head].addr = (uintptr_t)t;
		q->desc[head].len = (uint32_t)(n * sizeof(struct vring_desc));
		q->desc[head].flags = VRING_DESC_F_INDIRECT;
		q->desc[head].next = 0;
	}
	vq_add_head(q, (uint16_t)head);
	return 0;
}

/* The driver's side of virtio 1.2, 2.7.10: kick only when asked. */
static void vq_kick(struct vdev *d, struct vq *q)
{
	uint16_t old = q->kicked_idx, now = q->avail_idx;
	bool need;

	q->kicked_idx = now;
	mb();
	if (vdev_has(d, VIRTIO_RING_F_EVENT_IDX))
		need = (uint16_t)(now - *q->avail_event - 1) <
		       (uint16_t)(now - old);
	else
		need = !(q->used->flags & VRING_USED_F_NO_NOTIFY);
	if (need) {
		vreg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
		q->kicks++;
	}
}

void vq_publish(struct vdev *d, struct vq *q)
{
	if (q->pub_idx == q->avail_idx)
		return;
	/* Ring entries and descriptors before the index (x86: in order). */
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	q->pub_idx = q->avail_idx;
	vq_kick(d, q);
}

int vq_reap(struct vq *q, uint32_t *id, uint32_t *len)
{
	volatile struct vring_used_elem *e;

	if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->used_idx)
		return 0;
	e = &q->used->ring[q->used_idx % q->size];
	*id = e->id;
	*len = e->len;
	q->used_idx++;
	return 1;
}

void vq_wait(struct vq *q, uint32_t *id, uint32_t *len)
{
	/* Interrupt on the next completion (EVENT_IDX): counted, not needed. */
	*q->used_event = q->used_idx;
	mb();
	while (!vq_reap(q, id, len))
		cpu_relax();
}

int vq_free_slot(const struct vq *q)
{
	for (unsigned int s = 0; s < q->nslots; s++)
		if (!q->slot[s].busy)
			return (int)s;
	return -1;
}
