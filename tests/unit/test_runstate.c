/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of vcpu/runstate.c with a fake clock: the transition table,
 * Xen's time accounting, the pause/down flags, wake latency, the
 * sampler's fold of kernel counters, invariants under random sequences,
 * and snapshot consistency while other threads write.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "check.h"
#include "vcpu/runstate.h"

#define MS 1000000ull
#define R  RUNSTATE_RUNNING
#define Q  RUNSTATE_RUNNABLE
#define B  RUNSTATE_BLOCKED
#define O  RUNSTATE_OFFLINE

/*
 * The invariants every snapshot must satisfy: Xen's (the times add up to
 * the time since creation) and conservation of transitions (what entered
 * a state and did not leave it is the current state; OFFLINE is the
 * initial one). Returns the number of violations.
 */
static int violations(const struct runstate_snapshot *s)
{
	uint64_t sum = 0;
	int bad = 0;

	for (int i = 0; i < RUNSTATE_NR; i++) {
		sum += s->time[i];
		if (s->time[i] > s->state_entry_time - s->created)
			bad++;
	}
	if (sum != s->state_entry_time - s->created)
		bad++;
	for (int st = 0; st < RUNSTATE_NR; st++) {
		int64_t in = 0, out = 0;

		for (int o = 0; o < RUNSTATE_NR; o++) {
			in += (int64_t)s->transitions[o][st];
			out += (int64_t)s->transitions[st][o];
		}
		if (in - out != (st == (int)s->state) - (st == O))
			bad++;
	}
	if (s->state >= RUNSTATE_NR)
		bad++;
	return bad;
}

static struct runstate_snapshot snap(const struct runstate *rs)
{
	struct runstate_snapshot s;

	runstate_read(rs, &s);
	return s;
}

static void test_names_and_buckets(void)
{
	CHECK(!strcmp(runstate_name(R), "running"));
	CHECK(!strcmp(runstate_name(O), "offline"));
	CHECK(!strcmp(runstate_name(7), "?"));
	CHECK_EQ(runstate_from_name("blocked"), B);
	CHECK_EQ(runstate_from_name("sleeping"), -EINVAL);
	CHECK_EQ(runstate_hist_bucket(0), 0);
	CHECK_EQ(runstate_hist_bucket(1), 0);
	CHECK_EQ(runstate_hist_bucket(2), 1);
	CHECK_EQ(runstate_hist_bucket(3), 1);
	CHECK_EQ(runstate_hist_bucket(4), 2);
	CHECK_EQ(runstate_hist_bucket(3000), 11);
	CHECK_EQ(runstate_hist_bucket(1ull << 31), 31);
	CHECK_EQ(runstate_hist_bucket((1ull << 31) - 1), 30);
	CHECK_EQ(runstate_hist_bucket(1ull << 40), 31);
	CHECK_EQ(runstate_hist_bucket(UINT64_MAX), 31);
}

/* Drive a fresh runstate to @st through allowed edges. */
static void reach(struct runstate *rs, unsigned int st, uint64_t now)
{
	static const unsigned int path[] = {Q, R, B};
	unsigned int n = st == O ? 0 : st == Q ? 1 : st == R ? 2 : 3;

	for (unsigned int i = 0; i < n; i++)
		CHECK_EQ(runstate_change(rs, path[i], now), 0);
}

