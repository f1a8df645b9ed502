/* SPDX-License-Identifier: MIT */
/*
 * The runner's init: pid 1 of the VM that runs one container process
 * (docs/runner-protocol.md). It finds its control port, reads the process
 * description the host put in the initramfs, mounts the container's root
 * from virtio-fs, starts the process on the named ports (or on hvc0 as
 * its terminal), forwards the host's signals to it, reaps every child
 * that ends up here, reports the process's status, and powers the VM off.
 *
 * It never exits: the kernel would panic. Every failure reports a status
 * when the control port is open (125 before the process runs) and powers
 * off; a failure before that only powers off, which the host sees as a VM
 * that ended without an exit line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "exec.h"
#include "log.h"
#include "mounts.h"
#include "net.h"
#include "ports.h"
#include "process.h"
#include "status.h"

#define PROCESS_FILE "/vmm/process"
#define HVC0	     "/dev/hvc0"
/* How long a port may take to appear after the driver probed. */
#define PORT_TIMEOUT_MS 10000

struct runner {
	int ctl;     /* vmm.ctl, non-blocking; -1 until found */
	int sig;     /* signalfd of SIGCHLD and SIGIO */
	pid_t child; /* the process; 0 before it runs and once reaped */
	bool terminal;
	bool ctl_reading; /* false while the host has vmm.ctl closed */
	struct ctl_reader reader;
	size_t dropped; /* over-long host lines already logged */
	bool exited;
	int status; /* once exited */
};

