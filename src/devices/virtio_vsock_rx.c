/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock rx queue: connections with something to give the guest
 * wait on a work list and take turns (round robin, a budget per wakeup);
 * each turn fills one held rx chain with a control packet, or with data
 * read straight from the host socket into the guest's buffer within the
 * guest's credit. RST answers to packets of no connection go first
 * (virtio_vsock_int.h).
 */
#define pr_fmt(fmt) "virtio-vsock: " fmt

#include "virtio_vsock_int.h"

#include <errno.h>
#include <poll.h>
#include <sys/uio.h>

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
	iov_from_buf(ch->iov + ch->n_out, ch->n_in, 0, raw, sizeof(raw));
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
		  (int)iov_slice(ch->iov + ch->n_out, ch->n_in, VSOCK_HDR_LEN,
				 room, iov, VVSOCK_QUEUE_SIZE, NULL));
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
		/*
		 * EOF: the host sends no more; tell the guest. A client that
		 * only shut its writing side (POLLHUP not set) still reads the
		 * guest's answer; one that closed takes nothing more either.
		 */
		struct pollfd pfd = {.fd = c->src.fd};

		c->host_eof = true;
		c->host_gone = poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
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
		return rx_ctrl(
		    v, c, VVSOCK_PEND_SHUTDOWN, VIRTIO_VSOCK_OP_SHUTDOWN,
		    VIRTIO_VSOCK_SHUTDOWN_SEND |
			(c->host_gone ? VIRTIO_VSOCK_SHUTDOWN_RCV : 0));
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
	if ((c->pending || conn_can_read(c)) && !vvsock_link_linked(&c->svc))
		vvsock_link_add_tail(&v->svc, &c->svc);
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

		if (!v->orphan_n && !vvsock_link_linked(&v->svc))
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
			vvsock_link_del(l);
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