static void test_table(void)
{
	static const bool want[4][4] = {
	    [R] = {[Q] = 1, [B] = 1, [O] = 1},
	    [Q] = {[R] = 1, [O] = 1},
	    [B] = {[Q] = 1, [O] = 1},
	    [O] = {[Q] = 1},
	};

	for (unsigned int from = 0; from < RUNSTATE_NR; from++) {
		for (unsigned int to = 0; to < RUNSTATE_NR; to++) {
			struct runstate rs;
			struct runstate_snapshot s;
			int r;

			CHECK_EQ(runstate_edge_allowed(from, to),
				 want[from][to]);
			CHECK_EQ(runstate_init(&rs, 100, false), 0);
			reach(&rs, from, 100);
			r = runstate_change(&rs, to, 150);
			s = snap(&rs);
			if (want[from][to]) {
				CHECK_EQ(r, 0);
				CHECK_EQ(s.state, to);
				CHECK_EQ(s.transitions[from][to], 1);
				CHECK_EQ(s.invalid, 0);
				CHECK_EQ(s.time[from], 50);
			} else {
				CHECK_EQ(r, -EINVAL);
				CHECK_EQ(s.state, from);
				CHECK_EQ(s.invalid, 1);
				CHECK_EQ(s.state_entry_time, 100);
			}
			CHECK_EQ(violations(&s), 0);
			runstate_destroy(&rs);
		}
	}
	CHECK(!runstate_edge_allowed(4, 0));
	CHECK(!runstate_edge_allowed(0, 4));
}

