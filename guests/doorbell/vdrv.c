/* SPDX-License-Identifier: MIT */
/*
 * A minimal virtio-mmio driver (virtio 1.2, 3.1.1 and 4.2.3) for the
 * bench's echo device: two queues of DQ_SIZE one-descriptor buffers, each
 * 8 device-writable bytes where the device stores its TSC. Runs at CPL 3;
 * every register access is an MMIO exit handled by vmm, the rings are
 * plain memory. Requests go out one at a time, so descriptor i always
 * holds buffer i and the avail ring names them in turn.
 */
#include "doorbell.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "arch/x86/layout.h"
#include "lib/io.h"
#include "lib/print.h"

#define MMIO_MAGIC 0x74726976 /* "virt" */

/* Rings and buffers of one queue, each part at its required alignment. */
struct dq_mem {
	struct vring_desc desc[DQ_SIZE] __attribute__((aligned(16)));
	struct dq_avail avail __attribute__((aligned(64)));
	struct dq_used used __attribute__((aligned(64)));
	uint64_t buf[DQ_SIZE] __attribute__((aligned(64)));
} __attribute__((aligned(4096)));

static struct dq_mem qmem[BENCH_NR_QUEUES];

static uint32_t reg_read(uint32_t off)
{
	return mmio_read32(LAYOUT_BENCH_VIRTIO_BASE + off);
}

static void reg_write(uint32_t off, uint32_t val)
{
	mmio_write32(LAYOUT_BENCH_VIRTIO_BASE + off, val);
}

static void reg_write64(uint32_t lo, uint64_t val)
{
	reg_write(lo, (uint32_t)val);
	reg_write(lo + 4, (uint32_t)(val >> 32));
}

static int setup_queue(struct vdev *v, unsigned int i, char *msg,
		       unsigned int len)
{
	struct dq_mem *m = &qmem[i];
	struct dq *q = &v->q[i];
	uint32_t max;

	reg_write(VIRTIO_MMIO_QUEUE_SEL, i);
	max = reg_read(VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max < DQ_SIZE || reg_read(VIRTIO_MMIO_QUEUE_READY)) {
		snprintk(msg, len, "queue %u: QueueNumMax %u, ready %u", i, max,
			 reg_read(VIRTIO_MMIO_QUEUE_READY));
		return -1;
	}
	for (unsigned int d = 0; d < DQ_SIZE; d++) {
		m->desc[d].addr = (uintptr_t)&m->buf[d];
		m->desc[d].len = sizeof(m->buf[d]);
		m->desc[d].flags = VRING_DESC_F_WRITE;
		m->desc[d].next = 0;
	}
	*q = (struct dq){
	    .index = i,
	    .avail = &m->avail,
	    .used = &m->used,
	    .buf = m->buf,
	};
	reg_write(VIRTIO_MMIO_QUEUE_NUM, DQ_SIZE);
	reg_write64(VIRTIO_MMIO_QUEUE_DESC_LOW, (uintptr_t)m->desc);
	reg_write64(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uintptr_t)&m->avail);
	reg_write64(VIRTIO_MMIO_QUEUE_USED_LOW, (uintptr_t)&m->used);
	reg_write(VIRTIO_MMIO_QUEUE_READY, 1);
	if (reg_read(VIRTIO_MMIO_QUEUE_READY) != 1) {
		snprintk(msg, len, "queue %u refused", i);
		return -1;
	}
	dq_irq(v, q, false);
	return 0;
}

