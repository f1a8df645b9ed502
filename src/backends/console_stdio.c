/* SPDX-License-Identifier: MIT */
/*
 * stdio console backend: output to fd 1, input from fd 0. When stdin is a
 * terminal it is put in raw mode (output post-processing kept, so a guest
 * printing bare '\n' still reads well) and restored by close(). With
 * console_start() the terminal's SIGWINCH arrives through a signalfd on the
 * loop and becomes a CONSOLE_EV_RESIZE for the device, provided the
 * application blocks SIGWINCH in its threads (the vmm CLI does; the
 * library changes no thread's signal mask but its own threads'). In raw
 * mode Ctrl-A x ends the VM in order (VMM_EXIT_STOPPED, console.quit_to).
 */
#define pr_fmt(fmt) "console-stdio: " fmt

#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "console_escape.h"
#include "base/exit_ctl.h"
#include "base/log.h"
#include "base/util.h"

struct stdio_state {
	struct console *c;
	struct termios saved;
	bool raw;
	int sig_fd;
	struct io_source winch_src;
	struct console_escape escape;
};

static bool fd_valid(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int stdio_open(struct console *c, const char *arg)
{
	struct stdio_state *s = calloc(1, sizeof(*s));
	struct termios raw;

	(void)arg;
	if (!s)
		return -ENOMEM;
	s->c = c;
	s->sig_fd = -1;
	c->priv = s;
	c->in_fd = fd_valid(STDIN_FILENO) ? STDIN_FILENO : -1;
	c->out_fd = fd_valid(STDOUT_FILENO) ? STDOUT_FILENO : -1;
	if (c->in_fd >= 0 && isatty(c->in_fd) &&
	    tcgetattr(c->in_fd, &s->saved) == 0) {
		raw = s->saved;
		cfmakeraw(&raw);
		/* Keep ONLCR & co: only the input side must be raw. */
		raw.c_oflag = s->saved.c_oflag;
		if (tcsetattr(c->in_fd, TCSANOW, &raw) == 0)
			s->raw = true;
		else
			pr_warn("tcsetattr: %s", strerror(errno));
	}
	return 0;
}

static void stdio_close(struct console *c)
{
	struct stdio_state *s = c->priv;

	if (!s)
		return;
	if (s->raw && tcsetattr(STDIN_FILENO, TCSANOW, &s->saved))
		pr_warn("restoring the terminal: %s", strerror(errno));
	if (io_source_watched(&s->winch_src))
		(void)io_loop_unwatch(c->loop, &s->winch_src); /* was watched */
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	free(s);
	c->priv = NULL;
}

static void stdio_winch(struct io_source *src, int res)
{
	struct stdio_state *s =
	    container_of(src, struct stdio_state, winch_src);
	struct signalfd_siginfo si;

	if (res < 0)
		return;
	/* Drain every queued SIGWINCH; one event covers them all. */
	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si))
		;
	console_notify(s->c, CONSOLE_EV_RESIZE);
}

static int stdio_start(struct console *c)
{
	struct stdio_state *s = c->priv;
	sigset_t set;

	if (!isatty(STDOUT_FILENO) && !isatty(STDIN_FILENO))
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	s->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_fd < 0)
		return -errno;
	s->winch_src = (struct io_source){
	    .fd = s->sig_fd,
	    .events = POLLIN,
	    .ready = stdio_winch,
	};
	return io_loop_watch(c->loop, &s->winch_src);
}

/*
 * fd 0 stays blocking (it is shared with the shell): poll before read. In
 * raw mode the input goes through the Ctrl-A escape filter, which may
 * put back one Ctrl-A held from the previous read: read one byte less.
 */
static ssize_t stdio_read(struct console *c, void *buf, size_t len)
{
	struct stdio_state *s = c->priv;
	struct pollfd pfd = {.fd = c->in_fd, .events = POLLIN};
	uint8_t raw[256];
	bool quit;
	ssize_t n;

	if (poll(&pfd, 1, 0) <= 0)
		return -EAGAIN;
	if (!s->raw) {
		do
			n = read(c->in_fd, buf, len);
		while (n < 0 && errno == EINTR);
		return n < 0 ? -errno : n;
	}
	if (len < 2)
		return -EAGAIN; /* keep room for a held-back Ctrl-A */
	do
		n = read(c->in_fd, raw, MIN(len - 1, sizeof(raw)));
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	n = (ssize_t)console_escape_filter(&s->escape, raw, (size_t)n, buf,
					   &quit);
	if (quit && c->quit_to)
		(void)exit_ctl_request(c->quit_to, VMM_EXIT_STOPPED, 0,
				       "Ctrl-A x: quitting");
	return n ? n : -EAGAIN; /* only escape keys: nothing for the guest */
}

static int stdio_get_winsize(struct console *c, uint16_t *rows, uint16_t *cols)
{
	struct winsize ws;

	(void)c;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) &&
	    ioctl(STDIN_FILENO, TIOCGWINSZ, &ws))
		return -ENOTTY;
	if (!ws.ws_row || !ws.ws_col)
		return -ENOTTY;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

const struct console_backend_ops console_stdio_ops = {
    .name = "stdio",
    .open = stdio_open,
    .close = stdio_close,
    .start = stdio_start,
    .read = stdio_read,
    .get_winsize = stdio_get_winsize,
};
