/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock packet headers: little-endian encoding and the checks a
 * guest packet must pass before the device looks at it (vsock_packet.h).
 */
#include "vsock_packet.h"

#include <endian.h>
#include <string.h>

#include "base/util.h"
#include "virtio_vsock.h"

BUILD_BUG_ON(sizeof(struct virtio_vsock_hdr) != VSOCK_HDR_LEN);

void vsock_pkt_decode(const void *raw, struct vsock_pkt *p)
{
	struct virtio_vsock_hdr h;

	memcpy(&h, raw, sizeof(h));
	*p = (struct vsock_pkt){
	    .src_cid = le64toh(h.src_cid),
	    .dst_cid = le64toh(h.dst_cid),
	    .src_port = le32toh(h.src_port),
	    .dst_port = le32toh(h.dst_port),
	    .len = le32toh(h.len),
	    .type = le16toh(h.type),
	    .op = le16toh(h.op),
	    .flags = le32toh(h.flags),
	    .buf_alloc = le32toh(h.buf_alloc),
	    .fwd_cnt = le32toh(h.fwd_cnt),
	};
}

void vsock_pkt_encode(const struct vsock_pkt *p, void *raw)
{
	struct virtio_vsock_hdr h = {
	    .src_cid = htole64(p->src_cid),
	    .dst_cid = htole64(p->dst_cid),
	    .src_port = htole32(p->src_port),
	    .dst_port = htole32(p->dst_port),
	    .len = htole32(p->len),
	    .type = htole16(p->type),
	    .op = htole16(p->op),
	    .flags = htole32(p->flags),
	    .buf_alloc = htole32(p->buf_alloc),
	    .fwd_cnt = htole32(p->fwd_cnt),
	};

	memcpy(raw, &h, sizeof(h));
}

enum vsock_verdict vsock_pkt_check(const struct iovec *iov, unsigned int n,
				   size_t out_len, uint64_t guest_cid,
				   struct vsock_pkt *p)
{
	uint8_t raw[VSOCK_HDR_LEN];

	if (out_len < VSOCK_HDR_LEN ||
	    iov_to_buf(iov, n, 0, raw, sizeof(raw)) != sizeof(raw))
		return VSOCK_DROP;
	vsock_pkt_decode(raw, p);
	/* A packet that claims another source, or is not for us, is not
	 * answered: an RST would go to an address the guest made up. */
	if (p->src_cid != guest_cid || p->dst_cid != VVSOCK_HOST_CID)
		return VSOCK_DROP;
	if (p->type != VIRTIO_VSOCK_TYPE_STREAM)
		return VSOCK_RST;
	if (p->op < VIRTIO_VSOCK_OP_REQUEST ||
	    p->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_RST;
	if (p->len > VSOCK_MAX_PAYLOAD || p->len > out_len - VSOCK_HDR_LEN)
		return VSOCK_RST;
	return VSOCK_OK;
}

struct vsock_pkt vsock_pkt_make(uint64_t guest_cid, uint32_t src_port,
				uint32_t dst_port, uint16_t op, uint32_t flags,
				uint32_t len)
{
	return (struct vsock_pkt){
	    .src_cid = VVSOCK_HOST_CID,
	    .dst_cid = guest_cid,
	    .src_port = src_port,
	    .dst_port = dst_port,
	    .len = len,
	    .type = VIRTIO_VSOCK_TYPE_STREAM,
	    .op = op,
	    .flags = flags,
	};
}
