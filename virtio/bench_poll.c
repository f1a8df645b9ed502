/* SPDX-License-Identifier: MIT */
/*
 * Grow/shrink rules of the adaptive polling bound; see bench_poll.h.
 */
#include "bench_poll.h"

void bench_poll_init(struct bench_poll *p, uint64_t max_ns)
{
	*p = (struct bench_poll){.max_ns = max_ns};
}

static void bench_poll_grow(struct bench_poll *p)
{
	uint64_t v = p->ns * BENCH_POLL_GROW;

	if (v < BENCH_POLL_START_NS)
		v = BENCH_POLL_START_NS;
	if (v > p->max_ns)
		v = p->max_ns;
	p->ns = v;
	p->grows++;
}

static void bench_poll_shrink(struct bench_poll *p)
{
	uint64_t v = p->ns / BENCH_POLL_SHRINK;

	/* Below the first step polling is not worth a syscall's saving. */
	p->ns = v < BENCH_POLL_START_NS ? 0 : v;
	p->shrinks++;
}

void bench_poll_wakeup(struct bench_poll *p, uint64_t idle_ns)
{
	if (!p->max_ns) {
		p->ns = 0;
		return;
	}
	/* Inside the window: polling would have (or has) caught it. */
	if (idle_ns <= p->ns)
		return;
	/* A long sleep: the poll before it was wasted. */
	if (idle_ns > p->max_ns) {
		if (p->ns)
			bench_poll_shrink(p);
		return;
	}
	/* A short sleep a longer poll would have avoided. */
	if (p->ns < p->max_ns)
		bench_poll_grow(p);
}
