/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, 5.1): the device, its configuration space
 * (mac, link status), feature offer and the link's state. The receive
 * path is virtio_net_rx.c's, the transmit path virtio_net_tx.c's; the host
 * end is a backend of backends/net.h (a tap or a stream socket). With
 * VERSION_1 every frame carries a 12-byte struct virtio_net_hdr_v1 on the
 * rings; a tap carries the same header, a socket none.
 */
#define pr_fmt(fmt) "virtio-net: " fmt

#include "virtio_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <linux/virtio_ids.h>

#include "base/cond.h"
#include "base/log.h"
#include "virtio_net_int.h"

static struct vnet *to_vnet(struct virtio_dev *vd)
{
	return container_of(vd, struct vnet, vd);
}

/* ---- link ------------------------------------------------------------- */

void vnet_link_down(struct vnet *n, int err)
{
	if (!n->link_up)
		return;
	n->link_up = false;
	pr_warn_ratelimited(&n->vd.warn_rl, "%s: %s: link down", n->be.name,
			    err ? strerror(err) : "end of stream");
	vnet_rx_stop(n);
	vnet_tx_flush(n);
	n->config.status = 0;
	virtio_dev_config_changed(&n->vd);
}

void vnet_inflight_dec(struct vnet *n)
{
	if (!--n->inflight)
		pthread_cond_broadcast(&n->idle);
}

/* ---- device ops ------------------------------------------------------- */

static void vnet_read_config(struct virtio_dev *vd, size_t off, void *buf,
			     size_t len)
{
	memcpy(buf, (const uint8_t *)&to_vnet(vd)->config + off, len);
}

/* Loop thread: start receiving and send what was posted before DRIVER_OK. */
static void vnet_activated(void *arg)
{
	struct vnet *n = arg;

	pthread_mutex_lock(&n->vd.lock);
	if (virtio_dev_live(&n->vd)) {
		vnet_tx_kick(n);
		vnet_rx_run(n, false);
	}
	pthread_mutex_unlock(&n->vd.lock);
}

static int vnet_activate(struct virtio_dev *vd)
{
	struct vnet *n = to_vnet(vd);
	int r;

	/* The tap must send only the offloaded frames the guest takes. */
	if (n->be.offloads) {
		r = net_backend_set_offloads(&n->be, vd->driver_features);
		if (r)
			pr_warn_ratelimited(&vd->warn_rl,
					    "%s: TUNSETOFFLOAD: %s", n->be.name,
					    strerror(-r));
	}
	return io_loop_call(n->loop, vnet_activated, n);
}

static void vnet_reset(struct virtio_dev *vd)
{
	struct vnet *n = to_vnet(vd);

	n->gen++;
	vnet_rx_reset(n);
	vnet_tx_reset(n);
}

/* How long a reset waits for the transmissions in flight. */
#define VNET_RESET_WAIT_S 10

/*
 * vCPU thread, after a reset: transmissions in flight still read guest
 * buffers that the driver owns again once it sees the reset done; wait.
 */
static void vnet_reset_wait(struct virtio_dev *vd)
{
	struct vnet *n = to_vnet(vd);
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += VNET_RESET_WAIT_S;
	pthread_mutex_lock(&vd->lock);
	while (n->writing &&
	       pthread_cond_timedwait(&n->idle, &vd->lock, &until) != ETIMEDOUT)
		;
	if (n->writing)
		pr_warn_ratelimited(&vd->warn_rl,
				    "%s: reset: %u writes still in flight "
				    "after %d s",
				    n->be.name, n->writing, VNET_RESET_WAIT_S);
	pthread_mutex_unlock(&vd->lock);
}

static void vnet_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct vnet *n = to_vnet(vd);

	if (q == VNET_TXQ)
		vnet_tx_kick(n);
	else
		vnet_rx_run(n, false);
}

#define VNET_FEATURES                                                          \
	((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |          \
	 (1ULL << VIRTIO_NET_F_MRG_RXBUF))

static const struct virtio_dev_ops vnet_ops_template = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .features = VNET_FEATURES,
    .num_queues = 2,
    .queue_size = VNET_QUEUE_SIZE,
    .config_size = offsetof(struct virtio_net_config, mtu),
    .read_config = vnet_read_config,
    .activate = vnet_activate,
    .reset = vnet_reset,
    .reset_wait = vnet_reset_wait,
    .queue_notify = vnet_queue_notify,
};

