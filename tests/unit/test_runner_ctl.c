/* SPDX-License-Identifier: MIT */
/*
 * The runner's control lines (guests/runner/ctl.c) and the statuses they
 * carry (guests/runner/status.c): the two guest lines, the host's bytes
 * split into lines however they arrive, "signal N" and what is not, and
 * wait statuses of real children turned into exit statuses.
 */
#include "guests/runner/ctl.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "guests/runner/status.h"

static void test_format(void)
{
	char b[CTL_LINE_MAX];

	CHECK_EQ(ctl_format_started(b, sizeof(b), 42), 11);
	CHECK(!strcmp(b, "started 42\n"));
	CHECK_EQ(ctl_format_started(b, sizeof(b), 4194304), 16);
	CHECK(!strcmp(b, "started 4194304\n"));
	CHECK_EQ(ctl_format_exit(b, sizeof(b), 0), 7);
	CHECK(!strcmp(b, "exit 0\n"));
	CHECK_EQ(ctl_format_exit(b, sizeof(b), 255), 9);
	CHECK(!strcmp(b, "exit 255\n"));
	CHECK_EQ(ctl_format_exit(b, sizeof(b), 256), -EINVAL);
	CHECK_EQ(ctl_format_exit(b, sizeof(b), -1), -EINVAL);
	CHECK_EQ(ctl_format_started(b, sizeof(b), -1), -EINVAL);
	CHECK_EQ(ctl_format_exit(b, 7, 0), -ENOSPC); /* no room for NUL */
}

struct lines {
	int n;
	char got[8][CTL_LINE_MAX];
	size_t len[8];
};

static void collect(const char *line, size_t len, void *opaque)
{
	struct lines *l = opaque;

	if (l->n < 8) {
		memcpy(l->got[l->n], line, len + 1);
		l->len[l->n] = len;
	}
	l->n++;
}

static void test_reader(void)
{
	static const char two[] = "signal 15\nsignal 9\n";
	struct ctl_reader r = {0};
	struct lines l = {0};
	char longl[80];
	size_t i;

	ctl_feed(&r, two, sizeof(two) - 1, collect, &l);
	CHECK_EQ(l.n, 2);
	CHECK(!strcmp(l.got[0], "signal 15"));
	CHECK(!strcmp(l.got[1], "signal 9"));

	/* One byte at a time; a line without its '\n' waits. */
	memset(&l, 0, sizeof(l));
	for (i = 0; i < sizeof(two) - 1; i++)
		ctl_feed(&r, two + i, 1, collect, &l);
	ctl_feed(&r, "signal 1", 8, collect, &l);
	CHECK_EQ(l.n, 2);
	CHECK(!strcmp(l.got[1], "signal 9"));
	ctl_feed(&r, "\n", 1, collect, &l);
	CHECK_EQ(l.n, 3);
	CHECK(!strcmp(l.got[2], "signal 1"));

	/* 63 bytes and '\n' fit; 64 and '\n' are dropped, whole. */
	memset(&l, 0, sizeof(l));
	memset(longl, 'x', sizeof(longl));
	longl[63] = '\n';
	ctl_feed(&r, longl, 64, collect, &l);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(l.len[0], 63);
	longl[63] = 'x';
	longl[64] = '\n';
	ctl_feed(&r, longl, 33, collect, &l);
	ctl_feed(&r, longl + 33, 32, collect, &l);
	CHECK_EQ(l.n, 1);
	CHECK_EQ(r.dropped, 1);
	ctl_feed(&r, "signal 2\n", 9, collect, &l);
	CHECK_EQ(l.n, 2);
	CHECK(!strcmp(l.got[1], "signal 2"));

	/* An empty line is a line; a NUL in one is passed on with LEN. */
	memset(&l, 0, sizeof(l));
	ctl_feed(&r, "\nsignal 3\0junk\n", 15, collect, &l);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(l.len[0], 0);
	CHECK_EQ(l.len[1], 13);
}

static void test_parse(void)
{
	static const char *const bad[] = {
	    "",
	    "signal",
	    "signal ",
	    "signal 0",
	    "signal 65",
	    "signal -1",
	    "signal +1",
	    "signal  1",
	    "signal 1 ",
	    "signal 1\r",
	    "Signal 1",
	    "SIGNAL 1",
	    "kill 1",
	    "signal TERM",
	    "signal 0x0f",
	    "exit 0",
	    "started 1",
	    " signal 1",
	    "signal 99999999999999999999",
	};
	int s = -1;
	size_t i;

	CHECK_EQ(ctl_parse("signal 15", 9, &s), CTL_SIGNAL);
	CHECK_EQ(s, 15);
	CHECK_EQ(ctl_parse("signal 1", 8, &s), CTL_SIGNAL);
	CHECK_EQ(s, 1);
	CHECK_EQ(ctl_parse("signal 64", 9, &s), CTL_SIGNAL);
	CHECK_EQ(s, 64);
	CHECK_EQ(ctl_parse("signal 09", 9, &s), CTL_SIGNAL);
	CHECK_EQ(s, 9);
	s = -1;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(ctl_parse(bad[i], strlen(bad[i]), &s), -EINVAL);
	/* "signal 3" then a NUL and more: not what the host meant. */
	CHECK_EQ(ctl_parse("signal 3\0junk", 13, &s), -EINVAL);
	CHECK_EQ(s, -1);
}

/* The wait status of a child that does WHAT: exit code, or a signal. */
static int child_status(int code, int sig)
{
	int ws = -1;
	pid_t pid = fork();

	if (!pid) {
		if (sig) {
			signal(sig, SIG_DFL);
			raise(sig);
		}
		_exit(code);
	}
	CHECK_EQ(waitpid(pid, &ws, 0), pid);
	return ws;
}

static void test_status(void)
{
	CHECK_EQ(status_from_wait(child_status(0, 0)), 0);
	CHECK_EQ(status_from_wait(child_status(3, 0)), 3);
	CHECK_EQ(status_from_wait(child_status(255, 0)), 255);
	CHECK_EQ(status_from_wait(child_status(0, SIGKILL)), 137);
	CHECK_EQ(status_from_wait(child_status(0, SIGTERM)), 143);
	CHECK_EQ(status_from_wait(child_status(0, SIGINT)), 130);
	CHECK_EQ(status_from_wait(W_STOPCODE(SIGSTOP)), STATUS_SETUP);

	CHECK_EQ(status_from_exec_errno(ENOENT), 127);
	CHECK_EQ(status_from_exec_errno(ENOTDIR), 127);
	CHECK_EQ(status_from_exec_errno(EACCES), 126);
	CHECK_EQ(status_from_exec_errno(ENOEXEC), 126);
	CHECK_EQ(status_from_exec_errno(E2BIG), 126);
	CHECK_EQ(STATUS_SETUP, 125);
}

int main(void)
{
	test_format();
	test_reader();
	test_parse();
	test_status();
	return check_done("test_runner_ctl");
}
