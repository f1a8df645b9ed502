/* SPDX-License-Identifier: MIT */
/*
 * The console backend table and the output paths every backend shares: a
 * synchronous lossless write for vCPU-thread devices and an asynchronous
 * one through the io loop (one writev or sendmsg in flight per console,
 * short writes resubmitted, EAGAIN waited out with a one-shot poll). While
 * out_fd is -1 output goes to the replay ring (pty, socket) or nowhere;
 * console_attach() replays the ring ahead of everything else. A
 * synchronous writer waits for room in poll(2) with c->lock dropped (the
 * loop reads input under it), and after console_shutdown() only for a
 * bounded time without progress.
 */
#define pr_fmt(fmt) "console: " fmt

#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"

static const struct console_backend_ops *const backends[] = {
    &console_stdio_ops, &console_file_ops,   &console_none_ops,
    &console_pty_ops,	&console_socket_ops, &console_fd_ops,
};

/* Look NAME up in "NAME" or "NAME:ARG"; *arg points at ARG or is NULL. */
static const struct console_backend_ops *backend_find(const char *spec,
						      const char **arg)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);

	*arg = colon ? colon + 1 : NULL;
	for (size_t i = 0; i < ARRAY_SIZE(backends); i++) {
		const struct console_backend_ops *ops = backends[i];

		if (strlen(ops->name) == n && !strncmp(ops->name, spec, n))
			return ops;
	}
	return NULL;
}

/* "file" needs a non-empty PATH, "none" takes nothing. */
static bool backend_arg_ok(const struct console_backend_ops *ops,
			   const char *arg)
{
	if (ops->needs_arg)
		return arg && *arg;
	return !arg;
}

int console_spec_check(const char *spec, char *err, size_t err_len)
{
	const struct console_backend_ops *ops;
	const char *arg;

	if (!spec) {
		snprintf(err, err_len, "no console backend given");
		return -EINVAL;
	}
	ops = backend_find(spec, &arg);
	if (!ops) {
		snprintf(
		    err, err_len,
		    "unknown console backend '%s' "
		    "(stdio, file:PATH, pty, socket:PATH, none, fd:IN,OUT)",
		    spec);
		return -EINVAL;
	}
	if (backend_arg_ok(ops, arg))
		return 0;
	if (ops->needs_arg)
		snprintf(err, err_len, "console backend '%s' needs %s: %s:%s",
			 ops->name,
			 strcmp(ops->arg_name, "PATH") ? "its argument"
						       : "a path",
			 ops->name, ops->arg_name);
	else
		snprintf(err, err_len, "console backend '%s' takes no argument",
			 ops->name);
	return -EINVAL;
}

bool console_spec_valid(const char *spec)
{
	char err[8];

	return console_spec_check(spec, err, sizeof(err)) == 0;
}

void console_set_error(struct console *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->err || !c->err_len)
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->err_len, fmt, ap);
	va_end(ap);
}

/*
 * A blocking fd that can be full (a pipe, a tty): writers must not sleep
 * inside write(2), where console_shutdown() could not reach them (and
 * where they would hold c->lock). Regular files never fill; sockets are
 * written with MSG_DONTWAIT.
 */
static bool fd_may_block(int fd)
{
	struct stat st;
	int fl;

	if (fd < 0)
		return false;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_NONBLOCK))
		return false;
	return fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) &&
	       !S_ISBLK(st.st_mode) && !S_ISSOCK(st.st_mode);
}

/*
 * A regular file (or block device) written at its file offset, not
 * O_APPEND: a stdout redirected with ">". Asynchronous writes to it go
 * out as plain writev(2): io_uring's writev at the file offset (-1)
 * writes the rest of a short write (a file system filling up) over its
 * start again, since the offset it reads again for the retry was not
 * moved yet (seen on Linux 6.1 and 6.18). O_APPEND files (console_file
 * opens its own so) put every write at the end, and the ring is safe.
 */
static bool fd_written_at_pos(int fd)
{
	struct stat st;
	int fl;

	if (fd < 0 || fstat(fd, &st) ||
	    (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)))
		return false;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && !(fl & O_APPEND);
}

