/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock packet headers (virtio 1.2, 5.10.6): struct
 * virtio_vsock_hdr from <linux/virtio_vsock.h>, little endian in guest
 * memory, converted to and from a host-order struct vsock_pkt. Pure
 * functions over iovecs: no device, no loop, so every check a hostile
 * header meets is unit-tested on its own.
 */
#ifndef DEVICES_VSOCK_PACKET_H
#define DEVICES_VSOCK_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_vsock.h>

#include "base/iov.h"

/* Bytes of struct virtio_vsock_hdr in the ring. */
#define VSOCK_HDR_LEN 44
/* The largest payload we accept in one packet (Linux sends <= 64 KiB). */
#define VSOCK_MAX_PAYLOAD (64 * 1024)

/* A header in host byte order. */
struct vsock_pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

/* What the device does with a guest (tx queue) packet. */
enum vsock_verdict {
	VSOCK_OK,   /* handle it */
	VSOCK_DROP, /* wrong addresses: drop silently (count it) */
	VSOCK_RST,  /* bad type, op or length: answer RST */
};

/* Decode 44 little-endian bytes at @raw into @p. */
void vsock_pkt_decode(const void *raw, struct vsock_pkt *p);

/* Encode @p as 44 little-endian bytes at @raw. */
void vsock_pkt_encode(const struct vsock_pkt *p, void *raw);

/*
 * Read and check the header of a guest packet whose readable part
 * (@iov, @n segments) holds @out_len bytes. A chain shorter than a
 * header is VSOCK_DROP (nothing to answer); @p is filled whenever at
 * least a header was there. Checks, in order: CIDs (src @guest_cid, dst
 * the host) else DROP; type STREAM, op known, len <= VSOCK_MAX_PAYLOAD
 * and len <= what follows the header, else RST.
 */
enum vsock_verdict vsock_pkt_check(const struct iovec *iov, unsigned int n,
				   size_t out_len, uint64_t guest_cid,
				   struct vsock_pkt *p);

/* A host -> guest header: CIDs and type filled, the rest from the args. */
struct vsock_pkt vsock_pkt_make(uint64_t guest_cid, uint32_t src_port,
				uint32_t dst_port, uint16_t op, uint32_t flags,
				uint32_t len);

#endif /* DEVICES_VSOCK_PACKET_H */
