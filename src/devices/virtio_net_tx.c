/* SPDX-License-Identifier: MIT */
/*
 * virtio-net transmit: transmit queue -> backend (virtio 1.2, 5.1.6.2).
 * Each chain is one frame, sent straight from guest memory by one write
 * through the io_uring. A tap takes the chain as it is (virtio header
 * included) and many writes may fly at once. A socket takes the frame
 * without the header, after its length (4 bytes, big endian); a stream
 * may take a short write, so one write flies at a time and the rest of a
 * frame is resubmitted before the next frame starts. A chain goes back to
 * the driver when its write is done; an interrupt per batch.
 */
#define pr_fmt(fmt) "virtio-net: " fmt

#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/log.h"
#include "virtio_net_int.h"

static void tx_submit(struct vnet *n);

/* Errors after which the backend is gone (an unplugged cable). */
static bool tx_fatal(int err)
{
	return err == EPIPE || err == ECONNRESET || err == EBADFD ||
	       err == ENODEV || err == EIO || err == ENOTCONN || err == EBADF ||
	       err == ENXIO;
}

/* ---- completion -------------------------------------------------------- */

static void tx_batch_end(struct io_request *req, int res)
{
	struct vnet *n = container_of(req, struct vnet, batch);

	(void)res;
	pthread_mutex_lock(&n->vd.lock);
	n->batch_queued = false;
	if (n->batch_notify && virtio_dev_live(&n->vd))
		virtio_dev_notify(&n->vd, VNET_TXQ);
	n->batch_notify = false;
	pthread_mutex_unlock(&n->vd.lock);
}

/* Give the chain back (unless a reset took it) and free @t. */
static void tx_finish(struct vnet *n, struct vnet_txreq *t)
{
	if (t->gen == n->gen && virtio_dev_live(&n->vd)) {
		vq_push(&n->vd.vqs[VNET_TXQ], t->head, 0);
		n->batch_notify = true;
		if (!n->batch_queued &&
		    !io_loop_after_batch(n->loop, &n->batch))
			n->batch_queued = true;
	}
	t->next = n->free_reqs;
	n->free_reqs = t;
}

static void tx_drop(struct vnet *n, struct vnet_txreq *t, const char *why)
{
	vnet_count(n, tx_dropped, 1);
	if (why)
		pr_warn_ratelimited(&n->vd.warn_rl, "%s: frame dropped: %s",
				    n->be.name, why);
	tx_finish(n, t);
}

/* @k bytes of @t were written: move its segments past them. */
static void tx_advance(struct vnet_txreq *t, size_t k)
{
	t->left -= k;
	while (k && t->niov) {
		size_t l = MIN(k, t->iov->iov_len);

		t->iov->iov_base = (uint8_t *)t->iov->iov_base + l;
		t->iov->iov_len -= l;
		k -= l;
		if (!t->iov->iov_len) {
			t->iov++;
			t->niov--;
		}
	}
	/* Empty segments left in front would be resubmitted for nothing. */
	while (t->niov && !t->iov->iov_len) {
		t->iov++;
		t->niov--;
	}
}

static int tx_write(struct vnet *n, struct vnet_txreq *t);

static void tx_poll_done(struct io_request *io, int res)
{
	struct vnet_txreq *t = container_of(io, struct vnet_txreq, io);
	struct vnet *n = t->n;
	int r;

	(void)res; /* the write says what is wrong, if anything */
	pthread_mutex_lock(&n->vd.lock);
	n->writing--;
	vnet_inflight_dec(n);
	r = n->link_up ? tx_write(n, t) : -ENOTCONN;
	if (r) {
		tx_drop(n, t, NULL);
		if (n->be.framed)
			n->sock_busy = false;
		tx_submit(n);
	}
	pthread_mutex_unlock(&n->vd.lock);
}

