/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pty and socket console backends with a real peer on
 * another thread: output before any reader is kept and replayed to the
 * first reader, then sync and async output flow directly, input typed by
 * the peer reaches the device side through in_fd, the peer leaving sends
 * output back to the ring, and (socket) the next waiting client takes over
 * and gets the replay. Skips if the host has no ptys.
 */
#include "backends/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/loop.h"
#include "base/util.h"
#include "check.h"
#include "loop_kinds.h"

struct dev {
	struct io_loop *loop;
	struct console c;
	struct io_source in_src;
	char in[256];
	size_t in_len; /* atomic for the peer thread */
	int inputs;
	struct console_req req;
	struct iovec iov[1];
	char out[32];
	int req_res;
};

/* Like a device: read input only through the current in_fd. */
static void dev_input(struct io_source *src, int res)
{
	struct dev *d = container_of(src, struct dev, in_src);
	ssize_t n;

	if (res < 0)
		return;
	for (;;) {
		size_t have = __atomic_load_n(&d->in_len, __ATOMIC_RELAXED);

		n = console_read(&d->c, d->in + have, sizeof(d->in) - have);
		if (n <= 0)
			break;
		__atomic_store_n(&d->in_len, have + (size_t)n,
				 __ATOMIC_RELEASE);
	}
}

static void dev_listener(struct console *c, enum console_event ev, void *opaque)
{
	struct dev *d = opaque;

	if (ev != CONSOLE_EV_INPUT)
		return;
	__atomic_fetch_add(&d->inputs, 1, __ATOMIC_RELEASE);
	if (io_source_watched(&d->in_src))
		io_loop_unwatch(d->loop, &d->in_src);
	if (console_in_fd(c) >= 0) {
		d->in_src = (struct io_source){.fd = console_in_fd(c),
					       .ready = dev_input};
		CHECK_EQ(io_loop_watch(d->loop, &d->in_src), 0);
	}
}

static void dev_req_done(struct console_req *req, int res)
{
	struct dev *d = container_of(req, struct dev, req);

	__atomic_store_n(&d->req_res, res, __ATOMIC_RELEASE);
}

static void dev_async(void *arg)
{
	struct dev *d = arg;

	d->iov[0] = (struct iovec){d->out, strlen(d->out)};
	CHECK_EQ(console_write_async(&d->c, &d->req, d->iov, 1), 0);
}

/* Peer thread: post an async write and wait for it to complete. */
static void async_write(struct dev *d, const char *s)
{
	snprintf(d->out, sizeof(d->out), "%s", s);
	d->req.done = dev_req_done;
	__atomic_store_n(&d->req_res, -12345, __ATOMIC_RELEASE);
	CHECK_EQ(io_loop_call(d->loop, dev_async, d), 0);
	while (__atomic_load_n(&d->req_res, __ATOMIC_ACQUIRE) == -12345)
		usleep(1000);
}

/* Read exactly strlen(want) bytes from @fd and compare. */
static void expect(int fd, const char *want)
{
	size_t len = strlen(want), got = 0;
	char buf[256];
	ssize_t n;

	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	CHECK_EQ(got, len);
	buf[got] = '\0';
	if (strcmp(buf, want))
		fprintf(stderr, "got '%s', want '%s'\n", buf, want);
	CHECK(!strcmp(buf, want));
}

static void wait_input(struct dev *d, const char *want)
{
	size_t len = strlen(want);

	while (__atomic_load_n(&d->in_len, __ATOMIC_ACQUIRE) < len)
		usleep(1000);
	CHECK(!memcmp(d->in, want, len));
	__atomic_store_n(&d->in_len, 0, __ATOMIC_RELEASE);
}

static void wait_detached(struct dev *d)
{
	while (console_in_fd(&d->c) >= 0)
		usleep(1000);
}

static void *pty_peer(void *arg)
{
	struct dev *d = arg;
	int fd;

	CHECK_EQ(console_write(&d->c, "early ", 6), 6);
	fd = open(d->c.peer, O_RDWR | O_NOCTTY);
	CHECK(fd >= 0);
	expect(fd, "early ");
	async_write(d, "async ");
	CHECK_EQ(d->req_res, 6);
	expect(fd, "async ");
	CHECK_EQ(console_write(&d->c, "sync ", 5), 5);
	expect(fd, "sync ");
	CHECK_EQ(write(fd, "input", 5), 5);
	wait_input(d, "input");
	close(fd);
	wait_detached(d);
	CHECK_EQ(console_write(&d->c, "late", 4), 4);
	async_write(d, "r");
	/* A second reader gets what was written meanwhile. */
	fd = open(d->c.peer, O_RDWR | O_NOCTTY);
	expect(fd, "later");
	close(fd);
	io_loop_stop(d->loop);
	return NULL;
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void *sock_peer(void *arg)
{
	struct dev *d = arg;
	int fd, fd2;

	CHECK_EQ(console_write(&d->c, "early ", 6), 6);
	fd = connect_to(d->c.peer);
	expect(fd, "early ");
	async_write(d, "async ");
	expect(fd, "async ");
	CHECK_EQ(write(fd, "input", 5), 5);
	wait_input(d, "input");
	/* A second client waits in the backlog... */
	fd2 = connect_to(d->c.peer);
	CHECK_EQ(console_write(&d->c, "one", 3), 3);
	expect(fd, "one");
	/* ... and takes over when the first leaves. */
	close(fd);
	CHECK_EQ(console_write(&d->c, "two", 3), 3);
	expect(fd2, "two");
	CHECK_EQ(write(fd2, "more", 4), 4);
	wait_input(d, "more");
	close(fd2);
	wait_detached(d);
	async_write(d, "kept");
	fd = connect_to(d->c.peer);
	expect(fd, "kept");
	close(fd);
	io_loop_stop(d->loop);
	return NULL;
}

static void run(const char *spec, void *(*peer)(void *))
{
	struct dev *d = calloc(1, sizeof(*d));
	char err[256];
	pthread_t t;

	CHECK_EQ(test_loop_create(&d->loop), 0);
	CHECK_EQ(console_open_as(&d->c, spec, "test", err, sizeof(err)), 0);
	console_set_listener(&d->c, dev_listener, d);
	CHECK_EQ(d->c.out_fd, -1);
	CHECK_EQ(console_start(&d->c, d->loop), 0);
	pthread_create(&t, NULL, peer, d);
	CHECK_EQ(io_loop_run(d->loop), 0);
	pthread_join(t, NULL);
	CHECK(d->inputs >= 2);
	if (io_source_watched(&d->in_src))
		io_loop_unwatch(d->loop, &d->in_src);
	console_close(&d->c);
	io_loop_destroy(d->loop);
	free(d);
}

int main(void)
{
	char dir[] = "/tmp/test_console_peer.XXXXXX", spec[128];
	int m;

	test_loop_kinds();
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0) {
		printf("no ptys here: %s\n", strerror(errno));
		return 77;
	}
	close(m);
	run("pty", pty_peer);
	if (!mkdtemp(dir))
		return 77;
	snprintf(spec, sizeof(spec), "socket:%s/s", dir);
	run(spec, sock_peer);
	rmdir(dir);
	return check_done("test_console_peer");
}
