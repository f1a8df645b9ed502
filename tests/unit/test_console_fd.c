/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the fd:IN,OUT console backend: output arrives on OUT,
 * the descriptors become close-on-exec and IN nonblocking, the console
 * closes what it took, an input-only console (OUT -1) reads IN, sees its
 * EOF and discards output, and malformed or closed descriptors are
 * refused with a reason.
 */
#include "backends/console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static void test_pipe_pair(void)
{
	struct console con = {0};
	char spec[64], err[256] = "", got[16] = "";
	int in[2], out[2];

	CHECK_EQ(pipe(in), 0);
	CHECK_EQ(pipe(out), 0);
	snprintf(spec, sizeof(spec), "fd:%d,%d", in[0], out[1]);
	CHECK_EQ(console_open(&con, spec, err, sizeof(err)), 0);
	CHECK(fcntl(in[0], F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(out[1], F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(in[0], F_GETFL) & O_NONBLOCK);
	CHECK_EQ(console_write(&con, "hello", 5), 5);
	CHECK_EQ(read(out[0], got, sizeof(got) - 1), 5);
	CHECK(strcmp(got, "hello") == 0);
	console_close(&con);
	/* The console closed both: the pipe's reader sees EOF. */
	CHECK_EQ(read(out[0], got, sizeof(got)), 0);
	CHECK_EQ(fcntl(in[0], F_GETFD), -1);
	close(in[1]);
	close(out[0]);
}

static void test_input_only(void)
{
	struct console con = {0};
	char spec[64], err[256] = "", got[16] = "";
	int in[2];

	CHECK_EQ(pipe(in), 0);
	snprintf(spec, sizeof(spec), "fd:%d,-1", in[0]);
	CHECK_EQ(console_open(&con, spec, err, sizeof(err)), 0);
	CHECK_EQ(console_in_fd(&con), in[0]);
	CHECK_EQ(console_read(&con, got, sizeof(got)), -EAGAIN);
	CHECK_EQ(write(in[1], "abc", 3), 3);
	CHECK_EQ(console_read(&con, got, sizeof(got)), 3);
	CHECK(memcmp(got, "abc", 3) == 0);
	/* Output has nowhere to go: taken and dropped. */
	CHECK_EQ(console_write(&con, "lost", 4), 4);
	close(in[1]);
	CHECK_EQ(console_read(&con, got, sizeof(got)), 0); /* EOF */
	console_close(&con);
	CHECK_EQ(fcntl(in[0], F_GETFD), -1);
}

static void test_bad_specs(void)
{
	static const char *const bad[] = {"fd:",   "fd:1",    "fd:a,b",
					  "fd:1,", "fd:-2,1", "fd:0,-2"};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct console con = {0};

		err[0] = '\0';
		CHECK(console_open(&con, bad[i], err, sizeof(err)) < 0);
		CHECK(err[0] != '\0');
	}
	{
		struct console con = {0};
		char spec[32];
		int closed = 1000;

		/* A descriptor that is not open (the console may open
		 * descriptors of its own, so not a just-closed low one). */
		CHECK_EQ(fcntl(closed, F_GETFD), -1);
		snprintf(spec, sizeof(spec), "fd:-1,%d", closed);
		CHECK_EQ(console_open(&con, spec, err, sizeof(err)), -EBADF);
		CHECK(strstr(err, "Bad file descriptor") != NULL);
	}
}

int main(void)
{
	test_pipe_pair();
	test_input_only();
	test_bad_specs();
	return check_done("test_console_fd");
}