/* Open with the label already in c->label. */
static int console_open_labeled(struct console *c,
				const struct console_backend_ops *ops,
				const char *arg, const char *spec, char *err,
				size_t err_len)
{
	int r;

	c->in_fd = c->out_fd = -1;
	if (err && err_len)
		err[0] = '\0';
	snprintf(c->spec, sizeof(c->spec), "%s", spec ? spec : ops->name);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		r = -errno;
		if (err && err_len)
			snprintf(err, err_len, "%s: eventfd: %s", c->spec,
				 strerror(-r));
		return r;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_cond_init(&c->replay_done, NULL);
	c->lock_init = true;
	c->ops = ops;
	c->err = err;
	c->err_len = err_len;
	r = ops->open(c, arg);
	c->err = NULL;
	c->err_len = 0;
	if (r) {
		if (err && err_len && !err[0])
			snprintf(err, err_len, "%s: %s", c->spec, strerror(-r));
		replay_ring_free(&c->ring);
		c->has_ring = false;
		pthread_cond_destroy(&c->replay_done);
		pthread_mutex_destroy(&c->wlock);
		pthread_mutex_destroy(&c->lock);
		c->lock_init = false;
		c->ops = NULL;
		c->in_fd = c->out_fd = -1;
		close(c->wake_fd);
		c->wake_fd = -1;
		return r;
	}
	c->out_may_block = fd_may_block(c->out_fd);
	c->out_nowait = true;
	c->out_at_pos = fd_written_at_pos(c->out_fd);
	return 0;
}

int console_open_ops(struct console *c, const struct console_backend_ops *ops,
		     const char *arg, const char *spec, char *err,
		     size_t err_len)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->label, sizeof(c->label), "console");
	return console_open_labeled(c, ops, arg, spec, err, err_len);
}

int console_open(struct console *c, const char *spec, char *err, size_t err_len)
{
	return console_open_as(c, spec, "console", err, err_len);
}

int console_open_as(struct console *c, const char *spec, const char *label,
		    char *err, size_t err_len)
{
	const struct console_backend_ops *ops;
	const char *arg;

	if (console_spec_check(spec, err, err ? err_len : 0)) {
		memset(c, 0, sizeof(*c));
		c->in_fd = c->out_fd = -1;
		return -EINVAL;
	}
	ops = backend_find(spec, &arg);
	memset(c, 0, sizeof(*c));
	snprintf(c->label, sizeof(c->label), "%s", label ? label : "console");
	return console_open_labeled(c, ops, arg, spec, err, err_len);
}

int console_start(struct console *c, struct io_loop *l)
{
	c->loop = l;
	return c->ops->start ? c->ops->start(c) : 0;
}

void console_close(struct console *c)
{
	if (!c->ops)
		return;
	if (c->unwritten)
		pr_warn("%s: %llu bytes of output not written: nobody took "
			"them while the VM stopped",
			c->spec, (unsigned long long)c->unwritten);
	c->ops->close(c);
	c->ops = NULL;
	c->in_fd = c->out_fd = -1;
	c->q_head = c->q_tail = NULL;
	replay_ring_free(&c->ring);
	c->has_ring = false;
	if (c->lock_init) {
		pthread_cond_destroy(&c->replay_done);
		pthread_mutex_destroy(&c->wlock);
		pthread_mutex_destroy(&c->lock);
	}
	c->lock_init = false;
	if (c->wake_fd >= 0)
		close(c->wake_fd);
	c->wake_fd = -1;
}

int console_ring_init(struct console *c, size_t cap)
{
	int r = replay_ring_init(&c->ring, cap);

	c->has_ring = r == 0;
	return r;
}

void console_set_listener(struct console *c,
			  void (*fn)(struct console *c, enum console_event ev,
				     void *opaque),
			  void *opaque)
{
	c->listener = fn;
	c->listener_opaque = opaque;
}

/* Loop thread: deliver the events posted since the last run. */
static void console_events_run(void *arg)
{
	struct console *c = arg;
	unsigned int ev;

	pthread_mutex_lock(&c->lock);
	ev = c->ev_pending;
	c->ev_pending = 0;
	c->ev_scheduled = false;
	pthread_mutex_unlock(&c->lock);
	for (unsigned int i = 0; ev; i++, ev >>= 1)
		if ((ev & 1) && c->listener)
			c->listener(c, (enum console_event)i,
				    c->listener_opaque);
}