static void nap_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000,
			      .tv_nsec = (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

__attribute__((noreturn)) static void power_off(struct runner *r)
{
	if (r->ctl >= 0)
		close(r->ctl);
	sync();
	reboot(RB_POWER_OFF);
	log_err("reboot(RB_POWER_OFF): %s", strerror(errno));
	for (;;)
		pause();
}

/*
 * One line on vmm.ctl. The port refuses a write (EAGAIN) while its
 * virtqueue is full or the host has it closed; poll() says POLLOUT for the
 * first but only POLLHUP for the second, so that case looks again later.
 */
static int ctl_write(struct runner *r, const char *line, size_t n)
{
	struct pollfd pfd = {.fd = r->ctl, .events = POLLOUT};
	ssize_t w;

	while (n) {
		w = write(r->ctl, line, n);
		if (w > 0) {
			line += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (poll(&pfd, 1, -1) < 0 || !(pfd.revents & POLLOUT))
			nap_ms(100);
	}
	return 0;
}

/* "exit STATUS" when there is a port to say it on, then power off. */
__attribute__((noreturn)) static void finish(struct runner *r, int status)
{
	char line[CTL_LINE_MAX];
	int n = ctl_format_exit(line, sizeof(line), status), rc;

	log_info("exit %d", status);
	if (r->ctl >= 0 && n > 0) {
		rc = ctl_write(r, line, (size_t)n);
		if (rc)
			log_err("vmm.ctl: the exit line: %s", strerror(-rc));
	}
	power_off(r);
}

__attribute__((noreturn, format(printf, 3, 4))) static void
fail(struct runner *r, int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	finish(r, status);
}

/*
 * Descriptors 0-2 open, so that nothing opened later lands there: the
 * kernel gives init /dev/console, but only if the initramfs had the node.
 */
static void stdio_fill(void)
{
	int fd;

	while (fcntl(STDERR_FILENO, F_GETFD) < 0 ||
	       fcntl(STDOUT_FILENO, F_GETFD) < 0 ||
	       fcntl(STDIN_FILENO, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR | O_NOCTTY);
		if (fd < 0)
			fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return; /* nothing to fill them with: log to kmsg */
		if (fd > STDERR_FILENO) {
			close(fd);
			return;
		}
	}
}

/* SIGCHLD and SIGIO (vmm.ctl reopened) come through a signalfd. */
static int signals_take(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGIO);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* Open the port named NAME, waiting for the driver to announce it. */
static int port_open(const char *name, int flags)
{
	char dev[64], path[80];
	int r, fd;

	r = port_wait("/sys", name, dev, sizeof(dev), PORT_TIMEOUT_MS);
	if (r)
		return r;
	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

static int node_wait(const char *path)
{
	long waited;

	for (waited = 0; access(path, F_OK); waited += 10) {
		if (waited >= PORT_TIMEOUT_MS)
			return -ENOENT;
		nap_ms(10);
	}
	return 0;
}

/* vmm.ctl, or power off: without it no status can be reported. */
static void ctl_open(struct runner *r)
{
	int fd = port_open("vmm.ctl", O_RDWR | O_NONBLOCK);

	if (fd < 0) {
		log_err("no vmm.ctl port: %s", strerror(-fd));
		power_off(r);
	}
	r->ctl = fd;
	r->ctl_reading = true;
	/*
	 * SIGIO when the host opens or closes the port (or sends): a closed
	 * port reads as EOF until then, so it is not polled meanwhile.
	 */
	if (fcntl(fd, F_SETOWN, getpid()) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC))
		log_warn("vmm.ctl: O_ASYNC: %s", strerror(errno));
}

static void unknown_key(const char *key, size_t index, void *opaque)
{
	(void)opaque;
	log_warn(PROCESS_FILE ": record %zu: unknown key '%.32s' skipped",
		 index, key);
}

static void description_read(struct runner *r, struct process *p, char **buf)
{
	char err[160];
	size_t len;
	int rc;

	rc = process_read_file(PROCESS_FILE, buf, &len);
	if (rc == -EFBIG)
		fail(r, STATUS_SETUP, PROCESS_FILE ": larger than %u bytes",
		     PROCESS_MAX_SIZE);
	if (rc)
		fail(r, STATUS_SETUP, PROCESS_FILE ": %s", strerror(-rc));
	rc = process_parse(p, *buf, len, unknown_key, NULL, err, sizeof(err));
	if (rc)
		fail(r, STATUS_SETUP, PROCESS_FILE ": %s", err);
	r->terminal = p->terminal;
}

/* The process's stdio: the three ports, or hvc0 (opened by the child). */
static void stdio_open(struct runner *r, struct exec_stdio *io)
{
	static const struct {
		const char *name;
		int flags;
	} ports[] = {
	    {"vmm.stdin", O_RDONLY},
	    {"vmm.stdout", O_WRONLY},
	    {"vmm.stderr", O_WRONLY},
	};
	int *fds[] = {&io->in, &io->out, &io->err};
	size_t i;
	int fd;

	io->in = io->out = io->err = -1;
	io->tty = HVC0;
	if (r->terminal) {
		if (node_wait(HVC0))
			fail(r, STATUS_SETUP, "no " HVC0 " for terminal=1");
		return;
	}
	for (i = 0; i < 3; i++) {
		fd = port_open(ports[i].name, ports[i].flags);
		if (fd < 0)
			fail(r, STATUS_SETUP, "port %s: %s", ports[i].name,
			     strerror(-fd));
		*fds[i] = fd;
	}
}

/* Fork the process; "started PID" once its execve() worked. */
static void start(struct runner *r, const struct process *p,
		  const struct exec_stdio *io)
{
	char line[CTL_LINE_MAX], c;
	int report[2], n, rc;
	ssize_t got;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC))
		fail(r, STATUS_SETUP, "pipe2: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail(r, STATUS_SETUP, "fork: %s", strerror(errno));
	if (!pid) {
		close(report[0]);
		exec_child(p, io, report[1]);
	}
	r->child = pid;
	close(report[1]);
	/* EOF: the pipe closed on execve(); a byte: the child failed. */
	do
		got = read(report[0], &c, 1);
	while (got < 0 && errno == EINTR);
	close(report[0]);
	if (got)
		return; /* its status comes with SIGCHLD */
	log_info("started %ld", (long)pid);
	n = ctl_format_started(line, sizeof(line), (long)pid);
	rc = n > 0 ? ctl_write(r, line, (size_t)n) : n;
	if (rc)
		log_err("vmm.ctl: the started line: %s", strerror(-rc));
}

/* Every child that ended: ours gives the status, orphans just go. */
static void reap(struct runner *r)
{
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (pid == r->child) {
			r->status = status_from_wait(ws);
			r->exited = true;
			r->child = 0;
		}
	}
}

