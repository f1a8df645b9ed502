/* SPDX-License-Identifier: MIT */
/*
 * The runner control port's host end (vm/runner_ctl.c) without KVM: the
 * line parser on good and hostile lines, the exit mapping, and the whole
 * path over its socketpair with a real io loop: lines split across
 * writes, a flood of junk logged through a rate limit, an overlong line,
 * a second exit line ignored, "signal N" lines written, and the exit
 * status read at the end even when the loop never saw it.
 */
#include "vm/runner_ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "io/loop.h"
#include "capture.h"
#include "check.h"
#include "loop_kinds.h"
#include "waits.h"

static int parse(const char *s, struct runner_msg *m)
{
	return runner_ctl_parse(s, strlen(s), m);
}

static void test_parse(void)
{
	static const char *const bad[] = {
	    "",
	    "started",
	    "started ",
	    "started 0",
	    "started 01",
	    "started -1",
	    "started +1",
	    "started 2147483648",
	    "started 1 ",
	    "started  1",
	    "started 12345678901",
	    "exit",
	    "exit ",
	    "exit 256",
	    "exit 00",
	    "exit x",
	    "Exit 1",
	    "exit 1\r",
	    " exit 1",
	    "signal 9",
	    "exit\t1",
	    "exited 1",
	};
	struct runner_msg m;

	CHECK_EQ(parse("started 1", &m), 0);
	CHECK_EQ(m.kind, RUNNER_MSG_STARTED);
	CHECK_EQ(m.value, 1);
	CHECK_EQ(parse("started 2147483647", &m), 0);
	CHECK_EQ(m.value, 2147483647);
	CHECK_EQ(parse("exit 0", &m), 0);
	CHECK_EQ(m.kind, RUNNER_MSG_EXIT);
	CHECK_EQ(m.value, 0);
	CHECK_EQ(parse("exit 255", &m), 0);
	CHECK_EQ(m.value, 255);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &m) != -EINVAL)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK_EQ(parse(bad[i], &m), -EINVAL);
	}
	/* A NUL inside the line is not the end of it. */
	CHECK_EQ(runner_ctl_parse("exit 1\0", 7, &m), -EINVAL);
	CHECK_EQ(runner_ctl_parse("exit 12", 6, &m), 0);
	CHECK_EQ(m.value, 1);
}

static void test_map(void)
{
	const struct vmm_exit off = {VMM_EXIT_POWEROFF, 0};
	struct vmm_exit e;

	e = runner_ctl_map_exit(off, true, 42);
	CHECK_EQ(e.reason, VMM_EXIT_WORKLOAD);
	CHECK_EQ(e.status, 42);
	e = runner_ctl_map_exit(off, false, 42);
	CHECK_EQ(e.reason, VMM_EXIT_POWEROFF);
	CHECK_EQ(e.status, 0);
	/* Only a power-off: the rest stays what it was. */
	for (int r = VMM_EXIT_RESET; r <= VMM_EXIT_STOPPED; r++) {
		e = runner_ctl_map_exit((struct vmm_exit){r, 7}, true, 42);
		CHECK_EQ(e.reason, r);
		CHECK_EQ(e.status, 7);
	}
}

struct t {
	struct io_loop *loop;
	struct runner_ctl *rc;
	int peer; /* the guest's end */
	pthread_t thread;
};

static void *loop_main(void *arg)
{
	struct t *t = arg;

	CHECK_EQ(io_loop_run(t->loop), 0);
	return NULL;
}

static void stop(void *arg)
{
	io_loop_stop(arg);
}

/* Write all of @s, waiting for room as the console's writes do. */
static void put(struct t *t, const char *s)
{
	struct pollfd p = {.fd = t->peer, .events = POLLOUT};
	ssize_t n;

	while ((n = write(t->peer, s, strlen(s))) < 0 && errno == EAGAIN)
		CHECK_EQ(poll(&p, 1, WAIT_S * 1000), 1);
	CHECK_EQ(n, (ssize_t)strlen(s));
}