/* Lock held. */
static void console_post_locked(struct console *c, enum console_event ev)
{
	c->ev_pending |= 1u << ev;
	if (c->ev_scheduled || !c->loop)
		return;
	if (io_loop_call(c->loop, console_events_run, c) == 0)
		c->ev_scheduled = true;
	else
		pr_warn("%s: cannot post an event", c->spec);
}

void console_notify(struct console *c, enum console_event ev)
{
	if (!c->loop) {
		if (c->listener)
			c->listener(c, ev, c->listener_opaque);
		return;
	}
	pthread_mutex_lock(&c->lock);
	console_post_locked(c, ev);
	pthread_mutex_unlock(&c->lock);
}

int console_get_winsize(struct console *c, uint16_t *rows, uint16_t *cols)
{
	if (!c->ops || !c->ops->get_winsize)
		return -ENOTTY;
	return c->ops->get_winsize(c, rows, cols);
}

ssize_t console_read(struct console *c, void *buf, size_t len)
{
	ssize_t n;

	if (!c->ops)
		return -EAGAIN;
	/* Under the lock: a writer thread may detach and close in_fd. */
	pthread_mutex_lock(&c->lock);
	if (c->in_fd < 0) {
		n = -EAGAIN;
	} else if (c->ops->read) {
		n = c->ops->read(c, buf, len);
	} else {
		do
			n = read(c->in_fd, buf, len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			n = -errno;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

int console_in_fd(struct console *c)
{
	int fd;

	if (!c->ops)
		return -1;
	pthread_mutex_lock(&c->lock);
	fd = c->in_fd;
	pthread_mutex_unlock(&c->lock);
	return fd;
}

/* Lock held: output while nobody reads goes to the ring or nowhere. */
static void console_capture(struct console *c, const struct iovec *iov,
			    unsigned int iovcnt)
{
	if (c->has_ring)
		replay_ring_appendv(&c->ring, iov, iovcnt);
}

/* Lock held: the first error on a console is reported, once. */
static void console_report(struct console *c, int err)
{
	if (c->out_err_reported)
		return;
	c->out_err_reported = true;
	if (err == -ENOSPC)
		pr_err("%s: no space left on device: console output from "
		       "now on may be lost",
		       c->spec);
	else
		pr_err("%s: write: %s: console output from now on may be "
		       "lost",
		       c->spec, strerror(-err));
}

/*
 * Lock held. Returns bytes written (possibly short) or -errno. Never
 * sleeps in the kernel on a full socket or pipe: -EAGAIN instead (a
 * blocking pipe, stdout say, through RWF_NOWAIT; where the kernel lacks
 * that, for a tty for instance, the caller polls before writing).
 */
static ssize_t console_out_once(struct console *c, const void *buf, size_t len)
{
	struct iovec iov = {(void *)(uintptr_t)buf, len};
	ssize_t n;

	if (c->ops->out_is_socket) {
		n = send(c->out_fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	} else if (c->out_may_block && c->out_nowait) {
		n = pwritev2(c->out_fd, &iov, 1, -1, RWF_NOWAIT);
		if (n < 0 && errno == EOPNOTSUPP) {
			c->out_nowait = false; /* poll first from now on */
			errno = EINTR;	       /* just try again */
		}
	} else {
		n = write(c->out_fd, buf, len);
	}
	return n < 0 ? -errno : n;
}

enum wait_result { WAIT_WRITABLE, WAIT_RECHECK, WAIT_GIVE_UP };

/*
 * Lock held: wait until out_fd takes more, with the lock dropped (the
 * loop reads input under it). Before console_shutdown() without limit,
 * but console_shutdown() wakes us; after it, until the stall deadline.
 */
static enum wait_result console_wait_room(struct console *c)
{
	struct pollfd pfd[2] = {
	    {.fd = c->out_fd, .events = POLLOUT},
	    {.fd = c->wake_fd, .events = POLLIN},
	};
	unsigned int gen = c->attach_gen;
	nfds_t nfds = 2;
	int timeout = -1, n;

	if (c->stopping) {
		uint64_t now = clock_mono_ns();

		if (now >= c->stall_deadline_ns)
			return WAIT_GIVE_UP;
		timeout =
		    (int)MIN((c->stall_deadline_ns - now + 999999) / 1000000,
			     (uint64_t)INT_MAX);
		nfds = 1; /* wake_fd stays readable from now on */
	}
	pthread_mutex_unlock(&c->lock);
	n = poll(pfd, nfds, timeout);
	pthread_mutex_lock(&c->lock);
	/* The reader may have changed meanwhile: look again. */
	if (n <= 0 || gen != c->attach_gen || c->stopping != (nfds == 1) ||
	    !pfd[0].revents)
		return WAIT_RECHECK;
	return WAIT_WRITABLE;
}

ssize_t console_write(struct console *c, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;
	bool must_wait = false;
	ssize_t n = 0;

	if (!c->ops)
		return -EBADF;
	pthread_mutex_lock(&c->wlock);
	pthread_mutex_lock(&c->lock);
	while (left) {
		if (c->gave_up) {
			c->unwritten += left;
			n = -ETIMEDOUT;
			break;
		}
		/* The ring goes out first: wait for its replay to finish. */
		if (c->replaying) {
			if (c->stopping)
				c->gave_up = true; /* the loop has stopped */
			else
				pthread_cond_wait(&c->replay_done, &c->lock);
			continue;
		}
		if (c->out_fd < 0) {
			struct iovec iov = {(void *)(uintptr_t)p, left};

			console_capture(c, &iov, 1);
			left = 0;
			break;
		}
		if (must_wait || (c->out_may_block && !c->out_nowait)) {
			enum wait_result w = console_wait_room(c);

			if (w == WAIT_GIVE_UP)
				c->gave_up = true;
			if (w != WAIT_WRITABLE)
				continue;
			must_wait = false;
		}
		/* No more than a pipe takes at once when it said "room". */
		n = console_out_once(c, p,
				     c->out_may_block && !c->out_nowait
					 ? MIN(left, PIPE_BUF)
					 : left);
		if (n > 0) {
			p += n;
			left -= (size_t)n;
			if (c->stopping)
				c->stall_deadline_ns =
				    clock_mono_ns() + c->grace_ns;
			continue;
		}
		if (n == -EINTR)
			continue;
		if (n == -EAGAIN) {
			/* Backpressure from a nonblocking fd: wait for room. */
			must_wait = true;
			continue;
		}
		if (n == 0)
			n = -EIO;
		if (c->ops->out_error && c->ops->out_error(c, (int)n))
			continue; /* detached: the rest is captured */
		console_report(c, (int)n);
		break;
	}
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&c->wlock);
	return left ? n : (ssize_t)len;
}

void console_shutdown(struct console *c, unsigned int grace_ms)
{
	uint64_t one = 1;

	if (!c->ops)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->stopping) {
		c->stopping = true;
		c->grace_ns = grace_ms * 1000000ULL;
		c->stall_deadline_ns = clock_mono_ns() + c->grace_ns;
	}
	/* A writer waiting for a replay: the stopped loop will not end it. */
	pthread_cond_broadcast(&c->replay_done);
	pthread_mutex_unlock(&c->lock);
	/* A writer in poll() without a deadline. */
	if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_warn("%s: cannot wake its writers: %s", c->spec,
			strerror(errno));
}

/* ---- asynchronous output (loop thread) ---------------------------- */

static void console_async_start(struct console *c);

static size_t iov_total(const struct iovec *iov, unsigned int iovcnt)
{
	size_t t = 0;

	for (unsigned int i = 0; i < iovcnt; i++)
		t += iov[i].iov_len;
	return t;
}

/* Drop @n written bytes from the front of the request's iovec. */
static void req_advance(struct console_req *req, size_t n)
{
	while (req->iovcnt && (n || !req->iov->iov_len)) {
		size_t k = MIN(n, req->iov->iov_len);

		/* A zero-length descriptor's segment may have no base. */
		if (k) {
			req->iov->iov_base = (char *)req->iov->iov_base + k;
			req->iov->iov_len -= k;
			n -= k;
		}
		if (!req->iov->iov_len) {
			req->iov++;
			req->iovcnt--;
		}
	}
}

static void req_finish(struct console *c, struct console_req *req, int res)
{
	c->q_head = req->next;
	if (!c->q_head)
		c->q_tail = NULL;
	c->q_busy = false;
	req->done(req, res);
	/* done() may have queued more; start the next unless it did. */
	if (!c->q_busy && c->q_head)
		console_async_start(c);
}

static void req_io_done(struct io_request *io, int res);

/* The one-shot POLLOUT after EAGAIN fired (or failed): write again. */
static void req_polled(struct io_request *io, int res)
{
	struct console_req *req = container_of(io, struct console_req, io);

	(void)res; /* an error shows up again on the write itself */
	console_async_start(req->c);
}

/* Completions decided at start time go through the loop, never inline. */
static void req_deferred(struct io_request *io, int res)
{
	struct console_req *req = container_of(io, struct console_req, io);

	(void)res; /* a nop: always 0 */
	req_finish(req->c, req, req->defer_res);
}

/* Lock held. */
static void req_defer(struct console *c, struct console_req *req, int res)
{
	req->defer_res = res;
	req->io.done = req_deferred;
	if (io_loop_defer(c->loop, &req->io))
		pr_err("%s: cannot defer a completion", c->spec);
}

/* A plain writev's result, handed over by the loop (fd_written_at_pos()). */
static void req_wrote(struct io_request *io, int res)
{
	struct console_req *req = container_of(io, struct console_req, io);

	(void)res; /* a nop: always 0 */
	req_io_done(io, req->defer_res);
}

static void req_submit(struct console *c, struct console_req *req, int fd,
		       bool at_pos)
{
	unsigned int n = MIN(req->iovcnt, (unsigned int)IOV_MAX);
	ssize_t w;
	int r;

	req->io.done = req_io_done;
	if (at_pos) {
		/* Through the loop, not inline: no recursion chain by chain. */
		w = writev(fd, req->iov, (int)n);
		req->defer_res = w < 0 ? -errno : (int)MIN(w, INT_MAX);
		req->io.done = req_wrote;
		r = io_loop_defer(c->loop, &req->io);
		if (r)
			req_io_done(&req->io, r);
		return;
	}
	if (c->ops->out_is_socket) {
		req->msg =
		    (struct msghdr){.msg_iov = req->iov, .msg_iovlen = n};
		r = io_loop_sendmsg(c->loop, &req->io, fd, &req->msg,
				    MSG_NOSIGNAL);
	} else {
		r = io_loop_writev(c->loop, &req->io, fd, req->iov, n, -1);
	}
	if (r)
		req_io_done(&req->io, r);
}

static int req_total_res(const struct console_req *req)
{
	return (int)MIN(req->total, (size_t)INT_MAX);
}

/* Lock held: the replay request goes out in pieces of the live ring. */
static bool replay_step(struct console *c, struct console_req *req)
{
	if (c->out_fd < 0) {
		req_defer(c, req, -ENOTCONN); /* the ring keeps the rest */
		return false;
	}
	req->iov = c->replay_iov;
	req->iovcnt = replay_ring_peek(&c->ring, c->replay_iov);
	if (!req->iovcnt) {
		req_defer(c, req, 0);
		return false;
	}
	return true;
}

static void console_async_start(struct console *c)
{
	struct console_req *req = c->q_head;
	bool at_pos;
	int fd;

	c->q_busy = true;
	pthread_mutex_lock(&c->lock);
	req->gen = c->attach_gen;
	fd = c->out_fd;
	at_pos = c->out_at_pos;
	if (req->replay) {
		if (!replay_step(c, req))
			goto out_unlock;
	} else {
		req_advance(req, 0);
		if (!req->iovcnt) {
			req_defer(c, req, req_total_res(req));
			goto out_unlock;
		}
		if (fd < 0) {
			/* Nobody reads: keep (ring) or drop, and complete. */
			console_capture(c, req->iov, req->iovcnt);
			req->iovcnt = 0;
			req_defer(c, req, req_total_res(req));
			goto out_unlock;
		}
	}
	pthread_mutex_unlock(&c->lock);
	req_submit(c, req, fd, at_pos);
	return;

out_unlock:
	pthread_mutex_unlock(&c->lock);
}

static void req_io_done(struct io_request *io, int res)
{
	struct console_req *req = container_of(io, struct console_req, io);
	struct console *c = req->c;

	if (res > 0) {
		if (req->replay) {
			pthread_mutex_lock(&c->lock);
			replay_ring_consume(&c->ring, (size_t)res);
			pthread_mutex_unlock(&c->lock);
		} else {
			req_advance(req, (size_t)res);
			if (!req->iovcnt) {
				req_finish(c, req, req_total_res(req));
				return;
			}
		}
		console_async_start(c);
		return;
	}
	if (res == -EINTR || res == 0) {
		console_async_start(c);
		return;
	}
	if (res == -EAGAIN) {
		/* A nonblocking fd is full: wait for room, then retry. */
		req->io.done = req_polled;
		if (!io_loop_poll_once(c->loop, &req->io, c->out_fd, POLLOUT))
			return;
	}
	pthread_mutex_lock(&c->lock);
	/* The reader changed under the write: retry against the new state. */
	if (req->gen != c->attach_gen ||
	    (c->ops->out_error && c->ops->out_error(c, res))) {
		pthread_mutex_unlock(&c->lock);
		console_async_start(c);
		return;
	}
	console_report(c, res);
	pthread_mutex_unlock(&c->lock);
	req_finish(c, req, res);
}

int console_write_async(struct console *c, struct console_req *req,
			struct iovec *iov, unsigned int iovcnt)
{
	if (!c->ops || !c->loop)
		return -EBADF;
	req->c = c;
	req->iov = iov;
	req->iovcnt = iovcnt;
	req->total = iov_total(iov, iovcnt);
	req->replay = false;
	req->next = NULL;
	if (c->q_tail)
		c->q_tail->next = req;
	else
		c->q_head = req;
	c->q_tail = req;
	if (!c->q_busy)
		console_async_start(c);
	return 0;
}

/* ---- readers coming and going (backends) ------------------------- */

static void replay_done(struct console_req *req, int res)
{
	struct console *c = req->c;

	pthread_mutex_lock(&c->lock);
	if (res != -ENOTCONN) {
		/* Written, or failed for good: either way it is over. */
		replay_ring_clear(&c->ring);
	}
	c->replaying = false;
	pthread_cond_broadcast(&c->replay_done);
	pthread_mutex_unlock(&c->lock);
}

void console_attach(struct console *c, int in_fd, int out_fd)
{
	struct console_req *req = &c->replay_req;
	bool start = false;

	pthread_mutex_lock(&c->lock);
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->out_may_block = fd_may_block(out_fd);
	c->out_nowait = true;
	c->out_at_pos = fd_written_at_pos(out_fd);
	c->attach_gen++;
	if (c->has_ring && c->ring.len && c->loop && !c->replaying) {
		if (c->ring.dropped)
			pr_info("%s: replaying the last %zu bytes (%llu "
				"older ones were dropped)",
				c->spec, c->ring.len,
				(unsigned long long)c->ring.dropped);
		*req = (struct console_req){
		    .done = replay_done, .c = c, .replay = true};
		c->replaying = true;
		/* After the write in flight (its bytes came first). */
		if (c->q_busy) {
			req->next = c->q_head->next;
			c->q_head->next = req;
			if (c->q_tail == c->q_head)
				c->q_tail = req;
		} else {
			req->next = c->q_head;
			c->q_head = req;
			if (!c->q_tail)
				c->q_tail = req;
			start = true;
		}
	}
	console_post_locked(c, CONSOLE_EV_INPUT);
	pthread_mutex_unlock(&c->lock);
	if (start)
		console_async_start(c);
}

void console_detach_locked(struct console *c)
{
	c->in_fd = -1;
	c->out_fd = -1;
	c->out_may_block = false;
	c->attach_gen++;
	console_post_locked(c, CONSOLE_EV_INPUT);
}

void console_detach(struct console *c)
{
	pthread_mutex_lock(&c->lock);
	console_detach_locked(c);
	pthread_mutex_unlock(&c->lock);
}
