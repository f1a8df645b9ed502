/* SPDX-License-Identifier: MIT */
/*
 * virtio-net receive: backend -> receive queue (virtio 1.2, 5.1.6.3). The
 * backend fd is watched only while the guest has receive buffers posted
 * (or one is held); without them the frames wait in the kernel and the
 * device asks for a doorbell. A tap gives one frame per read, with its
 * virtio header; a socket gives a byte stream of length-prefixed frames,
 * reassembled here. Either way the frame sits in a host buffer and is
 * copied into one chain, or with MRG_RXBUF into as many as it needs, which
 * are returned together once the frame is complete, num_buffers set.
 */
#define pr_fmt(fmt) "virtio-net: " fmt

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "virtio_net_int.h"

/* ---- delivery into chains --------------------------------------------- */

/* Copy the pending frame's bytes [off, off + len) into @dst. */
static void rx_copy_out(struct vnet_rx *rx, uint8_t *dst, uint32_t len)
{
	uint32_t off = rx->off;

	if (off < VNET_HDR_LEN) {
		uint32_t k = MIN(len, VNET_HDR_LEN - off);

		memcpy(dst, rx->hdr + off, k);
		dst += k;
		len -= k;
		off += k;
	}
	memcpy(dst, rx->frame + (off - VNET_HDR_LEN), len);
	rx->off = off + len;
}

/* Fill the held chain with the frame's next bytes; returns how many. */
static uint32_t rx_fill_chain(struct vnet_rx *rx, uint32_t total)
{
	const struct vq_chain *c = &rx->chain;
	uint32_t done = 0;

	for (unsigned int i = c->n_out; i < c->n_out + c->n_in; i++) {
		uint8_t *p = c->iov[i].iov_base;
		uint32_t seg = (uint32_t)c->iov[i].iov_len;
		uint32_t k = MIN(seg, total - rx->off);

		if (!rx->nheld) {
			/* num_buffers: bytes 10 and 11 of the first chain */
			for (unsigned int b = 0; b < 2; b++) {
				uint32_t at = 10 + b;

				if (at >= done && at < done + seg)
					rx->num_buffers[b] = p + (at - done);
			}
		}
		if (k)
			rx_copy_out(rx, p, k);
		done += k;
		if (rx->off == total)
			break;
	}
	return done;
}

/* Return the chains of the frame (@len 0 each: a drop), or the frame. */
static void rx_push_held(struct vnet *n, bool drop)
{
	struct vnet_rx *rx = &n->rx;
	struct virtqueue *vq = &n->vd.vqs[VNET_RXQ];

	if (!drop && rx->nheld) {
		*rx->num_buffers[0] = (uint8_t)rx->nheld;
		*rx->num_buffers[1] = (uint8_t)(rx->nheld >> 8);
	}
	for (unsigned int i = 0; i < rx->nheld; i++)
		vq_push(vq, rx->heads[i], drop ? 0 : rx->lens[i]);
	if (rx->nheld)
		rx->notify_pending = true;
	rx->nheld = 0;
}

/*
 * Deliver the pending frame. Returns 1 when it is done with (delivered or
 * dropped), 0 when it waits for buffers, -errno when the queue is broken.
 */
