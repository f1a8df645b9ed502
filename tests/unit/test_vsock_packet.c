/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock headers and CONNECT lines without a device: little-endian
 * encoding, every check a guest header meets (CIDs, type, op, length
 * against the chain, a header split across descriptors), the CONNECT
 * line parser on good and bad lines, and reading a line from a socket
 * (split writes, early close, the bytes after the newline kept).
 */
#include "devices/vsock_packet.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/vsock_hybrid.h"
#include "check.h"

#define CID 42

/* Field by field: the struct's tail padding holds whatever was there. */
static bool pkt_eq(const struct vsock_pkt *a, const struct vsock_pkt *b)
{
	return a->src_cid == b->src_cid && a->dst_cid == b->dst_cid &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->len == b->len && a->type == b->type && a->op == b->op &&
	       a->flags == b->flags && a->buf_alloc == b->buf_alloc &&
	       a->fwd_cnt == b->fwd_cnt;
}

static void test_encoding(void)
{
	struct vsock_pkt p = vsock_pkt_make(CID, 0x11223344, 0x55667788,
					    VIRTIO_VSOCK_OP_RW, 2, 100),
			 q;
	uint8_t raw[VSOCK_HDR_LEN];

	p.buf_alloc = 0xa1a2a3a4;
	p.fwd_cnt = 0xb1b2b3b4;
	vsock_pkt_encode(&p, raw);
	CHECK_EQ(raw[0], 2);   /* src_cid: the host, little endian */
	CHECK_EQ(raw[8], CID); /* dst_cid */
	CHECK_EQ(raw[16], 0x44);
	CHECK_EQ(raw[19], 0x11);
	CHECK_EQ(raw[24], 100); /* len */
	CHECK_EQ(raw[28], 1);	/* type STREAM */
	CHECK_EQ(raw[30], VIRTIO_VSOCK_OP_RW);
	CHECK_EQ(raw[32], 2); /* flags */
	CHECK_EQ(raw[36], 0xa4);
	CHECK_EQ(raw[39], 0xa1);
	CHECK_EQ(raw[40], 0xb4);
	vsock_pkt_decode(raw, &q);
	CHECK(pkt_eq(&p, &q));
}

/* A guest packet: header + @len payload bytes, header split at @split. */
static enum vsock_verdict check_pkt(struct vsock_pkt p, size_t payload,
				    size_t split, struct vsock_pkt *out)
{
	static uint8_t buf[VSOCK_HDR_LEN + 70000];
	struct iovec iov[3] = {
	    {buf, split},
	    {buf + split, VSOCK_HDR_LEN - split},
	    {buf + VSOCK_HDR_LEN, payload},
	};

	vsock_pkt_encode(&p, buf);
	return vsock_pkt_check(iov, 3, VSOCK_HDR_LEN + payload, CID, out);
}

static struct vsock_pkt guest_pkt(uint16_t op, uint32_t len)
{
	struct vsock_pkt p = {.src_cid = CID,
			      .dst_cid = 2,
			      .src_port = 1000,
			      .dst_port = 5000,
			      .len = len,
			      .type = VIRTIO_VSOCK_TYPE_STREAM,
			      .op = op,
			      .buf_alloc = 65536};
	return p;
}

static void test_check(void)
{
	struct vsock_pkt p, out;
	struct iovec short_iov = {&p, 20};

	for (size_t split = 0; split <= VSOCK_HDR_LEN; split += 11) {
		CHECK_EQ(check_pkt(guest_pkt(VIRTIO_VSOCK_OP_RW, 10), 10, split,
				   &out),
			 VSOCK_OK);
		CHECK_EQ(out.src_port, 1000);
		CHECK_EQ(out.dst_port, 5000);
		CHECK_EQ(out.len, 10);
		CHECK_EQ(out.buf_alloc, 65536);
	}
	/* Shorter than a header: nothing to answer. */
	CHECK_EQ(vsock_pkt_check(&short_iov, 1, 20, CID, &out), VSOCK_DROP);
	p = guest_pkt(VIRTIO_VSOCK_OP_RW, 0);
	p.src_cid = CID + 1;
	CHECK_EQ(check_pkt(p, 0, 44, &out), VSOCK_DROP);
	p = guest_pkt(VIRTIO_VSOCK_OP_RW, 0);
	p.dst_cid = 3;
	CHECK_EQ(check_pkt(p, 0, 44, &out), VSOCK_DROP);
	p = guest_pkt(VIRTIO_VSOCK_OP_RW, 0);
	p.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	CHECK_EQ(check_pkt(p, 0, 44, &out), VSOCK_RST);
	CHECK_EQ(check_pkt(guest_pkt(0, 0), 0, 44, &out), VSOCK_RST);
	CHECK_EQ(check_pkt(guest_pkt(8, 0), 0, 44, &out), VSOCK_RST);
	CHECK_EQ(check_pkt(guest_pkt(VIRTIO_VSOCK_OP_CREDIT_REQUEST, 0), 0, 44,
			   &out),
		 VSOCK_OK);
	/* len beyond the chain, and beyond the 64 KiB limit. */
	CHECK_EQ(check_pkt(guest_pkt(VIRTIO_VSOCK_OP_RW, 11), 10, 44, &out),
		 VSOCK_RST);
	CHECK_EQ(
	    check_pkt(guest_pkt(VIRTIO_VSOCK_OP_RW, 65537), 65537, 44, &out),
	    VSOCK_RST);
	CHECK_EQ(
	    check_pkt(guest_pkt(VIRTIO_VSOCK_OP_RW, 65536), 65536, 44, &out),
	    VSOCK_OK);
	CHECK_EQ(
	    check_pkt(guest_pkt(VIRTIO_VSOCK_OP_RW, 0xffffffff), 10, 44, &out),
	    VSOCK_RST);
}

