/* SPDX-License-Identifier: MIT */
/*
 * A program written only against the installed <vmm/vmm.h> and built with
 * pkg-config (tests/lib/build.sh), shared and static. It boots the hello
 * guest twice at once, pauses and resumes one, reads its runstates, gets
 * both exit reasons, and checks the library left its process alone: its
 * own SIGRTMIN handler and the default SIGPIPE disposition stay, a kick
 * signal that holds a handler is refused, and eight VMs created and
 * destroyed leak nothing (under ASan), and every descriptor the VMs hold
 * is close-on-exec. Prints "CONSUMER OK" and exits 0.
 *   consumer HELLO SPIN OUTDIR   (the hello and spin test guests)
 */
#define _GNU_SOURCE /* usleep, sigaction in -std=c99 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vmm/vmm.h>

static int failures;

#define EXPECT(cond)                                                           \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "consumer: line %d: %s failed\n",      \
				__LINE__, #cond);                              \
			failures++;                                            \
		}                                                              \
	} while (0)

/* vmm_start(@vm) must succeed; say why it did not. */
#define EXPECT_START(vm)                                                       \
	do {                                                                   \
		int r_ = vmm_start(vm);                                        \
		if (r_) {                                                      \
			fprintf(stderr,                                        \
				"consumer: line %d: vmm_start: %s (%s)\n",     \
				__LINE__, strerror(-r_), vmm_last_error(vm));  \
			failures++;                                            \
		}                                                              \
	} while (0)

static volatile sig_atomic_t own_signals;

static void own_handler(int sig)
{
	(void)sig;
	own_signals++;
}

static struct vmm *new_vm(const char *kernel, const char *serial,
			  const char *cmdline, unsigned int cpus)
{
	struct vmm *vm = NULL;

	EXPECT(vmm_create(&vm) == 0);
	if (!vm)
		exit(1);
	EXPECT(vmm_set_machine(vm, cpus, 64ull << 20) == 0);
	EXPECT(vmm_set_kernel(vm, kernel, NULL, cmdline) == 0);
	EXPECT(vmm_add_serial(vm, serial) == 0);
	EXPECT(vmm_set_debug_exit(vm, 1) == 0);
	return vm;
}

/* The spin guest spins for a while ("spin_ms"): time to pause it. */
static void pause_and_read(struct vmm *vm)
{
	struct vmm_vcpu_info info;
	unsigned long long offline;

	EXPECT(vmm_vcpu_count(vm) == 1);
	EXPECT(vmm_pause(vm, 5) == -EINVAL);
	EXPECT(vmm_pause(vm, -1) == 0);
	EXPECT(vmm_get_vcpu_info(vm, 0, &info) == 0);
	EXPECT(info.state == VMM_RUNSTATE_OFFLINE);
	EXPECT(info.tid > 0);
	offline = info.time_ns[VMM_RUNSTATE_OFFLINE];
	usleep(200 * 1000);
	EXPECT(vmm_get_vcpu_info(vm, 0, &info) == 0);
	/* Paused 200 ms: offline time grew by at least most of that. */
	EXPECT(info.time_ns[VMM_RUNSTATE_OFFLINE] >= offline + 150000000ull);
	EXPECT(vmm_resume(vm, -1) == 0);
	EXPECT(vmm_get_vcpu_info(vm, 1, &info) == -EINVAL);
}

/* Every descriptor beyond stdio is close-on-exec (the VMs' included). */
static int count_inheritable_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd <= 2 || fd == dirfd(d))
			continue;
		if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC)) {
			fprintf(stderr, "consumer: fd %d is inheritable\n", fd);
			n++;
		}
	}
	closedir(d);
	return n;
}

