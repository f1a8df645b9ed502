/* SPDX-License-Identifier: MIT */
/*
 * Adaptive polling of the io loop (io/loop.h, struct io_poller). When the
 * loop runs out of work it polls its pollers, and watches its own ring
 * for completions, for the bound io/poll_policy.c keeps; then it stops
 * the pollers and sleeps (in io_uring or epoll_wait), and the length of that
 * sleep adapts the bound (as KVM's halt polling, kvm_vcpu_halt()). With the
 * bound at 0, an idle loop costs nothing more than without polling.
 * Loop thread only, except the statistics: relaxed atomics written here
 * and read by io_loop_poll_stats() on any thread.
 */
#define pr_fmt(fmt) "io-loop: " fmt

#include "loop_int.h"

#include <errno.h>
#include <time.h>

#define STAT_SET(l, f, v) __atomic_store_n(&(l)->stats.f, (v), __ATOMIC_RELAXED)
/* Single writer (the loop thread): a plain increment, published atomically. */
#define STAT_INC(l, f) STAT_SET(l, f, (l)->stats.f + 1)

static uint64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void loop_policy_publish(struct io_loop *l)
{
	STAT_SET(l, max_ns, l->policy.max_ns);
	STAT_SET(l, ns, l->policy.ns);
	STAT_SET(l, grows, l->policy.grows);
	STAT_SET(l, shrinks, l->policy.shrinks);
	STAT_SET(l, futile, l->policy.futile);
}

int io_loop_add_poller(struct io_loop *l, struct io_poller *p)
{
	if (!p->poll)
		return -EINVAL;
	if (!loop_may_submit(l))
		return -EPERM;
	if (p->added)
		return -EBUSY;
	p->next = l->pollers;
	p->added = true;
	l->pollers = p;
	return 0;
}

int io_loop_remove_poller(struct io_loop *l, struct io_poller *p)
{
	if (!loop_may_submit(l))
		return -EPERM;
	for (struct io_poller **pp = &l->pollers; *pp; pp = &(*pp)->next) {
		if (*pp != p)
			continue;
		*pp = p->next;
		p->next = NULL;
		p->added = false;
		if (!l->pollers)
			l->polling = false;
		return 0;
	}
	return -ENOENT;
}

int io_loop_set_polling(struct io_loop *l, uint64_t max_ns)
{
	if (!loop_may_submit(l))
		return -EPERM;
	io_poll_policy_init(&l->policy, max_ns);
	loop_policy_publish(l);
	return 0;
}

void io_loop_poll_stats(const struct io_loop *l, struct io_loop_poll_stats *st)
{
	const struct io_loop_poll_stats *s = &l->stats;

	st->max_ns = __atomic_load_n(&s->max_ns, __ATOMIC_RELAXED);
	st->ns = __atomic_load_n(&s->ns, __ATOMIC_RELAXED);
	st->grows = __atomic_load_n(&s->grows, __ATOMIC_RELAXED);
	st->shrinks = __atomic_load_n(&s->shrinks, __ATOMIC_RELAXED);
	st->futile = __atomic_load_n(&s->futile, __ATOMIC_RELAXED);
	st->windows = __atomic_load_n(&s->windows, __ATOMIC_RELAXED);
	st->hits = __atomic_load_n(&s->hits, __ATOMIC_RELAXED);
	st->expired = __atomic_load_n(&s->expired, __ATOMIC_RELAXED);
	st->sleeps = __atomic_load_n(&s->sleeps, __ATOMIC_RELAXED);
}

bool loop_has_events(struct io_loop *l)
{
	return l->ops->has_events(l) ||
	       __atomic_load_n(&l->stop, __ATOMIC_RELAXED);
}

static void loop_pollers_start(struct io_loop *l)
{
	for (struct io_poller *p = l->pollers; p; p = p->next)
		if (p->start)
			p->start(p);
	l->polling = true;
}

/* Every poller's stop() runs (each re-arms its doorbells). */
static bool loop_pollers_stop(struct io_loop *l)
{
	bool found = false;

	for (struct io_poller *p = l->pollers; p; p = p->next)
		if (p->stop && p->stop(p))
			found = true;
	l->polling = false;
	return found;
}

static bool loop_pollers_poll(struct io_loop *l)
{
	bool found = false;

	for (struct io_poller *p = l->pollers; p; p = p->next)
		if (p->poll(p))
			found = true;
	return found;
}

/* Poll until work turns up (true) or @end passes (false). */
static bool loop_poll_window(struct io_loop *l, uint64_t end)
{
	do {
		if (loop_has_events(l) || loop_pollers_poll(l))
			return true;
		__builtin_ia32_pause();
	} while (loop_now() < end);
	return false;
}

unsigned int loop_poll_idle(struct io_loop *l)
{
	uint64_t now;

	if (!l->pollers || !l->policy.max_ns) {
		/* Polling was turned off meanwhile: leave nothing started. */
		if (l->polling && loop_pollers_stop(l))
			return 0;
		return 1;
	}
	/* Not idle yet: submit what is queued (new watches...) first. */
	if (l->ops->queued(l))
		return 0;
	/*
	 * A one-shot request in flight (a write...) is kernel work that
	 * often runs on a worker thread of ours, which needs a CPU: a
	 * polling loop would compete with the very work it waits for, and
	 * its completion wakes the loop anyway. No window, no accounting.
	 */
	if (l->inflight) {
		l->idle_since = 0;
		if (l->polling && loop_pollers_stop(l))
			return 0;
		return 1;
	}
	now = loop_now();
	l->idle_since = now;
	if (l->policy.ns) {
		if (!l->polling)
			loop_pollers_start(l);
		STAT_INC(l, windows);
		if (loop_poll_window(l, now + l->policy.ns)) {
			io_poll_policy_hit(&l->policy);
			STAT_INC(l, hits);
			return 0;
		}
		STAT_INC(l, expired);
	}
	/* Re-arm the doorbells; work that came meanwhile is done now. */
	if (l->polling && loop_pollers_stop(l))
		return 0;
	return 1;
}

void loop_poll_woke(struct io_loop *l)
{
	STAT_INC(l, sleeps);
	if (!l->pollers || !l->policy.max_ns || !l->idle_since)
		return;
	io_poll_policy_wakeup(&l->policy, loop_now() - l->idle_since);
	loop_policy_publish(l);
}

void loop_poll_end(struct io_loop *l)
{
	if (l->polling)
		(void)loop_pollers_stop(l); /* the loop stops: work waits */
}
