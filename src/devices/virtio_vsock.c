/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock, the device (virtio_vsock.h): queues, config, reset and
 * the guest's packets on the tx queue, each checked (vsock_packet.c) and
 * handed to its connection. Connections live in virtio_vsock_conn.c,
 * their host sockets in virtio_vsock_host.c and the rx queue in
 * virtio_vsock_rx.c (virtio_vsock_int.h).
 */
#define pr_fmt(fmt) "virtio-vsock: " fmt

#include "virtio_vsock.h"

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_ids.h>

#include "base/log.h"
#include "virtio_vsock_int.h"

static struct vvsock *to_vvsock(struct virtio_dev *vd)
{
	return container_of(vd, struct vvsock, vd);
}

bool vvsock_orphan_rst(struct vvsock *v, uint32_t src_port, uint32_t dst_port)
{
	unsigned int at = (v->orphan_head + v->orphan_n) % VVSOCK_ORPHANS;

	if (v->orphan_n == VVSOCK_ORPHANS)
		return false;
	/* The answer goes back where the packet came from. */
	v->orphan[at].src_port = dst_port;
	v->orphan[at].dst_port = src_port;
	v->orphan_n++;
	VVSOCK_STAT_ADD(v, resets, 1);
	return true;
}

/* A guest REQUEST for no connection: connect to PATH_<port>. */
static void tx_request(struct vvsock *v, const struct vsock_pkt *p)
{
	struct vvsock_conn *c;
	int fd = -ENOSPC;

	if (v->nconn < VVSOCK_MAX_CONNS)
		fd = vsock_hybrid_connect(v->path, p->dst_port);
	c = fd >= 0 ? vvsock_conn_new(v, fd, VVSOCK_OPEN) : NULL;
	if (!c) {
		(void)vvsock_orphan_rst(v, p->src_port, p->dst_port);
		return;
	}
	c->local_port = p->dst_port;
	c->peer_port = p->src_port;
	vsock_credit_peer(&c->cr, p->buf_alloc, p->fwd_cnt);
	vvsock_conn_hash(c);
	VVSOCK_STAT_ADD(v, connections, 1);
	VVSOCK_STAT_ADD(v, open, 1);
	vvsock_conn_owe(c, VVSOCK_PEND_RESPONSE);
	vvsock_conn_watch(c);
}

/* The guest accepted a host client's connection. */
static void tx_response(struct vvsock *v, struct vvsock_conn *c)
{
	if (c->state != VVSOCK_REQUESTED ||
	    vsock_hybrid_reply_ok(c->src.fd, c->local_port)) {
		vvsock_conn_reset(c);
		return;
	}
	c->state = VVSOCK_OPEN;
	c->deadline_ns = 0;
	VVSOCK_STAT_ADD(v, connections, 1);
	VVSOCK_STAT_ADD(v, open, 1);
	/* Bytes the client sent after its CONNECT line wait in the socket. */
	vvsock_conn_watch(c);
}

static void tx_rw(struct vvsock *v, struct vvsock_conn *c,
		  const struct vq_chain *ch, const struct vsock_pkt *p)
{
	if (c->state != VVSOCK_OPEN ||
	    (c->guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)) {
		vvsock_conn_reset(c);
		return;
	}
	if (!vsock_credit_rx_ok(&c->cr, p->len)) {
		pr_warn_ratelimited(&v->vd.warn_rl,
				    "port %u: guest ignored its credit: reset",
				    c->local_port);
		VVSOCK_STAT_ADD(v, bad_packets, 1);
		vvsock_conn_reset(c);
		return;
	}
	if (p->len)
		vvsock_conn_write(c, ch->iov, ch->n_out, VSOCK_HDR_LEN, p->len);
}

