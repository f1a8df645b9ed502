/* SPDX-License-Identifier: MIT */
/*
 * vmm_set_kernel() refuses a kernel or initrd that is not a regular file
 * (a FIFO, a character device, a directory) with a negative errno and one
 * line naming the file and what it is, before KVM is needed: so this runs
 * on any host. A FIFO nobody writes must not hang the open; the alarm
 * turns a hang into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vmm/vmm.h>

#include "check.h"

static char dir[] = "/tmp/test_vm_files.XXXXXX";

static void on_alarm(int sig)
{
	static const char msg[] = "test_vm_files: vm_create() hung\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* vmm_set_kernel() with @kernel and @initrd must fail, saying @what. */
static void refused(const char *kernel, const char *initrd, const char *what)
{
	struct vmm *vm;
	const char *err;

	CHECK_EQ(vmm_create(&vm), 0);
	CHECK(vmm_set_kernel(vm, kernel, initrd, NULL) < 0);
	err = vmm_last_error(vm);
	CHECK(strchr(err, '\n') == NULL);
	if (!strstr(err, what))
		fprintf(stderr, "error '%s' lacks '%s'\n", err, what);
	CHECK(strstr(err, what) != NULL);
	/* Nothing to start with: the kernel was not taken. */
	CHECK_EQ(vmm_start(vm), -EINVAL);
	vmm_destroy(vm);
}

int main(void)
{
	char fifo[128], junk[128], msg[256];
	int fd;

	signal(SIGALRM, on_alarm);
	alarm(20);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(junk, sizeof(junk), "%s/junk", dir);
	CHECK_EQ(mkfifo(fifo, 0600), 0);
	/* A regular file: read fine, never parsed before the initrd. */
	fd = open(junk, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "junk", 4), 4);
	close(fd);

	snprintf(msg, sizeof(msg), "kernel %s is a FIFO, not a regular file",
		 fifo);
	refused(fifo, NULL, msg);
	snprintf(msg, sizeof(msg), "initrd %s is a FIFO, not a regular file",
		 fifo);
	refused(junk, fifo, msg);
	refused("/dev/null", NULL,
		"kernel /dev/null is a character device, not a regular file");
	snprintf(msg, sizeof(msg), "kernel %s is a directory", dir);
	refused(dir, NULL, msg);
	snprintf(msg, sizeof(msg), "kernel %s/missing: No such file", dir);
	{
		char missing[160];

		snprintf(missing, sizeof(missing), "%s/missing", dir);
		refused(missing, NULL, msg);
	}

	unlink(fifo);
	unlink(junk);
	rmdir(dir);
	return check_done("test_vm_files");
}