static void test_iov(void)
{
	uint8_t a[3], b[5], out[8];
	struct iovec iov[2] = {{a, 3}, {b, 5}}, sl[2];

	CHECK_EQ(iov_from_buf(iov, 2, 1, "abcdefg", 7), 7);
	CHECK_EQ(iov_to_buf(iov, 2, 1, out, 8), 7);
	CHECK(!memcmp(out, "abcdefg", 7));
	CHECK_EQ(iov_slice(iov, 2, 2, 3, sl, 2, NULL), 2);
	CHECK_EQ(sl[0].iov_len, 1);
	CHECK_EQ(sl[1].iov_len, 2);
	CHECK(sl[0].iov_base == a + 2 && sl[1].iov_base == b);
	CHECK_EQ(iov_slice(iov, 2, 8, 3, sl, 2, NULL), 0);
}

static int parse(const char *s)
{
	uint32_t port = 0;
	int r = vsock_line_parse(s, strlen(s), &port);

	return r == 1 ? (int)(port & 0x7fffffff) : r - 1000;
}

static void test_parse(void)
{
	uint32_t port;

	CHECK_EQ(parse("CONNECT 1234\n"), 1234);
	CHECK_EQ(parse("CONNECT 0\n"), 0);
	CHECK_EQ(vsock_line_parse("CONNECT 4294967295\n", 19, &port), 1);
	CHECK_EQ(port, 4294967295u);
	CHECK_EQ(parse("CONNECT 12"), 0 - 1000); /* more may come */
	CHECK_EQ(parse("CONN"), 0 - 1000);
	CHECK_EQ(parse("CONNECT\n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT \n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT x\n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT 12x\n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT -1\n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT 4294967296\n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT 99999999999\n"), -EINVAL - 1000);
	CHECK_EQ(parse("connect 1234\n"), -EINVAL - 1000);
	CHECK_EQ(parse("CONNECT  1234\n"), -EINVAL - 1000);
	CHECK_EQ(parse("\n"), -EINVAL - 1000);
	/* No newline within the limit. */
	CHECK_EQ(parse("CONNECT 000000000000000000000001"), -EINVAL - 1000);
}

static void test_read(void)
{
	struct vsock_line l = {0};
	uint32_t port = 0;
	char rest[16];
	int sv[2];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), 0); /* nothing yet */
	CHECK_EQ(write(sv[1], "CONN", 4), 4);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), 0);
	CHECK_EQ(write(sv[1], "ECT 77", 6), 6);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), 0);
	CHECK_EQ(write(sv[1], "\nhello", 6), 6);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), 1);
	CHECK_EQ(port, 77);
	/* The bytes after the line stay for the guest. */
	CHECK_EQ(read(sv[0], rest, sizeof(rest)), 5);
	CHECK(!memcmp(rest, "hello", 5));
	close(sv[1]);
	close(sv[0]);

	/* Closed before the line ended. */
	l = (struct vsock_line){0};
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(write(sv[1], "CONNECT 1", 9), 9);
	close(sv[1]);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), 0);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), -EPIPE);
	close(sv[0]);

	/* 40 bytes without a newline: refused at the limit. */
	l = (struct vsock_line){0};
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_EQ(write(sv[1], "CONNECT 1111111111111111111111111111111", 39),
		 39);
	CHECK_EQ(vsock_line_read(sv[0], &l, &port), -EINVAL);
	close(sv[1]);
	close(sv[0]);
}

int main(void)
{
	test_encoding();
	test_check();
	test_iov();
	test_parse();
	test_read();
	return check_done("test_vsock_packet");
}
