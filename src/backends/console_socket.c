/* SPDX-License-Identifier: MIT */
/*
 * socket:PATH console backend: a unix stream server at PATH serving one
 * client at a time (`socat - UNIX-CONNECT:PATH`). Further clients wait in
 * the listen backlog and are accepted when the current one leaves. Without
 * a client, output goes to the replay ring and is replayed to the next
 * one. A client leaves when a read returns EOF, a write fails with EPIPE
 * or ECONNRESET, or it hangs up with nothing left unread.
 */
#define pr_fmt(fmt) "console-socket: " fmt

#include "console.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

struct sock_state {
	struct console *c;
	int listen_fd;
	int client;
	struct io_source accept_src;
	struct io_source hup_src;
	struct sockaddr_un addr;
};

static int sock_open(struct console *c, const char *path)
{
	struct sock_state *s;
	struct stat st;
	int r;

	if (strlen(path) >= sizeof(s->addr.sun_path)) {
		console_set_error(c, "socket:%s: path too long (max %zu bytes)",
				  path, sizeof(s->addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->c = c;
	s->client = -1;
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, path, strlen(path) + 1);
	/* A socket left behind by an earlier run is replaced. */
	if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		(void)unlink(path); /* bind() reports what matters */
	s->listen_fd =
	    socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		goto err_errno;
	if (bind(s->listen_fd, (struct sockaddr *)&s->addr, sizeof(s->addr)))
		goto err_errno;
	if (listen(s->listen_fd, 1))
		goto err_unlink;
	r = console_ring_init(c, REPLAY_RING_DEFAULT);
	if (r)
		goto err_close;
	c->priv = s;
	snprintf(c->peer, sizeof(c->peer), "%s", path);
	return 0;

err_unlink:
	r = -errno;
	(void)unlink(path);
	goto err_close;
err_errno:
	r = -errno;
err_close:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
	return r;
}

static void sock_hup(struct io_source *src, int res);

/* Loop thread: take the next waiting client, if any. */
static void sock_try_accept(struct sock_state *s)
{
	int fd;

	if (s->client >= 0)
		return;
	fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			pr_warn("%s: accept: %s", s->c->spec, strerror(errno));
		return;
	}
	s->client = fd;
	s->hup_src = (struct io_source){
	    .fd = fd,
	    .events = POLLHUP,
	    .ready = sock_hup,
	};
	if (io_loop_watch(s->c->loop, &s->hup_src))
		pr_warn("%s: cannot watch the client", s->c->spec);
	pr_info("%s: client connected", s->c->spec);
	console_attach(s->c, fd, fd);
}

/*
 * The client is gone: back to the ring. Under c->lock (taken here unless
 * @locked), so no sync writer is using the fd when it is closed.
 */
static void sock_detach(struct sock_state *s, bool locked)
{
	if (!locked)
		pthread_mutex_lock(&s->c->lock);
	if (s->client >= 0) {
		if (io_source_watched(&s->hup_src))
			(void)io_loop_unwatch(s->c->loop, &s->hup_src);
		console_detach_locked(s->c);
		/* In-flight ring operations hold their own file reference. */
		close(s->client);
		s->client = -1;
		pr_info("%s: client left", s->c->spec);
	}
	if (!locked)
		pthread_mutex_unlock(&s->c->lock);
}

static void sock_accept_ready(struct io_source *src, int res)
{
	struct sock_state *s = container_of(src, struct sock_state, accept_src);

	if (res < 0) {
		pr_warn("%s: listen socket: %s", s->c->spec, strerror(-res));
		return;
	}
	sock_try_accept(s);
}

/* Deferred from out_error (c->lock held there): accept the next one. */
static void sock_next(void *arg)
{
	sock_try_accept(arg);
}

static void sock_hup(struct io_source *src, int res)
{
	struct sock_state *s = container_of(src, struct sock_state, hup_src);
	int pending = 0;

	if (res >= 0 && !(res & (POLLHUP | POLLERR)))
		return;
	/* Unread input still reaches the guest; its EOF detaches then. */
	if (res >= 0 && !ioctl(s->client, FIONREAD, &pending) && pending > 0)
		return;
	sock_detach(s, false);
	sock_try_accept(s);
}

static int sock_start(struct console *c)
{
	struct sock_state *s = c->priv;

	s->accept_src = (struct io_source){
	    .fd = s->listen_fd,
	    .events = POLLIN,
	    .ready = sock_accept_ready,
	};
	return io_loop_watch(c->loop, &s->accept_src);
}

static ssize_t sock_read(struct console *c, void *buf, size_t len)
{
	struct sock_state *s = c->priv;
	ssize_t n;

	do
		n = recv(c->in_fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		return n;
	if (n < 0 && errno == EAGAIN)
		return -EAGAIN;
	/* EOF or a reset: this client is done. */
	if (c->loop) {
		sock_detach(s, true);
		(void)io_loop_call(c->loop, sock_next, s); /* accept later */
	}
	return -EAGAIN;
}

static bool sock_out_error(struct console *c, int err)
{
	struct sock_state *s = c->priv;

	if ((err != -EPIPE && err != -ECONNRESET && err != -ENOTCONN) ||
	    !c->loop)
		return false;
	sock_detach(s, true);
	(void)io_loop_call(c->loop, sock_next, s); /* accept later */
	return true;
}

static void sock_close(struct console *c)
{
	struct sock_state *s = c->priv;

	if (!s)
		return;
	if (io_source_watched(&s->hup_src))
		(void)io_loop_unwatch(c->loop, &s->hup_src); /* watched */
	if (io_source_watched(&s->accept_src))
		(void)io_loop_unwatch(c->loop, &s->accept_src); /* watched */
	if (s->client >= 0)
		close(s->client);
	close(s->listen_fd);
	(void)unlink(s->addr.sun_path); /* ours; gone is fine */
	free(s);
	c->priv = NULL;
}

const struct console_backend_ops console_socket_ops = {
    .name = "socket",
    .needs_arg = true,
    .arg_name = "PATH",
    .out_is_socket = true,
    .open = sock_open,
    .close = sock_close,
    .start = sock_start,
    .read = sock_read,
    .out_error = sock_out_error,
};
