/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of backends/console.c over a pipe backend defined here: backend
 * lookup and error texts, synchronous writes, asynchronous writes that
 * need many short writes (a slow reader on a 4 KiB pipe), requests
 * completing in order, EAGAIN on a nonblocking pipe, capture while nobody
 * reads, a reader that goes away (EPIPE -> detach -> capture), reads, and
 * console_shutdown(): a writer stuck on a full pipe nobody reads (or on a
 * replay the stopped loop will not finish) gives up and the close says
 * how many bytes were lost, once; a reader that reads still gets all.
 */
#include "backends/console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/loop.h"
#include "base/util.h"
#include "capture.h"
#include "check.h"
#include "loop_kinds.h"
#include "waits.h"

/* ---- a pipe backend: the test keeps the other ends ---------------- */

struct pipe_be {
	int to_host[2];	 /* guest output arrives at to_host[0] */
	int to_guest[2]; /* the test writes input to to_guest[1] */
	bool detach_on_error;
	bool start_detached;
	int errors;
};

static struct pipe_be *the_be;

static int pipe_open(struct console *c, const char *arg)
{
	(void)arg;
	c->priv = the_be;
	if (!the_be->start_detached) {
		c->out_fd = the_be->to_host[1];
		c->in_fd = the_be->to_guest[0];
	}
	return console_ring_init(c, 64);
}

static void pipe_close(struct console *c)
{
	c->priv = NULL;
}

static bool pipe_out_error(struct console *c, int err)
{
	struct pipe_be *be = c->priv;

	be->errors++;
	(void)err;
	if (!be->detach_on_error)
		return false;
	console_detach_locked(c);
	return true;
}

static const struct console_backend_ops pipe_ops = {
    .name = "pipe",
    .open = pipe_open,
    .close = pipe_close,
    .out_error = pipe_out_error,
};

