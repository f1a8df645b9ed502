/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock connections: the table keyed by (host port, guest port),
 * the host unix sockets (accepting clients, reading CONNECT lines,
 * buffering guest data the socket did not take) and the rx queue, where
 * connections take turns to give the guest control packets and data
 * read straight from their sockets into the guest's buffers, within the
 * guest's credit (virtio_vsock_int.h).
 */
#define pr_fmt(fmt) "virtio-vsock: " fmt

#include "virtio_vsock_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

static void link_init(struct vvsock_link *l)
{
	l->prev = l->next = l;
}

static bool link_linked(const struct vvsock_link *l)
{
	return l->next != l;
}

static void link_del(struct vvsock_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	link_init(l);
}

static void link_add_tail(struct vvsock_link *head, struct vvsock_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

static unsigned int bucket(uint32_t local, uint32_t peer)
{
	return ((local * 2654435761u) ^ (peer * 40503u)) % VVSOCK_BUCKETS;
}

struct vvsock_conn *vvsock_conn_find(struct vvsock *v, uint32_t local,
				     uint32_t peer)
{
	struct vvsock_conn *c = v->buckets[bucket(local, peer)];

	while (c && (c->local_port != local || c->peer_port != peer))
		c = c->hnext;
	return c;
}

void vvsock_conn_hash(struct vvsock_conn *c)
{
	struct vvsock_conn **b =
	    &c->v->buckets[bucket(c->local_port, c->peer_port)];

	c->hnext = *b;
	*b = c;
	c->hashed = true;
}

static void conn_unhash(struct vvsock_conn *c)
{
	struct vvsock_conn **p =
	    &c->v->buckets[bucket(c->local_port, c->peer_port)];

	while (*p != c)
		p = &(*p)->hnext;
	*p = c->hnext;
	c->hashed = false;
}

static void conn_ready(struct io_source *src, int res);

struct vvsock_conn *vvsock_conn_new(struct vvsock *v, int fd,
				    enum vvsock_state state)
{
	struct vvsock_conn *c;

	if (v->nconn >= VVSOCK_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return NULL;
	}
	c->v = v;
	c->src.fd = fd;
	c->src.ready = conn_ready;
	c->state = state;
	c->gen = v->gen;
	vsock_credit_init(&c->cr, VVSOCK_BUF_ALLOC);
	link_init(&c->svc);
	link_add_tail(&v->all, &c->all);
	v->nconn++;
	return c;
}

static void conn_close_host(struct vvsock_conn *c)
{
	if (io_source_watched(&c->src))
		(void)io_loop_unwatch(c->v->loop, &c->src); /* loop thread */
	c->watching = 0;
	if (c->src.fd >= 0)
		close(c->src.fd);
	c->src.fd = -1;
}

void vvsock_conn_free(struct vvsock_conn *c)
{
	struct vvsock *v = c->v;

	conn_close_host(c);
	if (c->state == VVSOCK_OPEN)
		VVSOCK_STAT_SUB(v, open, 1);
	if (c->hashed)
		conn_unhash(c);
	if (link_linked(&c->svc))
		link_del(&c->svc);
	link_del(&c->all);
	v->nconn--;
	free(c->buf);
	free(c);
}

void vvsock_conn_owe(struct vvsock_conn *c, unsigned int pend)
{
	c->pending |= pend;
	if (!link_linked(&c->svc))
		link_add_tail(&c->v->svc, &c->svc);
}

void vvsock_conn_reset(struct vvsock_conn *c)
{
	VVSOCK_STAT_ADD(c->v, resets, 1);
	/* Nothing to tell a guest that never heard of the connection. */
	if (c->state == VVSOCK_LINE || (c->state == VVSOCK_REQUESTED &&
					(c->pending & VVSOCK_PEND_REQUEST))) {
		vvsock_conn_free(c);
		return;
	}
	conn_close_host(c);
	if (c->state == VVSOCK_OPEN)
		VVSOCK_STAT_SUB(c->v, open, 1);
	c->state = VVSOCK_DYING;
	c->pending = 0;
	vvsock_conn_owe(c, VVSOCK_PEND_RST);
}

void vvsock_conn_watch(struct vvsock_conn *c)
{
	uint32_t want = 0;

	if (c->state == VVSOCK_LINE)
		want = POLLIN;
	else if (c->state == VVSOCK_OPEN) {
		if (!c->rx_ready && !c->host_eof &&
		    !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV))
			want |= POLLIN;
		if (vsock_credit_buffered(&c->cr))
			want |= POLLOUT;
	}
	if (want == c->watching || c->src.fd < 0)
		return;
	if (io_source_watched(&c->src))
		(void)io_loop_unwatch(c->v->loop, &c->src);
	c->watching = 0;
	c->src.events = want;
	if (want && !io_loop_watch(c->v->loop, &c->src))
		c->watching = want;
}

