/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the io loop's adaptive polling (io/loop_poll.c) with a
 * fake poller: an idle loop sleeps, and with polling off never polls; work
 * found while polling means no sleep (and no stop/start in between);
 * work found by stop()'s last look means no sleep either; once the bound
 * expires the loop stops the poller and sleeps, and then polls no more
 * (the poller is called a bounded number of times, none while asleep); a
 * poller that always finds work starves neither the loop's sources nor
 * io_loop_call() nor io_loop_stop(); and the API's error cases. The only
 * timing assumed is that a wake-up comes less than a minute after the
 * loop fell asleep (the ceiling used), which a run under alarm(60) meets.
 */
#include "io/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "check.h"
#include "loop_kinds.h"

/* Long enough that every wake-up in these tests grows the bound. */
#define CEILING_NS (60ULL * 1000000000ULL)

struct fake_poller {
	struct io_poller p;
	struct io_loop *loop;
	/* Counters and switches, atomics: the main thread reads them. */
	unsigned int polls, starts, stops;
	int work;	    /* poll() takes one item per call */
	int stop_finds;	    /* stop() reports work this many times */
	bool always;	    /* poll() always finds work (set before run) */
	bool started;	    /* between start() and stop() */
	bool started_twice; /* start() while started */
	uint64_t hits;	    /* poll() calls that took an item */
	uint64_t sleeps_first, sleeps_last; /* loop sleeps at 1st/last hit */
	bool cycled_in_work; /* a stop or start between 1st and last item */
	unsigned int stops_after_work; /* atomic: stops once work ran out */
	/* A stop() that found work, and the start() that followed it. */
	bool after_found;
	uint64_t sleeps_found, sleeps_next_start;
	unsigned int found_checked; /* atomic */
};

static uint64_t loop_sleeps(struct io_loop *l)
{
	struct io_loop_poll_stats st;

	io_loop_poll_stats(l, &st);
	return st.sleeps;
}

static void fp_start(struct io_poller *p)
{
	struct fake_poller *f = container_of(p, struct fake_poller, p);
	unsigned int n = __atomic_add_fetch(&f->starts, 1, __ATOMIC_SEQ_CST);

	(void)n;
	if (f->started)
		f->started_twice = true;
	f->started = true;
	if (f->hits && __atomic_load_n(&f->work, __ATOMIC_SEQ_CST))
		f->cycled_in_work = true;
	if (f->after_found) {
		f->after_found = false;
		f->sleeps_next_start = loop_sleeps(f->loop);
		__atomic_store_n(&f->found_checked, 1, __ATOMIC_SEQ_CST);
	}
}

static bool fp_poll(struct io_poller *p)
{
	struct fake_poller *f = container_of(p, struct fake_poller, p);
	int w = __atomic_load_n(&f->work, __ATOMIC_SEQ_CST);

	__atomic_add_fetch(&f->polls, 1, __ATOMIC_SEQ_CST);
	if (f->always)
		return true;
	if (w <= 0)
		return false;
	__atomic_store_n(&f->work, w - 1, __ATOMIC_SEQ_CST);
	if (!f->hits++)
		f->sleeps_first = loop_sleeps(f->loop);
	f->sleeps_last = loop_sleeps(f->loop);
	return true;
}

static bool fp_stop(struct io_poller *p)
{
	struct fake_poller *f = container_of(p, struct fake_poller, p);
	unsigned int n = __atomic_add_fetch(&f->stops, 1, __ATOMIC_SEQ_CST);

	(void)n;
	f->started = false;
	if (f->hits) {
		if (__atomic_load_n(&f->work, __ATOMIC_SEQ_CST))
			f->cycled_in_work = true;
		else
			__atomic_add_fetch(&f->stops_after_work, 1,
					   __ATOMIC_SEQ_CST);
	}
	if (f->stop_finds > 0) {
		f->stop_finds--;
		f->after_found = true;
		f->sleeps_found = loop_sleeps(f->loop);
		return true;
	}
	return false;
}

static void fp_init(struct fake_poller *f, struct io_loop *l)
{
	memset(f, 0, sizeof(*f));
	f->loop = l;
	f->p = (struct io_poller){
	    .start = fp_start, .poll = fp_poll, .stop = fp_stop};
}

/* An eventfd source: each completion may hand work to the poller. */
struct bell {
	struct io_source src;
	struct io_loop *loop;
	struct fake_poller *f;
	unsigned int rings; /* atomic */
	int give;	    /* work for the poller at the first ring */
	unsigned int stop_at;
};

static void bell_ready(struct io_source *src, int res)
{
	struct bell *b = container_of(src, struct bell, src);
	uint64_t v;
	unsigned int n;

	if (res < 0 || read(src->fd, &v, sizeof(v)) != sizeof(v))
		return;
	n = __atomic_add_fetch(&b->rings, (unsigned int)v, __ATOMIC_SEQ_CST);
	if (b->give && b->f) {
		__atomic_store_n(&b->f->work, b->give, __ATOMIC_SEQ_CST);
		b->give = 0;
	}
	if (b->stop_at && n >= b->stop_at)
		io_loop_stop(b->loop);
}