/* A checked guest packet for connection @c. */
static void tx_conn(struct vvsock *v, struct vvsock_conn *c,
		    const struct vq_chain *ch, const struct vsock_pkt *p)
{
	if (p->op == VIRTIO_VSOCK_OP_RST) {
		VVSOCK_STAT_ADD(v, resets, c->state == VVSOCK_DYING ? 0 : 1);
		vvsock_conn_free(c);
		return;
	}
	if (c->state == VVSOCK_DYING)
		return; /* our RST is on its way */
	vsock_credit_peer(&c->cr, p->buf_alloc, p->fwd_cnt);
	if (c->state == VVSOCK_REQUESTED && p->op != VIRTIO_VSOCK_OP_RESPONSE) {
		vvsock_conn_reset(c);
		return;
	}
	switch (p->op) {
	case VIRTIO_VSOCK_OP_REQUEST: /* a second one: protocol error */
		VVSOCK_STAT_ADD(v, bad_packets, 1);
		vvsock_conn_reset(c);
		return;
	case VIRTIO_VSOCK_OP_RESPONSE: tx_response(v, c); return;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		c->guest_shut |= p->flags & (VIRTIO_VSOCK_SHUTDOWN_RCV |
					     VIRTIO_VSOCK_SHUTDOWN_SEND);
		vvsock_conn_watch(c);
		vvsock_conn_progress(c);
		return;
	case VIRTIO_VSOCK_OP_RW: tx_rw(v, c, ch, p); break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		vvsock_conn_owe(c, VVSOCK_PEND_CREDIT);
		break;
	default: /* CREDIT_UPDATE: the credit was taken above */ break;
	}
	if (c->state == VVSOCK_OPEN)
		vvsock_conn_credit_changed(c);
}

static void tx_packet(struct vvsock *v, const struct vq_chain *ch)
{
	struct vsock_pkt p;
	struct vvsock_conn *c;
	enum vsock_verdict verdict =
	    vsock_pkt_check(ch->iov, ch->n_out, ch->out_len, v->guest_cid, &p);

	if (verdict == VSOCK_DROP) {
		VVSOCK_STAT_ADD(v, bad_packets, 1);
		pr_warn_ratelimited(&v->vd.warn_rl, "packet dropped: short "
						    "or wrong addresses");
		return;
	}
	c = vvsock_conn_find(v, p.dst_port, p.src_port);
	if (verdict == VSOCK_RST) {
		VVSOCK_STAT_ADD(v, bad_packets, 1);
		pr_warn_ratelimited(&v->vd.warn_rl,
				    "bad packet (type %u op %u len %u): reset",
				    p.type, p.op, p.len);
		if (c)
			vvsock_conn_reset(c);
		else if (p.op != VIRTIO_VSOCK_OP_RST)
			(void)vvsock_orphan_rst(v, p.src_port, p.dst_port);
		return;
	}
	if (c)
		tx_conn(v, c, ch, &p);
	else if (p.op == VIRTIO_VSOCK_OP_REQUEST)
		tx_request(v, &p);
	else if (p.op != VIRTIO_VSOCK_OP_RST)
		(void)vvsock_orphan_rst(v, p.src_port, p.dst_port);
}