static int rx_deliver(struct vnet *n)
{
	struct vnet_rx *rx = &n->rx;
	struct virtio_dev *vd = &n->vd;
	bool mrg = virtio_dev_has(vd, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t total = VNET_HDR_LEN + rx->frame_len;
	int r;

	for (;;) {
		if (!rx->have_chain) {
			rx->chain = (struct vq_chain){.iov = rx->chain_iov,
						      .max = VNET_QUEUE_SIZE};
			r = virtio_dev_pop(vd, VNET_RXQ, &rx->chain);
			if (r <= 0)
				return r;
			if (rx->chain.in_len < VNET_HDR_LEN) {
				/* Not even room for the header: a bad one. */
				vnet_count(n, rx_bad_buffers, 1);
				pr_warn_ratelimited(&vd->warn_rl,
						    "receive buffer of %u "
						    "bytes: too small",
						    rx->chain.in_len);
				vq_push(&vd->vqs[VNET_RXQ], rx->chain.head, 0);
				rx->notify_pending = true;
				continue;
			}
			rx->have_chain = true;
		}
		if (!mrg && rx->chain.in_len < total) {
			/* Keep the chain for a frame that fits. */
			vnet_count(n, rx_dropped, 1);
			pr_warn_ratelimited(&vd->warn_rl,
					    "frame of %u bytes dropped: "
					    "buffer of %u (no MRG_RXBUF)",
					    total, rx->chain.in_len);
			return 1;
		}
		rx->heads[rx->nheld] = rx->chain.head;
		rx->lens[rx->nheld] = rx_fill_chain(rx, total);
		rx->nheld++;
		rx->have_chain = false;
		if (rx->off == total) {
			rx_push_held(n, false);
			vnet_count(n, rx_frames, 1);
			vnet_count(n, rx_bytes, rx->frame_len);
			return 1;
		}
		if (rx->nheld == vd->vqs[VNET_RXQ].size) {
			/* Every buffer of the queue cannot hold it: drop. */
			vnet_count(n, rx_dropped, 1);
			rx_push_held(n, true);
			return 1;
		}
	}
}

/* ---- frames from the backends ----------------------------------------- */

/* A tap: one read, one frame. Returns 1 (a frame), 0 (none) or -errno. */
static int rx_next_tap(struct vnet *n)
{
	struct vnet_rx *rx = &n->rx;

	for (;;) {
		ssize_t got =
		    read(n->be.fd, rx->buf, VNET_HDR_LEN + VNET_MAX_FRAME);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (got == 0)
			return -EIO; /* a tap never gives 0 bytes */
		if ((size_t)got < VNET_HDR_LEN) {
			vnet_count(n, rx_dropped, 1);
			continue;
		}
		memcpy(rx->hdr, rx->buf, VNET_HDR_LEN);
		rx->frame = rx->buf + VNET_HDR_LEN;
		rx->frame_len = (uint32_t)got - VNET_HDR_LEN;
		return 1;
	}
}

/*
 * A socket: the next length-prefixed frame of the stream, reading more
 * when none is complete. Returns 1, 0 or -errno (-EPROTO: garbage).
 */
static int rx_next_socket(struct vnet *n)
{
	struct vnet_rx *rx = &n->rx;

	for (;;) {
		size_t have = rx->end - rx->start;
		ssize_t got;

		if (have >= 4) {
			uint32_t len;

			memcpy(&len, rx->buf + rx->start, 4);
			len = be32toh(len);
			if (!len || len > VNET_MAX_FRAME)
				return -EPROTO;
			if (have >= 4 + (size_t)len) {
				memset(rx->hdr, 0, sizeof(rx->hdr));
				rx->frame = rx->buf + rx->start + 4;
				rx->frame_len = len;
				rx->start += 4 + (size_t)len;
				return 1;
			}
		}
		/* No frame refers to the buffer now: make room at its end. */
		if (rx->start) {
			memmove(rx->buf, rx->buf + rx->start, have);
			rx->start = 0;
			rx->end = have;
		}
		got =
		    read(n->be.fd, rx->buf + rx->end, VNET_SOCK_BUF - rx->end);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno == EAGAIN ? 0 : -errno;
		if (got == 0)
			return -ECONNRESET; /* the peer went away */
		rx->end += (size_t)got;
	}
}

/* ---- the receive loop -------------------------------------------------- */

static void rx_watch(struct vnet *n, bool on)
{
	struct vnet_rx *rx = &n->rx;

	if (!on && io_source_watched(&rx->src))
		(void)io_loop_unwatch(n->loop, &rx->src); /* it is watched */
	if (on && !io_source_watched(&rx->src) &&
	    io_loop_watch(n->loop, &rx->src))
		pr_warn_ratelimited(&n->vd.warn_rl, "%s: cannot watch",
				    n->be.name);
}

enum rx_end {
	RX_IDLE,   /* the backend has nothing more: watch it */
	RX_NO_BUF, /* no receive buffer: wait for a doorbell */
	RX_BUDGET, /* enough for one wakeup: go on later */
	RX_STOP,   /* the link or the queue broke */
};

static enum rx_end rx_pump(struct vnet *n, unsigned int *budget, bool *readable)
{
	struct vnet_rx *rx = &n->rx;
	struct virtqueue *vq = &n->vd.vqs[VNET_RXQ];
	int r;

	for (; *budget; --*budget) {
		if (!rx->pending) {
			/* Read only with a buffer to put it in. */
			if (!rx->have_chain && !vq_has_avail(vq))
				return RX_NO_BUF;
			r = n->be.framed ? rx_next_socket(n) : rx_next_tap(n);
			if (r < 0) {
				vnet_link_down(n, -r);
				return RX_STOP;
			}
			if (r == 0)
				return RX_IDLE;
			rx->pending = true;
			rx->off = 0;
			*readable = true;
		}
		r = rx_deliver(n);
		if (r < 0)
			return RX_STOP; /* NEEDS_RESET is set */
		if (r == 0)
			return RX_NO_BUF;
		rx->pending = false;
	}
	return RX_BUDGET;
}

void vnet_rx_run(struct vnet *n, bool readable)
{
	struct vnet_rx *rx = &n->rx;
	struct virtio_dev *vd = &n->vd;
	struct virtqueue *vq = &vd->vqs[VNET_RXQ];
	unsigned int budget = VNET_RX_BUDGET;
	enum rx_end end;

	if (!virtio_dev_live(vd) || !n->link_up || !vq->ready) {
		rx_watch(n, false);
		return;
	}
	for (;;) {
		end = rx_pump(n, &budget, &readable);
		if (end != RX_NO_BUF)
			break;
		if (readable)
			vnet_count(n, rx_no_buffer, 1);
		rx_watch(n, false);
		/* Buffers posted meanwhile ring no doorbell: look again. */
		if (!vq_enable_notify(vq) || !virtio_dev_live(vd))
			break;
		readable = false; /* counted once per wait */
	}
	if (end == RX_IDLE) {
		/* Readiness, not doorbells, drives receive from here. */
		vq_disable_notify(vq);
		rx_watch(n, true);
	} else if (end == RX_BUDGET) {
		rx_watch(n, false);
		if (!rx->more_queued && !io_loop_defer(n->loop, &rx->more)) {
			rx->more_queued = true;
			n->inflight++;
		}
	} else if (end == RX_STOP) {
		rx_watch(n, false);
	}
	if (rx->notify_pending && virtio_dev_live(vd))
		virtio_dev_notify(vd, VNET_RXQ);
	rx->notify_pending = false;
}

static void rx_ready(struct io_source *src, int res)
{
	struct vnet *n = container_of(src, struct vnet, rx.src);

	pthread_mutex_lock(&n->vd.lock);
	if (res < 0)
		pr_warn_ratelimited(&n->vd.warn_rl, "%s: poll: %s", n->be.name,
				    strerror(-res));
	vnet_rx_run(n, true);
	pthread_mutex_unlock(&n->vd.lock);
}

static void rx_more(struct io_request *req, int res)
{
	struct vnet *n = container_of(req, struct vnet, rx.more);

	(void)res;
	pthread_mutex_lock(&n->vd.lock);
	n->rx.more_queued = false;
	vnet_inflight_dec(n);
	vnet_rx_run(n, true);
	pthread_mutex_unlock(&n->vd.lock);
}

/* ---- life cycle -------------------------------------------------------- */

void vnet_rx_stop(struct vnet *n)
{
	struct vnet_rx *rx = &n->rx;

	rx_watch(n, false);
	if (rx->pending && virtio_dev_live(&n->vd)) {
		vnet_count(n, rx_dropped, 1);
		rx_push_held(n, true);
	}
	rx->nheld = 0;
	rx->pending = false;
}

void vnet_rx_reset(struct vnet *n)
{
	struct vnet_rx *rx = &n->rx;

	rx_watch(n, false);
	if (rx->pending)
		vnet_count(n, rx_dropped, 1);
	rx->pending = false;
	rx->nheld = 0;
	rx->have_chain = false;
}

int vnet_rx_init(struct vnet *n)
{
	struct vnet_rx *rx = &n->rx;

	rx->src = (struct io_source){.fd = n->be.fd, .ready = rx_ready};
	rx->more.done = rx_more;
	rx->buf = malloc(n->be.framed ? VNET_SOCK_BUF
				      : VNET_HDR_LEN + VNET_MAX_FRAME);
	return rx->buf ? 0 : -ENOMEM;
}

void vnet_rx_fini(struct vnet *n)
{
	/* The loop has stopped (or never ran): the watch goes with us. */
	if (n->loop && io_source_watched(&n->rx.src))
		(void)io_loop_unwatch(n->loop, &n->rx.src);
	free(n->rx.buf);
	n->rx.buf = NULL;
}
