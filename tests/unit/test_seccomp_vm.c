/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filters on a running VM, through the public API: a refused
 * syscall on a vCPU thread, on the io thread and on an application thread
 * after vmm_restrict_thread() ends the process by SIGSYS, and the report
 * (vmm_seccomp_report(), as the vmm program's handler makes it) names the
 * thread and the syscall; with VMM_SECCOMP_LOG the same call goes through
 * and the guest finishes. The trigger is the application's own log
 * callback, which runs on the thread that logs: vCPU 0 logs its first
 * KVM_RUN, the io thread the memory report at the end. Each case runs in
 * a child process. Needs /dev/kvm and the hello guest (skips, 77).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vmm/vmm.h>

#include "check.h"
#include "sandbox/seccomp.h"

static int report_fd = -1; /* the child's end of the report pipe */

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[192];
	size_t n = vmm_seccomp_report(si->si_syscall, line, sizeof(line));

	(void)uc;
	(void)!write(report_fd, line, n);
	raise(sig); /* SA_RESETHAND: the default action once we return */
}

static void forbidden_call(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		close(fd);
}

/* The log callback: the forbidden call when the trigger line passes. */
static void on_log(void *opaque, enum vmm_log_level level, const char *line)
{
	(void)level;
	if (opaque && strstr(line, opaque))
		forbidden_call();
}

enum where { ON_VCPU, ON_IO, ON_APP };

/* The child: boot hello, make the call where asked; 0 if the guest ends
 * as it should. */
static int child(const char *kernel, enum vmm_seccomp mode, enum where w)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys,
			       .sa_flags = SA_SIGINFO | SA_RESETHAND};
	static char on_vcpu[] = "first KVM_RUN", on_io[] = "memory: rss";
	char *trigger = w == ON_VCPU ? on_vcpu : w == ON_IO ? on_io : NULL;
	struct vmm_exit ex;
	struct vmm *vm;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
	if (vmm_create(&vm) || vmm_set_machine(vm, 1, 64ULL << 20) ||
	    vmm_set_kernel(vm, kernel, NULL, "mem_mb=64 cpus=1") ||
	    vmm_add_serial(vm, "none") || vmm_set_debug_exit(vm, 1) ||
	    vmm_set_seccomp(vm, mode) ||
	    vmm_set_log(vm, VMM_LOG_INFO, on_log, trigger) || vmm_start(vm))
		return 5;
	if (w == ON_APP) {
		if (vmm_restrict_thread(vm))
			return 6;
		forbidden_call();
	}
	vmm_wait(vm, &ex);
	vmm_destroy(vm);
	if (ex.reason != VMM_EXIT_DEBUG || ex.status != 0) {
		fprintf(stderr, "child: exit reason %d status %d\n",
			(int)ex.reason, ex.status);
		return 7;
	}
	return 0;
}

/* Run a case: the child's wait status and its report line. */
static int run_case(const char *kernel, enum vmm_seccomp mode, enum where w,
		    char *line, size_t len)
{
	int p[2], status = -1;
	ssize_t n;
	pid_t pid;

	line[0] = '\0';
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		report_fd = p[1];
		_exit(child(kernel, mode, w));
	}
	close(p[1]);
	n = read(p[0], line, len - 1);
	line[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool died_of_sigsys(int status)
{
	return status >= 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

/* A check that says what the child did when it fails. */
#define expect(cond, st, line)                                                 \
	do {                                                                   \
		CHECK(cond);                                                   \
		if (!(cond))                                                   \
			fprintf(stderr,                                        \
				"  (child status 0x%x, report '%s')\n", (st),  \
				(line));                                       \
	} while (0)

int main(int argc, char **argv)
{
	const char *out = getenv("O") ? getenv("O") : "build";
	char kernel[256], line[256], app_thread[64];
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), st;

	(void)argc;
	snprintf(kernel, sizeof(kernel), "%s/guests/hello.bzImage", out);
	if (fd < 0 || access(kernel, R_OK) != 0) {
		printf("skip: needs /dev/kvm and %s\n", kernel);
		return 77;
	}
	close(fd);

	st = run_case(kernel, VMM_SECCOMP_ON, ON_VCPU, line, sizeof(line));
	expect(died_of_sigsys(st), st, line);
	expect(strstr(line, "seccomp: thread vcpu0 called socket (41)") == line,
	       st, line);

	st = run_case(kernel, VMM_SECCOMP_ON, ON_IO, line, sizeof(line));
	expect(died_of_sigsys(st), st, line);
	expect(strstr(line, "seccomp: thread vmm-io called socket (41)") ==
		   line,
	       st, line);

	/* The main thread's name is the program's, cut to 15 bytes. */
	snprintf(app_thread, sizeof(app_thread), "seccomp: thread %.15s called",
		 strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
	/* Sanitizer builds leave the application thread unfiltered. */
	st = run_case(kernel, VMM_SECCOMP_ON, ON_APP, line, sizeof(line));
	if (!SECCOMP_SANITIZED) {
		expect(died_of_sigsys(st), st, line);
		expect(strstr(line, app_thread) == line, st, line);
	} else {
		expect(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, st,
		       line);
	}

	/* Logged, not refused: the guest runs to its end. */
	for (int w = ON_VCPU; w <= ON_APP; w++) {
		st = run_case(kernel, VMM_SECCOMP_LOG, w, line, sizeof(line));
		expect(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, st,
		       line);
		expect(line[0] == '\0', st, line);
	}
	st = run_case(kernel, VMM_SECCOMP_OFF, ON_VCPU, line, sizeof(line));
	expect(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, st, line);
	return check_done("test_seccomp_vm");
}
