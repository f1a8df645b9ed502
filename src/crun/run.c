/* SPDX-License-Identifier: MIT */
/*
 * run_func's work (run.h), in the container's pid 1: the container's "/"
 * becomes the guest's root over virtio-fs, its stdio the runner's console
 * ports (or hvc0 for a terminal), and the process description comes from
 * config.json. The forwarded signals are blocked and read from a
 * signalfd on this thread, which also waits for the VM's end; the
 * library's threads block every signal, so none is lost to them. As pid 1
 * of a PID namespace we would never see a signal we neither handle nor
 * block: blocking them is what lets them in.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <vmm/vmm.h>

#include "handler.h"
#include "process.h"
#include "runner.h"

/* What the container's signals mean to the workload (issue 13). */
static const int forwarded[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
				SIGUSR1, SIGUSR2, SIGWINCH};

struct run {
	struct vmm *vm;
	bool terminal;
	struct termios saved; /* fd 0's modes, when raw is set */
	bool raw;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, in one write: the library logs there too. */
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmm: %s\n", line);
}

int run_exit_status(const struct vmm_exit *ex, char *why, size_t why_len)
{
	why[0] = '\0';
	switch (ex->reason) {
	case VMM_EXIT_WORKLOAD: return ex->status;
	case VMM_EXIT_POWEROFF:
		snprintf(why, why_len,
			 "the VM powered off before the runner reported the "
			 "workload's exit status");
		return RUN_STATUS_FAILED;
	case VMM_EXIT_RESET:
		snprintf(why, why_len,
			 "the guest rebooted (a kernel panic?) before the "
			 "workload ended");
		return RUN_STATUS_FAILED;
	case VMM_EXIT_CRASH:
		snprintf(why, why_len,
			 "the guest crashed (a triple fault, or KVM could "
			 "not run it)");
		return RUN_STATUS_FAILED;
	case VMM_EXIT_STOPPED:
		snprintf(why, why_len, "the VM was stopped");
		return RUN_STATUS_KILLED;
	case VMM_EXIT_ERROR:
		snprintf(why, why_len, "the VMM failed (see above)");
		return RUN_STATUS_SETUP;
	case VMM_EXIT_NONE:
	case VMM_EXIT_DEBUG: break;
	}
	snprintf(why, why_len, "the VM ended in an unexpected way (%d)",
		 (int)ex->reason);
	return RUN_STATUS_FAILED;
}

/* Can this process open /dev/kvm? Says why not. */
static bool kvm_usable(const struct vmm_crun *h)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (errno == ENOENT)
		say("no /dev/kvm in the container%s%s",
		    h->kvm_why[0] ? ": " : "", h->kvm_why);
	else if (errno == EPERM || errno == EACCES)
		say("/dev/kvm: %s: the container may not use it (podman: "
		    "--device /dev/kvm; config.json: a "
		    "linux.resources.devices rule allowing c 10:232 rw)",
		    strerror(errno));
	else
		say("/dev/kvm: %s", strerror(errno));
	return false;
}

/* The virtio-fs server holds a descriptor per file the guest uses. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE,
				&rl); /* the old one still works */
	}
}

/* "fd:IN,OUT" on duplicates of @in/@out (-1: none); "none" if neither. */
static int add_port(struct vmm *vm, const char *name, int in, int out)
{
	char spec[32];
	int i = in >= 0 ? fcntl(in, F_DUPFD_CLOEXEC, 3) : -1;
	int o = out >= 0 ? fcntl(out, F_DUPFD_CLOEXEC, 3) : -1;

	if (i < 0 && o < 0)
		return vmm_add_console(vm, name, "none");
	snprintf(spec, sizeof(spec), "fd:%d,%d", i, o);
	return vmm_add_console(vm, name, spec);
}

/*
 * terminal=1: the process's tty is hvc0 on our own (crun's pty), raw, so
 * that the guest's line discipline is the only one. Otherwise hvc0 is
 * unused and stdin, stdout, stderr are the runner's named ports.
 */
