/* SPDX-License-Identifier: MIT */
/*
 * io/poll_policy.c: the adaptive polling bound follows KVM's halt polling
 * rules: grow from 0 to 10 us and double on short sleeps, stop at the
 * ceiling, halve on long sleeps (to 0 below 10 us), leave the bound alone
 * on wake-ups inside the window, never poll with a ceiling of 0, and
 * never exceed the ceiling whatever the sequence of wake-ups; give up (and
 * hold off) polling that only keeps a guest on the same CPU out, and
 * never give up on a guest that a longer window catches.
 */
#include "check.h"
#include "io/poll_policy.h"

static void test_grow(void)
{
	struct io_poll_policy p;

	io_poll_policy_init(&p, 200000);
	CHECK_EQ(p.ns, 0);
	io_poll_policy_wakeup(&p, 30000); /* short sleep: start polling */
	CHECK_EQ(p.ns, IO_POLL_START_NS);
	io_poll_policy_wakeup(&p, 30000);
	CHECK_EQ(p.ns, 20000);
	io_poll_policy_wakeup(&p, 30000);
	CHECK_EQ(p.ns, 40000);
	/* Inside the window: polling would have caught it, no change. */
	io_poll_policy_wakeup(&p, 39999);
	io_poll_policy_wakeup(&p, 40000);
	io_poll_policy_wakeup(&p, 0);
	CHECK_EQ(p.ns, 40000);
	io_poll_policy_wakeup(&p, 150000);
	CHECK_EQ(p.ns, 80000);
	io_poll_policy_wakeup(&p, 150000);
	CHECK_EQ(p.ns, 160000);
	io_poll_policy_wakeup(&p, 199999);
	CHECK_EQ(p.ns, 200000); /* clamped at the ceiling */
	io_poll_policy_wakeup(&p, 200000);
	CHECK_EQ(p.ns, 200000);
	CHECK_EQ(p.grows, 6);
	CHECK_EQ(p.shrinks, 0);
}

static void test_shrink(void)
{
	struct io_poll_policy p;

	io_poll_policy_init(&p, 200000);
	io_poll_policy_wakeup(&p, 1000000); /* long sleep without polling */
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.shrinks, 0);
	p.ns = 200000;
	io_poll_policy_wakeup(&p, 200001); /* just past the ceiling */
	CHECK_EQ(p.ns, 100000);
	io_poll_policy_wakeup(&p, 5000000);
	CHECK_EQ(p.ns, 50000);
	io_poll_policy_wakeup(&p, 5000000);
	CHECK_EQ(p.ns, 25000);
	io_poll_policy_wakeup(&p, 5000000);
	CHECK_EQ(p.ns, 12500);
	io_poll_policy_wakeup(&p, 5000000); /* 6250 < 10 us: stop polling */
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.shrinks, 5);
	io_poll_policy_wakeup(&p, 5000000);
	CHECK_EQ(p.shrinks, 5); /* nothing left to shrink */
	CHECK_EQ(p.grows, 0);
	/* And it grows again from the first step. */
	io_poll_policy_wakeup(&p, 50000);
	CHECK_EQ(p.ns, IO_POLL_START_NS);
}

static void test_limits(void)
{
	struct io_poll_policy p;

	io_poll_policy_init(&p, 0);
	io_poll_policy_wakeup(&p, 1000);
	io_poll_policy_wakeup(&p, 100);
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.grows, 0);
	/* A ceiling below the first step: poll up to the ceiling. */
	io_poll_policy_init(&p, 5000);
	io_poll_policy_wakeup(&p, 1000);
	CHECK_EQ(p.ns, 5000);
	io_poll_policy_wakeup(&p, 4000);
	CHECK_EQ(p.ns, 5000);
	io_poll_policy_wakeup(&p, 6000); /* long: 2500 rounds down to 0 */
	CHECK_EQ(p.ns, 0);
	/* An odd ceiling: the doubling stops exactly there. */
	io_poll_policy_init(&p, 33333);
	for (int i = 0; i < 10; i++)
		io_poll_policy_wakeup(&p, 33333);
	CHECK_EQ(p.ns, 33333);
	CHECK_EQ(p.grows, 3); /* 10000, 20000, 33333 */
	/* Any sequence: the bound stays within [0, ceiling]. */
	io_poll_policy_init(&p, 100000);
	for (uint64_t i = 0, x = 1; i < 10000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		io_poll_policy_wakeup(&p, (x >> 33) % 300000);
		CHECK(p.ns <= 100000);
		CHECK(p.ns == 0 || p.ns >= IO_POLL_START_NS);
	}
}

/*
 * The io thread shares its CPU with the vCPU: every window expires and
 * the wake-up comes ~35 us later, however long the window. Polling is
 * given up after IO_POLL_FUTILE_STREAK such wake-ups in a row, and held
 * off for IO_POLL_HOLD wake-ups.
 */
static void test_futile(void)
{
	struct io_poll_policy p;
	unsigned int n = 0;

	io_poll_policy_init(&p, 200000);
	io_poll_policy_wakeup(&p, 30000); /* first short sleep: 10 us */
	while (p.ns && n++ < 100)
		io_poll_policy_wakeup(&p, p.ns + 35000);
	CHECK_EQ(p.ns, 0);
	CHECK_EQ(p.futile, 1);
	/* Streak at 40, 80, 160 and 200 us: the bound reached the ceiling. */
	CHECK_EQ(n, 6);
	CHECK_EQ(p.grows, 6);
	for (unsigned int i = 0; i < IO_POLL_HOLD; i++)
		io_poll_policy_wakeup(&p, 30000);
	CHECK_EQ(p.ns, 0);
	io_poll_policy_wakeup(&p, 30000); /* the hold is over */
	CHECK_EQ(p.ns, IO_POLL_START_NS);
	/* A long sleep during a hold shrinks as usual; the hold stays. */
	p.hold = 5;
	io_poll_policy_wakeup(&p, 10000000);
	CHECK_EQ(p.hold, 5);
	CHECK_EQ(p.ns, 0);
}

/* A guest that a doubled window catches is never given up on. */
static void test_not_futile(void)
{
	struct io_poll_policy p;

	io_poll_policy_init(&p, 200000);
	for (unsigned int i = 0; i < 1000; i++) {
		/* Its period: 15 us, then 30 us, then 70 us ... */
		uint64_t period = i < 300 ? 15000 : i < 600 ? 30000 : 70000;

		if (period <= p.ns) {
			io_poll_policy_hit(&p); /* the window caught it */
			continue;
		}
		io_poll_policy_wakeup(&p, period);
	}
	CHECK_EQ(p.futile, 0);
	CHECK_EQ(p.ns, 80000);
	/* A hit in between resets the streak. */
	io_poll_policy_init(&p, 200000);
	p.ns = 20000;
	for (unsigned int i = 0; i < 50; i++) {
		for (unsigned int k = 0; k < IO_POLL_FUTILE_STREAK - 1; k++)
			io_poll_policy_wakeup(&p, p.ns + p.ns / 2);
		io_poll_policy_hit(&p);
		p.ns = 20000;
	}
	CHECK_EQ(p.futile, 0);
}

int main(void)
{
	test_grow();
	test_shrink();
	test_limits();
	test_futile();
	test_not_futile();
	return check_done("test_poll_policy");
}