/* Features: VERSION_1 always, EVENT_IDX when asked for and offered. */
static int negotiate(struct vdev *v, bool want_event_idx, char *msg,
		     unsigned int len)
{
	uint32_t lo, hi, status;

	reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
	reg_write(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = reg_read(VIRTIO_MMIO_DEVICE_FEATURES);
	if (!(hi & (1u << (VIRTIO_F_VERSION_1 - 32)))) {
		snprintk(msg, len, "device lacks VIRTIO_F_VERSION_1");
		return -1;
	}
	v->event_idx = want_event_idx && (lo & (1u << VIRTIO_RING_F_EVENT_IDX));
	v->features = v->event_idx ? 1u << VIRTIO_RING_F_EVENT_IDX : 0;
	reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg_write(VIRTIO_MMIO_DRIVER_FEATURES, v->features);
	reg_write(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg_write(VIRTIO_MMIO_DRIVER_FEATURES, 1u << (VIRTIO_F_VERSION_1 - 32));
	status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		 VIRTIO_CONFIG_S_FEATURES_OK;
	reg_write(VIRTIO_MMIO_STATUS, status);
	if (!(reg_read(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		snprintk(msg, len, "device refused features 0x%x", v->features);
		return -1;
	}
	return 0;
}

int vdrv_init(struct vdev *v, bool want_event_idx, char *msg, unsigned int len)
{
	uint32_t status;

	if (reg_read(VIRTIO_MMIO_MAGIC_VALUE) != MMIO_MAGIC ||
	    reg_read(VIRTIO_MMIO_VERSION) != 2 ||
	    reg_read(VIRTIO_MMIO_DEVICE_ID) != BENCH_VIRTIO_ID) {
		snprintk(msg, len,
			 "no bench device at 0x%lx (magic 0x%x, "
			 "version %u, id 0x%x)",
			 (unsigned long)LAYOUT_BENCH_VIRTIO_BASE,
			 reg_read(VIRTIO_MMIO_MAGIC_VALUE),
			 reg_read(VIRTIO_MMIO_VERSION),
			 reg_read(VIRTIO_MMIO_DEVICE_ID));
		return -1;
	}
	reg_write(VIRTIO_MMIO_STATUS, 0);
	reg_write(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	reg_write(VIRTIO_MMIO_STATUS,
		  VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	if (negotiate(v, want_event_idx, msg, len))
		return -1;
	for (unsigned int i = 0; i < BENCH_NR_QUEUES; i++)
		if (setup_queue(v, i, msg, len))
			return -1;
	status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK;
	reg_write(VIRTIO_MMIO_STATUS, status);
	if (reg_read(VIRTIO_MMIO_STATUS) != status) {
		snprintk(msg, len, "device status 0x%x after DRIVER_OK",
			 reg_read(VIRTIO_MMIO_STATUS));
		return -1;
	}
	return 0;
}

void dq_irq(struct vdev *v, struct dq *q, bool on)
{
	q->irq_on = on;
	/*
	 * With EVENT_IDX the device interrupts when the used index passes
	 * used_event: "the next one" when on, "the one already consumed"
	 * (never, until we move it) when off. The flag is what the device
	 * reads without EVENT_IDX (virtio 1.2, 2.7.7).
	 */
	if (v->event_idx)
		__atomic_store_n(&q->avail->used_event,
				 (uint16_t)(q->used_idx - (on ? 0 : 1)),
				 __ATOMIC_RELEASE);
	else
		__atomic_store_n(&q->avail->flags,
				 on ? 0 : VRING_AVAIL_F_NO_INTERRUPT,
				 __ATOMIC_RELEASE);
}

/* Does the device want this doorbell? (virtio 1.2, 2.7.10) */
static bool dq_need_kick(const struct vdev *v, const struct dq *q,
			 uint16_t old_idx)
{
	uint16_t event;

	/*
	 * A full barrier between publishing the index and reading the
	 * device's suppression state, or both sides could miss each other.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!v->suppress)
		return true;
	if (v->event_idx) {
		event =
		    __atomic_load_n(&q->used->avail_event, __ATOMIC_RELAXED);
		return vring_need_event(event, q->avail_idx, old_idx);
	}
	return !(__atomic_load_n(&q->used->flags, __ATOMIC_RELAXED) &
		 VRING_USED_F_NO_NOTIFY);
}

bool dq_submit(struct vdev *v, struct dq *q)
{
	uint16_t old = q->avail_idx;
	uint16_t slot = old & (DQ_SIZE - 1);

	q->buf[slot] = 0;
	q->avail->ring[slot] = slot;
	/* Ask for the interrupt before the device can see the request. */
	if (q->irq_on && v->event_idx)
		__atomic_store_n(&q->avail->used_event, q->used_idx,
				 __ATOMIC_RELAXED);
	/* The ring entry is visible before the index that covers it. */
	__atomic_store_n(&q->avail->idx, (uint16_t)(old + 1), __ATOMIC_RELEASE);
	q->avail_idx = old + 1;
	if (!dq_need_kick(v, q, old))
		return false;
	mmio_write32(q->bell_addr, q->bell_val);
	return true;
}

int dq_complete(struct vdev *v, struct dq *q, uint64_t *host_tsc)
{
	uint16_t slot = q->used_idx & (DQ_SIZE - 1);
	struct dq_used_elem e;

	(void)v;
	if (!dq_done(q))
		return 0;
	e.id = __atomic_load_n(&q->used->ring[slot].id, __ATOMIC_RELAXED);
	e.len = __atomic_load_n(&q->used->ring[slot].len, __ATOMIC_RELAXED);
	q->used_idx++;
	if (e.id != slot || e.len != sizeof(uint64_t))
		return -1;
	*host_tsc = q->buf[slot];
	if (!q->irq_on && v->event_idx)
		dq_irq(v, q, false);
	return 1;
}
