/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-mmio driver for virtio-console (virtio 1.2, 3.1.1,
 * 4.2.3 and 2.7): version-2 registers, split queues whose descriptor i
 * always holds buffer i, EVENT_IDX in both directions. Runs at CPL 3:
 * register accesses are MMIO exits (QueueNotify an ioeventfd), the rings
 * are plain memory.
 */
#include "vcon.h"

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define MMIO_MAGIC 0x74726976 /* "virt" */

struct gq_mem {
	struct vring_desc desc[GQ_N] __attribute__((aligned(16)));
	struct gq_avail avail __attribute__((aligned(64)));
	struct gq_used used __attribute__((aligned(64)));
} __attribute__((aligned(4096)));

static struct gq_mem qmem[GQ_MAX];
static uint8_t small_bufs[GQ_MAX][GQ_N][GQ_SMALL] __attribute__((aligned(64)));
static uint8_t bulk_bufs[GQ_N][GQ_BULK] __attribute__((aligned(4096)));

/* Store-load order between our ring writes and the device's fields. */
static inline void mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint32_t vreg_read(const struct gdev *d, uint32_t off)
{
	return mmio_read32(d->base + off);
}

void vreg_write(const struct gdev *d, uint32_t off, uint32_t val)
{
	mmio_write32(d->base + off, val);
}

static void vreg_write64(const struct gdev *d, uint32_t lo, uint64_t val)
{
	vreg_write(d, lo, (uint32_t)val);
	vreg_write(d, lo + 4, (uint32_t)(val >> 32));
}

static int gq_setup(struct gdev *d, unsigned int i, char *msg, size_t len)
{
	struct gq_mem *m = &qmem[i];
	struct gq *q = &d->q[i];
	/* Even queues receive (device-writable); port 0's transmit is bulk. */
	bool rx = (i % 2) == 0;

	vreg_write(d, VIRTIO_MMIO_QUEUE_SEL, i);
	if (vreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < GQ_N ||
	    vreg_read(d, VIRTIO_MMIO_QUEUE_READY)) {
		snprintk(msg, len, "queue %u: QueueNumMax %u", i,
			 vreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX));
		return -1;
	}
	memset(m, 0, sizeof(*m));
	*q = (struct gq){
	    .index = i,
	    .desc = m->desc,
	    .avail = &m->avail,
	    .used = &m->used,
	    .buf = i == 1 ? &bulk_bufs[0][0] : &small_bufs[i][0][0],
	    .buf_size = i == 1 ? GQ_BULK : GQ_SMALL,
	    .writable = rx,
	};
	for (unsigned int k = 0; k < GQ_N; k++) {
		m->desc[k].addr = (uintptr_t)gq_buf(q, k);
		m->desc[k].len = q->buf_size;
		m->desc[k].flags = rx ? VRING_DESC_F_WRITE : 0;
	}
	vreg_write(d, VIRTIO_MMIO_QUEUE_NUM, GQ_N);
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

int vdev_init(struct gdev *d, bool multiport, unsigned int nq, char *msg,
	      size_t len)
{
	uint32_t lo, hi, want;

	if (vreg_read(d, VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC ||
	    vreg_read(d, VIRTIO_MMIO_VERSION) != 2 ||
	    vreg_read(d, VIRTIO_MMIO_DEVICE_ID) != 3) {
		snprintk(msg, len, "no virtio-console v2 at 0x%lx", d->base);
		return -1;
	}
	vreg_write(d, VIRTIO_MMIO_STATUS, 0);
	vreg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vreg_write(d, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = vreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	vreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = vreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
	if (!(hi & 1)) {
		snprintk(msg, len, "no VIRTIO_F_VERSION_1");
		return -1;
	}
	want = lo & ((1u << VIRTIO_RING_F_EVENT_IDX) |
		     (1u << VIRTIO_CONSOLE_F_SIZE) |
		     (multiport ? 1u << VIRTIO_CONSOLE_F_MULTIPORT : 0));
	if (multiport && !(want & (1u << VIRTIO_CONSOLE_F_MULTIPORT))) {
		snprintk(msg, len, "no F_MULTIPORT (features 0x%x)", lo);
		return -1;
	}
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, want);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	vreg_write(d, VIRTIO_MMIO_STATUS, 0xb);
	if (!(vreg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		snprintk(msg, len, "FEATURES_OK refused");
		return -1;
	}
	d->event_idx = want & (1u << VIRTIO_RING_F_EVENT_IDX);
	d->multiport = multiport;
	d->nq = nq;
	for (unsigned int i = 0; i < nq; i++)
		if (gq_setup(d, i, msg, len))
			return -1;
	vreg_write(d, VIRTIO_MMIO_STATUS, 0xf);
	if (vreg_read(d, VIRTIO_MMIO_STATUS) != 0xf) {
		snprintk(msg, len, "status 0x%x after DRIVER_OK",
			 vreg_read(d, VIRTIO_MMIO_STATUS));
		return -1;
	}
	return 0;
}

/* The driver's side of virtio 1.2, 2.7.10: kick only when asked. */
static void gq_kick(struct gdev *d, struct gq *q)
{
	uint16_t old = q->kicked_idx, now = q->avail_idx;
	bool need;

	q->kicked_idx = now;
	mb();
	if (d->event_idx)
		need = (uint16_t)(now - q->used->avail_event - 1) <
		       (uint16_t)(now - old);
	else
		need = !(q->used->flags & VRING_USED_F_NO_NOTIFY);
	if (need) {
		vreg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
		q->kicks++;
	}
}

void gq_post(struct gdev *d, struct gq *q, unsigned int slot, uint32_t len)
{
	slot %= GQ_N;
	q->desc[slot].len = len;
	q->avail->ring[q->avail_idx % GQ_N] = (uint16_t)slot;
	/* The slot before the index that publishes it (x86: in order). */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	q->avail_idx++;
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	gq_kick(d, q);
}

void gq_submit(struct gdev *d, struct gq *q, uint32_t len)
{
	gq_post(d, q, q->avail_idx % GQ_N, len);
}

int gq_reap(struct gq *q, uint32_t *id, uint32_t *len)
{
	volatile struct vring_used_elem *e;

	if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->used_idx)
		return 0;
	e = &q->used->ring[q->used_idx % GQ_N];
	*id = e->id;
	*len = e->len;
	q->used_idx++;
	return 1;
}

uint32_t gq_wait(struct gq *q, uint32_t *id)
{
	uint32_t len = 0, dummy;

	/* Interrupt on the next completion (EVENT_IDX): counted, not needed. */
	q->avail->used_event = q->used_idx;
	mb();
	while (!gq_reap(q, id ? id : &dummy, &len))
		cpu_relax();
	return len;
}

void vcon_write(struct gdev *d, unsigned int qi, const void *buf, size_t len)
{
	struct gq *q = &d->q[qi];
	const uint8_t *p = buf;

	while (len) {
		size_t n = len < q->buf_size ? len : q->buf_size;

		memcpy(gq_buf(q, q->avail_idx), p, n);
		gq_submit(d, q, (uint32_t)n);
		(void)gq_wait(q, NULL);
		p += n;
		len -= n;
	}
}

void vcon_puts(struct gdev *d, unsigned int qi, const char *s)
{
	vcon_write(d, qi, s, strlen(s));
}