static void two_at_once(const char *hello, const char *spin, const char *dir)
{
	char serial[2][512];
	struct vmm *vm[2];
	struct vmm_exit ex;

	for (int i = 0; i < 2; i++)
		snprintf(serial[i], sizeof(serial[i]), "file:%s/consumer%d",
			 dir, i);
	vm[0] = new_vm(spin, serial[0], "spin_ms=2000", 1);
	vm[1] = new_vm(hello, serial[1], "mem_mb=64 cpus=2", 2);
	EXPECT(vmm_exit_fd(vm[0]) == -EINVAL); /* not started */
	for (int i = 0; i < 2; i++)
		if (vmm_start(vm[i])) {
			fprintf(stderr, "consumer: start: %s\n",
				vmm_last_error(vm[i]));
			failures++;
			return;
		}
	EXPECT(vmm_set_machine(vm[0], 2, 64ull << 20) == -EBUSY);
	EXPECT(count_inheritable_fds() == 0);
	EXPECT(vmm_exit_fd(vm[0]) >= 0);
	pause_and_read(vm[0]);
	for (int i = 0; i < 2; i++) {
		EXPECT(vmm_wait(vm[i], &ex) == 0);
		EXPECT(ex.reason == VMM_EXIT_DEBUG);
		EXPECT(ex.status == 0);
		vmm_destroy(vm[i]);
	}
}

struct log_count {
	int lines;
	int stopped; /* lines that say the owner stopped it */
};

static void count_lines(void *opaque, enum vmm_log_level level,
			const char *line)
{
	struct log_count *c = opaque;

	(void)level;
	c->lines++;
	if (strstr(line, "stopped"))
		c->stopped++;
}

/*
 * A stop from the owner ends a running guest with VMM_EXIT_STOPPED; its
 * info lines reach the VM's own log handler.
 */
static void stopped(const char *kernel, const char *dir)
{
	struct log_count count = {0};
	char serial[512];
	struct vmm *vm;
	struct vmm_exit ex;

	snprintf(serial, sizeof(serial), "file:%s/consumer-stop", dir);
	vm = new_vm(kernel, serial, "spin_ms=60000", 1);
	EXPECT(vmm_set_log(vm, VMM_LOG_INFO, count_lines, &count) == 0);
	EXPECT_START(vm);
	EXPECT(vmm_stop(vm) == 0);
	EXPECT(vmm_wait(vm, &ex) == 0);
	EXPECT(ex.reason == VMM_EXIT_STOPPED);
	vmm_destroy(vm);
	EXPECT(count.lines > 0);
	EXPECT(count.stopped == 1);
}

/* A kick signal that the application uses is refused, not taken. */
static void busy_kick_signal(const char *kernel)
{
	struct vmm *vm = new_vm(kernel, "none", "", 1);

	EXPECT(vmm_set_kick_signal(vm, SIGRTMIN) == 0);
	EXPECT(vmm_start(vm) == -EBUSY);
	EXPECT(strstr(vmm_last_error(vm), "signal") != NULL);
	vmm_destroy(vm);
}

/* A syscall the library's filters refuse: say which, then die of it. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[160];
	size_t n = vmm_seccomp_report(si->si_syscall, line, sizeof(line) - 1);

	(void)uc;
	line[n++] = '\n';
	(void)!write(2, line, n);
	raise(sig); /* SA_RESETHAND: the default action once we return */
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = own_handler}, now;

	if (argc != 4) {
		fprintf(stderr, "usage: consumer HELLO SPIN OUTDIR\n");
		return 2;
	}
	struct sigaction sys = {.sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO | SA_RESETHAND};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGRTMIN, &sa, NULL);
	sigemptyset(&sys.sa_mask);
	sigaction(SIGSYS, &sys, NULL);
	EXPECT(VMM_API_VERSION == 1);
	EXPECT(vmm_version()[0] != '\0');

	two_at_once(argv[1], argv[2], argv[3]);
	stopped(argv[2], argv[3]);
	busy_kick_signal(argv[1]);
	/* Eight VMs in sequence, each started and stopped (ASan: no leak). */
	for (int i = 0; i < 8; i++) {
		struct vmm *vm = new_vm(argv[2], "none", "spin_ms=60000", 1);
		struct vmm_exit ex;

		EXPECT_START(vm);
		EXPECT(vmm_stop(vm) == 0);
		EXPECT(vmm_wait(vm, &ex) == 0 && ex.reason == VMM_EXIT_STOPPED);
		vmm_destroy(vm);
	}
	/* The process's own signal set-up is as it was. */
	sigaction(SIGRTMIN, NULL, &now);
	EXPECT(now.sa_handler == own_handler);
	sigaction(SIGPIPE, NULL, &now);
	EXPECT(now.sa_handler == SIG_DFL);
	raise(SIGRTMIN);
	EXPECT(own_signals == 1);
	if (failures)
		return 1;
	printf("CONSUMER OK\n");
	return 0;
}