void vvsock_tx_run(struct vvsock *v)
{
	struct virtqueue *vq = &v->vd.vqs[VVSOCK_TXQ];
	unsigned int budget = VVSOCK_BUDGET;
	bool pushed = false;
	struct vq_chain ch;
	int n;

	while (virtio_dev_live(&v->vd)) {
		/* Each packet may need one answer: keep room for it. */
		if (v->orphan_n == VVSOCK_ORPHANS || !budget--) {
			v->tx_stalled = true;
			if (budget == UINT_MAX)
				vvsock_defer(v); /* the budget, not room */
			break;
		}
		ch = (struct vq_chain){.iov = v->tx_iov,
				       .max = VVSOCK_QUEUE_SIZE};
		n = virtio_dev_pop(&v->vd, VVSOCK_TXQ, &ch);
		if (n == 0 && vq_enable_notify(vq))
			continue;
		if (n != 1)
			break;
		tx_packet(v, &ch);
		vq_push(vq, ch.head, 0);
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(&v->vd, VVSOCK_TXQ);
}

/* ---- the event queue ------------------------------------------------ */

static void vvsock_event_send(struct vvsock *v)
{
	struct virtio_vsock_event ev = {
	    .id = htole32(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET)};
	struct vq_chain ch = {.iov = v->ev_iov, .max = VVSOCK_QUEUE_SIZE};
	uint32_t len;

	if (!v->event_pending || virtio_dev_pop(&v->vd, VVSOCK_EVQ, &ch) != 1)
		return;
	len = (uint32_t)iov_from_buf(ch.iov + ch.n_out, ch.n_in, 0, &ev,
				     sizeof(ev));
	vq_push(&v->vd.vqs[VVSOCK_EVQ], ch.head, len);
	virtio_dev_notify(&v->vd, VVSOCK_EVQ);
	/* A buffer too small for it is the driver's loss; sent either way. */
	v->event_pending = false;
}

/* ---- device ops ----------------------------------------------------- */

static void vvsock_read_config(struct virtio_dev *vd, size_t off, void *buf,
			       size_t len)
{
	struct virtio_vsock_config cfg = {
	    .guest_cid = htole64(to_vvsock(vd)->guest_cid)};

	memcpy(buf, (uint8_t *)&cfg + off, len);
}

static void vvsock_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct vvsock *v = to_vvsock(vd);

	vvsock_reap(v, false);
	if (q == VVSOCK_EVQ) {
		vvsock_event_send(v);
		return;
	}
	if (q == VVSOCK_TXQ || v->tx_stalled) {
		v->tx_stalled = false;
		vvsock_tx_run(v);
	}
	vvsock_rx_run(v);
}

/* Loop thread: work the driver posted before its doorbells were wired. */
static void vvsock_activated(void *arg)
{
	struct vvsock *v = arg;

	pthread_mutex_lock(&v->vd.lock);
	vvsock_reap(v, false);
	if (virtio_dev_live(&v->vd)) {
		vvsock_event_send(v);
		vvsock_tx_run(v);
		vvsock_rx_run(v);
	}
	pthread_mutex_unlock(&v->vd.lock);
}

static int vvsock_activate(struct virtio_dev *vd)
{
	return io_loop_call(to_vvsock(vd)->loop, vvsock_activated, vd);
}

/* Loop thread: close what the reset left (host clients see EOF). */
static void vvsock_reset_work(void *arg)
{
	struct vvsock *v = arg;

	pthread_mutex_lock(&v->vd.lock);
	vvsock_reap(v, false);
	pthread_mutex_unlock(&v->vd.lock);
}

/*
 * vCPU thread, lock held. Host sockets are watched by the loop, so they
 * are closed there: the generation marks every connection as stale and
 * the loop reaps them (vvsock_reset_work(), or whichever loop callback
 * of this device runs first). Nothing of ours is in flight into guest
 * buffers (reads into them are synchronous, on the loop thread under
 * the lock), so no reset_wait is needed.
 */
static void vvsock_reset(struct virtio_dev *vd)
{
	struct vvsock *v = to_vvsock(vd);

	v->gen++;
	v->rx_held = false;
	v->orphan_n = 0;
	v->tx_stalled = false;
	/* A driver that ran before hears that its connections are gone
	 * (virtio 1.2, 5.10.6.6 "Device Events"), as after a restore. */
	if (vd->started)
		v->event_pending = true;
	if (io_loop_call(v->loop, vvsock_reset_work, v))
		pr_warn_ratelimited(&vd->warn_rl,
				    "reset: connections closed later");
}

