/* SPDX-License-Identifier: MIT */
/*
 * The timed loops, at CPL 3. Every round trip is
 *	lfence; rdtsc -> publish a buffer, ring the doorbell -> wait -> t1
 * where t1 is "lfence; rdtsc" once the used ring holds the buffer (poll,
 * exit) or the TSC the interrupt handler read on entry (irq), and the
 * floor is the doorbell write alone. The tests run interleaved for the
 * mailbox's number of rounds, each round starting at the next test, so
 * slow drift of a shared host hits all of them alike. Warm-up iterations
 * run before each timed block and are not stored.
 */
#include "doorbell.h"

#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/print.h"

struct db_ctx {
	struct bench_abi *abi;
	struct vdev v;
	uint64_t timeout; /* cycles a round trip may take */
	uint64_t khz;
	uint8_t apic_id;
	uint32_t stored[BENCH_NR_TESTS];
};

/* A round trip's outcome. */
struct db_sample {
	uint64_t cycles;
	uint64_t host; /* device's TSC - t0, or 0 */
	bool kicked;
};

static const char *const test_names[BENCH_NR_TESTS] = {
    [BENCH_TEST_POLL] = "(a) poll",
    [BENCH_TEST_IRQ] = "(b) irq",
    [BENCH_TEST_FLOOR] = "(c) floor",
    [BENCH_TEST_EXIT] = "(d) exit",
};

static void mark(enum bench_mark event, unsigned int arg)
{
	mmio_write32(LAYOUT_BENCH_REGS + BENCH_REG_MARK,
		     BENCH_MARK(event, arg));
}

/* The device's timestamp, if it lies inside the round trip. */
static uint64_t host_delta(uint64_t host_tsc, uint64_t t0, uint64_t t1)
{
	return host_tsc > t0 && host_tsc < t1 ? host_tsc - t0 : 0;
}

/* (a), (d): 0, -1 on timeout, -2 if the device returned garbage. */
static int round_poll(struct db_ctx *c, struct dq *q, struct db_sample *s)
{
	uint64_t t0, t1, host_tsc = 0;

	t0 = rdtsc_ordered();
	s->kicked = dq_submit(&c->v, q);
	while (!dq_done(q))
		if (rdtsc() - t0 > c->timeout)
			return -1;
	t1 = rdtsc_ordered();
	if (dq_complete(&c->v, q, &host_tsc) != 1)
		return -2;
	s->cycles = t1 - t0;
	s->host = host_delta(host_tsc, t0, t1);
	return 0;
}

/* (b): done when the buffer is back and an interrupt arrived since t0. */
static int round_irq(struct db_ctx *c, struct dq *q, struct db_sample *s)
{
	uint64_t seq = db_irq_count, t0, t1, host_tsc = 0;

	t0 = rdtsc_ordered();
	s->kicked = dq_submit(&c->v, q);
	while (!dq_done(q) || db_irq_count == seq)
		if (rdtsc() - t0 > c->timeout)
			return -1;
	t1 = db_irq_tsc;
	if (dq_complete(&c->v, q, &host_tsc) != 1 || t1 <= t0)
		return -2;
	s->cycles = t1 - t0;
	s->host = host_delta(host_tsc, t0, t1);
	return 0;
}

/* (c): the doorbell write alone. */
static int round_floor(struct db_ctx *c, struct dq *q, struct db_sample *s)
{
	uint64_t t0, t1;

	(void)c;
	(void)q;
	t0 = rdtsc_ordered();
	mmio_write32(LAYOUT_BENCH_REGS + BENCH_REG_FLOOR, BENCH_FLOOR_VALUE);
	t1 = rdtsc_ordered();
	s->cycles = t1 - t0;
	s->host = 0;
	s->kicked = true;
	return 0;
}

static int (*const rounds[BENCH_NR_TESTS])(struct db_ctx *, struct dq *,
					   struct db_sample *) = {
    [BENCH_TEST_POLL] = round_poll,
    [BENCH_TEST_IRQ] = round_irq,
    [BENCH_TEST_FLOOR] = round_floor,
    [BENCH_TEST_EXIT] = round_poll,
};

static uint64_t *samples(struct db_ctx *c, unsigned int t, unsigned int which)
{
	return (uint64_t *)((char *)c->abi + bench_abi_samples_off(
						 c->abi->iterations, t, which));
}

static long fail(struct db_ctx *c, unsigned int t, const char *what, uint32_t i)
{
	snprintk(c->abi->message, sizeof(c->abi->message),
		 "%s: round trip %u %s", test_names[t], i, what);
	return GUEST_EXIT_BENCH;
}

