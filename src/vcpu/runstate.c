/* SPDX-License-Identifier: MIT */
/*
 * The runstate model: a transition table, Xen's time accounting
 * (vcpu_runstate_change() in xen/common/sched/core.c), the pause/down
 * flags that decide when a vCPU is offline, the sampler's fold of kernel
 * counters, and a seqcount-published snapshot. Writers hold rs->lock and
 * change rs->w, then publish it word by word; readers copy the words and
 * retry if the sequence count was odd or moved. No clock, no I/O.
 */
#include "runstate.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>

#include "base/util.h"

#define R RUNSTATE_RUNNING
#define Q RUNSTATE_RUNNABLE
#define B RUNSTATE_BLOCKED
#define O RUNSTATE_OFFLINE

/*
 * The allowed edges, [from][to]. As in Xen a blocked vCPU becomes
 * runnable when woken and only then running, and anything can go offline
 * (pause, stop). Self-edges are not transitions.
 */
static const bool edges[RUNSTATE_NR][RUNSTATE_NR] = {
    [R] = {[Q] = true, [B] = true, [O] = true}, /* preempt, halt */
    [Q] = {[R] = true, [O] = true},		/* scheduled */
    [B] = {[Q] = true, [O] = true},		/* woken */
    [O] = {[Q] = true},				/* start, resume, up */
};

static const char *const names[RUNSTATE_NR] = {
    [R] = "running",
    [Q] = "runnable",
    [B] = "blocked",
    [O] = "offline",
};

/* The snapshot as the words it is published in. */
union runstate_words {
	struct runstate_snapshot s;
	uint64_t w[RUNSTATE_WORDS];
};

BUILD_BUG_ON(sizeof(struct runstate_snapshot) % sizeof(uint64_t));

#define WORD_STATE (offsetof(struct runstate_snapshot, state) / 8)
#define WORD_FLAGS (offsetof(struct runstate_snapshot, flags) / 8)

const char *runstate_name(unsigned int state)
{
	return state < RUNSTATE_NR ? names[state] : "?";
}

int runstate_from_name(const char *name)
{
	for (unsigned int i = 0; i < RUNSTATE_NR; i++)
		if (!strcmp(names[i], name))
			return (int)i;
	return -EINVAL;
}

bool runstate_edge_allowed(unsigned int from, unsigned int to)
{
	return from < RUNSTATE_NR && to < RUNSTATE_NR && edges[from][to];
}

unsigned int runstate_hist_bucket(uint64_t ns)
{
	unsigned int b;

	if (ns < 2)
		return 0;
	b = 63 - (unsigned int)__builtin_clzll(ns);
	return MIN(b, RUNSTATE_HIST_BUCKETS - 1);
}

/*
 * Seqcount write side (rs->lock held, so one writer at a time). The
 * release fence after the odd count keeps the word stores from becoming
 * visible before it; the release store of the even count keeps them from
 * becoming visible after it. A reader that saw any new word therefore
 * sees a different count on its second read.
 */
static void publish(struct runstate *rs)
{
	const union runstate_words *u = (const union runstate_words *)&rs->w;
	unsigned int s = atomic_load_explicit(&rs->seq, memory_order_relaxed);

	atomic_store_explicit(&rs->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (size_t i = 0; i < RUNSTATE_WORDS; i++)
		atomic_store_explicit(&rs->pub[i], u->w[i],
				      memory_order_relaxed);
	atomic_store_explicit(&rs->seq, s + 2, memory_order_release);
}

void runstate_read(const struct runstate *rs, struct runstate_snapshot *out)
{
	union runstate_words u;
	unsigned int s1, s2;

	for (;;) {
		s1 = atomic_load_explicit(&rs->seq, memory_order_acquire);
		if (s1 & 1) {
			/* A writer is mid-publish, possibly preempted. */
			sched_yield();
			continue;
		}
		for (size_t i = 0; i < RUNSTATE_WORDS; i++)
			u.w[i] = atomic_load_explicit(&rs->pub[i],
						      memory_order_relaxed);
		/* Order the word loads before the re-check of the count. */
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&rs->seq, memory_order_relaxed);
		if (s1 == s2)
			break;
	}
	*out = u.s;
}

enum runstate_state runstate_state(const struct runstate *rs)
{
	return (enum runstate_state)atomic_load_explicit(&rs->pub[WORD_STATE],
							 memory_order_acquire);
}

unsigned int runstate_flags(const struct runstate *rs)
{
	return (unsigned int)atomic_load_explicit(&rs->pub[WORD_FLAGS],
						  memory_order_acquire);
}

uint64_t runstate_generation(const struct runstate *rs)
{
	return atomic_load_explicit(&rs->gen, memory_order_acquire);
}

void runstate_times_at(const struct runstate_snapshot *s, uint64_t now,
		       uint64_t out[RUNSTATE_NR])
{
	for (unsigned int i = 0; i < RUNSTATE_NR; i++)
		out[i] = s->time[i];
	if (s->state < RUNSTATE_NR && now > s->state_entry_time)
		out[s->state] += now - s->state_entry_time;
}

