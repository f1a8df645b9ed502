/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the pure parts of virtio-vsock: the guest's packet headers
 * (vsock_packet.c) as they arrive cut into iovecs, the CONNECT line a
 * host client sends (vsock_hybrid.c: parsed whole and read from a
 * socket in pieces), and the credit and shutdown rules (vsock_conn.c)
 * driven by a guest that says what it likes about its buffer.
 *
 * Input: a stream of ops, each a u8 then its arguments:
 *   0 packet: u8 cut, u16 bytes, the bytes (a chain's readable part)
 *   1 line:   u8 bytes, the bytes, parsed as one buffer
 *   2 read:   u8 bytes, the bytes, written to a socket in three parts
 *             and read by vsock_line_read() between them
 *   3 credit: u8 steps, each a u8 op and a u32 (see credit_step())
 *
 * Checked besides ASan/UBSan: an accepted packet's payload fits its
 * chain; a header survives encode and decode; a parsed line is exactly
 * "CONNECT <port>\n"; vsock_line_read() never takes a byte past the
 * newline; the device's credit never lets more guest data in than it
 * advertised, nor sends the guest more than it offered; a close step
 * never comes with data still buffered.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_vsock.h>

#include "devices/vsock_conn.h"
#include "devices/vsock_hybrid.h"
#include "devices/vsock_packet.h"
#include "input.h"

#define GUEST_CID 3

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

static void packet(struct fuzz_in *in)
{
	uint8_t cut = fuzz_u8(in);
	struct vsock_pkt p, q;
	struct iovec iov[3];
	uint8_t raw[VSOCK_HDR_LEN];
	const uint8_t *b;
	size_t len, at[4];
	unsigned int n = 0;

	b = fuzz_bytes(in, fuzz_u16(in), &len);
	/* Three pieces at offsets the input picks (each its own block). */
	at[0] = 0;
	at[1] = len ? (cut & 0x0f) * len / 15 : 0;
	at[2] = at[1] + (len - at[1]) * (cut >> 4) / 15;
	at[3] = len;
	for (unsigned int i = 0; i < 3; i++) {
		iov[n].iov_base =
		    fuzz_dup(b ? b + at[i] : NULL, at[i + 1] - at[i], 0);
		iov[n++].iov_len = at[i + 1] - at[i];
	}
	if (vsock_pkt_check(iov, n, len, GUEST_CID, &p) == VSOCK_OK) {
		if (p.len > len - VSOCK_HDR_LEN || p.len > VSOCK_MAX_PAYLOAD)
			abort();
		vsock_pkt_encode(&p, raw);
		vsock_pkt_decode(raw, &q);
		/* Field by field: the struct has padding. */
		if (p.src_cid != q.src_cid || p.dst_cid != q.dst_cid ||
		    p.src_port != q.src_port || p.dst_port != q.dst_port ||
		    p.len != q.len || p.type != q.type || p.op != q.op ||
		    p.flags != q.flags || p.buf_alloc != q.buf_alloc ||
		    p.fwd_cnt != q.fwd_cnt)
			abort();
	}
	for (unsigned int i = 0; i < n; i++)
		free(iov[i].iov_base);
}

/* A parsed line must be exactly the canonical one (digits may lead 0). */
static void check_line(const char *buf, size_t len, uint32_t port)
{
	const char *nl = memchr(buf, '\n', len);
	char *end;

	if (!nl || strncmp(buf, "CONNECT ", 8) || nl - buf < 9 ||
	    nl - buf > 18 || strtoull(buf + 8, &end, 10) != port || end != nl ||
	    buf[8] < '0' || buf[8] > '9')
		abort();
}

static void line(struct fuzz_in *in)
{
	size_t len;
	const uint8_t *b = fuzz_bytes(in, fuzz_u8(in), &len);
	char *buf = fuzz_dup(b, len, 0);
	uint32_t port;
	int r = vsock_line_parse(buf, len, &port);

	if (r == 1)
		check_line(buf, len, port);
	else if (r == 0 && (memchr(buf, '\n', len) || len >= VSOCK_LINE_MAX))
		abort();
	free(buf);
}

static void line_read(struct fuzz_in *in)
{
	size_t len, sent = 0;
	const uint8_t *b = fuzz_bytes(in, fuzz_u8(in), &len);
	struct vsock_line l = {.len = 0};
	uint32_t port;
	char rest[256];
	int sv[2], r = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	for (unsigned int part = 1; part <= 3 && r == 0; part++) {
		size_t upto = len * part / 3;

		if (upto > sent && write(sv[1], b + sent, upto - sent) !=
				       (ssize_t)(upto - sent))
			abort();
		sent = upto;
		if (part == 3) {
			close(sv[1]);
			sv[1] = -1;
		}
		/* One read takes what is there; the second finds nothing. */
		for (unsigned int i = 0; i < 2 && r == 0; i++)
			r = vsock_line_read(sv[0], &l, &port);
	}
	if (r == 1) {
		ssize_t left = recv(sv[0], rest, sizeof(rest), MSG_DONTWAIT);

		check_line(l.buf, l.len, port);
		/* What it took is the front; the rest is still there. */
		if (left < 0 && errno == EAGAIN)
			left = 0;
		if (l.len > sent || memcmp(l.buf, b, l.len) ||
		    left != (ssize_t)(sent - l.len))
			abort();
	} else if (r == 0) {
		/*
		 * After EOF it cannot still wait. The one way it may, for a
		 * moment, is the kernel's: a close whose release is deferred
		 * (seen once in a fuzz smoke, not replayable), so the EOF
		 * gets a second of retries before it counts as a bug.
		 */
		for (unsigned int i = 0; i < 1000 && r == 0; i++) {
			usleep(1000);
			r = vsock_line_read(sv[0], &l, &port);
		}
		if (r == 0)
			abort();
		if (r == 1)
			check_line(l.buf, l.len, port);
	}
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
}

/*
 * One event on a connection, as the device sees them: the guest sends
 * data (accepted only within credit) or tells its buffer, the host
 * socket takes some of what is buffered, the device sends the guest
 * data within its credit, or asks what to do about closing.
 */
static void credit_step(struct vsock_credit *c, uint8_t op, uint32_t v)
{
	uint32_t avail, buffered;

	switch (op % 6) {
	case 0: /* OP_RW from the guest */
		if (vsock_credit_rx_ok(c, v))
			c->rx_cnt += v;
		break;
	case 1: /* any guest packet's buf_alloc and fwd_cnt */
		vsock_credit_peer(c, v, c->tx_cnt - (v >> 16));
		break;
	case 2: /* the host socket took some */
		c->fwd_cnt += (uint32_t)(v % (vsock_credit_buffered(c) + 1ull));
		break;
	case 3: /* OP_RW to the guest */
		avail = vsock_credit_peer_avail(c);
		if (avail > c->peer_buf_alloc)
			abort();
		c->tx_cnt += (uint32_t)(v % (avail + 1ull));
		break;
	case 4: /* CREDIT_UPDATE when due */
		if (vsock_credit_want_update(c))
			c->fwd_advertised = c->fwd_cnt;
		break;
	default:
		buffered = vsock_credit_buffered(c);
		if (vsock_close_step(v & 3, v & 4, v & 8, buffered) !=
			VSOCK_STEP_NONE &&
		    buffered)
			abort();
		break;
	}
	if (vsock_credit_buffered(c) > c->buf_alloc)
		abort();
}

static void credit(struct fuzz_in *in)
{
	struct vsock_credit c;
	unsigned int steps = fuzz_u8(in);

	vsock_credit_init(&c, fuzz_u32(in));
	for (unsigned int i = 0; i < steps && in->n; i++) {
		uint8_t op = fuzz_u8(in);

		credit_step(&c, op, fuzz_u32(in));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};

	while (in.n) {
		switch (fuzz_u8(&in) % 4) {
		case 0: packet(&in); break;
		case 1: line(&in); break;
		case 2: line_read(&in); break;
		default: credit(&in); break;
		}
	}
	return 0;
}
