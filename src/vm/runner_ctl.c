/* SPDX-License-Identifier: MIT */
/*
 * The runner control port's host end (runner_ctl.h): a socketpair whose
 * far end is the "vmm.ctl" console port's fd backend, so the guest's
 * bytes arrive here through virtio-console's ordinary lossless path. The
 * loop thread assembles lines and parses them; any thread may queue a
 * "signal N" line. What the guest says is only recorded (the workload's
 * pid, its exit status): the VM still ends when the guest powers off.
 */
#define pr_fmt(fmt) "runner-ctl: " fmt

#include "runner_ctl.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "io/loop.h"

/* The guest's signal numbers: x86 Linux's, 1..SIGRTMAX (64). */
#define RUNNER_SIGNAL_MAX 64

struct runner_ctl {
	struct io_loop *loop;
	int fd;	     /* ours: nonblocking */
	int peer_fd; /* the console's, until handed over */
	char backend[32];
	struct io_source src;
	/* Loop thread: the line being assembled. */
	char line[RUNNER_CTL_LINE_MAX];
	size_t len;
	bool overlong; /* past the limit: skip to the next newline */
	struct log_ratelimit rl;
	/* Guards what follows and the writes of signal lines. */
	pthread_mutex_t lock;
	bool started, exited, ended;
	int pid, status;
};

/*
 * A decimal of 1..10 digits without sign or leading zero, in @min..@max.
 */
static int parse_number(const char *s, size_t len, long min, long max, int *out)
{
	long v = 0;

	if (!len || len > 10 || (s[0] == '0' && len > 1))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* Does @line start with the word @w and one space? */
static bool has_word(const char *line, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len > n && !memcmp(line, w, n) && line[n] == ' ';
}

int runner_ctl_parse(const char *line, size_t len, struct runner_msg *m)
{
	if (has_word(line, len, "started")) {
		m->kind = RUNNER_MSG_STARTED;
		return parse_number(line + 8, len - 8, 1, 0x7fffffffL,
				    &m->value);
	}
	if (has_word(line, len, "exit")) {
		m->kind = RUNNER_MSG_EXIT;
		return parse_number(line + 5, len - 5, 0, 255, &m->value);
	}
	return -EINVAL;
}

struct vmm_exit runner_ctl_map_exit(struct vmm_exit ex, bool exited, int status)
{
	if (ex.reason == VMM_EXIT_POWEROFF && exited)
		return (struct vmm_exit){.reason = VMM_EXIT_WORKLOAD,
					 .status = status};
	return ex;
}

/* A guest's junk line, printable and short, for the log. */
static void junk(struct runner_ctl *rc, const char *what, const char *line,
		 size_t len)
{
	char shown[33];
	size_t n = len < sizeof(shown) - 1 ? len : sizeof(shown) - 1;

	for (size_t i = 0; i < n; i++)
		shown[i] = isprint((unsigned char)line[i]) ? line[i] : '?';
	shown[n] = '\0';
	pr_warn_ratelimited(&rc->rl, "%s ignored: '%s%s'", what, shown,
			    len > n ? "..." : "");
}

static void handle_line(struct runner_ctl *rc, const char *line, size_t len)
{
	struct runner_msg m;

	if (runner_ctl_parse(line, len, &m)) {
		junk(rc, "malformed control line", line, len);
		return;
	}
	pthread_mutex_lock(&rc->lock);
	if (rc->exited) {
		pthread_mutex_unlock(&rc->lock);
		junk(rc, "control line after the exit line", line, len);
		return;
	}
	if (m.kind == RUNNER_MSG_STARTED) {
		rc->started = true;
		rc->pid = m.value;
	} else {
		rc->exited = true;
		rc->status = m.value;
	}
	pthread_mutex_unlock(&rc->lock);
	if (m.kind == RUNNER_MSG_STARTED)
		pr_info("the workload started (pid %d in the guest)", m.value);
	else
		pr_info("the workload exited with status %d", m.value);
}

/* Split @n bytes into lines of at most RUNNER_CTL_LINE_MAX - 1 bytes. */
static void feed(struct runner_ctl *rc, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			if (rc->overlong)
				junk(rc, "control line longer than 64 bytes",
				     rc->line, rc->len);
			else
				handle_line(rc, rc->line, rc->len);
			rc->len = 0;
			rc->overlong = false;
		} else if (rc->len == RUNNER_CTL_LINE_MAX - 1) {
			rc->overlong = true; /* the newline would not fit */
		} else if (!rc->overlong) {
			rc->line[rc->len++] = buf[i];
		}
	}
}