void vvsock_conn_progress(struct vvsock_conn *c)
{
	switch (vsock_close_step(c->guest_shut, c->host_eof, c->wr_shut,
				 vsock_credit_buffered(&c->cr))) {
	case VSOCK_STEP_SHUT_WR:
		(void)shutdown(c->src.fd, SHUT_WR); /* EOF for the host */
		c->wr_shut = true;
		break;
	case VSOCK_STEP_CLOSE: vvsock_conn_reset(c); break;
	case VSOCK_STEP_NONE: break;
	}
}

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
			      vsock_iov_slice(iov, n, skip, len, direct,
					      VVSOCK_QUEUE_SIZE));
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
			vsock_iov_copy_out(iov, n, skip + (uint32_t)w + off,
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

/* ---- host sockets --------------------------------------------------- */

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

static void conn_ready(struct io_source *src, int res)
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
		if (c)
			vvsock_conn_watch(c);
	}
	pthread_mutex_unlock(&v->vd.lock);
}

void vvsock_reap(struct vvsock *v, bool all)
{
	struct vvsock_link *l, *next;

	if (!all && v->reaped_gen == v->gen)
		return;
	for (l = v->all.next; l != &v->all; l = next) {
		struct vvsock_conn *c =
		    container_of(l, struct vvsock_conn, all);

		next = l->next;
		if (all || c->gen != v->gen)
			vvsock_conn_free(c);
	}
	v->reaped_gen = v->gen;
}

/* ---- the rx queue --------------------------------------------------- */

/* Write header @p (with our credit) into the held chain. */
static void rx_put_hdr(struct vvsock *v, struct vvsock_conn *c,
		       struct vsock_pkt *p)
{
	uint8_t raw[VSOCK_HDR_LEN];
	struct vq_chain *ch = &v->rx_chain;

	if (c) {
		p->buf_alloc = c->cr.buf_alloc;
		p->fwd_cnt = c->cr.fwd_cnt;
		c->cr.fwd_advertised = c->cr.fwd_cnt;
		c->pending &= ~VVSOCK_PEND_CREDIT; /* every header carries it */
	}
	vsock_pkt_encode(p, raw);
	vsock_iov_copy_in(ch->iov + ch->n_out, ch->n_in, 0, raw, sizeof(raw));
}

static uint32_t rx_ctrl(struct vvsock *v, struct vvsock_conn *c,
			unsigned int bit, uint16_t op, uint32_t flags)
{
	struct vsock_pkt p = vsock_pkt_make(v->guest_cid, c->local_port,
					    c->peer_port, op, flags, 0);

	c->pending &= ~bit;
	rx_put_hdr(v, c, &p);
	return VSOCK_HDR_LEN;
}

/*
 * Read host data into the held chain after its header, within the
 * guest's credit. Returns bytes of the packet, 0 if none was made.
 */
static uint32_t rx_data(struct vvsock *v, struct vvsock_conn *c)
{
	struct vq_chain *ch = &v->rx_chain;
	struct iovec iov[VVSOCK_QUEUE_SIZE];
	uint32_t room = MIN(
	    MIN(ch->in_len - VSOCK_HDR_LEN, vsock_credit_peer_avail(&c->cr)),
	    VSOCK_MAX_PAYLOAD);
	struct vsock_pkt p;
	ssize_t n;

	n = readv(c->src.fd, iov,
		  (int)vsock_iov_slice(ch->iov + ch->n_out, ch->n_in,
				       VSOCK_HDR_LEN, room, iov,
				       VVSOCK_QUEUE_SIZE));
	if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		c->rx_ready = false;
		vvsock_conn_watch(c);
		return 0;
	}
	if (n < 0) {
		vvsock_conn_reset(c); /* owes the RST, sent next */
		return 0;
	}
	if (n == 0) {
		/* EOF: the host sends no more; tell the guest. */
		c->host_eof = true;
		c->rx_ready = false;
		vvsock_conn_watch(c);
		vvsock_conn_owe(c, VVSOCK_PEND_SHUTDOWN);
		vvsock_conn_progress(c);
		return 0;
	}
	p = vsock_pkt_make(v->guest_cid, c->local_port, c->peer_port,
			   VIRTIO_VSOCK_OP_RW, 0, (uint32_t)n);
	rx_put_hdr(v, c, &p);
	c->cr.tx_cnt += (uint32_t)n;
	VVSOCK_STAT_ADD(v, rx_bytes, (uint64_t)n);
	return VSOCK_HDR_LEN + (uint32_t)n;
}

static bool conn_can_read(const struct vvsock_conn *c)
{
	return c->state == VVSOCK_OPEN && c->rx_ready && !c->host_eof &&
	       !(c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV) &&
	       vsock_credit_peer_avail(&c->cr);
}

