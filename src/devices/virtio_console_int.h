/* SPDX-License-Identifier: MIT */
/*
 * virtio-console internals shared by console.c (ports, data queues) and
 * console_ctrl.c (the F_MULTIPORT control queues). Not for other modules.
 * Everything here is guarded by the device mutex (vc->vd.lock).
 */
#ifndef VIRTIO_CONSOLE_INT_H
#define VIRTIO_CONSOLE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_console.h>

#include "backends/console.h"
#include "virtio_console.h"
#include "virtio/device.h"

#define VCON_QUEUE_SIZE	 256
#define VCON_TX_IOV	 1024 /* segments gathered into one writev */
#define VCON_TX_CHAINS	 64   /* chains completed by one writev */
#define VCON_CTRL_QLEN	 64   /* control messages waiting for buffers */
#define VCON_NAME_MAX	 64
#define VCON_EMERG_STAGE 256 /* EMERG_WRITE bytes: at most one per vCPU */

/* Queue numbers (virtio 1.2, 5.3.2). */
#define VCON_CTRL_RX 2 /* control receiveq: device -> driver */
#define VCON_CTRL_TX 3 /* control transmitq: driver -> device */

struct vcon;

struct vcon_port {
	struct vcon *vc;
	unsigned int id;
	char name[VCON_NAME_MAX];
	struct console con;
	bool guest_open; /* PORT_OPEN from the driver */
	/* Receive: a chain being filled stays held until data comes. */
	struct io_source in_src;
	struct iovec rx_iov[VCON_QUEUE_SIZE];
	struct vq_chain rx_chain;
	bool rx_held;
	bool in_eof;	  /* stdin hit EOF: stop watching */
	bool host_closed; /* ... and the driver was told (PORT_OPEN 0) */
	/* Transmit: one gathered writev in flight. */
	struct console_req tx_req;
	struct iovec tx_iov[VCON_TX_IOV + VCON_QUEUE_SIZE];
	uint16_t tx_heads[VCON_TX_CHAINS];
	unsigned int tx_n;
	bool tx_busy;
	unsigned int tx_gen; /* vc->gen when the write started */
};

struct vcon_ctrl_msg {
	struct virtio_console_control hdr;
	uint16_t extra_len;
	uint8_t extra[VCON_NAME_MAX];
};

struct vcon {
	struct virtio_dev vd;
	struct io_loop *loop;
	unsigned int nr_ports;
	unsigned int gen; /* bumped by every reset */
	uint16_t rows, cols;
	/* vcon_set_size(): a size for the loop thread to apply. */
	uint16_t want_rows, want_cols;
	bool size_posted;
	/* Control queue state (F_MULTIPORT). */
	bool driver_ready; /* DEVICE_READY received */
	struct vcon_ctrl_msg ctrl_q[VCON_CTRL_QLEN];
	unsigned int ctrl_head, ctrl_len;
	struct iovec ctrl_iov[VCON_QUEUE_SIZE];
	/*
	 * F_EMERG_WRITE: write_config stages the byte under vd.lock, the
	 * writing vCPU writes what is staged with only emerg_lock held (a
	 * console write may wait for the loop, which takes vd.lock).
	 */
	pthread_mutex_t emerg_lock;
	uint8_t emerg[VCON_EMERG_STAGE];
	unsigned int emerg_len;
	struct vcon_port ports[VCON_MAX_PORTS];
};

/* Queues of a port (virtio 1.2, 5.3.2: 0/1 for port 0, then 4/5...). */
static inline unsigned int vcon_rxq(unsigned int port)
{
	return port ? 2 + 2 * port : 0;
}

static inline unsigned int vcon_txq(unsigned int port)
{
	return vcon_rxq(port) + 1;
}

/* console.c: re-decide whether to watch @p's input. */
void vcon_rx_update(struct vcon_port *p);

/* console.c: tell the driver port 0's size changed (lock held, loop). */
void vcon_size_changed(struct vcon *vc, uint16_t rows, uint16_t cols);

/* console_ctrl.c */
bool vcon_multiport(const struct vcon *vc);
void vcon_ctrl_send(struct vcon *vc, uint32_t id, uint16_t event,
		    uint16_t value, const void *extra, uint16_t extra_len);
void vcon_ctrl_send_size(struct vcon *vc);
void vcon_ctrl_flush(struct vcon *vc);
void vcon_ctrl_handle(struct vcon *vc);
void vcon_ctrl_reset(struct vcon *vc);
void vcon_ctrl_host_open(struct vcon *vc, struct vcon_port *p, bool open);

#endif /* VIRTIO_CONSOLE_INT_H */
