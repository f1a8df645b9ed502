/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of io/loop.c over eventfds and pipes: events from another
 * thread, stop (before and during run), io_loop_call ordering, unwatch with
 * a completion still in flight (the source is freed at once: ASan checks
 * the loop never touches it again), re-watch, a poll that fails, one-shot
 * writev / poll / defer requests, and watch from another thread.
 */
#include "io/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/util.h"
#include "check.h"
#include "io/loop_int.h"
#include "loop_kinds.h"

struct counter {
	struct io_source src;
	struct io_loop *loop;
	uint64_t total; /* sum of eventfd values read */
	unsigned int calls;
	uint64_t stop_at;
};

static void counter_ready(struct io_source *src, int res)
{
	struct counter *c = container_of(src, struct counter, src);
	uint64_t v;

	c->calls++;
	if (res < 0)
		return;
	if (read(src->fd, &v, sizeof(v)) == sizeof(v))
		c->total += v;
	if (c->stop_at && c->total >= c->stop_at)
		io_loop_stop(c->loop);
}

static int efd(void)
{
	return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static void signal_fd(int fd, uint64_t v)
{
	(void)!write(fd, &v, sizeof(v));
}

struct writer_arg {
	int fd;
	unsigned int n;
};

static void *writer_thread(void *p)
{
	struct writer_arg *a = p;

	for (unsigned int i = 0; i < a->n; i++)
		signal_fd(a->fd, 1);
	return NULL;
}

/* Many doorbells from another thread: the sum of reads matches. */
static void test_events_from_thread(void)
{
	struct io_loop *l;
	struct counter c = {0};
	struct writer_arg a;
	pthread_t t;

	CHECK_EQ(test_loop_create(&l), 0);
	c.src = (struct io_source){.fd = efd(), .ready = counter_ready};
	c.loop = l;
	c.stop_at = 20000;
	CHECK_EQ(io_loop_watch(l, &c.src), 0);
	CHECK(io_source_watched(&c.src));
	CHECK_EQ(io_loop_watch(l, &c.src), -EBUSY);
	a = (struct writer_arg){.fd = c.src.fd, .n = 20000};
	pthread_create(&t, NULL, writer_thread, &a);
	CHECK_EQ(io_loop_run(l), 0);
	pthread_join(t, NULL);
	CHECK_EQ(c.total, 20000);
	CHECK(c.calls >= 1);
	CHECK_EQ(io_loop_unwatch(l, &c.src), 0);
	CHECK_EQ(io_loop_unwatch(l, &c.src), -ENOENT);
	close(c.src.fd);
	io_loop_destroy(l);
}

/* A stop posted before run makes run return at once, and is consumed. */
static void test_stop_before_run(void)
{
	struct io_loop *l;

	CHECK_EQ(test_loop_create(&l), 0);
	io_loop_stop(l);
	CHECK_EQ(io_loop_run(l), 0);
	CHECK(!io_loop_on_thread(l));
	io_loop_destroy(l);
}

struct call_log {
	struct io_loop *loop;
	int order[8];
	int n;
	bool on_thread;
};

struct call_item {
	struct call_log *log;
	int id;
};

static void call_fn(void *arg)
{
	struct call_item *it = arg;

	it->log->on_thread = io_loop_on_thread(it->log->loop);
	if (it->log->n < 8)
		it->log->order[it->log->n++] = it->id;
	if (it->id == 3)
		io_loop_stop(it->log->loop);
}

static void *caller_thread(void *p)
{
	struct call_item *items = p;

	for (int i = 0; i < 4; i++)
		io_loop_call(items[i].log->loop, call_fn, &items[i]);
	return NULL;
}

/* io_loop_call from another thread runs in order on the loop thread. */
static void test_call_order(void)
{
	struct io_loop *l;
	struct call_log log = {0};
	struct call_item items[4];
	pthread_t t;

	CHECK_EQ(test_loop_create(&l), 0);
	log.loop = l;
	for (int i = 0; i < 4; i++)
		items[i] = (struct call_item){.log = &log, .id = i};
	pthread_create(&t, NULL, caller_thread, items);
	CHECK_EQ(io_loop_run(l), 0);
	pthread_join(t, NULL);
	CHECK_EQ(log.n, 4);
	for (int i = 0; i < log.n; i++)
		CHECK_EQ(log.order[i], i);
	CHECK(log.on_thread);
	io_loop_destroy(l);
}

/*
 * Two eventfds fire in the same batch; whichever handler runs first
 * unwatches and frees the other source. Its completion is still in the CQ
 * and must land on the loop's wrapper, not on the freed memory.
 */
struct pair {
	struct counter *a, *b;
	int first; /* 1 or 2 */
};

static struct pair the_pair;

static void pair_ready(struct io_source *src, int res)
{
	struct counter *me = container_of(src, struct counter, src);
	struct counter *other = me == the_pair.a ? the_pair.b : the_pair.a;

	counter_ready(src, res);
	if (the_pair.first)
		return;
	the_pair.first = me == the_pair.a ? 1 : 2;
	CHECK_EQ(io_loop_unwatch(me->loop, &other->src), 0);
	close(other->src.fd);
	free(other);
	if (me == the_pair.a)
		the_pair.b = NULL;
	else
		the_pair.a = NULL;
	io_loop_stop(me->loop);
}

static void test_unwatch_in_flight(void)
{
	struct io_loop *l;
	struct counter *a = calloc(1, sizeof(*a));
	struct counter *b = calloc(1, sizeof(*b));
	struct counter *left;

	CHECK_EQ(test_loop_create(&l), 0);
	a->src = (struct io_source){.fd = efd(), .ready = pair_ready};
	b->src = (struct io_source){.fd = efd(), .ready = pair_ready};
	a->loop = b->loop = l;
	the_pair = (struct pair){.a = a, .b = b};
	CHECK_EQ(io_loop_watch(l, &a->src), 0);
	CHECK_EQ(io_loop_watch(l, &b->src), 0);
	signal_fd(a->src.fd, 1);
	signal_fd(b->src.fd, 1);
	CHECK_EQ(io_loop_run(l), 0);
	CHECK(the_pair.first == 1 || the_pair.first == 2);
	left = the_pair.first == 1 ? the_pair.a : the_pair.b;
	CHECK(left != NULL);
	CHECK_EQ(left->calls, 1);
	/* Run again: nothing of the freed source may surface. */
	signal_fd(left->src.fd, 1);
	left->stop_at = 2;
	CHECK_EQ(io_loop_run(l), 0);
	CHECK_EQ(left->total, 2);
	/* Destroy with the source still watched: its pointer is cleared. */
	io_loop_destroy(l);
	CHECK(!io_source_watched(&left->src));
	close(left->src.fd);
	free(left);
}

/* Unwatch and re-watch the same source inside its own handler. */
static void rewatch_ready(struct io_source *src, int res)
{
	struct counter *c = container_of(src, struct counter, src);

	counter_ready(src, res);
	CHECK_EQ(io_loop_unwatch(c->loop, src), 0);
	CHECK_EQ(io_loop_watch(c->loop, src), 0);
	if (c->calls == 3)
		io_loop_stop(c->loop);
	else
		signal_fd(src->fd, 1);
}

static void test_rewatch(void)
{
	struct io_loop *l;
	struct counter c = {0};

	CHECK_EQ(test_loop_create(&l), 0);
	c.src = (struct io_source){.fd = efd(), .ready = rewatch_ready};
	c.loop = l;
	CHECK_EQ(io_loop_watch(l, &c.src), 0);
	signal_fd(c.src.fd, 1);
	CHECK_EQ(io_loop_run(l), 0);
	CHECK_EQ(c.calls, 3);
	CHECK_EQ(c.total, 3);
	CHECK_EQ(io_loop_unwatch(l, &c.src), 0);
	close(c.src.fd);
	io_loop_destroy(l);
}

/* A poll that fails reports -errno once and ends the watch. */
static void bad_ready(struct io_source *src, int res)
{
	struct counter *c = container_of(src, struct counter, src);

	c->calls++;
	c->total = (uint64_t)(-res);
	io_loop_stop(c->loop);
}

static void test_bad_fd(void)
{
	struct io_loop *l;
	struct counter c = {0};
	int fd = 4000; /* far above anything this test opens */

	CHECK(fcntl(fd, F_GETFD) < 0);
	CHECK_EQ(test_loop_create(&l), 0);
	c.src = (struct io_source){.fd = fd, .ready = bad_ready};
	c.loop = l;
	CHECK_EQ(io_loop_watch(l, &c.src), 0);
	CHECK_EQ(io_loop_run(l), 0);
	CHECK_EQ(c.calls, 1);
	CHECK_EQ(c.total, EBADF);
	CHECK(!io_source_watched(&c.src));
	io_loop_destroy(l);
}

struct req_state {
	struct io_request wr, poll, nop;
	struct io_loop *loop;
	int pipe[2];
	struct iovec iov[3];
	int wr_res, poll_res, nop_res;
	int done;
};

static void maybe_stop(struct req_state *s)
{
	if (++s->done == 3)
		io_loop_stop(s->loop);
}

static void wr_done(struct io_request *r, int res)
{
	struct req_state *s = container_of(r, struct req_state, wr);

	s->wr_res = res;
	maybe_stop(s);
}

static void poll_done(struct io_request *r, int res)
{
	struct req_state *s = container_of(r, struct req_state, poll);

	s->poll_res = res;
	maybe_stop(s);
}

static void nop_done(struct io_request *r, int res)
{
	struct req_state *s = container_of(r, struct req_state, nop);

	s->nop_res = res;
	maybe_stop(s);
}

static void submit_reqs(void *arg)
{
	struct req_state *s = arg;

	CHECK_EQ(io_loop_writev(s->loop, &s->wr, s->pipe[1], s->iov, 3, -1), 0);
	CHECK_EQ(io_loop_poll_once(s->loop, &s->poll, s->pipe[0], POLLIN), 0);
	CHECK_EQ(io_loop_defer(s->loop, &s->nop), 0);
}

static void *offthread_defer(void *arg)
{
	struct req_state *s = arg;

	/* Not the loop thread while it runs: one-shot submits are refused. */
	CHECK_EQ(io_loop_defer(s->loop, &s->nop), -EPERM);
	return NULL;
}

static void start_reqs(void *arg)
{
	pthread_t t;

	pthread_create(&t, NULL, offthread_defer, arg);
	pthread_join(t, NULL);
	submit_reqs(arg);
}

static void test_requests(void)
{
	static char a[] = "hello ", b[] = "", c[] = "world";
	struct req_state s = {0};
	char buf[32] = {0};

	CHECK_EQ(test_loop_create(&s.loop), 0);
	CHECK_EQ(pipe2(s.pipe, O_CLOEXEC), 0);
	s.wr.done = wr_done;
	s.poll.done = poll_done;
	s.nop.done = nop_done;
	s.iov[0] = (struct iovec){a, 6};
	s.iov[1] = (struct iovec){b, 0};
	s.iov[2] = (struct iovec){c, 5};
	s.nop_res = -1;
	CHECK_EQ(io_loop_call(s.loop, start_reqs, &s), 0);
	CHECK_EQ(io_loop_run(s.loop), 0);
	CHECK_EQ(s.wr_res, 11);
	CHECK(s.poll_res & POLLIN);
	CHECK_EQ(s.nop_res, 0);
	CHECK_EQ(read(s.pipe[0], buf, sizeof(buf)), 11);
	CHECK(!strcmp(buf, "hello world"));
	close(s.pipe[0]);
	close(s.pipe[1]);
	io_loop_destroy(s.loop);
}

/* io_loop_watch from another thread while the loop runs. */
static void *offthread_watch(void *arg)
{
	struct counter *c = arg;

	CHECK_EQ(io_loop_watch(c->loop, &c->src), 0);
	signal_fd(c->src.fd, 5);
	return NULL;
}

static void spawn_watcher(void *arg)
{
	struct counter *c = arg;
	pthread_t t;

	pthread_create(&t, NULL, offthread_watch, c);
	pthread_detach(t);
}

static void test_watch_offthread(void)
{
	struct io_loop *l;
	struct counter c = {0};

	CHECK_EQ(test_loop_create(&l), 0);
	c.src = (struct io_source){.fd = efd(), .ready = counter_ready};
	c.loop = l;
	c.stop_at = 5;
	CHECK_EQ(io_loop_call(l, spawn_watcher, &c), 0);
	CHECK_EQ(io_loop_run(l), 0);
	CHECK_EQ(c.total, 5);
	CHECK_EQ(io_loop_unwatch(l, &c.src), 0);
	close(c.src.fd);
	io_loop_destroy(l);
}

/* io_loop_after_batch(): after the batch's completions, once, res 0. */
struct batch_state;
struct batch_nop {
	struct io_request req;
	struct batch_state *s;
};
struct batch_state {
	struct io_loop *loop;
	struct batch_nop nop[3];
	struct io_request after;
	int done, after_calls, done_at_after;
	bool queued;
};

static void batch_nop_done(struct io_request *req, int res)
{
	struct batch_state *s = container_of(req, struct batch_nop, req)->s;

	(void)res;
	s->done++;
	if (!s->queued) {
		CHECK_EQ(io_loop_after_batch(s->loop, &s->after), 0);
		s->queued = true;
	}
}

static void batch_after(struct io_request *req, int res)
{
	struct batch_state *s = container_of(req, struct batch_state, after);

	CHECK_EQ(res, 0);
	s->after_calls++;
	s->done_at_after = s->done;
	s->queued = false;
	if (s->done == 3)
		io_loop_stop(s->loop);
}

static void batch_start(void *arg)
{
	struct batch_state *s = arg;

	for (int i = 0; i < 3; i++)
		CHECK_EQ(io_loop_defer(s->loop, &s->nop[i].req), 0);
}

static void test_after_batch(void)
{
	struct batch_state s = {0};

	CHECK_EQ(test_loop_create(&s.loop), 0);
	for (int i = 0; i < 3; i++)
		s.nop[i] = (struct batch_nop){{.done = batch_nop_done}, &s};
	s.after.done = batch_after;
	CHECK_EQ(io_loop_call(s.loop, batch_start, &s), 0);
	CHECK_EQ(io_loop_run(s.loop), 0);
	CHECK_EQ(s.done, 3);
	/* Every batch that completed a request ran it once, after them. */
	CHECK(s.after_calls >= 1 && s.after_calls <= 3);
	CHECK_EQ(s.done_at_after, 3);
	io_loop_destroy(s.loop);
}

/*
 * The ring takes only the opcodes the loop uses (IORING_REGISTER_
 * RESTRICTIONS): IORING_OP_READ, which it never submits, is refused with
 * EACCES once the loop is prepared, while READV goes through.
 */
static void test_ring_restricted(void)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	struct io_loop *l;
	char buf[8];
	struct iovec iov = {buf, sizeof(buf)};
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	if (test_loop_kind != IO_LOOP_URING)
		return;
	CHECK_EQ(test_loop_create(&l), 0);
	CHECK_EQ(io_loop_prepare(l), 0);
	if (!l->ring_disabled) {
		printf("ring not created disabled: no restrictions to test\n");
		io_loop_destroy(l);
		close(fd);
		return;
	}
	for (int op = 0; op < 2; op++) {
		sqe = io_uring_get_sqe(&l->ring);
		if (op == 0)
			io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
		else
			io_uring_prep_readv(sqe, fd, &iov, 1, 0);
		CHECK_EQ(io_uring_submit_and_wait(&l->ring, 1), 1);
		CHECK_EQ(io_uring_peek_cqe(&l->ring, &cqe), 0);
		CHECK_EQ(cqe->res, op == 0 ? -EACCES : (int)sizeof(buf));
		io_uring_cqe_seen(&l->ring, cqe);
	}
	io_loop_destroy(l);
	close(fd);
}

int main(void)
{
	test_loop_kinds();
	alarm(60); /* a hang is a failure, not a stuck CI job */
	test_after_batch();
	test_events_from_thread();
	test_stop_before_run();
	test_call_order();
	test_unwatch_in_flight();
	test_rewatch();
	test_bad_fd();
	test_requests();
	test_watch_offthread();
	test_ring_restricted();
	return check_done("test_loop");
}
