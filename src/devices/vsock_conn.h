/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock connection rules as pure functions (virtio 1.2, 5.10.6.3
 * "Buffer Space Management" and 5.10.6.5 "Stream Sockets"): credit both
 * ways and what a connection does next on shutdown. No fds, no rings:
 * the device (virtio_vsock.c) keeps one struct vsock_credit per
 * connection and asks these functions; unit tests call them directly.
 *
 * Counters are u32 and wrap, as in the spec: only differences of them
 * are meaningful, computed modulo 2^32.
 */
#ifndef DEVICES_VSOCK_CONN_H
#define DEVICES_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>

struct vsock_credit {
	/* Guest -> host direction: our receive buffer. */
	uint32_t buf_alloc;	 /* what we advertise */
	uint32_t rx_cnt;	 /* payload bytes received from the guest */
	uint32_t fwd_cnt;	 /* ... of which written to the host socket */
	uint32_t fwd_advertised; /* fwd_cnt the guest was last told */
	/* Host -> guest direction: the guest's receive buffer. */
	uint32_t peer_buf_alloc;
	uint32_t peer_fwd_cnt;
	uint32_t tx_cnt; /* payload bytes sent to the guest */
};

/* Start a connection's accounting with our buffer of @buf_alloc bytes. */
void vsock_credit_init(struct vsock_credit *c, uint32_t buf_alloc);

/* Any guest packet carries its buf_alloc and fwd_cnt: take them. */
void vsock_credit_peer(struct vsock_credit *c, uint32_t buf_alloc,
		       uint32_t fwd_cnt);

/*
 * Bytes we may send the guest now: peer_buf_alloc - (tx_cnt -
 * peer_fwd_cnt), 0 if the guest claims more forwarded than we sent or
 * shrank its buffer below what is in flight.
 */
uint32_t vsock_credit_peer_avail(const struct vsock_credit *c);

/* Guest data received but not yet written to the host socket. */
uint32_t vsock_credit_buffered(const struct vsock_credit *c);

/*
 * May the guest send @len more bytes? False if it ignored our credit
 * (the connection is then reset).
 */
bool vsock_credit_rx_ok(const struct vsock_credit *c, uint32_t len);

/*
 * Should we tell the guest about forwarded bytes without being asked?
 * True once fwd_cnt moved by a quarter of the buffer since the last
 * advertisement, so a sender waiting for credit never stalls.
 */
bool vsock_credit_want_update(const struct vsock_credit *c);

/* What a connection does next on its way to closing. */
enum vsock_close_step {
	VSOCK_STEP_NONE,    /* keep going */
	VSOCK_STEP_SHUT_WR, /* shutdown(SHUT_WR) the host socket */
	VSOCK_STEP_CLOSE,   /* close the host socket and send RST */
};

/*
 * Given the guest's accumulated SHUTDOWN flags (VIRTIO_VSOCK_SHUTDOWN_*),
 * whether the host socket reached EOF, whether its write side is already
 * shut, and the guest bytes still buffered: nothing happens while data
 * is buffered; then guest RCV|SEND, or guest SEND after host EOF, closes;
 * guest SEND alone shuts the host socket's write side once.
 */
enum vsock_close_step vsock_close_step(uint32_t guest_shut, bool host_eof,
				       bool wr_shut, uint32_t buffered);

#endif /* DEVICES_VSOCK_CONN_H */
