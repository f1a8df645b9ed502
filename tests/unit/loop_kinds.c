/* SPDX-License-Identifier: MIT */
/*
 * One child process per kind of io loop for the unit tests that use one
 * (loop_kinds.h). A fork, not a loop in main(): the tests keep their
 * state in statics, and a child starts from a clean copy of it.
 */
#include "loop_kinds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum io_loop_kind test_loop_kind = IO_LOOP_URING;

const char *test_loop_name(enum io_loop_kind kind)
{
	return kind == IO_LOOP_EPOLL ? "epoll" : "uring";
}

int test_loop_create(struct io_loop **l)
{
	return io_loop_create(l, test_loop_kind);
}

/* Does the kernel let us have a ring? */
static bool uring_usable(void)
{
	struct io_loop *l;
	int r = io_loop_create(&l, IO_LOOP_URING);

	if (r) {
		printf("io_uring refused (%s): epoll loop only\n",
		       strerror(-r));
		return false;
	}
	io_loop_destroy(l);
	return true;
}

/* Fork a child for @kind; its exit status (0, 77, or failure). */
static int run_kind(enum io_loop_kind kind)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		test_loop_kind = kind;
		printf("== io loop: %s\n", test_loop_name(kind));
		return -1;
	}
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "%s loop: killed by signal %d\n",
			test_loop_name(kind), WTERMSIG(st));
		return 1;
	}
	return WEXITSTATUS(st);
}

void test_loop_kinds(void)
{
	static const enum io_loop_kind kinds[] = {IO_LOOP_URING, IO_LOOP_EPOLL};
	const char *only = getenv("VMM_TEST_IO_LOOP");
	int rc, worst = 77;

	/* Unset, empty or auto: both. */
	if (only && (!*only || !strcmp(only, "auto")))
		only = NULL;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (only && strcmp(only, test_loop_name(kinds[i])))
			continue;
		if (kinds[i] == IO_LOOP_URING && !uring_usable())
			continue;
		rc = run_kind(kinds[i]);
		if (rc < 0)
			return; /* the child: run the test */
		if (rc != 0 && rc != 77)
			worst = 1;
		else if (rc == 0 && worst == 77)
			worst = 0;
	}
	exit(worst);
}
