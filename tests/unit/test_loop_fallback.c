/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the epoll io loop's own promises (io/loop_epoll.c) and of
 * the choice between the loops: a done() never runs inside its
 * submission; a source unwatched by an earlier ready() of the same batch
 * gets no ready() (ASan checks nothing touches it); a sendmsg to a full
 * socket, and a writev to a full blocking pipe, wait for room instead of
 * failing or blocking the loop. A child process whose seccomp filter
 * refuses io_uring_setup (ENOSYS, then EPERM) gets an epoll loop with
 * IO_LOOP_AUTO, said once at info level, and an error with IO_LOOP_URING,
 * as vmm_start() does.
 */
#include "io/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include <vmm/vmm.h>

#include "base/log.h"
#include "base/util.h"
#include "check.h"
#include "loop_kinds.h"

/* ---- done() never inside the submission --------------------------------- */

struct sub {
	struct io_loop *loop;
	struct io_request req[4];
	struct iovec iov;
	int pipe[2];
	bool submitting; /* set around each submission */
	int done, inside;
	char byte;
};

static struct sub the_sub;

static void sub_any_done(struct io_request *req, int res)
{
	struct sub *s = &the_sub;

	/* fsync(2) of a pipe is -EINVAL, on either loop. */
	CHECK(res >= 0 || (req == &s->req[2] && res == -EINVAL));
	CHECK(io_loop_on_thread(s->loop));
	if (s->submitting)
		s->inside++;
	if (++s->done == 4)
		io_loop_stop(s->loop);
}

static void sub_start(void *arg)
{
	struct sub *s = arg;

	s->submitting = true;
	CHECK_EQ(
	    io_loop_writev(s->loop, &s->req[0], s->pipe[1], &s->iov, 1, -1), 0);
	CHECK_EQ(io_loop_defer(s->loop, &s->req[1]), 0);
	CHECK_EQ(io_loop_fsync(s->loop, &s->req[2], s->pipe[1], false), 0);
	CHECK_EQ(io_loop_poll_once(s->loop, &s->req[3], s->pipe[0], POLLIN), 0);
	s->submitting = false;
}

static void test_done_later(void)
{
	struct sub *s = &the_sub;

	memset(s, 0, sizeof(*s));
	CHECK_EQ(test_loop_create(&s->loop), 0);
	CHECK_EQ(pipe2(s->pipe, O_CLOEXEC), 0);
	s->byte = 'x';
	s->iov = (struct iovec){&s->byte, 1};
	for (int i = 0; i < 4; i++)
		s->req[i].done = sub_any_done;
	CHECK_EQ(io_loop_call(s->loop, sub_start, s), 0);
	CHECK_EQ(io_loop_run(s->loop), 0);
	CHECK_EQ(s->done, 4);
	CHECK_EQ(s->inside, 0);
	close(s->pipe[0]);
	close(s->pipe[1]);
	io_loop_destroy(s->loop);
}

/* ---- unwatch a later source of the same batch -----------------------------
 */

enum { NSRC = 4 };

struct batch {
	struct io_loop *loop;
	struct io_source *src[NSRC];
	int calls;
};

static struct batch the_batch;

static void batch_ready(struct io_source *src, int res)
{
	struct batch *b = &the_batch;

	CHECK(res > 0);
	b->calls++;
	/* The first to run unwatches, closes and frees all the others. */
	for (int i = 0; i < NSRC; i++) {
		if (!b->src[i] || b->src[i] == src)
			continue;
		CHECK_EQ(io_loop_unwatch(b->loop, b->src[i]), 0);
		close(b->src[i]->fd);
		free(b->src[i]);
		b->src[i] = NULL;
	}
	io_loop_stop(b->loop);
}