/* @n round trips of test @t; stored (and counted) when @timed. */
static long run_block(struct db_ctx *c, unsigned int t, uint32_t n, bool timed)
{
	struct dq *q =
	    &c->v.q[t == BENCH_TEST_EXIT ? BENCH_QUEUE_EXIT : BENCH_QUEUE_IO];
	struct bench_abi_result *r = &c->abi->result[t];
	uint64_t *cyc = samples(c, t, BENCH_SAMPLE_CYCLES);
	uint64_t *host = samples(c, t, BENCH_SAMPLE_HOST);
	struct db_sample s;
	int rc;

	for (uint32_t i = 0; i < n; i++) {
		rc = rounds[t](c, q, &s);
		if (rc == -1) {
			if (timed)
				r->timeouts++;
			return fail(c, t, "timed out", i);
		}
		if (rc)
			return fail(c, t, "came back malformed", i);
		if (!timed)
			continue;
		cyc[c->stored[t]] = s.cycles;
		host[c->stored[t]] = s.host;
		c->stored[t]++;
		r->samples = c->stored[t];
		r->kicks += s.kicked;
	}
	return 0;
}

static long run_test(struct db_ctx *c, unsigned int t, uint32_t n)
{
	uint64_t irqs = db_irq_count;
	long rc;

	if (t == BENCH_TEST_IRQ) {
		/*
		 * The transport raises an interrupt only for a status bit
		 * that is clear; completions of the polling tests may have
		 * set it while the pin was masked.
		 */
		mmio_write32(LAYOUT_BENCH_VIRTIO_BASE +
				 VIRTIO_MMIO_INTERRUPT_ACK,
			     mmio_read32(LAYOUT_BENCH_VIRTIO_BASE +
					 VIRTIO_MMIO_INTERRUPT_STATUS));
		ioapic_route(LAYOUT_BENCH_VIRTIO_GSI, DB_VECTOR, c->apic_id, 0);
		dq_irq(&c->v, &c->v.q[BENCH_QUEUE_IO], true);
	}
	rc = run_block(c, t, c->abi->warmup, false);
	if (!rc) {
		irqs = db_irq_count;
		mark(BENCH_MARK_BEGIN, t);
		rc = run_block(c, t, n, true);
		mark(BENCH_MARK_END, t);
	}
	if (t == BENCH_TEST_IRQ) {
		dq_irq(&c->v, &c->v.q[BENCH_QUEUE_IO], false);
		ioapic_mask(LAYOUT_BENCH_VIRTIO_GSI);
		c->abi->result[t].stray_irqs +=
		    (uint32_t)(db_irq_count - irqs) - (rc ? 0 : n);
	} else {
		c->abi->result[t].stray_irqs += (uint32_t)(db_irq_count - irqs);
	}
	return rc;
}

/* No doorbells for idle_ms: the host measures its io thread meanwhile. */
static void idle(struct db_ctx *c)
{
	uint64_t start = rdtsc();

	mark(BENCH_MARK_IDLE_BEGIN, 0);
	while (rdtsc() - start < c->abi->idle_ms * c->khz)
		;
	mark(BENCH_MARK_IDLE_END, 0);
}

static void set_bells(struct db_ctx *c)
{
	static const uint64_t io_bells[BENCH_NR_BELLS] = {
	    [BENCH_BELL_NOTIFY] =
		LAYOUT_BENCH_VIRTIO_BASE + VIRTIO_MMIO_QUEUE_NOTIFY,
	    [BENCH_BELL_EPOLL] = LAYOUT_BENCH_REGS + BENCH_REG_EPOLL,
	    [BENCH_BELL_EXIT] = LAYOUT_BENCH_REGS + BENCH_REG_EXIT,
	};
	struct dq *io = &c->v.q[BENCH_QUEUE_IO];
	struct dq *ex = &c->v.q[BENCH_QUEUE_EXIT];

	io->bell_addr = io_bells[c->abi->bell];
	io->bell_val = BENCH_QUEUE_IO;
	ex->bell_addr = LAYOUT_BENCH_REGS + BENCH_REG_EXIT;
	ex->bell_val = BENCH_QUEUE_EXIT;
}

long db_run(long arg)
{
	static struct db_ctx ctx;
	const struct db_start *start = (const struct db_start *)arg;
	struct db_ctx *c = &ctx;
	struct bench_abi *abi = start->abi;
	uint32_t rounds_n = abi->rounds;
	long rc;

	c->abi = abi;
	c->khz = start->tsc_khz;
	c->timeout = (uint64_t)abi->timeout_us * c->khz / 1000;
	c->apic_id = start->apic_id;
	c->v.suppress = abi->suppress;
	if (vdrv_init(&c->v, abi->event_idx, abi->message,
		      sizeof(abi->message)))
		return GUEST_EXIT_BENCH;
	abi->features = c->v.features;
	set_bells(c);
	mark(BENCH_MARK_HELLO, 0);
	for (uint32_t round = 0; round < rounds_n; round++) {
		uint32_t n = abi->iterations / rounds_n +
			     (round < abi->iterations % rounds_n);

		for (unsigned int k = 0; k < BENCH_NR_TESTS; k++) {
			unsigned int t = (k + round) % BENCH_NR_TESTS;

			if (!(abi->tests & (1u << t)))
				continue;
			rc = run_test(c, t, n);
			if (rc)
				return rc;
		}
	}
	if (abi->idle_ms)
		idle(c);
	return 0;
}