static void test_accounting(void)
{
	struct runstate rs;
	struct runstate_snapshot s;
	uint64_t t[RUNSTATE_NR];

	CHECK_EQ(runstate_init(&rs, 1000, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.state, O);
	CHECK_EQ(s.flags, RUNSTATE_F_PAUSED);
	CHECK_EQ(s.created, 1000);

	runstate_unpause(&rs, 1500); /* start */
	CHECK_EQ(runstate_state(&rs), Q);
	runstate_enter(&rs, 1700);
	runstate_enter(&rs, 1800); /* already running: no-op */
	CHECK_EQ(runstate_state(&rs), R);
	CHECK_EQ(runstate_change(&rs, B, 2700), 0);
	/* The clock seen by another writer may lag: nothing goes back. */
	CHECK_EQ(runstate_change(&rs, Q, 2600), 0);
	s = snap(&rs);
	CHECK_EQ(s.state_entry_time, 2700);
	CHECK_EQ(s.time[O], 500);
	CHECK_EQ(s.time[Q], 200);
	CHECK_EQ(s.time[R], 1000);
	CHECK_EQ(s.time[B], 0);
	CHECK_EQ(violations(&s), 0);

	runstate_times_at(&s, 3700, t);
	CHECK_EQ(t[Q], 1200);
	CHECK_EQ(t[0] + t[1] + t[2] + t[3], 3700 - 1000);
	runstate_times_at(&s, 10, t); /* before the entry: no live part */
	CHECK_EQ(t[Q], 200);

	runstate_set_tid(&rs, 4242);
	CHECK_EQ(snap(&rs).tid, 4242);
	runstate_pause(&rs, 4000);
	s = snap(&rs);
	CHECK_EQ(s.state, O);
	CHECK_EQ(s.transitions[Q][O], 1);
	CHECK_EQ(runstate_flags(&rs), RUNSTATE_F_PAUSED);
	runstate_destroy(&rs);
}

static void test_wake_latency(void)
{
	struct runstate rs;
	struct runstate_snapshot s;

	CHECK_EQ(runstate_init(&rs, 0, false), 0);
	reach(&rs, B, 0);
	CHECK_EQ(runstate_change(&rs, Q, 10000), 0); /* woken */
	CHECK_EQ(runstate_change(&rs, R, 13000), 0); /* ran 3 us later */
	CHECK_EQ(runstate_change(&rs, B, 20000), 0);
	CHECK_EQ(runstate_change(&rs, Q, 21000), 0);
	CHECK_EQ(runstate_change(&rs, O, 22000), 0); /* paused: no sample */
	CHECK_EQ(runstate_change(&rs, Q, 23000), 0);
	CHECK_EQ(runstate_change(&rs, R, 90000), 0); /* not after a wake */
	s = snap(&rs);
	CHECK_EQ(s.wakeups, 2);
	CHECK_EQ(s.wake_hist[11], 1);
	uint64_t total = 0;
	for (int i = 0; i < RUNSTATE_HIST_BUCKETS; i++)
		total += s.wake_hist[i];
	CHECK_EQ(total, 1);
	CHECK_EQ(violations(&s), 0);
	runstate_destroy(&rs);
}

static void test_flags(void)
{
	struct runstate rs;
	uint64_t g;

	/* An AP: stays offline while down, whatever the thread does. */
	CHECK_EQ(runstate_init(&rs, 0, true), 0);
	runstate_unpause(&rs, 10);
	CHECK_EQ(runstate_state(&rs), O);
	CHECK_EQ(runstate_flags(&rs), RUNSTATE_F_DOWN);
	g = runstate_generation(&rs);
	runstate_enter(&rs, 20);
	CHECK_EQ(runstate_state(&rs), O);
	CHECK_EQ(runstate_generation(&rs), g); /* no-op: no new generation */
	runstate_pause(&rs, 30);
	CHECK_EQ(runstate_flags(&rs), RUNSTATE_F_DOWN | RUNSTATE_F_PAUSED);
	CHECK(runstate_generation(&rs) != g);
	runstate_up(&rs, 40); /* SIPI while paused: still offline */
	CHECK_EQ(runstate_state(&rs), O);
	runstate_unpause(&rs, 50);
	CHECK_EQ(runstate_state(&rs), Q);
	CHECK_EQ(runstate_flags(&rs), 0);
	CHECK_EQ(snap(&rs).time[O], 50);
	runstate_destroy(&rs);
}

static int fold(struct runstate *rs, uint64_t now, uint64_t halt, uint64_t wake,
		uint64_t delay, uint64_t exits, bool blocking)
{
	struct runstate_kernel k = {
	    .halt_wait_ns = halt,
	    .halt_waits = wake,
	    .halt_wakeup = wake,
	    .run_delay_ns = delay,
	    .exits = exits,
	    .blocking = blocking,
	};

	return runstate_fold(rs, now, &k, runstate_generation(rs));
}

static void test_fold(void)
{
	struct runstate rs;
	struct runstate_snapshot s;
	struct runstate_kernel k = {0};
	uint64_t g;

	CHECK_EQ(runstate_init(&rs, 0, false), 0);
	runstate_unpause(&rs, 0);
	runstate_enter(&rs, 0);

	/* A short halt seen only in the counters: 4 of 10 ms blocked. */
	CHECK_EQ(fold(&rs, 10 * MS, 4 * MS, 0, 0, 9, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.time[R], 6 * MS);
	CHECK_EQ(s.time[B], 4 * MS);
	CHECK_EQ(s.state, R);

	/* A long halt: seen live at 20 ms, credited when it ends at 40. */
	CHECK_EQ(fold(&rs, 20 * MS, 4 * MS, 0, 0, 9, true), 0);
	CHECK_EQ(runstate_state(&rs), B);
	CHECK_EQ(fold(&rs, 30 * MS, 4 * MS, 0, 0, 9, true), 0);
	CHECK_EQ(fold(&rs, 40 * MS, 26 * MS, 1, 0, 10, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.state, R);
	CHECK_EQ(s.time[B], 26 * MS);
	CHECK_EQ(s.time[R], 14 * MS);
	CHECK_EQ(s.wakeups, 1);
	CHECK_EQ(s.transitions[R][B], 1);
	CHECK_EQ(s.transitions[B][Q], 1);
	CHECK_EQ(s.transitions[Q][R], 2);
	CHECK_EQ(s.wake_hist[0], 1); /* no run delay: woke at once */
	CHECK_EQ(violations(&s), 0);

	/* Host preemption: 3 ms on a run queue. */
	CHECK_EQ(fold(&rs, 50 * MS, 26 * MS, 1, 3 * MS, 20, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.time[Q], 3 * MS);
	CHECK_EQ(s.time[R], 21 * MS);

	/*
	 * Two short halts (5 ms) whose wake-ups waited 1 ms in all: that
	 * millisecond is runnable, not blocked, and each wake is binned at
	 * 500 us. Both become whole episodes.
	 */
	CHECK_EQ(fold(&rs, 60 * MS, 31 * MS, 3, 4 * MS, 30, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.time[B], 30 * MS);
	CHECK_EQ(s.time[Q], 4 * MS);
	CHECK_EQ(s.time[R], 26 * MS);
	CHECK_EQ(s.wake_hist[runstate_hist_bucket(500000)], 2);
	CHECK_EQ(runstate_hist_bucket(500000), 18);
	CHECK_EQ(s.wakeups, 3);
	CHECK_EQ(s.transitions[R][B], 3);
	CHECK_EQ(violations(&s), 0);

	/* An event since the generation was read: the fold is refused. */
	g = runstate_generation(&rs);
	CHECK_EQ(runstate_change(&rs, Q, 61 * MS), 0);
	k = (struct runstate_kernel){.halt_wait_ns = 99 * MS};
	CHECK_EQ(runstate_fold(&rs, 62 * MS, &k, g), -EAGAIN);
	CHECK_EQ(snap(&rs).time[B], 30 * MS);
	runstate_enter(&rs, 61 * MS);

	/* Counters that went backwards add nothing. */
	CHECK_EQ(fold(&rs, 70 * MS, 1 * MS, 0, 0, 0, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.time[B], 30 * MS);
	CHECK_EQ(s.unattributed_ns, 0);

	/* More halt time than the vCPU ever ran: the excess is dropped. */
	CHECK_EQ(fold(&rs, 71 * MS, 100 * MS, 0, 0, 0, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.time[R], 0);
	CHECK_EQ(s.unattributed_ns, 62 * MS);
	CHECK_EQ(violations(&s), 0);

	/*
	 * A halt ended by a signal (blocking clear, no wake-up): still
	 * blocked; the pause that sent the signal makes it offline.
	 */
	CHECK_EQ(fold(&rs, 72 * MS, 100 * MS, 0, 0, 0, true), 0);
	CHECK_EQ(runstate_state(&rs), B);
	CHECK_EQ(fold(&rs, 73 * MS, 101 * MS, 0, 0, 0, false), 0);
	CHECK_EQ(runstate_state(&rs), B);
	runstate_pause(&rs, 74 * MS);
	s = snap(&rs);
	CHECK_EQ(s.transitions[B][Q], 3);
	CHECK_EQ(s.transitions[B][O], 1);
	CHECK_EQ(s.wakeups, 3);
	CHECK_EQ(violations(&s), 0);
	runstate_unpause(&rs, 75 * MS);
	runstate_enter(&rs, 75 * MS);

	/* A halt seen live, then paused: leftover halt time returns. */
	CHECK_EQ(fold(&rs, 80 * MS, 101 * MS, 0, 0, 0, true), 0);
	runstate_pause(&rs, 90 * MS);
	CHECK_EQ(fold(&rs, 91 * MS, 109 * MS, 0, 0, 0, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.state, O);
	CHECK_EQ(s.transitions[B][O], 2);
	CHECK_EQ(s.time[O], 2 * MS);
	/* 67 ms at 71 ms, then what the kernel confirmed: 1 + 8. */
	CHECK_EQ(s.time[B], 76 * MS);
	CHECK_EQ(violations(&s), 0);
	runstate_destroy(&rs);
}

/* Woken many times per sample: every sample finds it halted again. */
static void test_fold_busy_halts(void)
{
	struct runstate rs;
	struct runstate_snapshot s;
	struct runstate_kernel k = {.blocking = true};

	CHECK_EQ(runstate_init(&rs, 0, false), 0);
	runstate_unpause(&rs, 0);
	runstate_enter(&rs, 0);
	CHECK_EQ(runstate_fold(&rs, 0, &k, runstate_generation(&rs)), 0);
	CHECK_EQ(runstate_state(&rs), B);
	/*
	 * 10 ms: 5 halts ended, 8 ms halted in all, 1 ms on a CPU, 0.5 ms
	 * waiting for one; the halt in progress is not credited yet.
	 */
	k = (struct runstate_kernel){
	    .halt_wait_ns = 8 * MS,
	    .halt_waits = 5,
	    .halt_wakeup = 5,
	    .run_ns = 1 * MS,
	    .run_delay_ns = MS / 2,
	    .blocking = true,
	};
	CHECK_EQ(runstate_fold(&rs, 10 * MS, &k, runstate_generation(&rs)), 0);
	s = snap(&rs);
	CHECK_EQ(s.state, B);
	CHECK_EQ(s.time[R], 1 * MS);
	CHECK_EQ(s.time[Q], MS / 2);
	CHECK_EQ(s.time[B], 8 * MS + MS / 2);
	CHECK_EQ(s.wakeups, 5);
	CHECK_EQ(s.wake_hist[runstate_hist_bucket(MS / 10)], 5);
	CHECK_EQ(violations(&s), 0);
	runstate_destroy(&rs);
}

static void test_fold_ap(void)
{
	struct runstate rs;
	struct runstate_snapshot s;

	CHECK_EQ(runstate_init(&rs, 0, true), 0);
	runstate_unpause(&rs, 0);
	/* Waiting for SIPI: run delay and blocking are not the guest's. */
	CHECK_EQ(fold(&rs, 10 * MS, 0, 0, 2 * MS, 0, true), 0);
	s = snap(&rs);
	CHECK_EQ(s.state, O);
	CHECK_EQ(s.time[O], 10 * MS);
	CHECK_EQ(s.unattributed_ns, 0);
	/* Paused: exits from before the pause do not bring it up. */
	runstate_pause(&rs, 15 * MS);
	CHECK_EQ(fold(&rs, 20 * MS, 0, 0, 2 * MS, 5, false), 0);
	CHECK_EQ(runstate_state(&rs), O);
	runstate_unpause(&rs, 25 * MS);
	/* Guest exits: the guest started it. */
	CHECK_EQ(fold(&rs, 30 * MS, 0, 0, 2 * MS, 9, false), 0);
	s = snap(&rs);
	CHECK_EQ(s.state, R);
	CHECK_EQ(s.flags, 0);
	CHECK_EQ(s.time[O], 30 * MS);
	CHECK_EQ(s.transitions[O][Q], 1);
	CHECK_EQ(s.transitions[Q][R], 1);
	CHECK_EQ(violations(&s), 0);
	runstate_destroy(&rs);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64: deterministic, so a failure reproduces. */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* One random writer step. Counters only grow (mostly). */
static void random_step(struct runstate *rs, uint64_t *now,
			struct runstate_kernel *k)
{
	*now += rnd() % 5000;
	switch (rnd() % 8) {
	case 0: (void)runstate_change(rs, rnd() % RUNSTATE_NR, *now); break;
	case 1: runstate_pause(rs, *now); break;
	case 2: runstate_unpause(rs, *now); break;
	case 3: runstate_up(rs, *now); break;
	case 4: runstate_enter(rs, *now); break;
	default:
		k->halt_wait_ns += rnd() % 4000;
		k->halt_waits += rnd() % 3;
		k->halt_wakeup += rnd() % 2;
		k->run_delay_ns += rnd() % 3000;
		k->exits += rnd() % 2;
		k->blocking = rnd() & 1;
		if (rnd() % 64 == 0)
			k->halt_wait_ns /= 2; /* a reset */
		(void)runstate_fold(rs, *now, k, runstate_generation(rs));
		break;
	}
}

static void test_random(void)
{
	struct runstate rs;
	struct runstate_kernel k = {0};
	struct runstate_snapshot s;
	uint64_t now = 5;
	int bad = 0;

	CHECK_EQ(runstate_init(&rs, now, true), 0);
	for (int i = 0; i < 200000; i++) {
		random_step(&rs, &now, &k);
		s = snap(&rs);
		bad += violations(&s);
	}
	CHECK_EQ(bad, 0);
	s = snap(&rs);
	CHECK(s.transitions[R][B] > 0);
	CHECK(s.transitions[B][Q] > 0);
	CHECK(s.invalid > 0);
	CHECK(s.wakeups > 0);
	runstate_destroy(&rs);
}

/*
 * Concurrency: two writers (events and folds, as the vCPU thread and the
 * sampler) share a fake clock; readers check every snapshot. A torn
 * snapshot breaks the sum or the transition balance.
 */
/* Writers go on until they did RACE_OPS and the readers RACE_READS. */
#define RACE_OPS   200000
#define RACE_READS 1000000

struct race {
	struct runstate rs;
	_Atomic uint64_t clock;
	atomic_int writers_left;
	atomic_int bad;
	atomic_long reads;
};

static bool race_more(struct race *x, int i)
{
	return i < RACE_OPS || atomic_load(&x->reads) < RACE_READS;
}

static void *race_events(void *arg)
{
	struct race *x = arg;
	uint64_t st = 0x1234567ull;

	for (int i = 0; race_more(x, i); i++) {
		uint64_t now = atomic_fetch_add(&x->clock, 1 + i % 700);

		st = st * 6364136223846793005ull + 1442695040888963407ull;
		switch ((st >> 33) % 4) {
		case 0: runstate_pause(&x->rs, now); break;
		case 1: runstate_unpause(&x->rs, now); break;
		case 2: runstate_enter(&x->rs, now); break;
		default:
			(void)runstate_change(&x->rs, (st >> 40) % RUNSTATE_NR,
					      now);
			break;
		}
	}
	atomic_fetch_sub(&x->writers_left, 1);
	return NULL;
}

static void *race_folds(void *arg)
{
	struct race *x = arg;
	struct runstate_kernel k = {0};

	for (int i = 0; race_more(x, i); i++) {
		uint64_t g = runstate_generation(&x->rs);
		uint64_t now = atomic_fetch_add(&x->clock, 1 + i % 300);

		k.halt_wait_ns += i % 200;
		k.run_delay_ns += i % 100;
		k.halt_waits += i % 3 == 0;
		k.halt_wakeup += i % 4 == 0;
		k.blocking = i % 5 < 2;
		(void)runstate_fold(&x->rs, now, &k, g);
	}
	atomic_fetch_sub(&x->writers_left, 1);
	return NULL;
}

static void *race_reader(void *arg)
{
	struct race *x = arg;
	struct runstate_snapshot s;

	do {
		runstate_read(&x->rs, &s);
		atomic_fetch_add(&x->bad, violations(&s));
		if (atomic_load(&x->writers_left) == 2)
			atomic_fetch_add(&x->reads, 1);
	} while (atomic_load(&x->writers_left) > 0);
	return NULL;
}

static void test_concurrent(void)
{
	static struct race x;
	pthread_t w[2], r[2];

	atomic_store(&x.clock, 1000);
	atomic_store(&x.writers_left, 2);
	CHECK_EQ(runstate_init(&x.rs, 1000, false), 0);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&r[i], NULL, race_reader, &x), 0);
	CHECK_EQ(pthread_create(&w[0], NULL, race_events, &x), 0);
	CHECK_EQ(pthread_create(&w[1], NULL, race_folds, &x), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	CHECK_EQ(atomic_load(&x.bad), 0);
	CHECK(atomic_load(&x.reads) >= RACE_READS);
	struct runstate_snapshot s = snap(&x.rs);
	CHECK_EQ(violations(&s), 0);
	CHECK(s.transitions[R][B] > 0);
	runstate_destroy(&x.rs);
}

int main(void)
{
	test_names_and_buckets();
	test_table();
	test_accounting();
	test_wake_latency();
	test_flags();
	test_fold();
	test_fold_busy_halts();
	test_fold_ap();
	test_random();
	test_concurrent();
	return check_done("test_runstate");
}