int runstate_init(struct runstate *rs, uint64_t now, bool down)
{
	int r;

	memset(rs, 0, sizeof(*rs));
	r = pthread_mutex_init(&rs->lock, NULL);
	if (r)
		return -r;
	rs->w.state = RUNSTATE_OFFLINE;
	rs->w.state_entry_time = now;
	rs->w.created = now;
	rs->w.flags = RUNSTATE_F_PAUSED | (down ? RUNSTATE_F_DOWN : 0);
	publish(rs);
	return 0;
}

void runstate_destroy(struct runstate *rs)
{
	pthread_mutex_destroy(&rs->lock);
}

/* Close the current state at @now (never backwards). Lock held. */
static void account(struct runstate *rs, uint64_t now)
{
	struct runstate_snapshot *w = &rs->w;

	if (now > w->state_entry_time) {
		w->time[w->state] += now - w->state_entry_time;
		w->state_entry_time = now;
	}
}

/*
 * The one place a state changes. @exact: the caller saw the edge happen
 * (a vCPU-thread event), so a wake's latency can be timed; the sampler's
 * inferred edges pass false and bin the kernel's figures instead.
 */
static int change(struct runstate *rs, unsigned int to, uint64_t now,
		  bool exact)
{
	struct runstate_snapshot *w = &rs->w;
	unsigned int from = (unsigned int)w->state;

	if (!runstate_edge_allowed(from, to)) {
		w->invalid++;
		return -EINVAL;
	}
	account(rs, now);
	w->transitions[from][to]++;
	if (from == B) {
		rs->ends_live++;
		rs->left_blocked = true;
	}
	if (to == B)
		rs->wakeup_mark = rs->last.halt_wakeup;
	if (from == B && to == Q) {
		w->wakeups++;
		rs->wake_pending = exact;
		rs->wake_time = w->state_entry_time;
	} else if (from == Q && to == R && rs->wake_pending) {
		w->wake_hist[runstate_hist_bucket(w->state_entry_time -
						  rs->wake_time)]++;
		rs->wake_pending = false;
	} else if (to == O) {
		rs->wake_pending = false;
	}
	w->state = to;
	return 0;
}

static void bump(struct runstate *rs)
{
	atomic_fetch_add_explicit(&rs->gen, 1, memory_order_release);
}

int runstate_change(struct runstate *rs, enum runstate_state to, uint64_t now)
{
	int r;

	pthread_mutex_lock(&rs->lock);
	r = change(rs, to, now, true);
	if (!r)
		bump(rs);
	publish(rs);
	pthread_mutex_unlock(&rs->lock);
	return r;
}

void runstate_set_tid(struct runstate *rs, int tid)
{
	pthread_mutex_lock(&rs->lock);
	rs->w.tid = (uint64_t)(unsigned int)tid;
	publish(rs);
	pthread_mutex_unlock(&rs->lock);
}

/*
 * Apply new flags, then derive the state from them: offline while paused
 * or down, runnable when neither holds and the vCPU was offline.
 */
static void set_flags(struct runstate *rs, uint64_t set, uint64_t clear,
		      uint64_t now)
{
	struct runstate_snapshot *w = &rs->w;
	uint64_t old_flags, old_state;

	pthread_mutex_lock(&rs->lock);
	old_flags = w->flags;
	old_state = w->state;
	w->flags = (w->flags | set) & ~clear;
	if (w->flags && w->state != O)
		(void)change(rs, O, now, true); /* allowed from every state */
	else if (!w->flags && w->state == O)
		(void)change(rs, Q, now, true);
	if (w->flags != old_flags || w->state != old_state)
		bump(rs);
	publish(rs);
	pthread_mutex_unlock(&rs->lock);
}

void runstate_pause(struct runstate *rs, uint64_t now)
{
	set_flags(rs, RUNSTATE_F_PAUSED, 0, now);
}

void runstate_unpause(struct runstate *rs, uint64_t now)
{
	set_flags(rs, 0, RUNSTATE_F_PAUSED, now);
}

void runstate_up(struct runstate *rs, uint64_t now)
{
	set_flags(rs, 0, RUNSTATE_F_DOWN, now);
}

void runstate_enter(struct runstate *rs, uint64_t now)
{
	pthread_mutex_lock(&rs->lock);
	if (rs->w.state == Q) {
		(void)change(rs, R, now, true); /* Q -> R is in the table */
		bump(rs);
		publish(rs);
	}
	pthread_mutex_unlock(&rs->lock);
}

/* Move up to @ns from state @from to @to; returns what was moved. */
static uint64_t move(struct runstate *rs, unsigned int from, unsigned int to,
		     uint64_t ns)
{
	uint64_t n = MIN(ns, rs->w.time[from]);

	rs->w.time[from] -= n;
	rs->w.time[to] += n;
	return n;
}

