/* SPDX-License-Identifier: MIT */
/*
 * pty console backend: a pseudo-terminal whose slave path is printed on
 * stderr ("console: /dev/pts/N"). The slave is opened once at creation to
 * put it in raw mode and closed again, so the master reports POLLHUP until
 * a reader (screen, minicom, cat) opens it. Without a reader, output goes
 * to the replay ring; a 100 ms timerfd on the loop notices a reader
 * arriving (the master gets no wake-up for that) and, while one is
 * attached, a change of the terminal size it set (no SIGWINCH reaches the
 * master's owner); POLLHUP on the master notices the reader leaving.
 */
#define pr_fmt(fmt) "console-pty: " fmt

#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

#define PTY_POLL_NS (100 * 1000 * 1000)

struct pty_state {
	struct console *c;
	int master;
	int timer_fd;
	bool attached;
	struct winsize ws;	    /* last size seen */
	struct io_source timer_src; /* reader arrival, resizes */
	struct io_source hup_src;   /* attached: notice it leave */
	char path[64];
};

/* Open the slave once: raw mode (no echo of guest output), then close. */
static int pty_make_raw(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		if (tcsetattr(fd, TCSANOW, &t))
			r = -errno;
	}
	close(fd);
	return r;
}

static int pty_open(struct console *c, const char *arg)
{
	struct pty_state *s = calloc(1, sizeof(*s));
	int r;

	(void)arg;
	if (!s)
		return -ENOMEM;
	s->c = c;
	s->timer_fd = -1;
	c->priv = s;
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->master < 0)
		goto err_errno;
	if (grantpt(s->master) || unlockpt(s->master))
		goto err_errno;
	r = ptsname_r(s->master, s->path, sizeof(s->path));
	if (r) {
		r = -r;
		goto err;
	}
	r = pty_make_raw(s->path);
	if (r)
		goto err;
	r = console_ring_init(c, REPLAY_RING_DEFAULT);
	if (r)
		goto err;
	snprintf(c->peer, sizeof(c->peer), "%s", s->path);
	/* The user needs this line whatever the log level. */
	fprintf(stderr, "%s: %s\n", c->label, s->path);
	return 0;

err_errno:
	r = -errno;
err:
	if (s->master >= 0)
		close(s->master);
	free(s);
	c->priv = NULL;
	return r;
}

static int pty_arm_timer(struct pty_state *s)
{
	struct itimerspec its = {
	    .it_value.tv_nsec = PTY_POLL_NS,
	    .it_interval.tv_nsec = PTY_POLL_NS,
	};

	return timerfd_settime(s->timer_fd, 0, &its, NULL) ? -errno : 0;
}

/* The reader left. Under c->lock, taken here unless @locked. */
static void pty_detach(struct pty_state *s, bool locked)
{
	if (!locked)
		pthread_mutex_lock(&s->c->lock);
	if (s->attached) {
		s->attached = false;
		if (io_source_watched(&s->hup_src))
			(void)io_loop_unwatch(s->c->loop, &s->hup_src);
		console_detach_locked(s->c);
		pr_info("%s: reader left", s->path);
	}
	if (!locked)
		pthread_mutex_unlock(&s->c->lock);
}

static void pty_hup(struct io_source *src, int res)
{
	struct pty_state *s = container_of(src, struct pty_state, hup_src);

	if (res < 0 || (res & (POLLHUP | POLLERR)))
		pty_detach(s, false);
}

/* Attached: report a new terminal size (the reader resized its window). */
static void pty_check_size(struct pty_state *s)
{
	struct winsize ws;

	if (ioctl(s->master, TIOCGWINSZ, &ws) ||
	    (ws.ws_row == s->ws.ws_row && ws.ws_col == s->ws.ws_col))
		return;
	s->ws = ws;
	console_notify(s->c, CONSOLE_EV_RESIZE);
}

static void pty_tick(struct io_source *src, int res)
{
	struct pty_state *s = container_of(src, struct pty_state, timer_src);
	struct pollfd p = {.fd = s->master, .events = POLLIN};
	uint64_t ticks;

	if (res < 0)
		return;
	(void)!read(s->timer_fd, &ticks, sizeof(ticks)); /* may be drained */
	if (s->attached) {
		pty_check_size(s);
		return;
	}
	if (poll(&p, 1, 0) < 0 || (p.revents & POLLHUP))
		return;
	/* The slave is open: a reader is here. */
	s->attached = true;
	s->hup_src = (struct io_source){
	    .fd = s->master,
	    .events = POLLHUP,
	    .ready = pty_hup,
	};
	if (io_loop_watch(s->c->loop, &s->hup_src))
		pr_warn("%s: cannot watch for the reader leaving", s->path);
	pr_info("%s: reader attached", s->path);
	console_attach(s->c, s->master, s->master);
	pty_check_size(s);
}

static int pty_start(struct console *c)
{
	struct pty_state *s = c->priv;

	s->timer_fd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0)
		return -errno;
	s->timer_src = (struct io_source){
	    .fd = s->timer_fd,
	    .events = POLLIN,
	    .ready = pty_tick,
	};
	return pty_arm_timer(s) ?: io_loop_watch(c->loop, &s->timer_src);
}

static ssize_t pty_read(struct console *c, void *buf, size_t len)
{
	struct pty_state *s = c->priv;
	ssize_t n;

	do
		n = read(c->in_fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	/* EIO (or EOF): the slave side closed. */
	if (c->loop)
		pty_detach(s, true);
	return -EAGAIN;
}

static bool pty_out_error(struct console *c, int err)
{
	struct pty_state *s = c->priv;

	if (err != -EIO || !c->loop)
		return false;
	pty_detach(s, true);
	return true;
}

static int pty_get_winsize(struct console *c, uint16_t *rows, uint16_t *cols)
{
	struct pty_state *s = c->priv;
	struct winsize ws;

	if (ioctl(s->master, TIOCGWINSZ, &ws) || !ws.ws_row || !ws.ws_col)
		return -ENOTTY;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

static void pty_close(struct console *c)
{
	struct pty_state *s = c->priv;

	if (!s)
		return;
	if (io_source_watched(&s->hup_src))
		(void)io_loop_unwatch(c->loop, &s->hup_src); /* watched */
	if (io_source_watched(&s->timer_src))
		(void)io_loop_unwatch(c->loop, &s->timer_src); /* watched */
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	close(s->master);
	free(s);
	c->priv = NULL;
}

const struct console_backend_ops console_pty_ops = {
    .name = "pty",
    .open = pty_open,
    .close = pty_close,
    .start = pty_start,
    .read = pty_read,
    .out_error = pty_out_error,
    .get_winsize = pty_get_winsize,
};