static int add_consoles(struct run *r)
{
	struct winsize ws;
	int e;

	if (!r->terminal) {
		e = vmm_add_console(r->vm, NULL, "none");
		if (!e)
			e = add_port(r->vm, "vmm.stdin", 0, -1);
		if (!e)
			e = add_port(r->vm, "vmm.stdout", -1, 1);
		if (!e)
			e = add_port(r->vm, "vmm.stderr", -1, 2);
		return e;
	}
	/* The runner looks its ports up by name: they exist, unused. */
	e = add_port(r->vm, NULL, 0, 1);
	if (!e)
		e = vmm_add_console(r->vm, "vmm.stdin", "none");
	if (!e)
		e = vmm_add_console(r->vm, "vmm.stdout", "none");
	if (!e)
		e = vmm_add_console(r->vm, "vmm.stderr", "none");
	if (!e && !ioctl(0, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row)
		e = vmm_set_console_size(r->vm, ws.ws_col, ws.ws_row);
	if (!e && isatty(0) && !tcgetattr(0, &r->saved)) {
		struct termios raw = r->saved;

		cfmakeraw(&raw);
		r->raw = tcsetattr(0, TCSANOW, &raw) == 0;
	}
	return e;
}

/*
 * The 16550 carries the guest kernel's messages: nowhere, or written to
 * the file the annotation vmm.serial names in the container's view (the
 * workload's output never goes there).
 */
static int add_serial(struct vmm *vm, const char *path)
{
	char *spec;
	int e;

	if (!path || !*path)
		return vmm_add_serial(vm, "none");
	if (asprintf(&spec, "file:%s", path) < 0)
		return -ENOMEM;
	e = vmm_add_serial(vm, spec);
	free(spec);
	return e;
}

/* Everything before vmm_start(). 0, or the library's -errno. */
static int configure(struct run *r, struct vmm_crun *h, const uint8_t *initrd,
		     size_t initrd_len)
{
	const struct machine *m = &h->machine;
	int e;

	e = vmm_set_machine(r->vm, m->cpus, m->mem);
	if (!e)
		e = vmm_set_kernel_mem(r->vm, h->files.kernel,
				       h->files.kernel_len, initrd, initrd_len,
				       h->spec.ann_serial
					   ? RUNNER_CMDLINE_VERBOSE
					   : RUNNER_CMDLINE);
	if (!e)
		e = add_serial(r->vm, h->spec.ann_serial);
	if (!e)
		e = vmm_add_fs(r->vm, RUNNER_ROOT_TAG, "/",
			       h->spec.root_readonly ? VMM_FS_READONLY : 0);
	if (!e)
		e = vmm_add_rng(r->vm);
	if (!e)
		e = add_consoles(r);
	if (!e)
		e = vmm_add_runner_control(r->vm);
	return e;
}

/* The process description and the initramfs around it. */
static int build_initrd(struct vmm_crun *h, uint8_t **initrd, size_t *len)
{
	char err[256], *desc;
	size_t desc_len;
	int e;

	/* crun derived HOME from the container's passwd if the spec has none.
	 */
	e = process_desc_build(&h->spec, getenv("HOME"), &desc, &desc_len, err,
			       sizeof(err));
	if (!e) {
		e = runner_initramfs(&h->files, desc, desc_len, initrd, len,
				     err, sizeof(err));
		free(desc);
	}
	if (e)
		say("%s", err);
	return e;
}

static void on_signal(struct run *r, int sig)
{
	struct winsize ws;
	int e;

	if (sig == SIGWINCH && r->terminal) {
		/* hvc0's new size: the guest's tty sends its own SIGWINCH. */
		if (!ioctl(0, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row)
			(void)vmm_set_console_size(r->vm, ws.ws_col, ws.ws_row);
		return;
	}
	e = vmm_signal_workload(r->vm, sig);
	if (e && e != -ESRCH)
		say("signal %d not forwarded: %s", sig, vmm_last_error(r->vm));
}

/* Forward signals until the VM ends. */
static void wait_for_end(struct run *r, int sig_fd)
{
	struct pollfd p[2] = {
	    {.fd = vmm_exit_fd(r->vm), .events = POLLIN},
	    {.fd = sig_fd, .events = POLLIN},
	};
	struct signalfd_siginfo si;

	while (!(p[0].revents & POLLIN)) {
		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			return; /* vmm_wait() still waits for the end */
		}
		if (!(p[1].revents & POLLIN))
			continue;
		while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
			on_signal(r, (int)si.ssi_signo);
	}
}

int run_vm(struct vmm_crun *h)
{
	struct run r = {.terminal = h->spec.terminal};
	struct vmm_exit ex = {.reason = VMM_EXIT_ERROR};
	uint8_t *initrd = NULL;
	size_t initrd_len = 0;
	char why[160];
	int sig_fd, e, status;
	sigset_t set;

	if (!kvm_usable(h))
		return RUN_STATUS_SETUP;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	/* Blocked before any VM thread exists; they inherit the mask. */
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0) {
		say("signalfd: %s", strerror(errno));
		return RUN_STATUS_SETUP;
	}
	raise_nofile();
	if (build_initrd(h, &initrd, &initrd_len))
		return RUN_STATUS_SETUP;
	e = vmm_create(&r.vm);
	if (!e)
		e = configure(&r, h, initrd, initrd_len);
	/* The library has its own copies of the images now. */
	free(initrd);
	runner_files_free(&h->files);
	/* The container's init is ours: a refused syscall says so. */
	(void)vmm_seccomp_catch_sigsys();
	if (!e)
		e = vmm_start(r.vm);
	/* From here this thread forwards signals, waits and tears down. */
	if (!e && vmm_restrict_thread(r.vm))
		say("%s", vmm_last_error(r.vm));
	if (e) {
		say("%s", r.vm && *vmm_last_error(r.vm) ? vmm_last_error(r.vm)
							: strerror(-e));
		status = RUN_STATUS_SETUP;
	} else {
		wait_for_end(&r, sig_fd);
		(void)vmm_wait(r.vm, &ex); /* started: cannot fail */
		status = run_exit_status(&ex, why, sizeof(why));
		if (why[0])
			say("%s", why);
	}
	vmm_destroy(r.vm);
	if (r.raw)
		(void)tcsetattr(0, TCSANOW, &r.saved); /* best effort */
	close(sig_fd);
	return status;
}