static void test_unwatch_later(void)
{
	struct batch *b = &the_batch;

	memset(b, 0, sizeof(*b));
	CHECK_EQ(test_loop_create(&b->loop), 0);
	for (int i = 0; i < NSRC; i++) {
		b->src[i] = calloc(1, sizeof(*b->src[i]));
		*b->src[i] = (struct io_source){
		    .fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC),
		    .ready = batch_ready,
		};
		CHECK_EQ(io_loop_watch(b->loop, b->src[i]), 0);
	}
	CHECK_EQ(io_loop_run(b->loop), 0);
	CHECK_EQ(b->calls, 1);
	for (int i = 0; i < NSRC; i++) {
		if (!b->src[i])
			continue;
		CHECK_EQ(io_loop_unwatch(b->loop, b->src[i]), 0);
		close(b->src[i]->fd);
		free(b->src[i]);
	}
	io_loop_destroy(b->loop);
}

/* ---- writes that must wait for room ---------------------------------------
 */

struct room {
	struct io_loop *loop;
	struct io_request req;
	struct io_source tick; /* a timerless kick: drains the peer */
	struct msghdr msg;
	struct iovec iov;
	char data[1000];
	int ours, peer;
	bool use_sendmsg;
	int res, ticks;
	bool done;
};

static void room_done(struct io_request *req, int res)
{
	struct room *r = container_of(req, struct room, req);

	r->res = res;
	r->done = true;
	io_loop_stop(r->loop);
}

/* Another source keeps running while the write waits: drain the peer. */
static void room_tick(struct io_source *src, int res)
{
	struct room *r = container_of(src, struct room, tick);
	static char sink[65536];
	uint64_t v;

	CHECK(res > 0);
	(void)!read(src->fd, &v, sizeof(v));
	r->ticks++;
	while (read(r->peer, sink, sizeof(sink)) > 0)
		;
}

static void room_submit(void *arg)
{
	struct room *r = arg;

	if (r->use_sendmsg) {
		r->msg = (struct msghdr){.msg_iov = &r->iov, .msg_iovlen = 1};
		CHECK_EQ(io_loop_sendmsg(r->loop, &r->req, r->ours, &r->msg,
					 MSG_NOSIGNAL),
			 0);
	} else {
		CHECK_EQ(
		    io_loop_writev(r->loop, &r->req, r->ours, &r->iov, 1, -1),
		    0);
	}
	/* Not done yet: there is no room. Now make some, from the loop. */
	CHECK(!r->done);
	(void)!write(r->tick.fd, &(uint64_t){1}, sizeof(uint64_t));
}

static void fill(int fd)
{
	static char junk[4096];
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while (write(fd, junk, sizeof(junk)) > 0)
		;
	fcntl(fd, F_SETFL, fl);
}

static void test_wait_for_room(bool use_sendmsg)
{
	struct room *r = calloc(1, sizeof(*r));
	int sv[2];

	CHECK_EQ(test_loop_create(&r->loop), 0);
	r->use_sendmsg = use_sendmsg;
	if (use_sendmsg) {
		/* A nonblocking socket: sendmsg says EAGAIN, the loop waits. */
		CHECK_EQ(socketpair(AF_UNIX,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				    0, sv),
			 0);
	} else {
		/* A blocking pipe: a write must not block the loop thread. */
		CHECK_EQ(pipe2(sv, O_CLOEXEC), 0);
		int t = sv[0];

		sv[0] = sv[1];
		sv[1] = t;
		fcntl(sv[1], F_SETFL, O_NONBLOCK);
	}
	r->ours = sv[0];
	r->peer = sv[1];
	fill(r->ours);
	memset(r->data, 'd', sizeof(r->data));
	r->iov = (struct iovec){r->data, sizeof(r->data)};
	r->req.done = room_done;
	r->tick = (struct io_source){
	    .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
	    .ready = room_tick,
	};
	CHECK_EQ(io_loop_watch(r->loop, &r->tick), 0);
	CHECK_EQ(io_loop_call(r->loop, room_submit, r), 0);
	alarm(20);
	CHECK_EQ(io_loop_run(r->loop), 0);
	alarm(0);
	CHECK(r->done);
	CHECK(r->ticks >= 1);
	CHECK(r->res > 0 && r->res <= (int)sizeof(r->data));
	CHECK_EQ(io_loop_unwatch(r->loop, &r->tick), 0);
	close(r->tick.fd);
	close(r->ours);
	close(r->peer);
	io_loop_destroy(r->loop);
	free(r);
}