static void ring(struct bell *b)
{
	uint64_t one = 1;

	CHECK_EQ(write(b->src.fd, &one, sizeof(one)), sizeof(one));
}

static void *run_thread(void *arg)
{
	CHECK_EQ(io_loop_run(arg), 0);
	return NULL;
}

/* Spin (sleeping 1 ms at a time) until *@v >= @want; false after 20 s. */
static bool wait_for(const unsigned int *v, unsigned int want)
{
	for (int i = 0; i < 20000; i++) {
		if (__atomic_load_n(v, __ATOMIC_SEQ_CST) >= want)
			return true;
		usleep(1000);
	}
	return false;
}

struct rig {
	struct io_loop *l;
	struct fake_poller f;
	struct bell b;
	pthread_t t;
};

/* What the poller and the bell do, set before the loop thread starts. */
struct rig_cfg {
	uint64_t max_ns;
	int give;	/* work handed to the poller at the first ring */
	int stop_finds; /* stop() reports work this many times */
	bool always;	/* poll() always finds work */
};

static void rig_start(struct rig *r, const struct rig_cfg *cfg)
{
	CHECK_EQ(test_loop_create(&r->l), 0);
	fp_init(&r->f, r->l);
	r->f.stop_finds = cfg->stop_finds;
	r->f.always = cfg->always;
	CHECK_EQ(io_loop_add_poller(r->l, &r->f.p), 0);
	CHECK_EQ(io_loop_set_polling(r->l, cfg->max_ns), 0);
	r->b = (struct bell){.loop = r->l, .f = &r->f, .give = cfg->give};
	r->b.src = (struct io_source){
	    .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), .ready = bell_ready};
	CHECK_EQ(io_loop_watch(r->l, &r->b.src), 0);
	pthread_create(&r->t, NULL, run_thread, r->l);
}

static void rig_finish(struct rig *r)
{
	io_loop_stop(r->l);
	pthread_join(r->t, NULL);
	CHECK_EQ(io_loop_unwatch(r->l, &r->b.src), 0);
	close(r->b.src.fd);
	CHECK_EQ(io_loop_remove_poller(r->l, &r->f.p), 0);
	io_loop_destroy(r->l);
}

/*
 * An idle loop sleeps: after its start-up (whose own wake-up may open one
 * short window) it polls no more. With polling off the poller never runs.
 */
static void test_idle_and_off(void)
{
	unsigned int polls;
	struct rig r;

	rig_start(&r, &(struct rig_cfg){.max_ns = CEILING_NS});
	usleep(20000);
	polls = __atomic_load_n(&r.f.polls, __ATOMIC_SEQ_CST);
	usleep(50000);
	CHECK_EQ(__atomic_load_n(&r.f.polls, __ATOMIC_SEQ_CST), polls);
	CHECK_EQ(__atomic_load_n(&r.f.starts, __ATOMIC_SEQ_CST),
		 __atomic_load_n(&r.f.stops, __ATOMIC_SEQ_CST));
	rig_finish(&r);
	CHECK(r.f.starts <= 1);
	CHECK(!r.f.started);

	rig_start(&r, &(struct rig_cfg){.max_ns = 0});
	for (unsigned int i = 1; i <= 20; i++) {
		ring(&r.b);
		CHECK(wait_for(&r.b.rings, i));
	}
	rig_finish(&r);
	CHECK_EQ(r.f.polls, 0);
	CHECK_EQ(r.f.starts, 0);
}

/*
 * A wake-up opens the bound; then 1000 items found by polling are done
 * without a single sleep, stop or restart. When work runs out the bound
 * expires, the poller is stopped and the loop sleeps: no more polls.
 */
static void test_work_while_polling(void)
{
	struct io_loop_poll_stats st;
	unsigned int polls;
	struct rig r;

	rig_start(&r, &(struct rig_cfg){.max_ns = CEILING_NS, .give = 1000});
	ring(&r.b);
	CHECK(wait_for(&r.f.stops_after_work, 1));
	/* The stop is followed by the sleep: let the loop get there. */
	usleep(20000);
	polls = __atomic_load_n(&r.f.polls, __ATOMIC_SEQ_CST);
	usleep(50000);
	CHECK_EQ(__atomic_load_n(&r.f.polls, __ATOMIC_SEQ_CST), polls);
	io_loop_poll_stats(r.l, &st);
	rig_finish(&r);
	CHECK_EQ(r.f.hits, 1000);
	CHECK_EQ(r.f.work, 0);
	CHECK_EQ(r.f.sleeps_first, r.f.sleeps_last); /* no sleep between */
	CHECK(!r.f.cycled_in_work);
	CHECK_EQ(r.f.starts, r.f.stops);
	CHECK(!r.f.started && !r.f.started_twice);
	CHECK(st.hits >= 1000);
	CHECK_EQ(st.windows, st.hits + st.expired);
	CHECK(st.expired >= 1);
	CHECK(st.ns >= 10000 && st.ns <= CEILING_NS);
	CHECK_EQ(st.max_ns, CEILING_NS);
	CHECK(st.grows >= 1);
	CHECK(st.sleeps >= 1);
}

