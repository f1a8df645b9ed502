/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the file:PATH console backend: truncation, synchronous and
 * asynchronous output arriving byte-exact and in order, and ENOSPC (on
 * /dev/full) reported as an error to every writer without stopping the
 * loop.
 */
#include "backends/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
	char dir[] = "/tmp/test_console_file.XXXXXX";

	test_loop_kinds();
	alarm(60);
	if (!mkdtemp(dir))
		return 77;
	test_file(dir);
	test_enospc();
	rmdir(dir);
	return check_done("test_console_file");
}
