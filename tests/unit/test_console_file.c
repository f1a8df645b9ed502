/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the file:PATH console backend: truncation, synchronous and
 * asynchronous output arriving byte-exact and in order, ENOSPC (on
 * /dev/full) reported as an error to every writer without stopping the
 * loop, and a file that stops growing in the middle of a write (a file
 * size limit, as a file system filling up) keeping exactly what went in
 * before, in order: the file backend's own file and a regular file given
 * as a descriptor (a stdout redirected with ">").
 */
#include "backends/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/loop.h"
#include "base/util.h"
#include "check.h"
#include "loop_kinds.h"

#define NCHUNK 64
#define CHUNK  (64 * 1024 + 3)

struct fstate {
	struct io_loop *loop;
	struct console con;
	struct console_req req[NCHUNK];
	struct iovec iov[NCHUNK];
	unsigned char *data;
	int res[NCHUNK];
	int ndone;
};

/* One test state at a time; the requests index into it. */
static struct fstate *the_state;

static void chunk_done(struct console_req *req, int res)
{
	struct fstate *s = the_state;

	s->res[req - s->req] = res;
	if (++s->ndone == NCHUNK)
		io_loop_stop(s->loop);
}

static void submit_chunks(void *arg)
{
	struct fstate *s = arg;

	for (int i = 0; i < NCHUNK; i++) {
		s->iov[i] = (struct iovec){s->data + (size_t)i * CHUNK, CHUNK};
		s->req[i].done = chunk_done;
		CHECK_EQ(
		    console_write_async(&s->con, &s->req[i], &s->iov[i], 1), 0);
	}
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	struct stat st;

	if (!f)
		return NULL;
	fstat(fileno(f), &st);
	buf = malloc((size_t)st.st_size + 1);
	*len = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	return buf;
}

static void test_file(const char *dir)
{
	struct fstate *s = calloc(1, sizeof(*s));
	char path[512], spec[520], err[256];
	unsigned char *got;
	size_t len = 0;
	FILE *f;

	the_state = s;
	snprintf(path, sizeof(path), "%s/out.txt", dir);
	snprintf(spec, sizeof(spec), "file:%s", path);
	/* Old content is truncated away. */
	f = fopen(path, "w");
	fputs("stale content that must disappear", f);
	fclose(f);
	s->data = malloc((size_t)NCHUNK * CHUNK);
	for (size_t i = 0; i < (size_t)NCHUNK * CHUNK; i++)
		s->data[i] = (unsigned char)(i ^ (i >> 9));
	CHECK_EQ(test_loop_create(&s->loop), 0);
	CHECK_EQ(console_open(&s->con, spec, err, sizeof(err)), 0);
	CHECK_EQ(s->con.in_fd, -1);
	CHECK_EQ(console_start(&s->con, s->loop), 0);
	CHECK_EQ(console_write(&s->con, "sync:", 5), 5);
	CHECK_EQ(io_loop_call(s->loop, submit_chunks, s), 0);
	CHECK_EQ(io_loop_run(s->loop), 0);
	for (int i = 0; i < NCHUNK; i++)
		CHECK_EQ(s->res[i], CHUNK);
	CHECK_EQ(console_write(&s->con, ":end", 4), 4);
	console_close(&s->con);
	console_close(&s->con);
	got = slurp(path, &len);
	CHECK(got != NULL);
	CHECK_EQ(len, 9 + (size_t)NCHUNK * CHUNK);
	if (got && len == 9 + (size_t)NCHUNK * CHUNK) {
		CHECK(!memcmp(got, "sync:", 5));
		CHECK(!memcmp(got + 5, s->data, (size_t)NCHUNK * CHUNK));
		CHECK(!memcmp(got + len - 4, ":end", 4));
	}
	free(got);
	unlink(path);
	io_loop_destroy(s->loop);
	free(s->data);
	free(s);
}