static void tx_done(struct io_request *io, int res)
{
	struct vnet_txreq *t = container_of(io, struct vnet_txreq, io);
	struct vnet *n = t->n;

	pthread_mutex_lock(&n->vd.lock);
	n->writing--;
	vnet_inflight_dec(n);
	if ((res == -EAGAIN || res == -EINTR) && n->link_up) {
		/* The tap's queue or the socket's buffer is full: wait. */
		vnet_count(n, tx_waits, 1);
		t->io.done = tx_poll_done;
		if (!io_loop_poll_once(n->loop, &t->io, n->be.fd, POLLOUT)) {
			n->writing++;
			n->inflight++;
			goto out;
		}
		res = -EAGAIN;
	}
	if (res > 0 && (size_t)res < t->left && n->be.framed && n->link_up) {
		/* The stream took part of it: the rest before anything. */
		tx_advance(t, (size_t)res);
		if (!tx_write(n, t))
			goto out;
		res = -EIO;
	}
	if (res < 0 && tx_fatal(-res)) {
		vnet_count(n, tx_dropped, 1);
		tx_finish(n, t);
		vnet_link_down(n, -res);
	} else if (res < 0 || (size_t)res < t->left) {
		vnet_count(n, tx_dropped, 1);
		pr_warn_ratelimited(&n->vd.warn_rl, "%s: frame dropped: %s",
				    n->be.name,
				    res < 0 ? strerror(-res) : "short write");
		tx_finish(n, t);
	} else {
		vnet_count(n, tx_frames, 1);
		vnet_count(n, tx_bytes, t->frame_len);
		tx_finish(n, t);
	}
	if (n->be.framed)
		n->sock_busy = false;
	tx_submit(n);
	/* Requests came back: chains waiting for one may go now. */
	if (virtio_dev_live(&n->vd))
		vnet_tx_kick(n);
out:
	pthread_mutex_unlock(&n->vd.lock);
}

/* ---- submission -------------------------------------------------------- */

static int tx_write(struct vnet *n, struct vnet_txreq *t)
{
	int r;

	t->io.done = tx_done;
	if (n->be.framed) {
		/* MSG_NOSIGNAL: a peer gone is EPIPE, not a SIGPIPE. */
		t->msg =
		    (struct msghdr){.msg_iov = t->iov, .msg_iovlen = t->niov};
		r = io_loop_sendmsg(n->loop, &t->io, n->be.fd, &t->msg,
				    MSG_NOSIGNAL);
	} else {
		r = io_loop_writev(n->loop, &t->io, n->be.fd, t->iov, t->niov,
				   -1);
	}
	if (!r) {
		n->writing++;
		n->inflight++;
	}
	return r;
}

/* Start queued frames: all of them on a tap, one at a time on a socket. */
static void tx_submit(struct vnet *n)
{
	struct vnet_txreq *t;

	while ((t = n->sendq) && !(n->be.framed && n->sock_busy)) {
		n->sendq = t->next;
		if (!n->sendq)
			n->sendq_tail = &n->sendq;
		if (t->gen != n->gen) {
			tx_finish(n, t); /* reset meanwhile */
			continue;
		}
		if (tx_write(n, t)) {
			tx_drop(n, t, "cannot submit the write");
			continue;
		}
		if (n->be.framed)
			n->sock_busy = true;
	}
}

/*
 * Check a popped chain and shape its segments for the backend. Returns
 * NULL if it is ready to go, or why it is dropped.
 */