/* One packet from @c into the held chain: its length, or 0. */
static uint32_t rx_conn_one(struct vvsock *v, struct vvsock_conn *c)
{
	if (c->pending & VVSOCK_PEND_REQUEST)
		return rx_ctrl(v, c, VVSOCK_PEND_REQUEST,
			       VIRTIO_VSOCK_OP_REQUEST, 0);
	if (c->pending & VVSOCK_PEND_RESPONSE)
		return rx_ctrl(v, c, VVSOCK_PEND_RESPONSE,
			       VIRTIO_VSOCK_OP_RESPONSE, 0);
	if (conn_can_read(c))
		return rx_data(v, c);
	/* After the data: SHUTDOWN only follows EOF, nothing is after it. */
	if (c->pending & VVSOCK_PEND_SHUTDOWN)
		return rx_ctrl(v, c, VVSOCK_PEND_SHUTDOWN,
			       VIRTIO_VSOCK_OP_SHUTDOWN,
			       VIRTIO_VSOCK_SHUTDOWN_SEND);
	if (c->pending & VVSOCK_PEND_CREDIT)
		return rx_ctrl(v, c, VVSOCK_PEND_CREDIT,
			       VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0);
	return 0;
}

/*
 * @c, just taken off the rx work list, fills the held chain: returns the
 * packet's length or 0. A connection with more to give goes to the back
 * of the list (round robin); one whose RST went out is freed.
 */
static uint32_t rx_conn(struct vvsock *v, struct vvsock_conn *c)
{
	uint32_t len;

	if (c->pending & VVSOCK_PEND_RST) {
		rx_ctrl(v, c, VVSOCK_PEND_RST, VIRTIO_VSOCK_OP_RST, 0);
		vvsock_conn_free(c);
		return VSOCK_HDR_LEN;
	}
	len = rx_conn_one(v, c);
	if ((c->pending || conn_can_read(c)) && !link_linked(&c->svc))
		link_add_tail(&v->svc, &c->svc);
	return len;
}

/* Pop an rx chain into v->rx_chain unless one is held. */
static bool rx_hold(struct vvsock *v)
{
	struct virtqueue *vq = &v->vd.vqs[VVSOCK_RXQ];
	int n;

	while (!v->rx_held) {
		v->rx_chain = (struct vq_chain){.iov = v->rx_iov,
						.max = VVSOCK_QUEUE_SIZE};
		n = virtio_dev_pop(&v->vd, VVSOCK_RXQ, &v->rx_chain);
		if (n == 0 && vq_enable_notify(vq))
			continue;
		if (n != 1)
			return false;
		if (v->rx_chain.in_len <= VSOCK_HDR_LEN) {
			/* No room for a header and data: the driver's mistake.
			 */
			VVSOCK_STAT_ADD(v, bad_packets, 1);
			vq_push(vq, v->rx_chain.head, 0);
			continue;
		}
		v->rx_held = true;
	}
	return true;
}

static void rx_more(struct io_request *req, int res)
{
	struct vvsock *v = container_of(req, struct vvsock, more);

	(void)res;
	pthread_mutex_lock(&v->vd.lock);
	v->more_queued = false;
	vvsock_reap(v, false);
	if (v->tx_stalled && v->orphan_n < VVSOCK_ORPHANS) {
		v->tx_stalled = false;
		vvsock_tx_run(v);
	}
	if (virtio_dev_live(&v->vd))
		vvsock_rx_run(v);
	pthread_mutex_unlock(&v->vd.lock);
}

void vvsock_defer(struct vvsock *v)
{
	v->more.done = rx_more;
	if (!v->more_queued && !io_loop_defer(v->loop, &v->more))
		v->more_queued = true;
}

void vvsock_rx_run(struct vvsock *v)
{
	unsigned int budget = VVSOCK_BUDGET;
	bool pushed = false;

	while (virtio_dev_live(&v->vd)) {
		uint32_t len = 0;

		if (!v->orphan_n && !link_linked(&v->svc))
			break;
		if (!budget--) {
			vvsock_defer(v); /* let the other sources in */
			break;
		}
		if (!rx_hold(v))
			break;
		if (v->orphan_n) {
			struct vsock_pkt p = vsock_pkt_make(
			    v->guest_cid, v->orphan[v->orphan_head].src_port,
			    v->orphan[v->orphan_head].dst_port,
			    VIRTIO_VSOCK_OP_RST, 0, 0);

			v->orphan_head = (v->orphan_head + 1) % VVSOCK_ORPHANS;
			v->orphan_n--;
			rx_put_hdr(v, NULL, &p);
			len = VSOCK_HDR_LEN;
		} else {
			struct vvsock_link *l = v->svc.next;
			struct vvsock_conn *c =
			    container_of(l, struct vvsock_conn, svc);

			/* Round robin: to the back of the line. */
			link_del(l);
			len = rx_conn(v, c);
			if (!len)
				continue; /* the chain stays held */
		}
		vq_push(&v->vd.vqs[VVSOCK_RXQ], v->rx_chain.head, len);
		v->rx_held = false;
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(&v->vd, VVSOCK_RXQ);
	/* Answers have room again: take more guest packets, soon. */
	if (v->tx_stalled && v->orphan_n < VVSOCK_ORPHANS)
		vvsock_defer(v);
}
