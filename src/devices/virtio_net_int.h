/* SPDX-License-Identifier: MIT */
/*
 * virtio-net internals shared by virtio_net.c (the device, config, link
 * state), virtio_net_rx.c (backend -> receive queue) and virtio_net_tx.c
 * (transmit queue -> backend). Not for other modules. Everything is
 * guarded by the device mutex (n->vd.lock) but the stats (atomics).
 */
#ifndef VIRTIO_NET_INT_H
#define VIRTIO_NET_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/virtio_net.h>

#include "backends/net.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio_net.h"

#define VNET_RXQ 0
#define VNET_TXQ 1

#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr_v1))
/* The longest frame either way: 64 KiB of GSO payload plus a header. */
#define VNET_MAX_FRAME 65550u
/* Frames received per wakeup before the loop gets a turn. */
#define VNET_RX_BUDGET 256
/* Bytes of the socket's input buffered for reassembly (two frames' room). */
#define VNET_SOCK_BUF (2 * (4 + VNET_MAX_FRAME))

struct vnet;

/* One transmitted chain on its way to the backend. */
struct vnet_txreq {
	struct io_request io;
	struct vnet *n;
	struct vnet_txreq *next; /* free list or the send queue */
	uint32_t gen;		 /* the device's reset generation */
	uint16_t head;
	uint32_t frame_len; /* bytes of frame, header excluded */
	size_t left;	    /* bytes still to write (socket: short writes) */
	uint8_t len_be[4];  /* socket framing */
	struct msghdr msg;
	struct iovec *iov; /* iov_at: not yet written */
	unsigned int niov;
	/* [0]: the socket's length; then the chain's segments. */
	struct iovec iov_buf[VNET_QUEUE_SIZE + 1];
};

struct vnet_rx {
	struct io_source src;	/* the backend fd, watched for POLLIN */
	struct io_request more; /* budget used up: go on next iteration */
	bool more_queued;
	/* The frame being delivered: hdr then frame[0..frame_len). */
	bool pending;
	uint8_t hdr[sizeof(struct virtio_net_hdr_v1)];
	const uint8_t *frame;
	uint32_t frame_len;
	uint32_t off; /* bytes delivered (header included) */
	/* Chains filled with its first bytes, pushed when it is complete. */
	uint16_t heads[VNET_QUEUE_SIZE];
	uint32_t lens[VNET_QUEUE_SIZE];
	unsigned int nheld;
	uint8_t *num_buffers[2]; /* the first chain's num_buffers bytes */
	/* A popped chain not used yet. */
	bool have_chain;
	struct vq_chain chain;
	struct iovec chain_iov[VNET_QUEUE_SIZE];
	bool notify_pending;
	/* tap: one frame read whole; socket: the stream being reassembled */
	uint8_t *buf;
	size_t start, end;
};

struct vnet {
	struct virtio_dev vd;
	struct virtio_dev_ops ops; /* per device: offloads vary */
	struct io_loop *loop;
	struct net_backend be;
	struct virtio_net_config config;
	bool link_up;
	uint32_t gen; /* bumped at every reset */
	struct vnet_rx rx;
	/* Transmit. */
	struct vnet_txreq *reqs; /* VNET_QUEUE_SIZE of them */
	struct vnet_txreq *free_reqs;
	struct vnet_txreq *sendq, **sendq_tail; /* popped, not submitted */
	bool sock_busy;		 /* a socket write is in flight */
	unsigned int writing;	 /* writes (and their polls) in the ring */
	unsigned int inflight;	 /* writing + other requests (rx.more) */
	pthread_cond_t idle;	 /* inflight dropped to 0 */
	struct io_request batch; /* one tx interrupt per batch */
	bool batch_queued, batch_notify;
	struct vnet_stats stats; /* atomics (link_up is not used) */
};

/* Count @field of the stats (atomically: vnet_stats() reads anywhere). */
#define vnet_count(n, field, v)                                                \
	__atomic_fetch_add(&(n)->stats.field, (v), __ATOMIC_RELAXED)

/* virtio_net.c: the backend broke (-@err): link down, once. */
void vnet_link_down(struct vnet *n, int err);
/* virtio_net.c: one request fewer in the ring (wakes a reset waiting). */
void vnet_inflight_dec(struct vnet *n);

/* virtio_net_rx.c */
int vnet_rx_init(struct vnet *n);
void vnet_rx_fini(struct vnet *n);
/* Receive what can be received, then decide the watch and doorbells. */
void vnet_rx_run(struct vnet *n, bool readable);
void vnet_rx_reset(struct vnet *n);
/* Link down: give back the chains of a partly delivered frame. */
void vnet_rx_stop(struct vnet *n);

/* virtio_net_tx.c */
int vnet_tx_init(struct vnet *n);
void vnet_tx_fini(struct vnet *n);
void vnet_tx_kick(struct vnet *n);
void vnet_tx_reset(struct vnet *n);
/* Link down: return every chain waiting to be sent. */
void vnet_tx_flush(struct vnet *n);

#endif /* VIRTIO_NET_INT_H */