static void be_init(struct pipe_be *be)
{
	memset(be, 0, sizeof(*be));
	CHECK_EQ(pipe2(be->to_host, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(be->to_guest, O_CLOEXEC | O_NONBLOCK), 0);
	/* A small pipe forces many short writes. */
	(void)fcntl(be->to_host[1], F_SETPIPE_SZ, 4096);
	the_be = be;
}

static void be_fini(struct pipe_be *be)
{
	for (int i = 0; i < 2; i++) {
		if (be->to_host[i] >= 0)
			close(be->to_host[i]);
		close(be->to_guest[i]);
	}
}

static void test_specs(void)
{
	struct console c;
	char err[128];

	CHECK(console_spec_valid("stdio"));
	CHECK(console_spec_valid("none"));
	CHECK(console_spec_valid("pty"));
	CHECK(console_spec_valid("file:/tmp/x"));
	CHECK(console_spec_valid("socket:/tmp/x.sock"));
	CHECK(!console_spec_valid("file"));
	CHECK(!console_spec_valid("file:"));
	CHECK(!console_spec_valid("none:x"));
	CHECK(!console_spec_valid("bogus"));
	CHECK(!console_spec_valid(""));
	CHECK(!console_spec_valid(NULL));
	CHECK_EQ(console_open(&c, "bogus", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "unknown console backend 'bogus'") != NULL);
	CHECK_EQ(console_open(&c, "file", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "needs a path") != NULL);
	CHECK_EQ(console_open(&c, "file:/nonexistent/dir/x", err, sizeof(err)),
		 -ENOENT);
	CHECK(!strcmp(err, "file:/nonexistent/dir/x: No such file or "
			   "directory"));
	/* A failed console closes as a no-op, twice. */
	console_close(&c);
	console_close(&c);
	CHECK_EQ(console_open(&c, "none", err, sizeof(err)), 0);
	CHECK_EQ(console_write(&c, "dropped", 7), 7);
	CHECK_EQ(console_read(&c, err, sizeof(err)), -EAGAIN);
	console_close(&c);
	console_close(&c);
}

/* ---- async writes ---------------------------------------------------- */

#define BIG  (1u << 20)
#define NREQ 3
#define NIOV 1500 /* more than IOV_MAX: split submissions */

struct async_state;

struct areq {
	struct console_req req;
	struct async_state *s;
	int i;
};

struct async_state {
	struct io_loop *loop;
	struct console con;
	struct areq req[NREQ];
	struct iovec iov[NREQ][NIOV];
	unsigned char *data;
	int order[NREQ];
	int res[NREQ];
	int ndone;
};

static void async_done(struct console_req *req, int res)
{
	struct areq *a = container_of(req, struct areq, req);
	struct async_state *s = a->s;
	int i = a->i;

	s->order[s->ndone++] = i;
	s->res[i] = res;
	if (s->ndone == NREQ)
		io_loop_stop(s->loop);
}

static void async_submit(void *arg)
{
	struct async_state *s = arg;
	size_t per = BIG / NREQ / NIOV, off = 0;

	for (int r = 0; r < NREQ; r++) {
		for (int i = 0; i < NIOV; i++) {
			/* Sprinkle zero-length entries among the data. */
			size_t len = (i % 7 == 3) ? 0 : per;

			s->iov[r][i] = (struct iovec){s->data + off, len};
			off += len;
		}
		s->req[r].s = s;
		s->req[r].i = r;
		s->req[r].req.done = async_done;
		CHECK_EQ(console_write_async(&s->con, &s->req[r].req, s->iov[r],
					     NIOV),
			 0);
	}
}

struct drain_arg {
	int fd;
	unsigned char *buf;
	size_t len, got;
};

static void *drain_thread(void *p)
{
	struct drain_arg *d = p;
	ssize_t n;

	/* A slow reader: small reads, so the writer sees short writes. */
	while ((n = read(d->fd, d->buf + d->got,
			 MIN((size_t)1000, d->len - d->got))) > 0)
		d->got += (size_t)n;
	return NULL;
}

static size_t expected_len(void)
{
	size_t per = BIG / NREQ / NIOV, t = 0;

	for (int i = 0; i < NIOV; i++)
		t += (i % 7 == 3) ? 0 : per;
	return t * NREQ;
}

static void test_async(bool nonblocking)
{
	struct async_state *s = calloc(1, sizeof(*s));
	struct pipe_be be;
	struct drain_arg d = {0};
	size_t want = expected_len();
	pthread_t t;

	be_init(&be);
	if (nonblocking)
		fcntl(be.to_host[1], F_SETFL, O_NONBLOCK);
	s->data = malloc(BIG);
	for (size_t i = 0; i < BIG; i++)
		s->data[i] = (unsigned char)(i * 7 + i / 251);
	CHECK_EQ(test_loop_create(&s->loop), 0);
	CHECK_EQ(console_open_ops(&s->con, &pipe_ops, NULL, "pipe", NULL, 0),
		 0);
	CHECK_EQ(console_start(&s->con, s->loop), 0);
	d = (struct drain_arg){
	    .fd = be.to_host[0], .buf = malloc(BIG), .len = BIG};
	pthread_create(&t, NULL, drain_thread, &d);
	CHECK_EQ(io_loop_call(s->loop, async_submit, s), 0);
	CHECK_EQ(io_loop_run(s->loop), 0);
	close(be.to_host[1]);
	be.to_host[1] = -1;
	pthread_join(t, NULL);
	CHECK_EQ(s->ndone, NREQ);
	for (int i = 0; i < NREQ; i++) {
		CHECK_EQ(s->order[i], i);
		CHECK_EQ(s->res[i], want / NREQ);
	}
	CHECK_EQ(d.got, want);
	CHECK(!memcmp(d.buf, s->data, want));
	CHECK_EQ(be.errors, 0);
	console_close(&s->con);
	io_loop_destroy(s->loop);
	be_fini(&be);
	free(d.buf);
	free(s->data);
	free(s);
}

/* One async request with its own stop. */
struct one {
	struct io_loop *loop;
	struct console *c;
	struct console_req req;
	struct iovec iov[2];
	int res;
};

static void one_done(struct console_req *req, int res)
{
	struct one *o = container_of(req, struct one, req);

	o->res = res;
	io_loop_stop(o->loop);
}

static void one_submit(void *arg)
{
	struct one *o = arg;

	o->req.done = one_done;
	CHECK_EQ(console_write_async(o->c, &o->req, o->iov, 2), 0);
}

static int one_write(struct io_loop *l, struct console *c, const char *a,
		     const char *b)
{
	struct one o = {.loop = l, .c = c, .res = -12345};

	o.iov[0] = (struct iovec){(void *)(uintptr_t)a, strlen(a)};
	o.iov[1] = (struct iovec){(void *)(uintptr_t)b, strlen(b)};
	CHECK_EQ(io_loop_call(l, one_submit, &o), 0);
	CHECK_EQ(io_loop_run(l), 0);
	return o.res;
}

/* Nobody reads: capture; a reader that vanished: detach, then capture. */
static void test_capture_and_detach(void)
{
	struct io_loop *l;
	struct console c;
	struct pipe_be be;
	char buf[16] = {0};

	be_init(&be);
	CHECK_EQ(test_loop_create(&l), 0);
	CHECK_EQ(console_open_ops(&c, &pipe_ops, NULL, NULL, NULL, 0), 0);
	CHECK_EQ(console_start(&c, l), 0);
	CHECK_EQ(one_write(l, &c, "ab", "cd"), 4);
	CHECK_EQ(read(be.to_host[0], buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "abcd", 4));
	/* The reader goes away: EPIPE, not detached: reported. */
	close(be.to_host[0]);
	be.to_host[0] = -1;
	CHECK_EQ(one_write(l, &c, "ef", "gh"), -EPIPE);
	CHECK_EQ(console_write(&c, "x", 1), -EPIPE);
	CHECK_EQ(be.errors, 2);
	/* Now the backend detaches on error: the bytes are captured. */
	be.detach_on_error = true;
	CHECK_EQ(one_write(l, &c, "ij", "kl"), 4);
	CHECK_EQ(c.out_fd, -1);
	CHECK_EQ(c.ring.len, 4);
	CHECK_EQ(console_write(&c, "mn", 2), 2);
	CHECK_EQ(one_write(l, &c, "", ""), 0);
	CHECK_EQ(c.ring.len, 6);
	CHECK(!memcmp(c.ring.buf, "ijklmn", 6));
	console_close(&c);
	io_loop_destroy(l);
	be_fini(&be);
}

static void test_sync_and_read(void)
{
	struct console c;
	struct pipe_be be;
	char buf[16] = {0};

	be_init(&be);
	CHECK_EQ(console_open_ops(&c, &pipe_ops, NULL, NULL, NULL, 0), 0);
	CHECK_EQ(console_write(&c, "hello", 5), 5);
	CHECK_EQ(read(be.to_host[0], buf, sizeof(buf)), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(console_read(&c, buf, sizeof(buf)), -EAGAIN);
	CHECK_EQ(write(be.to_guest[1], "in", 2), 2);
	CHECK_EQ(console_read(&c, buf, 1), 1);
	CHECK_EQ(buf[0], 'i');
	CHECK_EQ(console_read(&c, buf, sizeof(buf)), 1);
	CHECK_EQ(buf[0], 'n');
	close(be.to_guest[1]);
	be.to_guest[1] = open("/dev/null", O_RDONLY);
	CHECK_EQ(console_read(&c, buf, sizeof(buf)), 0); /* EOF */
	console_close(&c);
	be_fini(&be);
}

/* ---- a reader arrives: the ring is replayed ahead of new output --- */

struct replay_state {
	struct io_loop *loop;
	struct console c;
	struct pipe_be *be;
	struct one o;
	int inputs;
	pthread_t writer;
};

static void replay_listener(struct console *c, enum console_event ev,
			    void *opaque)
{
	struct replay_state *st = opaque;

	(void)c;
	if (ev == CONSOLE_EV_INPUT)
		st->inputs++;
}

static void *sync_writer(void *arg)
{
	struct replay_state *st = arg;

	CHECK_EQ(console_write(&st->c, "SYNC", 4), 4);
	return NULL;
}

static void replay_o_done(struct console_req *req, int res)
{
	struct one *o = container_of(req, struct one, req);

	o->res = res;
}

static void do_attach(void *arg)
{
	struct replay_state *st = arg;

	console_attach(&st->c, st->be->to_guest[0], st->be->to_host[1]);
	CHECK(st->c.replaying);
	/* Queued behind the replay. */
	st->o.req.done = replay_o_done;
	st->o.iov[0] = (struct iovec){(void *)(uintptr_t) "CCC", 3};
	st->o.iov[1] = (struct iovec){NULL, 0};
	CHECK_EQ(console_write_async(&st->c, &st->o.req, st->o.iov, 2), 0);
	/* Blocks until the replay is out. */
	pthread_create(&st->writer, NULL, sync_writer, st);
}

static void stop_loop(void *arg)
{
	io_loop_stop(arg);
}

static void test_replay(void)
{
	struct replay_state st = {0};
	struct pipe_be be;
	char want[80], got[128] = {0}, big[100];
	ssize_t n;

	be_init(&be);
	be.start_detached = true;
	st.be = &be;
	CHECK_EQ(test_loop_create(&st.loop), 0);
	CHECK_EQ(console_open_ops(&st.c, &pipe_ops, NULL, NULL, NULL, 0), 0);
	console_set_listener(&st.c, replay_listener, &st);
	CHECK_EQ(console_start(&st.c, st.loop), 0);
	CHECK_EQ(st.c.out_fd, -1);
	/* 100 + 6 bytes into a 64-byte ring: the last 64 stay. */
	for (int i = 0; i < 100; i++)
		big[i] = (char)('a' + i % 26);
	CHECK_EQ(console_write(&st.c, big, 100), 100);
	CHECK_EQ(one_write(st.loop, &st.c, "XY", "Z"), 3);
	CHECK_EQ(console_write(&st.c, "END", 3), 3);
	CHECK_EQ(st.c.ring.len, 64);
	CHECK_EQ(st.c.ring.dropped, 42);
	memcpy(want, big + 42, 58);
	memcpy(want + 58, "XYZEND", 6);
	CHECK_EQ(io_loop_call(st.loop, do_attach, &st), 0);
	/* Give the replay, the async write and the sync writer time. */
	CHECK_EQ(io_loop_call(st.loop, stop_loop, st.loop), 0);
	CHECK_EQ(io_loop_run(st.loop), 0);
	while (st.o.res != 3 || st.c.replaying) {
		CHECK_EQ(io_loop_call(st.loop, stop_loop, st.loop), 0);
		CHECK_EQ(io_loop_run(st.loop), 0);
	}
	pthread_join(st.writer, NULL);
	n = read(be.to_host[0], got, sizeof(got));
	CHECK_EQ(n, 64 + 3 + 4);
	CHECK(!memcmp(got, want, 64));
	CHECK(!memcmp(got + 64, "CCCSYNC", 7) ||
	      !memcmp(got + 64, "SYNCCCC", 7));
	CHECK_EQ(st.c.ring.len, 0);
	CHECK_EQ(st.c.ring.dropped, 0);
	CHECK(st.inputs >= 1);
	console_close(&st.c);
	io_loop_destroy(st.loop);
	be_fini(&be);
}

/* ---- console_shutdown() -------------------------------------------- */

struct stuck {
	struct console *c;
	const char *text;
	pid_t tid;
	bool started, done; /* atomic */
	ssize_t res;
};

static void *stuck_writer(void *arg)
{
	struct stuck *w = arg;

	w->tid = gettid();
	__atomic_store_n(&w->started, true, __ATOMIC_RELEASE);
	w->res = console_write(w->c, w->text, strlen(w->text));
	__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Fill the blocking pipe @be->to_host (stdout, say) to the brim. */
static size_t fill_pipe(struct pipe_be *be)
{
	char junk[512];
	size_t n = 0;
	ssize_t k;

	memset(junk, 'J', sizeof(junk));
	fcntl(be->to_host[1], F_SETFL, O_NONBLOCK);
	while ((k = write(be->to_host[1], junk, sizeof(junk))) > 0)
		n += (size_t)k;
	fcntl(be->to_host[1], F_SETFL, 0);
	return n;
}

static void start_stuck(struct stuck *w, struct console *c, const char *text,
			pthread_t *t)
{
	*w = (struct stuck){.c = c, .text = text};
	pthread_create(t, NULL, stuck_writer, w);
	CHECK(wait_flag(&w->started) && wait_asleep(w->tid));
	CHECK(!__atomic_load_n(&w->done, __ATOMIC_ACQUIRE));
}

/* Nobody reads: the stuck writer gives up; one line at close. */
static void test_shutdown_stuck(void)
{
	struct console c;
	struct pipe_be be;
	struct stuck w;
	pthread_t t;
	char *log;

	be_init(&be);
	CHECK(fill_pipe(&be) > 0);
	CHECK_EQ(console_open_ops(&c, &pipe_ops, NULL, "pipe", NULL, 0), 0);
	start_stuck(&w, &c, "hello", &t);
	console_shutdown(&c, 50);
	if (!wait_flag(&w.done)) {
		fprintf(stderr, "the writer never gave up\n");
		CHECK(false);
		return; /* stuck for good: no clean-up */
	}
	pthread_join(t, NULL);
	CHECK_EQ(w.res, -ETIMEDOUT);
	/* Later writers give up at once. */
	CHECK_EQ(console_write(&c, "more", 4), -ETIMEDOUT);
	capture_begin();
	console_close(&c);
	log = capture_end();
	CHECK_EQ(capture_count(log, ""), 1);
	CHECK_EQ(capture_count(log, "vmm: warning: console: pipe: 9 bytes of "
				    "output not written: nobody took them "
				    "while the VM stopped"),
		 1);
	free(log);
	be_fini(&be);
}

/* A reader that reads after the shutdown still gets every byte. */
static void test_shutdown_live_reader(void)
{
	struct console c;
	struct pipe_be be;
	struct stuck w;
	char buf[8192];
	size_t fill, n;
	pthread_t t;
	char *log;

	be_init(&be);
	fill = fill_pipe(&be);
	CHECK_EQ(console_open_ops(&c, &pipe_ops, NULL, "pipe", NULL, 0), 0);
	start_stuck(&w, &c, "tail", &t);
	console_shutdown(&c, 60000);
	fcntl(be.to_host[0], F_SETFL, O_NONBLOCK);
	n = read_for(be.to_host[0], buf, fill + 4);
	CHECK(wait_flag(&w.done));
	pthread_join(t, NULL);
	CHECK_EQ(w.res, 4);
	CHECK_EQ(n, fill + 4);
	CHECK(!memcmp(buf + fill, "tail", 4));
	capture_begin();
	console_close(&c);
	log = capture_end();
	CHECK_EQ(capture_count(log, ""), 0);
	free(log);
	be_fini(&be);
}

static void attach_full(void *arg)
{
	struct console *c = arg;

	console_attach(c, the_be->to_guest[0], the_be->to_host[1]);
	io_loop_stop(c->loop);
}

/* A replay the stopped loop will never finish: give up at once. */
static void test_shutdown_replay(void)
{
	struct io_loop *l;
	struct console c;
	struct pipe_be be;
	struct stuck w;
	pthread_t t;
	char *log;

	be_init(&be);
	be.start_detached = true;
	CHECK(fill_pipe(&be) > 0);
	CHECK_EQ(test_loop_create(&l), 0);
	CHECK_EQ(console_open_ops(&c, &pipe_ops, NULL, "pipe", NULL, 0), 0);
	CHECK_EQ(console_start(&c, l), 0);
	CHECK_EQ(console_write(&c, "ring", 4), 4);
	CHECK_EQ(io_loop_call(l, attach_full, &c), 0);
	CHECK_EQ(io_loop_run(l), 0);
	CHECK(c.replaying);
	start_stuck(&w, &c, "late", &t);
	console_shutdown(&c, 600000); /* not the grace: at once */
	if (!wait_flag(&w.done)) {
		fprintf(stderr, "the writer waited for the replay\n");
		CHECK(false);
		return;
	}
	pthread_join(t, NULL);
	CHECK_EQ(w.res, -ETIMEDOUT);
	capture_begin();
	console_close(&c);
	log = capture_end();
	CHECK_EQ(capture_count(log, "pipe: 4 bytes of output not written"), 1);
	free(log);
	io_loop_destroy(l);
	be_fini(&be);
}

int main(void)
{
	test_loop_kinds();
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	test_specs();
	test_sync_and_read();
	test_async(false);
	test_async(true);
	test_capture_and_detach();
	test_replay();
	test_shutdown_stuck();
	test_shutdown_live_reader();
	test_shutdown_replay();
	return check_done("test_console");
}