static void test_enospc(void)
{
	struct fstate *s = calloc(1, sizeof(*s));
	char err[256];

	the_state = s;
	s->data = calloc(1, (size_t)NCHUNK * CHUNK);
	CHECK_EQ(test_loop_create(&s->loop), 0);
	if (console_open(&s->con, "file:/dev/full", err, sizeof(err))) {
		printf("skip ENOSPC: %s\n", err);
		goto out;
	}
	CHECK_EQ(console_start(&s->con, s->loop), 0);
	CHECK_EQ(console_write(&s->con, "x", 1), -ENOSPC);
	CHECK_EQ(io_loop_call(s->loop, submit_chunks, s), 0);
	CHECK_EQ(io_loop_run(s->loop), 0);
	for (int i = 0; i < NCHUNK; i++)
		CHECK_EQ(s->res[i], -ENOSPC);
	CHECK(s->con.out_err_reported);
	console_close(&s->con);
out:
	io_loop_destroy(s->loop);
	free(s->data);
	free(s);
}

/*
 * In a child (the limit and SIGXFSZ are the whole process's): files may
 * not grow past LIMIT, which falls inside the fourth chunk. Whatever the
 * console wrote must be the start of what it was given, up to the limit.
 */
#define LIMIT (5 + 3 * CHUNK + 1000)

static void short_write_child(const char *dir, bool by_fd)
{
	struct fstate *s = calloc(1, sizeof(*s));
	struct rlimit rl = {LIMIT, LIMIT};
	char path[512], spec[560], err[256];
	unsigned char *got;
	size_t len = 0;
	int fd;

	the_state = s;
	signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &rl), 0);
	snprintf(path, sizeof(path), "%s/limited-%d.txt", dir, by_fd);
	if (by_fd) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		CHECK(fd >= 0);
		snprintf(spec, sizeof(spec), "fd:-1,%d", fd);
	} else {
		snprintf(spec, sizeof(spec), "file:%s", path);
	}
	s->data = malloc((size_t)NCHUNK * CHUNK);
	for (size_t i = 0; i < (size_t)NCHUNK * CHUNK; i++)
		s->data[i] = (unsigned char)(i ^ (i >> 9) ^ (i >> 17));
	CHECK_EQ(test_loop_create(&s->loop), 0);
	CHECK_EQ(console_open(&s->con, spec, err, sizeof(err)), 0);
	CHECK_EQ(console_start(&s->con, s->loop), 0);
	CHECK_EQ(console_write(&s->con, "sync:", 5), 5);
	CHECK_EQ(io_loop_call(s->loop, submit_chunks, s), 0);
	CHECK_EQ(io_loop_run(s->loop), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(s->res[i], CHUNK);
	for (int i = 3; i < NCHUNK; i++)
		CHECK_EQ(s->res[i], -EFBIG);
	CHECK(s->con.out_err_reported);
	console_close(&s->con);
	got = slurp(path, &len);
	CHECK(got != NULL);
	CHECK_EQ(len, LIMIT);
	if (got && len == LIMIT) {
		CHECK(!memcmp(got, "sync:", 5));
		CHECK(!memcmp(got + 5, s->data, LIMIT - 5));
	}
	free(got);
	unlink(path);
	io_loop_destroy(s->loop);
	free(s->data);
	free(s);
	exit(check_done(by_fd ? "short writes, fd" : "short writes, file"));
}

static void test_short_writes(const char *dir)
{
	for (int by_fd = 0; by_fd < 2; by_fd++) {
		int st = 0;
		pid_t pid;

		fflush(stdout);
		pid = fork();

		if (pid == 0)
			short_write_child(dir, by_fd);
		CHECK(pid > 0);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
}

int main(void)
{
	char dir[] = "/tmp/test_console_file.XXXXXX";

	test_loop_kinds();
	alarm(60);
	if (!mkdtemp(dir))
		return 77;
	test_file(dir);
	test_enospc();
	test_short_writes(dir);
	rmdir(dir);
	return check_done("test_console_file");
}