/* Read everything there is now. Returns false at EOF or on an error. */
static bool drain(struct runner_ctl *rc)
{
	char buf[512];
	ssize_t n;

	for (;;) {
		n = read(rc->fd, buf, sizeof(buf));
		if (n > 0) {
			feed(rc, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n < 0)
			pr_warn_ratelimited(&rc->rl, "read: %s",
					    strerror(errno));
		return false;
	}
}

static void ready(struct io_source *src, int res)
{
	struct runner_ctl *rc = container_of(src, struct runner_ctl, src);

	if (res < 0) {
		pr_warn_ratelimited(&rc->rl, "poll: %s", strerror(-res));
		return;
	}
	/* At EOF (the console closed its end) stop watching. */
	if (!drain(rc) && io_source_watched(&rc->src))
		(void)io_loop_unwatch(rc->loop, &rc->src); /* it is watched */
}

int runner_ctl_create(struct runner_ctl **out, struct io_loop *loop, char *err,
		      size_t err_len)
{
	struct runner_ctl *rc = calloc(1, sizeof(*rc));
	int sv[2];

	if (!rc)
		return -ENOMEM;
	/* Both ends nonblocking: the console's writes go through the loop. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
		       sv) < 0) {
		int r = -errno;

		snprintf(err, err_len, "runner control: socketpair: %s",
			 strerror(-r));
		free(rc);
		return r;
	}
	rc->loop = loop;
	rc->fd = sv[0];
	rc->peer_fd = sv[1];
	snprintf(rc->backend, sizeof(rc->backend), "fd:%d,%d", sv[1], sv[1]);
	rc->src = (struct io_source){.fd = sv[0], .ready = ready};
	pthread_mutex_init(&rc->lock, NULL);
	*out = rc;
	return 0;
}

const char *runner_ctl_backend(const struct runner_ctl *rc)
{
	return rc->backend;
}

void runner_ctl_handed_over(struct runner_ctl *rc)
{
	rc->peer_fd = -1;
}

int runner_ctl_start(struct runner_ctl *rc)
{
	return io_loop_watch(rc->loop, &rc->src);
}

int runner_ctl_signal(struct runner_ctl *rc, int signo)
{
	char line[RUNNER_CTL_LINE_MAX];
	ssize_t n;
	int len, r = 0;

	if (signo < 1 || signo > RUNNER_SIGNAL_MAX)
		return -EINVAL;
	len = snprintf(line, sizeof(line), "signal %d\n", signo);
	pthread_mutex_lock(&rc->lock);
	if (rc->exited || rc->ended) {
		r = -ESRCH;
		goto out;
	}
	/*
	 * A unix stream socket takes a message this small whole or not at
	 * all (one buffer); the lock keeps lines of two threads apart.
	 */
	do
		n = send(rc->fd, line, (size_t)len,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = errno == EWOULDBLOCK ? -EAGAIN : -errno;
	else if (n != len)
		r = -EIO;
out:
	pthread_mutex_unlock(&rc->lock);
	return r;
}

struct vmm_exit runner_ctl_finish(struct runner_ctl *rc, struct vmm_exit ex)
{
	bool exited;
	int status;

	(void)drain(rc);
	pthread_mutex_lock(&rc->lock);
	rc->ended = true;
	exited = rc->exited;
	status = rc->status;
	pthread_mutex_unlock(&rc->lock);
	if (ex.reason == VMM_EXIT_POWEROFF && !exited)
		pr_info("the guest powered off without reporting the "
			"workload's exit status");
	return runner_ctl_map_exit(ex, exited, status);
}

void runner_ctl_destroy(struct runner_ctl *rc)
{
	if (!rc)
		return;
	close(rc->fd);
	if (rc->peer_fd >= 0)
		close(rc->peer_fd);
	pthread_mutex_destroy(&rc->lock);
	free(rc);
}
