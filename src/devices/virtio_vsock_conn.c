/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock connection table: connections keyed by (host port, guest
 * port) in a hash, their life cycle (made, owed packets, reset, freed,
 * reaped after a device reset) and which host-socket events they wait
 * for. Host-socket I/O is in virtio_vsock_host.c, the rx queue in
 * virtio_vsock_rx.c (virtio_vsock_int.h).
 */
#define pr_fmt(fmt) "virtio-vsock: " fmt

#include "virtio_vsock_int.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

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
	c->src.ready = vvsock_conn_ready;
	c->state = state;
	c->gen = v->gen;
	vsock_credit_init(&c->cr, VVSOCK_BUF_ALLOC);
	vvsock_link_init(&c->svc);
	vvsock_link_add_tail(&v->all, &c->all);
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
	if (vvsock_link_linked(&c->svc))
		vvsock_link_del(&c->svc);
	vvsock_link_del(&c->all);
	v->nconn--;
	free(c->buf);
	free(c);
}

void vvsock_conn_owe(struct vvsock_conn *c, unsigned int pend)
{
	c->pending |= pend;
	if (!vvsock_link_linked(&c->svc))
		vvsock_link_add_tail(&c->v->svc, &c->svc);
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
	c->deadline_ns = 0; /* the RST waits for rx buffers, not a timer */
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
	case VSOCK_STEP_CLOSE: vvsock_conn_reset(c); return;
	case VSOCK_STEP_NONE: break;
	}
	/*
	 * Closing has begun but waits for the guest (our SHUTDOWN after the
	 * host client closed) or for the host to take what the guest sent
	 * before shutting both ways: either finishes in time or ends in RST,
	 * as in Firecracker (LocalClosed; PeerClosed(true, true) with data).
	 * Data the guest has is still its to read after an RST. A host that
	 * only half-closed gets no deadline: the guest's answer may take as
	 * long as it takes, as on TCP.
	 */
	if (!c->deadline_ns &&
	    (c->host_gone || (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_RCV &&
			      c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)))
		vvsock_conn_deadline(c);
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
