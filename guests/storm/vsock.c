/* SPDX-License-Identifier: MIT */
/*
 * Phase 4 for virtio-vsock (virtio 1.2, 5.10): a stream connection to the
 * host's port storm.vsock= (the test serves it with a listener on vmm's
 * PATH_PORT socket), data sent, and the device reset with the connection
 * open; then a fresh initialisation and a second connection, which must
 * be accepted too: the reset left vmm's connection table usable.
 */
#include "storm.h"

#include <linux/virtio_mmio.h>
#include <linux/virtio_vsock.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define HOST_CID 2
#define RX_BUFS	 16
#define RX_LEN	 4096

static uint8_t rxbuf[RX_BUFS][RX_LEN] __attribute__((aligned(64)));
static uint8_t txbuf[4][sizeof(struct virtio_vsock_hdr) + 512];
static uint64_t evbuf[2];

static void send(struct sdev *d, unsigned int slot, uint64_t cid,
		 uint32_t sport, uint32_t dport, uint16_t op, uint32_t len)
{
	struct virtio_vsock_hdr *h = (void *)txbuf[slot];
	struct sseg seg = {(uintptr_t)h, sizeof(*h) + len, false};

	*h = (struct virtio_vsock_hdr){
	    .src_cid = cid,
	    .dst_cid = HOST_CID,
	    .src_port = sport,
	    .dst_port = dport,
	    .len = len,
	    .type = VIRTIO_VSOCK_TYPE_STREAM,
	    .op = op,
	    .buf_alloc = 65536,
	};
	memset(h + 1, 's', len);
	sq_add(&d->q[1], &seg, 1);
	sq_kick(d, &d->q[1]);
}

/* Rx buffers and event buffers posted; the guest's CID read. */
static uint64_t start(struct sdev *d)
{
	struct sseg ev[2] = {{(uintptr_t)&evbuf[0], 8, true},
			     {(uintptr_t)&evbuf[1], 8, true}};

	for (unsigned int i = 0; i < RX_BUFS; i++) {
		struct sseg seg = {(uintptr_t)rxbuf[i], RX_LEN, true};

		sq_add(&d->q[0], &seg, 1);
	}
	sq_kick(d, &d->q[0]);
	sq_add(&d->q[2], &ev[0], 1);
	sq_add(&d->q[2], &ev[1], 1);
	sq_kick(d, &d->q[2]);
	return mmio_read64(d->base + VIRTIO_MMIO_CONFIG);
}

/* Wait for the host's answer to our REQUEST from @sport: its op, or 0. */
static uint16_t answer(struct sdev *d, uint32_t sport)
{
	uint32_t id, len;

	while (sq_wait(&d->q[0], &id, &len, 2000000000UL)) {
		uint64_t addr = d->q[0].m->desc[id % d->q[0].size].addr;
		const struct virtio_vsock_hdr *h = (void *)(uintptr_t)addr;

		if (len >= sizeof(*h) && h->dst_port == sport)
			return h->op;
	}
	return 0;
}

long phase_vsock(struct sdev *d, uint64_t seed, uint32_t port)
{
	uint32_t sport = 40000 + (uint32_t)(seed % 1000);
	uint16_t op[2];

	for (unsigned int k = 0; k < 2; k++) {
		uint64_t cid;

		if (d->nq < 3 || sdev_init(d, 0, 3))
			return STORM_EXIT_DRIVER;
		cid = start(d);
		send(d, 0, cid, sport + k, port, VIRTIO_VSOCK_OP_REQUEST, 0);
		op[k] = answer(d, sport + k);
		if (op[k] == VIRTIO_VSOCK_OP_RESPONSE)
			for (unsigned int i = 1; i < 4; i++)
				send(d, i, cid, sport + k, port,
				     VIRTIO_VSOCK_OP_RW, 512);
		/* The reset comes with the connection open, data in flight. */
		sdev_reset(d);
	}
	printk("storm: vsock: connection to port %u: %s, reset with it open; "
	       "after the reset: %s\n",
	       port, op[0] == VIRTIO_VSOCK_OP_RESPONSE ? "accepted" : "refused",
	       op[1] == VIRTIO_VSOCK_OP_RESPONSE ? "accepted" : "refused");
	if (op[0] != VIRTIO_VSOCK_OP_RESPONSE ||
	    op[1] != VIRTIO_VSOCK_OP_RESPONSE) {
		printk("FAIL: storm: vsock connections not accepted (ops %u, "
		       "%u)\n",
		       op[0], op[1]);
		return STORM_EXIT_DATA;
	}
	return 0;
}