/*
 * stop()'s last look finds work: the loop must not sleep; it polls again
 * (a second start) and sleeps only after the second stop.
 */
static void test_work_at_stop(void)
{
	struct rig r;

	rig_start(&r, &(struct rig_cfg){.max_ns = CEILING_NS, .stop_finds = 1});
	ring(&r.b);
	CHECK(wait_for(&r.f.found_checked, 1));
	CHECK(wait_for(&r.f.stops, 2));
	usleep(20000);
	rig_finish(&r);
	CHECK_EQ(r.f.sleeps_found, r.f.sleeps_next_start); /* no sleep */
	CHECK_EQ(r.f.starts, r.f.stops);
	CHECK(!r.f.started && !r.f.started_twice);
}

static void call_mark(void *arg)
{
	__atomic_store_n((unsigned int *)arg, 1, __ATOMIC_SEQ_CST);
}

/*
 * A poller that always finds work keeps the loop awake, yet completions
 * (an eventfd), io_loop_call() and io_loop_stop() still get through, and
 * the poller is stopped when the loop returns.
 */
static void test_no_starvation(void)
{
	unsigned int called = 0;
	struct rig r;

	rig_start(&r, &(struct rig_cfg){.max_ns = CEILING_NS, .always = true});
	ring(&r.b); /* opens the bound: polling never ends from here */
	CHECK(wait_for(&r.b.rings, 1));
	CHECK(wait_for(&r.f.polls, 10000));
	CHECK_EQ(io_loop_call(r.l, call_mark, &called), 0);
	CHECK(wait_for(&called, 1));
	ring(&r.b);
	CHECK(wait_for(&r.b.rings, 2));
	CHECK_EQ(__atomic_load_n(&r.f.stops, __ATOMIC_SEQ_CST), 0);
	rig_finish(&r);
	CHECK_EQ(r.f.starts, 1);
	CHECK_EQ(r.f.stops, 1);
	CHECK(!r.f.started);
}

static bool nop_poll(struct io_poller *p)
{
	(void)p;
	return false;
}

/* Registration rules. */
static void test_api(void)
{
	struct io_poller a = {.poll = nop_poll}, b = {.poll = nop_poll};
	struct io_poller none = {0};
	struct io_loop_poll_stats st;
	unsigned int running = 0;
	struct rig r;

	CHECK_EQ(test_loop_create(&r.l), 0);
	io_loop_poll_stats(r.l, &st);
	CHECK_EQ(st.max_ns, 0); /* off by default */
	CHECK_EQ(io_loop_add_poller(r.l, &none), -EINVAL);
	CHECK_EQ(io_loop_add_poller(r.l, &a), 0);
	CHECK_EQ(io_loop_add_poller(r.l, &a), -EBUSY);
	CHECK_EQ(io_loop_remove_poller(r.l, &b), -ENOENT);
	CHECK_EQ(io_loop_add_poller(r.l, &b), 0);
	CHECK_EQ(io_loop_remove_poller(r.l, &a), 0);
	CHECK_EQ(io_loop_remove_poller(r.l, &a), -ENOENT);
	CHECK_EQ(io_loop_set_polling(r.l, 1000), 0);
	io_loop_poll_stats(r.l, &st);
	CHECK_EQ(st.max_ns, 1000);
	CHECK_EQ(st.ns, 0);
	/* From another thread while the loop runs: refused. */
	CHECK_EQ(io_loop_call(r.l, call_mark, &running), 0);
	pthread_create(&r.t, NULL, run_thread, r.l);
	CHECK(wait_for(&running, 1));
	CHECK_EQ(io_loop_add_poller(r.l, &a), -EPERM);
	CHECK_EQ(io_loop_remove_poller(r.l, &b), -EPERM);
	CHECK_EQ(io_loop_set_polling(r.l, 0), -EPERM);
	io_loop_stop(r.l);
	pthread_join(r.t, NULL);
	CHECK_EQ(io_loop_remove_poller(r.l, &b), 0);
	io_loop_destroy(r.l);
}

int main(void)
{
	test_loop_kinds();
	alarm(60); /* a hang is a failure, not a stuck CI job */
	test_api();
	test_idle_and_off();
	test_work_while_polling();
	test_work_at_stop();
	test_no_starvation();
	return check_done("test_loop_poll");
}