/* ---- io_uring refused ------------------------------------------------------
 */

/* This process (a child) gets @err from io_uring_setup from now on. */
static int refuse_io_uring(int err)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ((unsigned int)err &
							   SECCOMP_RET_DATA)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = ARRAY_SIZE(f), .filter = f};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

struct lines {
	int info_refused, errors, total;
};

static void count_line(void *opaque, enum vmm_log_level level, const char *line)
{
	struct lines *n = opaque;

	n->total++;
	if (level == VMM_LOG_ERROR)
		n->errors++;
	if (level == VMM_LOG_INFO && strstr(line, "io_uring refused") &&
	    strstr(line, "epoll"))
		n->info_refused++;
}

/* In the filtered child: the loop itself. */
static void refused_loop(int err)
{
	struct log_sink sink = {.level = LOG_DEBUG, .fn = count_line};
	struct lines n = {0};
	const struct log_sink *prev;
	struct io_loop *l;

	sink.opaque = &n;
	prev = log_sink_enter(&sink);
	CHECK_EQ(io_loop_create(&l, IO_LOOP_AUTO), 0);
	CHECK_EQ(io_loop_kind(l), IO_LOOP_EPOLL);
	CHECK_EQ(n.info_refused, 1);
	CHECK_EQ(n.errors, 0);
	io_loop_stop(l);
	CHECK_EQ(io_loop_run(l), 0);
	io_loop_destroy(l);
	/* Forced: the kernel's refusal, as an error. */
	CHECK_EQ(io_loop_create(&l, IO_LOOP_URING), -err);
	CHECK_EQ(n.errors, 1);
	/* epoll asked for: no word about io_uring. */
	CHECK_EQ(io_loop_create(&l, IO_LOOP_EPOLL), 0);
	CHECK_EQ(io_loop_kind(l), IO_LOOP_EPOLL);
	io_loop_destroy(l);
	CHECK_EQ(n.info_refused, 1);
	log_sink_enter(prev);
}

/* In the filtered child: what vmm_start() makes of it (no KVM needed). */
static void refused_vmm(int err)
{
	static const char junk[4096] = "not a kernel";
	struct lines n = {0};
	struct vmm *vm;

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_set_kernel_mem(vm, junk, sizeof(junk), NULL, 0, NULL), 0);
	CHECK_EQ(vmm_set_io_loop(vm, VMM_IO_LOOP_URING), 0);
	CHECK_EQ(vmm_start(vm), -err);
	CHECK(strstr(vmm_last_error(vm), "io_uring") != NULL);
	CHECK(strstr(vmm_last_error(vm), "refuses") != NULL);
	vmm_destroy(vm);
	/* AUTO: past the loop (to the junk kernel), said once. */
	CHECK_EQ(vmm_create(&vm), 0);
	CHECK_EQ(vmm_set_log(vm, VMM_LOG_INFO, count_line, &n), 0);
	CHECK_EQ(vmm_set_kernel_mem(vm, junk, sizeof(junk), NULL, 0, NULL), 0);
	CHECK(vmm_start(vm) < 0);
	CHECK(strstr(vmm_last_error(vm), "io_uring") == NULL);
	CHECK_EQ(n.info_refused, 1);
	vmm_destroy(vm);
}

static void test_refused(int err)
{
	pid_t pid;
	int st, r;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		r = refuse_io_uring(err);
		if (r) {
			printf("seccomp: %s\n", strerror(-r));
			exit(77);
		}
		refused_loop(err);
		refused_vmm(err);
		exit(check_done("test_loop_fallback (io_uring refused)"));
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77);
}

int main(void)
{
	alarm(60); /* a hang is a failure, not a stuck CI job */
	test_refused(ENOSYS);
	test_refused(EPERM);
	test_loop_kinds();
	alarm(60);
	test_done_later();
	test_unwatch_later();
	test_wait_for_room(true);
	test_wait_for_room(false);
	return check_done("test_loop_fallback");
}