static uint64_t delta(uint64_t cur, uint64_t last)
{
	/* A counter that went backwards (a reset) contributes nothing. */
	return cur > last ? cur - last : 0;
}

/*
 * Step 1 of runstate_fold(): follow the live state. @k holds the current
 * counters, @d their deltas. Lock held.
 */
static void fold_live(struct runstate *rs, uint64_t now,
		      const struct runstate_kernel *k,
		      const struct runstate_kernel *d)
{
	struct runstate_snapshot *w = &rs->w;

	if (w->state == R && k->blocking) {
		(void)change(rs, B, now, false);
		rs->wakeup_mark = k->halt_wakeup;
	} else if (w->state == B && !k->blocking &&
		   k->halt_wakeup != rs->wakeup_mark) {
		(void)change(rs, Q, now, false);
		(void)change(rs, R, now, false);
	} else if (w->state == O && w->flags == RUNSTATE_F_DOWN &&
		   d->exits > 0) {
		/* Only guest code makes exits: the guest started this AP. */
		w->flags = 0;
		(void)change(rs, Q, now, false);
		(void)change(rs, R, now, false);
	}
}

/* Steps 2-4: re-attribute kernel-measured time. Lock held. */
static void fold_time(struct runstate *rs, const uint64_t acc[RUNSTATE_NR],
		      const struct runstate_kernel *d)
{
	struct runstate_snapshot *w = &rs->w;
	uint64_t q, wl, kb, m, moved;

	q = d->run_delay_ns > acc[Q] ? d->run_delay_ns - acc[Q] : 0;
	wl = d->halt_waits ? MIN(q, d->halt_wait_ns) : 0;
	kb = d->halt_wait_ns - wl;
	if (d->halt_waits)
		w->wake_hist[runstate_hist_bucket(wl / d->halt_waits)] +=
		    d->halt_waits;

	rs->blk_live += acc[B];
	m = MIN(kb, rs->blk_live);
	kb -= m;
	rs->blk_live -= m;
	moved = move(rs, R, B, kb);
	w->unattributed_ns += kb - moved;
	if (w->state != B || rs->left_blocked) {
		/* The modelled halt ended: nothing more will confirm it. */
		m = rs->blk_live;
	} else if (d->halt_waits) {
		/*
		 * Still blocked, but halts ended in between: the vCPU ran
		 * (and waited to run) between them while the model saw
		 * it halted at every sample.
		 */
		m = MIN(rs->blk_live, d->run_ns + q);
	} else {
		m = 0;
	}
	(void)move(rs, B, R, m);
	rs->blk_live -= m;
	rs->left_blocked = false;
	moved = move(rs, R, Q, q);
	w->unattributed_ns += q - moved;
}

/* Step 5: halt ends the model did not see become whole episodes. */
static void fold_wakeups(struct runstate *rs, uint64_t dwake)
{
	struct runstate_snapshot *w = &rs->w;
	uint64_t seen = MIN(dwake, rs->ends_live), extra = dwake - seen;

	rs->ends_live -= seen;
	w->transitions[R][B] += extra;
	w->transitions[B][Q] += extra;
	w->transitions[Q][R] += extra;
	w->wakeups += extra;
}

int runstate_fold(struct runstate *rs, uint64_t now,
		  const struct runstate_kernel *k, uint64_t gen)
{
	struct runstate_snapshot *w = &rs->w;
	struct runstate_kernel d;
	uint64_t acc[RUNSTATE_NR];

	pthread_mutex_lock(&rs->lock);
	if (atomic_load_explicit(&rs->gen, memory_order_relaxed) != gen) {
		pthread_mutex_unlock(&rs->lock);
		return -EAGAIN;
	}
	d = (struct runstate_kernel){
	    .halt_wait_ns = delta(k->halt_wait_ns, rs->last.halt_wait_ns),
	    .halt_waits = delta(k->halt_waits, rs->last.halt_waits),
	    .exits = delta(k->exits, rs->last.exits),
	    .run_ns = delta(k->run_ns, rs->last.run_ns),
	    .run_delay_ns = delta(k->run_delay_ns, rs->last.run_delay_ns),
	};
	/* An AP that is down is offline, however the kernel waits for SIPI. */
	if (w->flags & RUNSTATE_F_DOWN)
		d.halt_wait_ns = d.halt_waits = d.run_delay_ns = 0;
	rs->last = *k;

	fold_live(rs, now, k, &d);
	account(rs, now);
	for (unsigned int i = 0; i < RUNSTATE_NR; i++)
		acc[i] = w->time[i] - rs->mark[i];
	fold_time(rs, acc, &d);
	fold_wakeups(rs, d.halt_waits);
	memcpy(rs->mark, w->time, sizeof(rs->mark));
	publish(rs);
	pthread_mutex_unlock(&rs->lock);
	return 0;
}
