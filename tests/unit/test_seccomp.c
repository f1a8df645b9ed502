/* SPDX-License-Identifier: MIT */
/*
 * The seccomp filters without KVM: each kind's program, compiled for each
 * mode, installed in a forked child that then makes allowed and refused
 * calls. A refused call kills the child with SIGSYS (on) or goes through
 * (log); ioctl is told apart by request number, socket by family; the
 * SIGSYS report names the thread and the syscall; the filter binds only
 * the thread that installed it; the syscall table and the listing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <vmm/vmm.h>

#include "check.h"
#include "sandbox/seccomp.h"

/* Sanitizer builds let their runtimes open, clone and trace (LSan), and
 * leave the application thread unfiltered (seccomp.h). */
#define SANITIZED SECCOMP_SANITIZED

enum outcome { RETURNED, KILLED_BY_SIGSYS, OTHER };

/* Fork; the child installs @kind's filter, runs @fn, exits 0 if it was
 * true. What happened to the child. */
static enum outcome in_child(const struct seccomp_set *s,
			     enum seccomp_thread kind, bool (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (seccomp_set_apply(s, kind))
			_exit(3);
		_exit(fn() ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return OTHER;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		return KILLED_BY_SIGSYS;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return RETURNED;
	return OTHER;
}

static bool call_getpid(void)
{
	return getpid() > 0;
}

static bool call_socket_inet(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0 || errno != ENOSYS;
}

static bool call_socket_unix(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd >= 0;
}

static bool call_execve(void)
{
	char prog[] = "/bin/true", *argv[] = {prog, NULL};

	execve(prog, argv, NULL);
	return false;
}

static int null_fd = -1; /* opened before any filter */

/* KVM_RUN on /dev/null: the filter lets it through, the kernel says no. */
static bool call_kvm_run(void)
{
	return ioctl(null_fd, KVM_RUN, 0) < 0 && errno == ENOTTY;
}

static bool call_tiocsti(void)
{
	char c = 'x';

	(void)ioctl(0, TIOCSTI, &c);
	return true;
}

/* glibc's malloc may probe a /proc file from any thread: EACCES. */
static bool call_open_refused(void)
{
	return open("/proc/sys/vm/overcommit_memory", O_RDONLY | O_CLOEXEC) <
		   0 &&
	       errno == EACCES;
}

static bool call_clone(void)
{
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	return p > 0;
}

static void test_on(void)
{
	struct seccomp_set s;
	char err[128] = "";

	CHECK_EQ(seccomp_set_build(&s, SECCOMP_MODE_ON, err, sizeof(err)), 0);
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++) {
		if (SANITIZED && k == SECCOMP_THREAD_APP)
			continue;
		CHECK(s.prog[k].len > 0);
		CHECK_EQ(in_child(&s, k, call_getpid), RETURNED);
		CHECK_EQ(in_child(&s, k, call_socket_inet), KILLED_BY_SIGSYS);
		CHECK_EQ(in_child(&s, k, call_execve), KILLED_BY_SIGSYS);
		if (!SANITIZED)
			CHECK_EQ(in_child(&s, k, call_clone), KILLED_BY_SIGSYS);
		CHECK_EQ(in_child(&s, k, call_tiocsti), KILLED_BY_SIGSYS);
	}
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_VCPU, call_kvm_run), RETURNED);
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_IO, call_kvm_run),
		 KILLED_BY_SIGSYS);
	if (!SANITIZED)
		CHECK_EQ(in_child(&s, SECCOMP_THREAD_APP, call_kvm_run),
			 KILLED_BY_SIGSYS);
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_IO, call_socket_unix), RETURNED);
	if (!SANITIZED) {
		CHECK_EQ(in_child(&s, SECCOMP_THREAD_VCPU, call_open_refused),
			 RETURNED);
		CHECK_EQ(in_child(&s, SECCOMP_THREAD_APP, call_open_refused),
			 RETURNED);
	}
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_VCPU, call_socket_unix),
		 KILLED_BY_SIGSYS);
	seccomp_set_free(&s);
}

