/* SPDX-License-Identifier: MIT */
/*
 * virtio/bench_poll.c: the adaptive polling bound follows KVM's halt
 * polling rules: grow from 0 to 10 us and double on short sleeps, stop at
 * the ceiling, halve on long sleeps (to 0 below 10 us), leave the bound
 * alone on wake-ups inside the window, never poll with a ceiling of 0.
 */
#include "check.h"
#include "virtio/bench_poll.h"

static void test_grow(void)
{
	struct bench_poll p;

	bench_poll_init(&p, 200000);
	CHECK_EQ(p.ns, 0);
	bench_poll_wakeup(&p, 30000); /* short sleep: start polling */
	CHECK_EQ(p.ns, BENCH_POLL_START_NS);
	bench_poll_wakeup(&p, 30000);
	CHECK_EQ(p.ns, 20000);
	bench_poll_wakeup(&p, 30000);
	CHECK_EQ(p.ns, 40000);
	/* Inside the window: polling would have caught it, no change. */
	bench_poll_wakeup(&p, 39999);
	bench_poll_wakeup(&p, 40000);
	CHECK_EQ(p.ns, 40000);
	bench_poll_wakeup(&p, 150000);
	CHECK_EQ(p.ns, 80000);
	bench_poll_wakeup(&p, 150000);
	CHECK_EQ(p.ns, 160000);
	bench_poll_wakeup(&p, 199999);
	CHECK_EQ(p.ns, 200000); /* clamped at the ceiling */
	bench_poll_wakeup(&p, 200000);
	CHECK_EQ(p.ns, 200000);
	CHECK_EQ(p.grows, 6);
	CHECK_EQ(p.shrinks, 0);
}

static void test_shrink(void)
{
	struct bench_poll p;

	bench_poll_init(&p, 200000);
	bench_poll_wakeup(&p, 1000000); /* long sleep without polling */
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.shrinks, 0);
	p.ns = 200000;
	bench_poll_wakeup(&p, 200001);
	CHECK_EQ(p.ns, 100000);
	bench_poll_wakeup(&p, 5000000);
	CHECK_EQ(p.ns, 50000);
	bench_poll_wakeup(&p, 5000000);
	CHECK_EQ(p.ns, 25000);
	bench_poll_wakeup(&p, 5000000);
	CHECK_EQ(p.ns, 12500);
	bench_poll_wakeup(&p, 5000000); /* 6250 < 10 us: stop polling */
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.shrinks, 5);
	bench_poll_wakeup(&p, 5000000);
	CHECK_EQ(p.shrinks, 5); /* nothing left to shrink */
}

static void test_disabled(void)
{
	struct bench_poll p;

	bench_poll_init(&p, 0);
	bench_poll_wakeup(&p, 1000);
	bench_poll_wakeup(&p, 100);
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.grows, 0);
	/* A ceiling below the first step: poll up to the ceiling. */
	bench_poll_init(&p, 5000);
	bench_poll_wakeup(&p, 1000);
	CHECK_EQ(p.ns, 5000);
}

int main(void)
{
	test_grow();
	test_shrink();
	test_disabled();
	return check_done("test_bench_poll");
}
