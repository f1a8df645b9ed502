/* SPDX-License-Identifier: MIT */
/*
 * The storm's own small virtio-mmio driver (virtio 1.2, 3.1.1 and 4.2.3):
 * version-2 registers, split rings in struct sq_mem, direct chains whose
 * descriptors are taken round-robin, a doorbell for every publication and
 * no EVENT_IDX, so that every completion may interrupt. The phases use it
 * to bring a device to a known state before they break it, and to show
 * afterwards that it works again.
 */
#include "storm.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define MMIO_MAGIC 0x74726976 /* "virt" */

static struct sq_mem qmem[SDEV_MAX][SQ_MAX];

struct sq_mem *sq_mem(const struct sdev *d, unsigned int i)
{
	return &qmem[d->n][i];
}

uint32_t sreg_read(const struct sdev *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

void sreg_write(const struct sdev *d, uint32_t off, uint32_t val)
{
	mmio_write32(d->base + off, val);
}

/*
 * vmm waits for requests in flight before a reset completes; the read
 * back of 0 is what a driver must wait for (virtio 1.2, 4.2.3.1). The
 * bound only keeps a broken device from hanging the guest: the test then
 * fails on the status check that follows.
 */
void sdev_reset(struct sdev *d)
{
	sreg_write(d, VIRTIO_MMIO_STATUS, 0);
	for (unsigned long i = 0; i < 100000000UL; i++)
		if (!sreg_read(d, VIRTIO_MMIO_STATUS))
			return;
}

int sdev_negotiate(struct sdev *d, uint64_t want)
{
	uint64_t offered;

	if (sreg_read(d, VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC ||
	    sreg_read(d, VIRTIO_MMIO_VERSION) != 2) {
		printk("FAIL: storm: no virtio-mmio v2 at 0x%lx\n", d->base);
		return -1;
	}
	sdev_reset(d);
	if (sreg_read(d, VIRTIO_MMIO_STATUS)) {
		printk("FAIL: storm: device %u: reset did not complete\n",
		       d->n);
		return -1;
	}
	sreg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	sreg_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	sreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = sreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	sreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)sreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	d->features = offered & (want | (1ULL << VIRTIO_F_VERSION_1));
	sreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	sreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	sreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	sreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES,
		   (uint32_t)(d->features >> 32));
	sreg_write(d, VIRTIO_MMIO_STATUS, 0xb);
	if (!(sreg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		printk("FAIL: storm: device %u refused features 0x%lx\n", d->n,
		       d->features);
		return -1;
	}
	return 0;
}

static void sreg_write64(const struct sdev *d, uint32_t lo, uint64_t v)
{
	sreg_write(d, lo, (uint32_t)v);
	sreg_write(d, lo + 4, (uint32_t)(v >> 32));
}

void sq_program(struct sdev *d, unsigned int i, uint32_t size, uint64_t desc,
		uint64_t avail, uint64_t used, bool ready)
{
	sreg_write(d, VIRTIO_MMIO_QUEUE_SEL, i);
	sreg_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	sreg_write64(d, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	sreg_write64(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	sreg_write64(d, VIRTIO_MMIO_QUEUE_USED_LOW, used);
	if (ready)
		sreg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

void sq_setup(struct sdev *d, unsigned int i)
{
	struct sq_mem *m = sq_mem(d, i);
	struct squeue *q = &d->q[i];
	uint32_t max, size = SQ_N;

	sreg_write(d, VIRTIO_MMIO_QUEUE_SEL, i);
	max = sreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
	while (size > max && size > 1)
		size /= 2;
	memset(m, 0, sizeof(*m));
	*q = (struct squeue){.index = i, .size = (uint16_t)size, .m = m};
	sq_program(d, i, size, (uintptr_t)m->desc, (uintptr_t)&m->avail,
		   (uintptr_t)&m->used, true);
}

int sdev_init(struct sdev *d, uint64_t want, unsigned int nq)
{
	if (sdev_negotiate(d, want))
		return -1;
	for (unsigned int i = 0; i < nq && i < d->nq; i++)
		sq_setup(d, i);
	sreg_write(d, VIRTIO_MMIO_STATUS, 0xf);
	if (sreg_read(d, VIRTIO_MMIO_STATUS) != 0xf) {
		printk("FAIL: storm: device %u: status 0x%x after DRIVER_OK\n",
		       d->n, sreg_read(d, VIRTIO_MMIO_STATUS));
		return -1;
	}
	return 0;
}

void sq_add(struct squeue *q, const struct sseg *seg, unsigned int n)
{
	uint16_t head = q->next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % q->size);

		q->m->desc[at] = (struct vring_desc){
		    .addr = seg[i].addr,
		    .len = seg[i].len,
		    .flags =
			(uint16_t)((seg[i].write ? VRING_DESC_F_WRITE : 0) |
				   (i + 1 < n ? VRING_DESC_F_NEXT : 0)),
		    .next = (uint16_t)((at + 1) % q->size),
		};
	}
	q->next_desc = (uint16_t)((head + n) % q->size);
	q->m->avail.ring[q->avail_idx % q->size] = head;
	q->avail_idx++;
}

void sq_kick(struct sdev *d, struct squeue *q)
{
	/* Ring entries and descriptors before the index (x86: in order). */
	__atomic_store_n(&q->m->avail.idx, q->avail_idx, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	sreg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
	n_doorbells++;
}

int sq_reap(struct squeue *q, uint32_t *id, uint32_t *len)
{
	volatile struct vring_used_elem *e;

	if (__atomic_load_n(&q->m->used.idx, __ATOMIC_ACQUIRE) == q->used_idx)
		return 0;
	e = &q->m->used.ring[q->used_idx % q->size];
	*id = e->id;
	*len = e->len;
	q->used_idx++;
	return 1;
}

int sq_wait(struct squeue *q, uint32_t *id, uint32_t *len, unsigned long spins)
{
	for (unsigned long i = 0; i < spins; i++) {
		if (sq_reap(q, id, len))
			return 1;
		cpu_relax();
	}
	return 0;
}
