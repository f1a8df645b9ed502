/* SPDX-License-Identifier: MIT */
/*
 * vmm: argv -> options -> the public API (vmm_*) -> process exit status.
 * The only place that exits the process and the only owner of its signal
 * dispositions. Subcommands (ctl, top, bench) dispatch to their own
 * modules.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <vmm/vmm.h>

#include "cli.h"
#include "configure.h"
#include "seccomp.h"
#include "subcommands.h"

static int usage_error(const char *msg)
{
	fprintf(stderr, "vmm: error: %s\n", msg);
	return CLI_STATUS_USAGE;
}

/* The configuration calls; any failure is the user's input: status 2. */
static int configure(struct vmm *vm, const struct cli_options *cfg)
{
	int r = vmm_set_log(vm,
			    cfg->verbosity >= 2	  ? VMM_LOG_DEBUG
			    : cfg->verbosity == 1 ? VMM_LOG_INFO
						  : VMM_LOG_WARN,
			    NULL, NULL);

	if (!r)
		r = vmm_set_machine(vm, cfg->nr_cpus, cfg->mem_size);
	if (!r)
		r = vmm_set_kernel(vm, cfg->kernel, cfg->initrd, cfg->cmdline);
	if (!r)
		r = cli_add_devices(vm, cfg);
	return r;
}

/* How the guest ended, as the process's exit status (README, --help). */
static int exit_status(const struct vmm_exit *ex, int signo)
{
	switch (ex->reason) {
	case VMM_EXIT_POWEROFF: return CLI_STATUS_POWEROFF;
	case VMM_EXIT_RESET: return CLI_STATUS_RESET;
	case VMM_EXIT_CRASH: return CLI_STATUS_CRASH;
	case VMM_EXIT_DEBUG:
	case VMM_EXIT_WORKLOAD: return ex->status;
	/* The shell's convention for a process ended by a signal. */
	case VMM_EXIT_STOPPED: return signo ? 128 + signo : CLI_STATUS_POWEROFF;
	case VMM_EXIT_NONE:
	case VMM_EXIT_ERROR: break;
	}
	return CLI_STATUS_ERROR;
}

/*
 * Wait for the guest to end or a termination signal; a signal stops the
 * VM in order (vCPUs stopped, terminal restored). Returns the signal that
 * stopped it, or 0.
 */
static int wait_for_end(struct vmm *vm, int sig_fd)
{
	struct pollfd p[2] = {
	    {.fd = vmm_exit_fd(vm), .events = POLLIN},
	    {.fd = sig_fd, .events = POLLIN},
	};
	struct signalfd_siginfo si;
	int signo = 0;

	for (;;) {
		if (poll(p, sig_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		if ((p[1].revents & POLLIN) &&
		    read(sig_fd, &si, sizeof(si)) == sizeof(si) && !signo) {
			signo = (int)si.ssi_signo;
			vmm_stop(vm);
		}
	}
	return signo;
}

/*
 * A shared directory costs one fd per file or directory the guest holds
 * (as virtiofsd, which asks for 1,000,000): the soft limit goes up to
 * 1048576 where the hard one allows or can be raised (root), else to the
 * hard limit. A process-wide setting, so the program's, not libvmm's.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	const rlim_t want = 1u << 20;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit up = {.rlim_cur = want, .rlim_max = want};

		if (!setrlimit(RLIMIT_NOFILE, &up))
			return;
	}
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

static int boot(int argc, char **argv)
{
	struct cli_options cfg;
	struct vmm_exit ex = {.reason = VMM_EXIT_ERROR};
	char err[512] = "";
	struct vmm *vm;
	sigset_t sigs, winch;
	int r, sig_fd, signo;

	switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CLI_HELP: fputs(cli_usage(), stdout); return 0;
	case CLI_VERSION: printf("vmm %s\n", vmm_version()); return 0;
	case CLI_ERROR: return usage_error(err);
	case CLI_RUN: break;
	}
	if (cfg.nr_fs)
		raise_fd_limit();
	if (vmm_create(&vm)) {
		fprintf(stderr, "vmm: error: out of memory\n");
		return CLI_STATUS_ERROR;
	}
	if (configure(vm, &cfg)) {
		r = usage_error(vmm_last_error(vm));
		vmm_destroy(vm);
		return r;
	}
	/* Termination signals come through a signalfd; SIGWINCH is blocked
	 * so the stdio console's signalfd sees terminal resizes. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	pthread_sigmask(SIG_BLOCK, &winch, NULL);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		fprintf(stderr, "vmm: warning: cannot watch signals: %s\n",
			strerror(errno));
	r = vmm_start(vm);
	if (r) {
		fprintf(stderr, "vmm: error: %s\n", vmm_last_error(vm));
		vmm_destroy(vm);
		if (sig_fd >= 0)
			close(sig_fd);
		/* -EINVAL: the configuration cannot boot (bad input). */
		return r == -EINVAL ? CLI_STATUS_USAGE : CLI_STATUS_ERROR;
	}
	/* From here this thread only waits, stops and tears down. */
	r = vmm_restrict_thread(vm);
	if (r)
		fprintf(stderr, "vmm: warning: %s\n", vmm_last_error(vm));
	signo = wait_for_end(vm, sig_fd);
	vmm_wait(vm, &ex);
	vmm_destroy(vm);
	if (sig_fd >= 0)
		close(sig_fd);
	return exit_status(&ex, signo);
}

int main(int argc, char **argv)
{
	/* A syscall a seccomp filter refuses: one line, then the end. */
	(void)vmm_seccomp_catch_sigsys();
	if (argc > 1) {
		const struct subcommand *sc = subcommand_find(argv[1]);

		if (sc)
			return sc->main(argc - 1, argv + 1);
	}
	return boot(argc, argv);
}