static void on_line(const char *line, size_t len, void *opaque)
{
	struct runner *r = opaque;
	int signo;

	if (ctl_parse(line, len, &signo) != CTL_SIGNAL) {
		log_warn("vmm.ctl: unknown line '%.*s'", (int)len, line);
		return;
	}
	if (!r->child)
		return; /* not running: nothing to signal */
	/* With a terminal, the process leads its own process group. */
	if (kill(r->terminal ? -r->child : r->child, signo))
		log_warn("kill %d: %s", signo, strerror(errno));
}

static void on_ctl(struct runner *r)
{
	char buf[256];
	ssize_t n = read(r->ctl, buf, sizeof(buf));

	if (n > 0) {
		ctl_feed(&r->reader, buf, (size_t)n, on_line, r);
		if (r->reader.dropped != r->dropped) {
			r->dropped = r->reader.dropped;
			log_warn("vmm.ctl: a line over %d bytes dropped",
				 CTL_LINE_MAX);
		}
	} else if (!n || (errno != EAGAIN && errno != EINTR)) {
		/* Closed by the host: SIGIO says when it opens it again. */
		r->ctl_reading = false;
	}
}

static void on_signals(struct runner *r)
{
	struct signalfd_siginfo si[8];
	ssize_t n;
	size_t i;

	while ((n = read(r->sig, si, sizeof(si))) > 0)
		for (i = 0; i < (size_t)n / sizeof(si[0]); i++)
			if (si[i].ssi_signo == SIGIO)
				r->ctl_reading = true;
	/* SIGCHLDs merge: one may stand for many children, so reap all. */
	reap(r);
}

/* Until the process ends: the host's lines and the children's ends. */
static void wait_process(struct runner *r)
{
	struct pollfd pfd[2];

	while (!r->exited) {
		pfd[0] = (struct pollfd){.fd = r->sig, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = r->ctl_reading ? r->ctl : -1,
					 .events = POLLIN};
		if (poll(pfd, 2, -1) < 0) {
			if (errno != EINTR) {
				log_err("poll: %s", strerror(errno));
				nap_ms(10);
			}
			continue;
		}
		if (pfd[0].revents)
			on_signals(r);
		if (pfd[1].revents)
			on_ctl(r);
	}
}

int main(void)
{
	static struct runner r = {.ctl = -1, .sig = -1};
	struct exec_stdio io;
	struct process p;
	const char *what;
	char *desc;
	int rc;

	/* It mounts over / and powers off: never as anything but pid 1. */
	if (getpid() != 1) {
		fprintf(stderr, "runner init: not pid 1; this is the init of "
				"vmm's runner VM (docs/runner-protocol.md)\n");
		return 2;
	}
	rc = mounts_early(&what);
	stdio_fill();
	log_open();
	if (rc) {
		log_err("%s: %s", what, strerror(-rc));
		power_off(&r);
	}
	r.sig = signals_take();
	if (r.sig < 0) {
		log_err("signalfd: %s", strerror(-r.sig));
		power_off(&r);
	}
	ctl_open(&r);
	description_read(&r, &p, &desc);
	stdio_open(&r, &io);
	rc = mounts_root(&what);
	if (!rc)
		rc = mounts_switch(&what);
	if (rc)
		fail(&r, STATUS_SETUP, "%s: %s", what, strerror(-rc));
	if (p.hostname && sethostname(p.hostname, strlen(p.hostname)))
		fail(&r, STATUS_SETUP, "sethostname: %s", strerror(errno));
	rc = net_loopback_up();
	if (rc)
		log_warn("lo up: %s", strerror(-rc));
	start(&r, &p, &io);
	/* The child has its copies; the ports close when it is done. */
	if (!r.terminal) {
		close(io.in);
		close(io.out);
		close(io.err);
	}
	wait_process(&r);
	finish(&r, r.status);
}
