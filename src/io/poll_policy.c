/* SPDX-License-Identifier: MIT */
/*
 * Grow/shrink rules of the io loop's adaptive polling bound, after KVM's
 * grow_halt_poll_ns() and shrink_halt_poll_ns(); see poll_policy.h.
 */
#include "poll_policy.h"

#include <stdbool.h>

void io_poll_policy_init(struct io_poll_policy *p, uint64_t max_ns)
{
	*p = (struct io_poll_policy){.max_ns = max_ns};
}

static void io_poll_grow(struct io_poll_policy *p)
{
	uint64_t v = p->ns * IO_POLL_GROW;

	if (v < IO_POLL_START_NS)
		v = IO_POLL_START_NS;
	if (v > p->max_ns)
		v = p->max_ns;
	p->ns = v;
	p->grows++;
}

static void io_poll_shrink(struct io_poll_policy *p)
{
	uint64_t v = p->ns / IO_POLL_SHRINK;

	/* Below the first step a poll is not worth its CPU time. */
	p->ns = v < IO_POLL_START_NS ? 0 : v;
	p->shrinks++;
}

/*
 * The window expired and this wake-up came within the window's length
 * after it: true once that happened IO_POLL_FUTILE_STREAK times in a row.
 */
static bool io_poll_futile(struct io_poll_policy *p, uint64_t idle_ns)
{
	if (!p->ns || idle_ns - p->ns >= p->ns) {
		p->streak = 0;
		return false;
	}
	return ++p->streak >= IO_POLL_FUTILE_STREAK;
}

void io_poll_policy_wakeup(struct io_poll_policy *p, uint64_t idle_ns)
{
	if (!p->max_ns) {
		p->ns = 0;
		return;
	}
	/* Inside the window: polling caught it, or would have. */
	if (idle_ns <= p->ns)
		return;
	if (io_poll_futile(p, idle_ns)) {
		p->ns = 0;
		p->streak = 0;
		p->hold = IO_POLL_HOLD;
		p->futile++;
		return;
	}
	/* A long sleep: the poll before it was wasted. */
	if (idle_ns > p->max_ns) {
		if (p->ns)
			io_poll_shrink(p);
		return;
	}
	/* A short sleep that a longer poll would have avoided. */
	if (p->hold) {
		p->hold--;
		return;
	}
	if (p->ns < p->max_ns)
		io_poll_grow(p);
}

void io_poll_policy_hit(struct io_poll_policy *p)
{
	p->streak = 0;
}
