/* SPDX-License-Identifier: MIT */
/*
 * A socket console client that drops in the middle of a flood of
 * asynchronous output (as virtio-console's transmit queue makes it): the
 * first client reads 64 KiB and closes with more unread, a second client,
 * connected right after, must get the rest of the flood from some line on
 * without a gap up to the end, and every write must complete: the unit
 * level of the Linux tier's con-socket case, on both io loops.
 */
#include "backends/console.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/util.h"
#include "check.h"
#include "io/loop.h"
#include "loop_kinds.h"

#define LINES 100000 /* "F 1\n" ... "F 100000\n", then "END\n" */

struct flood {
	struct io_loop *loop;
	struct console c;
	struct console_req req;
	struct iovec iov[1];
	char buf[4096];
	unsigned int next; /* next line number */
	bool ended;	   /* "END" queued */
	int completed;	   /* requests done (loop thread) */
	int finished;	   /* atomic: the last request is done */
};

/* Loop thread: the next chunk of whole lines, as a guest driver would. */
static void flood_done(struct console_req *req, int res);

static void flood_next(struct flood *f)
{
	size_t len = 0;

	while (f->next <= LINES && len + 16 < sizeof(f->buf))
		len += (size_t)snprintf(f->buf + len, sizeof(f->buf) - len,
					"F %u\n", f->next++);
	if (!len) {
		if (f->ended) {
			__atomic_store_n(&f->finished, 1, __ATOMIC_RELEASE);
			return;
		}
		len = (size_t)snprintf(f->buf, sizeof(f->buf), "END\n");
		f->ended = true;
	}
	f->iov[0] = (struct iovec){f->buf, len};
	f->req.done = flood_done;
	CHECK_EQ(console_write_async(&f->c, &f->req, f->iov, 1), 0);
}

static void flood_done(struct console_req *req, int res)
{
	struct flood *f = container_of(req, struct flood, req);

	(void)res; /* like the device: errors were reported, go on */
	f->completed++;
	flood_next(f);
}

static void flood_start(void *arg)
{
	flood_next(arg);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	CHECK_EQ(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Read until "END\n" ends the data or the stream ends; returns the bytes. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 20, n = 0;
	char *p = malloc(cap);
	ssize_t r;

	for (;;) {
		if (n >= 4 && !memcmp(p + n - 4, "END\n", 4))
			break;
		if (n == cap)
			p = realloc(p, cap *= 2);
		r = read(fd, p + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	*len = n;
	return p;
}

/* The "F n" lines of @p make one run without a gap up to LINES, then END. */
static bool run_to_end(const char *p, size_t len)
{
	const char *q = p, *end = p + len;
	unsigned int first = 0, want = 0, n;

	/* The first line may be the tail of one cut by the other client. */
	q = memchr(q, '\n', len);
	if (!q)
		return false;
	for (q++; q < end; q = strchr(q, '\n') + 1) {
		if (sscanf(q, "F %u\n", &n) != 1)
			break;
		if (!first)
			first = want = n;
		if (n != want++)
			return false;
	}
	return first && want == LINES + 1 && end - q == 4 &&
	       !memcmp(q, "END\n", 4);
}

static void *client(void *arg)
{
	struct flood *f = arg;
	char buf[65536];
	size_t got = 0, len;
	ssize_t r;
	char *p;
	int fd;

	fd = connect_to(f->c.peer);
	CHECK_EQ(io_loop_call(f->loop, flood_start, f), 0);
	while (got < sizeof(buf) &&
	       (r = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)r;
	CHECK_EQ(got, sizeof(buf));
	CHECK(!memcmp(buf, "F 1\n", 4));
	close(fd); /* more is coming, unread: a reset */
	fd = connect_to(f->c.peer);
	p = read_all(fd, &len);
	if (!run_to_end(p, len))
		fprintf(stderr, "second client: %zu bytes, ending '%.*s'\n",
			len, (int)MIN(len, 16), p + len - MIN(len, 16));
	CHECK(run_to_end(p, len));
	free(p);
	close(fd);
	while (!__atomic_load_n(&f->finished, __ATOMIC_ACQUIRE))
		usleep(1000);
	io_loop_stop(f->loop);
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/test_console_drop.XXXXXX", spec[128], err[256];
	struct flood *f = calloc(1, sizeof(*f));
	pthread_t t;

	test_loop_kinds();
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 77;
	snprintf(spec, sizeof(spec), "socket:%s/s", dir);
	f->next = 1;
	CHECK_EQ(test_loop_create(&f->loop), 0);
	CHECK_EQ(console_open_as(&f->c, spec, "test", err, sizeof(err)), 0);
	CHECK_EQ(console_start(&f->c, f->loop), 0);
	pthread_create(&t, NULL, client, f);
	CHECK_EQ(io_loop_run(f->loop), 0);
	pthread_join(t, NULL);
	CHECK(f->completed > 0);
	console_close(&f->c);
	io_loop_destroy(f->loop);
	free(f);
	rmdir(dir);
	return check_done("test_console_drop");
}
