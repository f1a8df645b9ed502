/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock credit and shutdown rules (devices/vsock_conn.c) as pure
 * functions: the guest's credit, ours, when a CREDIT_UPDATE is due, a
 * guest that ignores credit, u32 wraparound, and every combination of
 * shutdown flags, EOF and buffered data.
 */
#include "devices/vsock_conn.h"

#include <linux/virtio_vsock.h>

#include "check.h"

#define BUF 65536

static void test_peer_credit(void)
{
	struct vsock_credit c;

	vsock_credit_init(&c, 256 * 1024);
	CHECK_EQ(vsock_credit_peer_avail(&c), 0); /* nothing advertised yet */
	vsock_credit_peer(&c, BUF, 0);
	CHECK_EQ(vsock_credit_peer_avail(&c), BUF);
	c.tx_cnt = 40000;
	CHECK_EQ(vsock_credit_peer_avail(&c), BUF - 40000);
	c.tx_cnt = BUF;
	CHECK_EQ(vsock_credit_peer_avail(&c), 0);
	vsock_credit_peer(&c, BUF, 1000);
	CHECK_EQ(vsock_credit_peer_avail(&c), 1000);
	/* The guest shrank its buffer below what is in flight. */
	vsock_credit_peer(&c, 100, 1000);
	CHECK_EQ(vsock_credit_peer_avail(&c), 0);
	/* A fwd_cnt ahead of what we sent only stalls that connection. */
	vsock_credit_peer(&c, BUF, c.tx_cnt + 5);
	CHECK_EQ(vsock_credit_peer_avail(&c), 0);
	/* Across the u32 wrap. */
	c.tx_cnt = 0xfffffff0u + 0x30; /* wrapped to 0x20 */
	vsock_credit_peer(&c, BUF, 0xfffffff0u);
	CHECK_EQ(vsock_credit_peer_avail(&c), BUF - 0x30);
}

static void test_our_credit(void)
{
	struct vsock_credit c;

	vsock_credit_init(&c, BUF);
	CHECK(vsock_credit_rx_ok(&c, BUF));
	CHECK(!vsock_credit_rx_ok(&c, BUF + 1));
	c.rx_cnt = 1000; /* 1000 buffered */
	CHECK_EQ(vsock_credit_buffered(&c), 1000);
	CHECK(vsock_credit_rx_ok(&c, BUF - 1000));
	CHECK(!vsock_credit_rx_ok(&c, BUF - 999));
	CHECK(!vsock_credit_rx_ok(&c, 0xffffffffu));
	/* Forwarding makes room again. */
	c.fwd_cnt = 1000;
	CHECK(vsock_credit_rx_ok(&c, BUF));
	/* Wraparound of both counters. */
	c.fwd_cnt = 0xffffff00u;
	c.rx_cnt = 0x100; /* 0x200 buffered */
	CHECK_EQ(vsock_credit_buffered(&c), 0x200);
	CHECK(vsock_credit_rx_ok(&c, BUF - 0x200));
	CHECK(!vsock_credit_rx_ok(&c, BUF - 0x1ff));
}

static void test_update(void)
{
	struct vsock_credit c;

	vsock_credit_init(&c, BUF);
	CHECK(!vsock_credit_want_update(&c) || BUF / 4 == 0);
	c.fwd_cnt = BUF / 4 - 1;
	CHECK(!vsock_credit_want_update(&c));
	c.fwd_cnt = BUF / 4;
	CHECK(vsock_credit_want_update(&c));
	c.fwd_advertised = c.fwd_cnt;
	CHECK(!vsock_credit_want_update(&c));
	/* Across the wrap. */
	c.fwd_advertised = 0xfffffff0u;
	c.fwd_cnt = 0x10;
	CHECK(!vsock_credit_want_update(&c));
	c.fwd_cnt = 0xfffffff0u + BUF / 4;
	CHECK(vsock_credit_want_update(&c));
}

static void test_close_step(void)
{
	const uint32_t R = VIRTIO_VSOCK_SHUTDOWN_RCV,
		       S = VIRTIO_VSOCK_SHUTDOWN_SEND;

	CHECK_EQ(vsock_close_step(0, false, false, 0), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(0, true, false, 0), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(R, false, false, 0), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(R, true, false, 0), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(S, false, false, 0), VSOCK_STEP_SHUT_WR);
	CHECK_EQ(vsock_close_step(S, false, true, 0), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(S, true, false, 0), VSOCK_STEP_CLOSE);
	CHECK_EQ(vsock_close_step(S, true, true, 0), VSOCK_STEP_CLOSE);
	CHECK_EQ(vsock_close_step(R | S, false, false, 0), VSOCK_STEP_CLOSE);
	CHECK_EQ(vsock_close_step(R | S, true, false, 0), VSOCK_STEP_CLOSE);
	/* Buffered data goes out first, whatever the flags. */
	CHECK_EQ(vsock_close_step(S, false, false, 1), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(R | S, false, false, 1), VSOCK_STEP_NONE);
	CHECK_EQ(vsock_close_step(S, true, false, 5), VSOCK_STEP_NONE);
}

int main(void)
{
	test_peer_credit();
	test_our_credit();
	test_update();
	test_close_step();
	return check_done("test_vsock_conn");
}