static const struct virtio_dev_ops vvsock_ops = {
    .name = "virtio-vsock",
    .device_id = VIRTIO_ID_VSOCK,
    .features = 0, /* stream only: no VIRTIO_VSOCK_F_SEQPACKET */
    .num_queues = 3,
    .queue_size = VVSOCK_QUEUE_SIZE,
    .config_size = sizeof(struct virtio_vsock_config),
    .read_config = vvsock_read_config,
    .activate = vvsock_activate,
    .reset = vvsock_reset,
    .queue_notify = vvsock_queue_notify,
};

int vvsock_create(struct vvsock **out, uint32_t guest_cid, const char *uds_path,
		  const struct mem *mem, struct io_loop *loop, char *err,
		  size_t err_len)
{
	struct vvsock *v;
	int ret;

	if (guest_cid < 3 || guest_cid > 0xfffffffeu) {
		snprintf(err, err_len, "vsock: guest CID %u: not in 3..%u",
			 guest_cid, 0xfffffffeu);
		return -EINVAL;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->path = strdup(uds_path))) {
		free(v);
		snprintf(err, err_len, "vsock: out of memory");
		return -ENOMEM;
	}
	v->loop = loop;
	v->guest_cid = guest_cid;
	v->next_port = VVSOCK_PORT_BASE;
	v->all.prev = v->all.next = &v->all;
	v->svc.prev = v->svc.next = &v->svc;
	v->timer.fd = -1;
	v->listener.fd = vsock_hybrid_listen(uds_path, err, err_len);
	if (v->listener.fd < 0) {
		ret = v->listener.fd;
		goto err_free;
	}
	v->listener.events = POLLIN;
	v->listener.ready = vvsock_listener_ready;
	ret = virtio_dev_init(&v->vd, &vvsock_ops, mem, loop);
	if (ret) {
		snprintf(err, err_len, "vsock: %s", strerror(-ret));
		goto err_close;
	}
	ret = vvsock_timer_init(v);
	if (ret) {
		snprintf(err, err_len, "vsock: timer: %s", strerror(-ret));
		goto err_uninit;
	}
	ret = io_loop_watch(loop, &v->listener);
	if (ret) {
		snprintf(err, err_len, "vsock %s: watch: %s", uds_path,
			 strerror(-ret));
		goto err_timer;
	}
	*out = v;
	return 0;
err_timer:
	vvsock_timer_uninit(v);
err_uninit:
	virtio_dev_uninit(&v->vd);
err_close:
	close(v->listener.fd);
	unlink(uds_path);
err_free:
	free(v->path);
	free(v);
	return ret;
}

struct virtio_dev *vvsock_dev(struct vvsock *v)
{
	return &v->vd;
}

bool vvsock_busy(void *v)
{
	(void)v; /* no I/O of ours is ever in flight into guest RAM */
	return false;
}

void vvsock_stats(struct vvsock *v, struct vvsock_stats *st)
{
	st->connections = __atomic_load_n(&v->st.connections, __ATOMIC_RELAXED);
	st->open = __atomic_load_n(&v->st.open, __ATOMIC_RELAXED);
	st->rx_bytes = __atomic_load_n(&v->st.rx_bytes, __ATOMIC_RELAXED);
	st->tx_bytes = __atomic_load_n(&v->st.tx_bytes, __ATOMIC_RELAXED);
	st->resets = __atomic_load_n(&v->st.resets, __ATOMIC_RELAXED);
	st->bad_packets = __atomic_load_n(&v->st.bad_packets, __ATOMIC_RELAXED);
}

void vvsock_destroy(struct vvsock *v)
{
	if (!v)
		return;
	/* The loop has stopped: no callback runs, unwatching is safe. */
	vvsock_reap(v, true);
	if (io_source_watched(&v->listener))
		(void)io_loop_unwatch(v->loop, &v->listener);
	vvsock_timer_uninit(v);
	close(v->listener.fd);
	unlink(v->path);
	virtio_dev_uninit(&v->vd);
	free(v->path);
	free(v);
}