static void test_log_and_off(void)
{
	struct seccomp_set s;
	char err[128] = "";

	CHECK_EQ(seccomp_set_build(&s, SECCOMP_MODE_LOG, err, sizeof(err)), 0);
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_VCPU, call_socket_inet), RETURNED);
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_APP, call_kvm_run), RETURNED);
	seccomp_set_free(&s);
	CHECK_EQ(seccomp_set_build(&s, SECCOMP_MODE_OFF, err, sizeof(err)), 0);
	for (int k = 0; k < SECCOMP_THREAD_KINDS; k++)
		CHECK_EQ(s.prog[k].len, 0);
	CHECK_EQ(in_child(&s, SECCOMP_THREAD_VCPU, call_socket_inet), RETURNED);
	seccomp_set_free(&s);
}

/* --- the report from a SIGSYS handler, as the vmm program makes it ---- */

static int report_pipe[2];

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[192];
	size_t n = vmm_seccomp_report(si->si_syscall, line, sizeof(line));

	(void)sig, (void)uc;
	(void)!write(report_pipe[1], line, n);
	_exit(9);
}

/* Before the filter, which has neither rt_sigaction nor PR_SET_NAME. */
static void catch_sigsys_as_vcpu7(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys,
			       .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSYS, &sa, NULL);
	prctl(PR_SET_NAME, "vcpu7", 0, 0, 0);
}

static void test_report(void)
{
	struct seccomp_set s;
	char err[128] = "", line[256] = "";
	pid_t pid;
	int status = 0;
	ssize_t n;

	CHECK_EQ(seccomp_set_build(&s, SECCOMP_MODE_ON, err, sizeof(err)), 0);
	CHECK_EQ(pipe2(report_pipe, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		catch_sigsys_as_vcpu7();
		if (seccomp_set_apply(&s, SECCOMP_THREAD_VCPU))
			_exit(3);
		call_socket_inet();
		_exit(0);
	}
	close(report_pipe[1]);
	waitpid(pid, &status, 0);
	n = read(report_pipe[0], line, sizeof(line) - 1);
	close(report_pipe[0]);
	line[n > 0 ? n : 0] = '\0';
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
	CHECK(strstr(line, "seccomp: thread vcpu7 called socket (41)") == line);
	/* A short buffer: cut, terminated. */
	CHECK_EQ(vmm_seccomp_report(41, line, 12), 11);
	CHECK_EQ(strlen(line), 11);
	seccomp_set_free(&s);
}

/* --- one thread's filter leaves the others alone ---------------------- */

static void *filtered_thread(void *arg)
{
	return (void *)(long)(seccomp_set_apply(arg, SECCOMP_THREAD_VCPU) ==
				  0 &&
			      getpid() > 0);
}

/* A thread installs the vCPU filter and ends; this one is still free. */
static bool filter_is_per_thread(void)
{
	struct seccomp_set s;
	char err[128];
	void *ok = NULL;
	pthread_t t;

	if (seccomp_set_build(&s, SECCOMP_MODE_ON, err, sizeof(err)) ||
	    pthread_create(&t, NULL, filtered_thread, &s))
		return false;
	pthread_join(t, &ok);
	return ok != NULL && call_socket_inet();
}

static void test_per_thread(void)
{
	struct seccomp_set none = {0};

	CHECK_EQ(in_child(&none, SECCOMP_THREAD_IO, filter_is_per_thread),
		 RETURNED);
}

static void test_names_and_listing(void)
{
	char path[] = "/tmp/seccomp-list-XXXXXX", buf[8192];
	int fd = mkstemp(path);
	ssize_t n;

	CHECK(!strcmp(seccomp_syscall_name(SYS_read), "read"));
	CHECK(!strcmp(seccomp_syscall_name(SYS_execve), "execve"));
	CHECK(!strcmp(seccomp_syscall_name(SYS_io_uring_enter),
		      "io_uring_enter"));
	CHECK(seccomp_syscall_name(-1) == NULL);
	CHECK(seccomp_syscall_name(100000) == NULL);
	CHECK(fd >= 0);
	CHECK_EQ(vmm_seccomp_print(fd), 0);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	CHECK(strstr(buf, "vcpu thread: ") == buf);
	CHECK(strstr(buf, "io thread: ") != NULL);
	CHECK(strstr(buf, "app thread: ") != NULL);
	CHECK(strstr(buf, " KVM_RUN") != NULL);
	CHECK(strstr(buf, "socket(AF_UNIX)") != NULL);
	CHECK(strstr(buf, " execve") == NULL);
	CHECK(SANITIZED || strstr(buf, " clone") == NULL);
}

int main(void)
{
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	test_on();
	test_log_and_off();
	test_report();
	test_per_thread();
	test_names_and_listing();
	return check_done("seccomp");
}
