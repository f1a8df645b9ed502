/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock credit accounting and shutdown steps (vsock_conn.h).
 */
#include "vsock_conn.h"

#include <linux/virtio_vsock.h>

void vsock_credit_init(struct vsock_credit *c, uint32_t buf_alloc)
{
	*c = (struct vsock_credit){.buf_alloc = buf_alloc};
}

void vsock_credit_peer(struct vsock_credit *c, uint32_t buf_alloc,
		       uint32_t fwd_cnt)
{
	c->peer_buf_alloc = buf_alloc;
	c->peer_fwd_cnt = fwd_cnt;
}

uint32_t vsock_credit_peer_avail(const struct vsock_credit *c)
{
	/* Modulo 2^32: right across wraparound of either counter. */
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	/* A guest fwd_cnt ahead of tx_cnt shows as a huge in_flight too:
	 * it only stalls its own connection. */
	if (in_flight >= c->peer_buf_alloc)
		return 0;
	return c->peer_buf_alloc - in_flight;
}

uint32_t vsock_credit_buffered(const struct vsock_credit *c)
{
	return c->rx_cnt - c->fwd_cnt;
}

bool vsock_credit_rx_ok(const struct vsock_credit *c, uint32_t len)
{
	uint32_t buffered = vsock_credit_buffered(c);

	return buffered <= c->buf_alloc && len <= c->buf_alloc - buffered;
}

bool vsock_credit_want_update(const struct vsock_credit *c)
{
	return c->fwd_cnt - c->fwd_advertised >= c->buf_alloc / 4;
}

enum vsock_close_step vsock_close_step(uint32_t guest_shut, bool host_eof,
				       bool wr_shut, uint32_t buffered)
{
	const uint32_t both =
	    VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;

	if (buffered)
		return VSOCK_STEP_NONE; /* flush first: never lose data */
	if ((guest_shut & both) == both)
		return VSOCK_STEP_CLOSE;
	if (guest_shut & VIRTIO_VSOCK_SHUTDOWN_SEND)
		return host_eof
			   ? VSOCK_STEP_CLOSE
			   : (wr_shut ? VSOCK_STEP_NONE : VSOCK_STEP_SHUT_WR);
	return VSOCK_STEP_NONE;
}