static const char *tx_prepare(struct vnet *n, struct vnet_txreq *t,
			      const struct vq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	uint8_t *h = (uint8_t *)&hdr;
	size_t skip = VNET_HDR_LEN, got = 0;

	if (!c->out_len)
		return "no readable part";
	if (c->out_len < VNET_HDR_LEN)
		return "shorter than its header";
	if (c->out_len - VNET_HDR_LEN > VNET_MAX_FRAME)
		return "too long";
	t->frame_len = (uint32_t)(c->out_len - VNET_HDR_LEN);
	t->iov = t->iov_buf + 1;
	t->niov = c->n_out;
	if (!n->be.framed) {
		t->left = c->out_len;
		return NULL;
	}
	/* Socket: read the header (maybe split), then cut it off. */
	while (t->niov && skip) {
		size_t k = MIN(skip, t->iov->iov_len);

		/* A zero-length descriptor is a NULL iovec: not touched. */
		if (k) {
			memcpy(h + got, t->iov->iov_base, k);
			got += k;
			skip -= k;
			t->iov->iov_base = (uint8_t *)t->iov->iov_base + k;
			t->iov->iov_len -= k;
		}
		if (!t->iov->iov_len) {
			t->iov++;
			t->niov--;
		}
	}
	if (hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ||
	    hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return "offload asked of a backend without offloads";
	if (!t->frame_len)
		return "no frame after the header";
	{
		uint32_t be = htobe32(t->frame_len);

		memcpy(t->len_be, &be, 4);
	}
	t->iov--;
	t->niov++;
	*t->iov = (struct iovec){.iov_base = t->len_be, .iov_len = 4};
	t->left = 4 + (size_t)t->frame_len;
	return NULL;
}

void vnet_tx_kick(struct vnet *n)
{
	struct virtio_dev *vd = &n->vd;
	struct virtqueue *vq = &vd->vqs[VNET_TXQ];
	struct vnet_txreq *t;
	const char *why;
	struct vq_chain c;
	int r;

	while ((t = n->free_reqs)) {
		c = (struct vq_chain){.iov = t->iov_buf + 1,
				      .max = VNET_QUEUE_SIZE};
		r = virtio_dev_pop(vd, VNET_TXQ, &c);
		if (r == 0 && vq_enable_notify(vq) && virtio_dev_live(vd))
			continue; /* posted after we looked: again */
		if (r != 1)
			break;
		n->free_reqs = t->next;
		t->n = n;
		t->gen = n->gen;
		t->head = c.head;
		why = tx_prepare(n, t, &c);
		if (why) {
			tx_drop(n, t, why);
		} else if (!n->link_up) {
			vnet_count(n, tx_dropped,
				   1); /* nobody at the other end */
			tx_finish(n, t);
		} else {
			t->next = NULL;
			*n->sendq_tail = t;
			n->sendq_tail = &t->next;
		}
	}
	tx_submit(n);
	if (n->batch_notify && !n->batch_queued && virtio_dev_live(vd)) {
		virtio_dev_notify(vd, VNET_TXQ);
		n->batch_notify = false;
	}
}

/* ---- life cycle -------------------------------------------------------- */

void vnet_tx_flush(struct vnet *n)
{
	struct vnet_txreq *t;

	while ((t = n->sendq)) {
		n->sendq = t->next;
		vnet_count(n, tx_dropped, 1);
		tx_finish(n, t);
	}
	n->sendq_tail = &n->sendq;
	if (n->batch_notify && !n->batch_queued && virtio_dev_live(&n->vd)) {
		virtio_dev_notify(&n->vd, VNET_TXQ);
		n->batch_notify = false;
	}
}

void vnet_tx_reset(struct vnet *n)
{
	struct vnet_txreq *t;

	/* Never started: just forget them (gen already moved on). */
	while ((t = n->sendq)) {
		n->sendq = t->next;
		t->next = n->free_reqs;
		n->free_reqs = t;
	}
	n->sendq_tail = &n->sendq;
	n->batch_notify = false;
}

int vnet_tx_init(struct vnet *n)
{
	n->reqs = calloc(VNET_QUEUE_SIZE, sizeof(*n->reqs));
	if (!n->reqs)
		return -ENOMEM;
	for (unsigned int i = 0; i < VNET_QUEUE_SIZE; i++) {
		n->reqs[i].next = n->free_reqs;
		n->free_reqs = &n->reqs[i];
	}
	n->sendq_tail = &n->sendq;
	n->batch.done = tx_batch_end;
	return 0;
}

void vnet_tx_fini(struct vnet *n)
{
	free(n->reqs);
	n->reqs = NULL;
}