/* Until the exit line was handled (signals are refused from then on). */
static bool wait_exited(struct t *t)
{
	for (int i = 0; i < WAIT_S * 1000; i++) {
		if (runner_ctl_signal(t->rc, SIGTERM) == -ESRCH)
			return true;
		usleep(1000);
	}
	return false;
}

static void test_port(void)
{
	struct t t = {0};
	char err[256], got[64] = "", *log;
	struct vmm_exit e;
	int a, b;

	CHECK_EQ(test_loop_create(&t.loop), 0);
	CHECK_EQ(runner_ctl_create(&t.rc, t.loop, err, sizeof(err)), 0);
	CHECK_EQ(sscanf(runner_ctl_backend(t.rc), "fd:%d,%d", &a, &b), 2);
	CHECK_EQ(a, b);
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	t.peer = a;
	CHECK_EQ(runner_ctl_start(t.rc), 0);
	pthread_create(&t.thread, NULL, loop_main, &t);

	put(&t, "started 42\n");
	CHECK_EQ(runner_ctl_signal(t.rc, 0), -EINVAL);
	CHECK_EQ(runner_ctl_signal(t.rc, 65), -EINVAL);
	CHECK_EQ(runner_ctl_signal(t.rc, SIGWINCH), 0);
	CHECK_EQ(runner_ctl_signal(t.rc, 64), 0);
	CHECK_EQ(read_for(t.peer, got, 20), 20);
	CHECK(!memcmp(got, "signal 28\nsignal 64\n", 20));

	capture_begin();
	put(&t, "x");
	for (int i = 0; i < 70; i++)
		put(&t, "y"); /* 71 bytes before the newline */
	put(&t, "\n");
	for (int i = 0; i < 300; i++)
		put(&t, "junk\n");
	put(&t, "ex");
	put(&t, "it 3");
	put(&t, "\nexit 4\n");
	CHECK(wait_exited(&t));
	log = capture_end();
	CHECK_EQ(capture_count(log, "longer than 64 bytes"), 1);
	CHECK_EQ(capture_count(log, "'junk'"), LOG_RATELIMIT_BURST - 1);
	CHECK(capture_count(log, "") <= LOG_RATELIMIT_BURST + 1);
	free(log);

	CHECK_EQ(io_loop_call(t.loop, stop, t.loop), 0);
	pthread_join(t.thread, NULL);
	e = runner_ctl_finish(t.rc, (struct vmm_exit){VMM_EXIT_POWEROFF, 0});
	CHECK_EQ(e.reason, VMM_EXIT_WORKLOAD);
	CHECK_EQ(e.status, 3);
	CHECK_EQ(runner_ctl_signal(t.rc, SIGTERM), -ESRCH);
	/* The loop first: it clears the watch of the runner's source. */
	io_loop_destroy(t.loop);
	runner_ctl_destroy(t.rc); /* not handed over: closes the peer too */
	CHECK_EQ(fcntl(a, F_GETFD), -1);
}

/* The exit line only reached the socket: finish() still reads it. */
static void test_late_exit(void)
{
	struct io_loop *loop;
	struct runner_ctl *rc;
	char err[256];
	struct vmm_exit e;
	int a, b;

	CHECK_EQ(test_loop_create(&loop), 0);
	CHECK_EQ(runner_ctl_create(&rc, loop, err, sizeof(err)), 0);
	CHECK_EQ(sscanf(runner_ctl_backend(rc), "fd:%d,%d", &a, &b), 2);
	CHECK_EQ(write(a, "started 7\nexit 137\n", 19), 19);
	e = runner_ctl_finish(rc, (struct vmm_exit){VMM_EXIT_POWEROFF, 0});
	CHECK_EQ(e.reason, VMM_EXIT_WORKLOAD);
	CHECK_EQ(e.status, 137);
	io_loop_destroy(loop);
	runner_ctl_destroy(rc);
}

int main(void)
{
	test_loop_kinds();
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	test_parse();
	test_map();
	test_port();
	test_late_exit();
	return check_done("test_vmm_runner_ctl");
}
