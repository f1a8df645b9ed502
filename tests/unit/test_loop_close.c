/* SPDX-License-Identifier: MIT */
/*
 * Unit test of io/loop.c: after io_loop_unwatch() on the loop thread the
 * owner may close the fd, and the file really goes (the peer sees EOF),
 * even when the watch's poll had just fired. A unix socket with a full
 * send buffer is watched for POLLOUT; a handler on the loop thread drains
 * the peer (the poll fires: with deferred task work its completion waits
 * for the loop's next entry into the kernel), unwatches and closes. The
 * poll must not outlive the unwatch holding the socket open.
 */
#include "io/loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/util.h"
#include "check.h"
#include "loop_kinds.h"

enum { ROUNDS = 20, EOF_WAIT_MS = 10000 };

struct round {
	struct io_loop *loop;
	struct io_source sock; /* our end, watched for POLLOUT */
	struct io_source kick; /* eventfd: drain, unwatch, close */
	int peer;
	int closed; /* atomic */
};

static void sock_ready(struct io_source *src, int res)
{
	(void)src;
	(void)res;
}

static void kick_ready(struct io_source *src, int res)
{
	struct round *r = container_of(src, struct round, kick);
	char buf[4096];
	uint64_t v;

	CHECK(res > 0);
	(void)!read(src->fd, &v, sizeof(v));
	/* Make our end writable: its POLLOUT poll fires now. */
	while (recv(r->peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	CHECK_EQ(io_loop_unwatch(r->loop, &r->sock), 0);
	close(r->sock.fd);
	r->sock.fd = -1;
	CHECK_EQ(io_loop_unwatch(r->loop, src), 0);
	__atomic_store_n(&r->closed, 1, __ATOMIC_RELEASE);
}

static void *loop_thread(void *arg)
{
	CHECK_EQ(io_loop_run(arg), 0);
	return NULL;
}

/* Fill @fd's send buffer (nonblocking) until it would block. */
static void fill(int fd)
{
	char buf[4096];

	memset(buf, 'x', sizeof(buf));
	while (send(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	CHECK_EQ(errno, EAGAIN);
}

/* One round; false if the peer never saw EOF. */
static bool one_round(struct io_loop *l)
{
	struct round r = {.loop = l};
	struct pollfd pfd;
	int sv[2];
	char c;
	bool eof;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0, sv),
		 0);
	fill(sv[0]);
	r.peer = sv[1];
	r.sock = (struct io_source){
	    .fd = sv[0], .events = POLLOUT, .ready = sock_ready};
	r.kick =
	    (struct io_source){.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC),
			       .events = POLLIN,
			       .ready = kick_ready};
	CHECK(r.kick.fd >= 0);
	CHECK_EQ(io_loop_watch(l, &r.sock), 0);
	CHECK_EQ(io_loop_watch(l, &r.kick), 0);
	/* Let the loop arm both polls before the kick can fire. */
	usleep(10000);
	(void)!write(r.kick.fd, &(uint64_t){1}, sizeof(uint64_t));
	while (!__atomic_load_n(&r.closed, __ATOMIC_ACQUIRE))
		usleep(1000);
	/* The peer: drained by the handler, now expecting EOF. */
	pfd = (struct pollfd){.fd = sv[1], .events = POLLIN};
	eof = poll(&pfd, 1, EOF_WAIT_MS) == 1 &&
	      recv(sv[1], &c, 1, MSG_DONTWAIT) == 0;
	CHECK(eof);
	close(sv[1]);
	close(r.kick.fd);
	return eof;
}

static void test_close_after_unwatch(void)
{
	struct io_loop *l;
	pthread_t t;

	CHECK_EQ(test_loop_create(&l), 0);
	CHECK_EQ(pthread_create(&t, NULL, loop_thread, l), 0);
	for (unsigned int i = 0; i < ROUNDS; i++) {
		if (!one_round(l)) {
			fprintf(stderr, "round %u: no EOF\n", i);
			break;
		}
	}
	io_loop_stop(l);
	pthread_join(t, NULL);
	io_loop_destroy(l);
}

int main(void)
{
	test_loop_kinds();
	alarm(60); /* a hang is a failure, not a stuck CI job */
	test_close_after_unwatch();
	return check_done("test_loop_close");
}
