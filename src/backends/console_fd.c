/* SPDX-License-Identifier: MIT */
/*
 * fd:IN,OUT console backend: two descriptors the application opened (a
 * pipe, a socketpair end, a tty; the same one twice is fine). From open()
 * on the console owns them: it makes them close-on-exec, reads IN
 * nonblocking and closes both at the end. IN may be -1 for output only,
 * OUT -1 for input only (output is then discarded, as with "none").
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "3,4" -> 3, 4; "-1,4" (no input) and "3,-1" (no output) are allowed. */
static int parse_fds(const char *arg, int *in, int *out)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(arg, &end, 10);
	if (end == arg || *end != ',' || errno || a < -1 || a > INT32_MAX)
		return -EINVAL;
	arg = end + 1;
	b = strtol(arg, &end, 10);
	if (end == arg || *end || errno || b < -1 || b > INT32_MAX)
		return -EINVAL;
	*in = (int)a;
	*out = (int)b;
	return 0;
}

static int take_fd(struct console *c, int fd, bool nonblock)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		console_set_error(c, "fd:%d: %s", fd, strerror(errno));
		return -EBADF;
	}
	if (nonblock && !(fl & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int fd_open(struct console *c, const char *arg)
{
	int in, out, r;

	if (parse_fds(arg, &in, &out)) {
		console_set_error(c,
				  "fd:%s: want fd:IN,OUT (numbers; either "
				  "may be -1)",
				  arg);
		return -EINVAL;
	}
	r = out >= 0 ? take_fd(c, out, false) : 0;
	if (!r && in >= 0)
		r = take_fd(c, in, true);
	if (r)
		return r;
	c->in_fd = in;
	c->out_fd = out;
	return 0;
}

static void fd_close(struct console *c)
{
	if (c->in_fd >= 0 && c->in_fd != c->out_fd)
		close(c->in_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->in_fd = c->out_fd = -1;
}

const struct console_backend_ops console_fd_ops = {
    .name = "fd",
    .needs_arg = true,
    .arg_name = "IN,OUT",
    .open = fd_open,
    .close = fd_close,
};
