/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock host sockets: the listener (accepting clients, reading
 * their CONNECT lines), readiness of each connection's unix socket, and
 * guest data written to it, buffered in a per-connection ring when the
 * socket does not take it all (virtio_vsock_int.h).
 */
#define pr_fmt(fmt) "virtio-vsock: " fmt

#include "virtio_vsock_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"

/* Write what the host socket takes. Returns bytes or -errno. */
static ssize_t conn_send(struct vvsock_conn *c, struct iovec *iov,
			 unsigned int n)
{
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = n};
	ssize_t w = sendmsg(c->src.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	c->cr.fwd_cnt += (uint32_t)w;
	if (vsock_credit_want_update(&c->cr))
		vvsock_conn_owe(c, VVSOCK_PEND_CREDIT);
	return w;
}

/* Ring positions are counters modulo the (power of 2) buffer size. */
static unsigned int conn_ring(struct vvsock_conn *c, uint32_t from,
			      uint32_t len, struct iovec iov[2])
{
	uint32_t at = from & (VVSOCK_BUF_ALLOC - 1);
	uint32_t first = MIN(len, VVSOCK_BUF_ALLOC - at);

	iov[0] = (struct iovec){c->buf + at, first};
	iov[1] = (struct iovec){c->buf, len - first};
	return len > first ? 2 : 1;
}

/* Flush buffered guest data. False if the connection was reset. */
static bool conn_flush(struct vvsock_conn *c)
{
	uint32_t left = vsock_credit_buffered(&c->cr);
	struct iovec iov[2];
	ssize_t w;

	if (!left)
		return true;
	w = conn_send(c, iov, conn_ring(c, c->cr.fwd_cnt, left, iov));
	if (w < 0) {
		vvsock_conn_reset(c);
		return false;
	}
	/* A host still taking data is not silent: its deadline restarts. */
	if (w > 0 && c->deadline_ns)
		vvsock_conn_deadline(c);
	return true;
}

void vvsock_conn_write(struct vvsock_conn *c, const struct iovec *iov,
		       unsigned int n, size_t skip, uint32_t len)
{
	struct iovec direct[VVSOCK_QUEUE_SIZE], ring[2];
	ssize_t w = 0;

	VVSOCK_STAT_ADD(c->v, tx_bytes, len);
	if (!vsock_credit_buffered(&c->cr)) {
		/* The usual case: straight from guest memory. */
		w = conn_send(c, direct,
			      iov_slice(iov, n, skip, len, direct,
					VVSOCK_QUEUE_SIZE, NULL));
		if (w < 0) {
			vvsock_conn_reset(c);
			return;
		}
	}
	if ((uint32_t)w < len) {
		uint32_t rest = len - (uint32_t)w;
		unsigned int k;

		if (!c->buf && !(c->buf = malloc(VVSOCK_BUF_ALLOC))) {
			vvsock_conn_reset(c);
			return;
		}
		/* rx_cnt - fwd_cnt is the buffered amount: append there. */
		k = conn_ring(c, c->cr.rx_cnt + (uint32_t)w, rest, ring);
		for (unsigned int i = 0, off = 0; i < k; i++) {
			iov_to_buf(iov, n, skip + (uint32_t)w + off,
				   ring[i].iov_base, ring[i].iov_len);
			off += (unsigned int)ring[i].iov_len;
		}
	}
	c->cr.rx_cnt += len;
	vvsock_conn_watch(c);
}

void vvsock_conn_credit_changed(struct vvsock_conn *c)
{
	if (c->state == VVSOCK_OPEN && c->rx_ready &&
	    vsock_credit_peer_avail(&c->cr))
		vvsock_conn_owe(c, 0);
}

/* A CONNECT line completed: ask the guest. */
static void conn_line_done(struct vvsock_conn *c, uint32_t port)
{
	struct vvsock *v = c->v;
	struct vvsock_link *l;
	bool used;

	if (!virtio_dev_live(&v->vd)) {
		vvsock_conn_free(c); /* no guest to ask: the client sees EOF */
		return;
	}
	/* A free local port; at most VVSOCK_MAX_CONNS are taken. */
	do {
		c->local_port = v->next_port++;
		if (v->next_port < VVSOCK_PORT_BASE)
			v->next_port = VVSOCK_PORT_BASE;
		used = false;
		for (l = v->all.next; l != &v->all && !used; l = l->next) {
			struct vvsock_conn *o =
			    container_of(l, struct vvsock_conn, all);

			used = o != c && o->state != VVSOCK_LINE &&
			       o->local_port == c->local_port;
		}
	} while (used);
	c->peer_port = port;
	c->state = VVSOCK_REQUESTED;
	/*
	 * Counted from now, not from when the guest gets the REQUEST (as
	 * Firecracker does): a guest posting no rx buffers must not keep
	 * the client waiting for ever.
	 */
	vvsock_conn_deadline(c);
	vvsock_conn_hash(c);
	vvsock_conn_watch(c); /* nothing read until the guest accepts */
	vvsock_conn_owe(c, VVSOCK_PEND_REQUEST);
}

static void conn_line_ready(struct vvsock_conn *c)
{
	uint32_t port;
	int r = vsock_line_read(c->src.fd, &c->line, &port);

	if (r == 1)
		conn_line_done(c, port);
	else if (r < 0) {
		if (r != -EPIPE)
			pr_warn_ratelimited(&c->v->vd.warn_rl,
					    "%s: bad CONNECT line: client "
					    "closed",
					    c->v->path);
		vvsock_conn_free(c);
	}
}

void vvsock_conn_ready(struct io_source *src, int res)
{
	struct vvsock_conn *c = container_of(src, struct vvsock_conn, src);
	struct vvsock *v = c->v;

	pthread_mutex_lock(&v->vd.lock);
	/* A connection from before a reset: reaping frees it (and any
	 * other such), then there is nothing more to do for it. */
	if (c->gen != v->gen) {
		vvsock_reap(v, false);
		pthread_mutex_unlock(&v->vd.lock);
		return;
	}
	if (res < 0 || (res & POLLERR)) {
		vvsock_conn_reset(c);
	} else if (c->state == VVSOCK_LINE) {
		conn_line_ready(c);
	} else if (c->state == VVSOCK_OPEN) {
		if ((res & (POLLIN | POLLHUP)) && (c->watching & POLLIN)) {
			c->rx_ready = true;
			vvsock_conn_owe(c, 0);
		}
		if (!(res & POLLOUT) || conn_flush(c)) {
			if (c->state == VVSOCK_OPEN) {
				vvsock_conn_watch(c);
				vvsock_conn_progress(c);
			}
		}
	}
	if (virtio_dev_live(&v->vd))
		vvsock_rx_run(v);
	pthread_mutex_unlock(&v->vd.lock);
}

void vvsock_listener_ready(struct io_source *src, int res)
{
	struct vvsock *v = container_of(src, struct vvsock, listener);
	struct vvsock_conn *c;
	int fd;

	if (res < 0) {
		pr_warn("%s: listener: %s", v->path, strerror(-res));
		return;
	}
	pthread_mutex_lock(&v->vd.lock);
	vvsock_reap(v, false);
	while ((fd = vsock_hybrid_accept(src->fd)) >= 0) {
		/* Beyond the cap the client is closed: it sees EOF. */
		c = vvsock_conn_new(v, fd, VVSOCK_LINE);
		if (c) {
			vvsock_conn_deadline(c); /* for its CONNECT line */
			vvsock_conn_watch(c);
		}
	}
	pthread_mutex_unlock(&v->vd.lock);
}
