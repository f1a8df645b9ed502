/* SPDX-License-Identifier: MIT */
/*
 * The runner's program search (guests/runner/exec.c): PATH from the
 * process's environment or the default, and exec_search()'s failures,
 * which decide between statuses 126 and 127. Only failures: a search that
 * succeeded would replace this test. The candidates live in a temporary
 * directory: a file without execute permission, a directory, a file that
 * is executable but no program.
 */
#include "guests/runner/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static char dir[] = "/tmp/test_runner_exec.XXXXXX";
static char arg0[] = "x";
static char *const argv[] = {arg0, NULL};
static char *const envp[] = {NULL};

static void make_file(const char *name, mode_t mode, const char *text)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	CHECK_EQ(fchmod(fd, mode), 0);
	close(fd);
}

static void test_path(void)
{
	char home[] = "HOME=/root", path[] = "PATH=/opt/bin:/bin";
	char pathx[] = "PATHX=/x", xpath[] = "XPATH=/y", none[] = "PATH=";
	char *const with[] = {home, path, NULL};
	char *const lookalike[] = {pathx, xpath, NULL};
	char *const empty[] = {none, NULL};

	CHECK(!strcmp(exec_path(with), "/opt/bin:/bin"));
	CHECK(!strcmp(exec_path(lookalike), EXEC_DEFAULT_PATH));
	CHECK(!strcmp(exec_path(envp), EXEC_DEFAULT_PATH));
	CHECK(!strcmp(exec_path(empty), ""));
}

static void test_search(void)
{
	char path[256], file[128];

	/* Nothing by that name anywhere: ENOENT (127). */
	CHECK_EQ(exec_search("", argv, envp, "/bin"), ENOENT);
	CHECK_EQ(exec_search("runner-test-none", argv, envp,
			     "/nonexistent:/also/nonexistent"),
		 ENOENT);
	CHECK_EQ(exec_search("/nonexistent/x", argv, envp, "/bin"), ENOENT);
	snprintf(path, sizeof(path), "%s/not-a-dir/x", dir);
	CHECK_EQ(exec_search(path, argv, envp, "/bin"), ENOTDIR);
	/* A PATH entry that is a file is skipped. */
	snprintf(path, sizeof(path), "%s/not-a-dir", dir);
	CHECK_EQ(exec_search("x", argv, envp, path), ENOENT);

	/* Found but refused: EACCES (126), whatever comes after it. */
	snprintf(path, sizeof(path), "/nonexistent:%s:/nonexistent", dir);
	CHECK_EQ(exec_search("noexec", argv, envp, path), EACCES);
	CHECK_EQ(exec_search("adir", argv, envp, path), EACCES);
	snprintf(file, sizeof(file), "%s/noexec", dir);
	CHECK_EQ(exec_search(file, argv, envp, "/bin"), EACCES);

	/* Executable but no program: the search stops there (126). */
	CHECK_EQ(exec_search("garbage", argv, envp, path), ENOEXEC);

	/* An empty entry is the current directory. */
	CHECK_EQ(chdir(dir), 0);
	CHECK_EQ(exec_search("noexec", argv, envp, "/nonexistent:"), EACCES);
	CHECK_EQ(exec_search("noexec", argv, envp, "::/nonexistent"), EACCES);
	CHECK_EQ(exec_search("noexec", argv, envp, "/nonexistent"), ENOENT);
	CHECK_EQ(chdir("/"), 0);
}

int main(void)
{
	char path[128];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	make_file("noexec", 0644, "#!/bin/sh\nexit 0\n");
	make_file("garbage", 0755, "\x01\x02\x03 not a program\n");
	make_file("not-a-dir", 0644, "");
	snprintf(path, sizeof(path), "%s/adir", dir);
	CHECK_EQ(mkdir(path, 0755), 0);
	test_path();
	test_search();
	snprintf(path, sizeof(path), "%s/adir", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/noexec", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/garbage", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/not-a-dir", dir);
	unlink(path);
	rmdir(dir);
	return check_done("test_runner_exec");
}
