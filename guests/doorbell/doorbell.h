/* SPDX-License-Identifier: MIT */
/*
 * guests/doorbell: the guest half of `vmm bench doorbell`. main.c sets up
 * at CPL 0 (mailbox, TSC frequency, the DPL-3 interrupt gate) and runs
 * everything else at CPL 3 through user_call(), where this host runs the
 * guest natively: vdrv.c is a minimal virtio-mmio driver for the bench's
 * echo device, tests.c times the round trips, irq.S is the interrupt
 * handler. The parameters and results live in the mailbox described by
 * bench/bench_abi.h.
 */
#ifndef GUESTS_DOORBELL_H
#define GUESTS_DOORBELL_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/bench_abi.h"

/* Vector of the echo device's interrupt (IOAPIC pin of its GSI). */
#define DB_VECTOR 0x40
/* Entries of each driver queue: one request is ever in flight. */
#define DQ_SIZE 16

/* One split virtqueue as the driver sees it (virtio 1.2, 2.7). */
struct dq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[DQ_SIZE];
	uint16_t used_event;
};

struct dq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct dq_used {
	uint16_t flags;
	uint16_t idx;
	struct dq_used_elem ring[DQ_SIZE];
	uint16_t avail_event;
};

struct dq {
	unsigned int index;
	struct dq_avail *avail;
	struct dq_used *used;
	volatile uint64_t *buf; /* DQ_SIZE 8-byte device-writable buffers */
	uint16_t avail_idx;	/* next avail index we publish */
	uint16_t used_idx;	/* next used index we consume */
	/* The doorbell: a 32-bit write of bell_val to bell_addr. */
	uint64_t bell_addr;
	uint32_t bell_val;
	bool irq_on; /* interrupts requested on this queue */
};

struct vdev {
	bool event_idx;	   /* VIRTIO_F_EVENT_IDX negotiated */
	bool suppress;	   /* skip the doorbell when the device says so */
	uint32_t features; /* low 32 bits the driver accepted */
	struct dq q[BENCH_NR_QUEUES];
};

/*
 * vdrv.c, at CPL 3. Initialise the echo device with both queues; returns
 * 0 or writes a reason into @msg (@len bytes) and returns -1.
 */
int vdrv_init(struct vdev *v, bool want_event_idx, char *msg, unsigned int len);

/* Ask for (or stop) interrupts on @q; used_event / NO_INTERRUPT. */
void dq_irq(struct vdev *v, struct dq *q, bool on);

/*
 * Publish the next buffer of @q and ring its doorbell unless the device
 * suppressed it. Returns true if the doorbell was written.
 */
bool dq_submit(struct vdev *v, struct dq *q);

/*
 * If the buffer submitted last is in the used ring, consume it, store the
 * device's timestamp in *@host_tsc and return 1; 0 if not there yet; -1 if
 * the device returned something else (wrong id or length).
 */
int dq_complete(struct vdev *v, struct dq *q, uint64_t *host_tsc);

/* True once the used ring holds the buffer submitted last. */
static inline bool dq_done(const struct dq *q)
{
	return __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->used_idx;
}

/* What main.c hands to the CPL-3 part. */
struct db_start {
	struct bench_abi *abi; /* validated by main.c */
	uint64_t tsc_khz;
	uint8_t apic_id;
};

/*
 * tests.c, at CPL 3 through user_call(): everything the mailbox asks for.
 * @start is a const struct db_start *. Returns 0 or a GUEST_EXIT_* code
 * with the reason in the mailbox's message.
 */
long db_run(long start);

/* irq.S: the DPL-3 trap gate's target and what it leaves behind. */
extern char db_irq_entry[];
extern volatile uint64_t db_irq_count; /* interrupts taken */
extern volatile uint64_t db_irq_tsc;   /* TSC at entry of the latest */
extern uint64_t db_irq_ack_addr;       /* virtio-mmio InterruptACK */
extern uint64_t db_irq_eoi_addr;       /* LAPIC EOI register */

/* RDTSC after all earlier instructions completed (SDM: LFENCE; RDTSC). */
static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

#endif /* GUESTS_DOORBELL_H */