/* ---- life cycle ------------------------------------------------------- */

/* 52:54:00 (QEMU's prefix: locally administered, unicast) + 3 random. */
static void vnet_make_mac(uint8_t mac[6])
{
	uint8_t r[3] = {0x12, 0x34, 0x56};

	/* getrandom() of 3 bytes does not fail short; keep the default if so */
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		pr_debug("getrandom: using a fixed mac");
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	memcpy(mac + 3, r, 3);
}

static void vnet_free(struct vnet *n)
{
	vnet_rx_fini(n);
	vnet_tx_fini(n);
	virtio_dev_uninit(&n->vd);
	net_backend_close(&n->be);
	pthread_cond_destroy(&n->idle);
	free(n);
}

int vnet_create(struct vnet **out, const struct net_spec *spec,
		const struct mem *mem, struct io_loop *loop, char *err,
		size_t err_len)
{
	struct vnet *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	n->be.fd = -1;
	n->loop = loop;
	if (cond_init_monotonic(&n->idle)) {
		free(n);
		return -ENOMEM;
	}
	r = net_backend_open(&n->be, spec, err, err_len);
	if (r)
		goto err_free;
	r = vnet_rx_init(n);
	if (!r)
		r = vnet_tx_init(n);
	if (r) {
		snprintf(err, err_len, "virtio-net: %s", strerror(-r));
		goto err_free;
	}
	if (spec->has_mac)
		memcpy(n->config.mac, spec->mac, 6);
	else
		vnet_make_mac(n->config.mac);
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->config.max_virtqueue_pairs = 1;
	n->link_up = true;
	n->ops = vnet_ops_template;
	n->ops.features |= n->be.offloads;
	r = virtio_dev_init(&n->vd, &n->ops, mem, loop);
	if (r) {
		snprintf(err, err_len, "virtio-net: %s", strerror(-r));
		goto err_free;
	}
	*out = n;
	return 0;
err_free:
	vnet_free(n);
	return r;
}

struct virtio_dev *vnet_dev(struct vnet *n)
{
	return &n->vd;
}

bool vnet_busy(void *arg)
{
	struct vnet *n = arg;
	bool busy;

	pthread_mutex_lock(&n->vd.lock);
	busy = n->inflight > 0;
	pthread_mutex_unlock(&n->vd.lock);
	return busy;
}

void vnet_stats(struct vnet *n, struct vnet_stats *st)
{
	const struct vnet_stats *s = &n->stats;

	st->rx_frames = __atomic_load_n(&s->rx_frames, __ATOMIC_RELAXED);
	st->rx_bytes = __atomic_load_n(&s->rx_bytes, __ATOMIC_RELAXED);
	st->tx_frames = __atomic_load_n(&s->tx_frames, __ATOMIC_RELAXED);
	st->tx_bytes = __atomic_load_n(&s->tx_bytes, __ATOMIC_RELAXED);
	st->rx_no_buffer = __atomic_load_n(&s->rx_no_buffer, __ATOMIC_RELAXED);
	st->rx_dropped = __atomic_load_n(&s->rx_dropped, __ATOMIC_RELAXED);
	st->tx_dropped = __atomic_load_n(&s->tx_dropped, __ATOMIC_RELAXED);
	st->rx_bad_buffers =
	    __atomic_load_n(&s->rx_bad_buffers, __ATOMIC_RELAXED);
	st->tx_waits = __atomic_load_n(&s->tx_waits, __ATOMIC_RELAXED);
	pthread_mutex_lock(&n->vd.lock);
	st->link_up = n->link_up;
	st->tx_writing = n->writing;
	pthread_mutex_unlock(&n->vd.lock);
}

void vnet_destroy(struct vnet *n)
{
	if (!n)
		return;
	if (n->inflight) {
		/* The kernel may still read them: leave them be. */
		pr_warn("%s: %u requests still in flight at exit: their "
			"memory is not freed",
			n->be.name, n->inflight);
		return;
	}
	vnet_free(n);
}
