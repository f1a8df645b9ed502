/* SPDX-License-Identifier: MIT */
/*
 * virtio-net end to end without KVM: a fake guest driver (vring_driver)
 * against devices/virtio_net.c behind virtio-mmio on the real io loop,
 * with socket backends whose peer is this test (QEMU stream framing) and,
 * when /dev/net/tun allows, a real tap watched through a packet socket.
 * Checks received bytes and headers (num_buffers, MRG_RXBUF spanning),
 * reassembly of frames split or merged across writes, receive only into
 * posted buffers, 200 transmitted frames in order with split headers and
 * indirect tables, hostile chains, reset with writes in flight, and the
 * link going down (peer gone, garbage lengths) without harm to others.
 */
#include "devices/virtio_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_net.h>

#include "arch/x86/layout.h"
#include "backends/net.h"
#include "base/bus.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio/mmio.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define QSZ  VNET_QUEUE_SIZE
#define HDR  12
#define NDEV 5

#define F_BASE                                                                 \
	((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |          \
	 (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_RING_F_INDIRECT_DESC))
#define F_MRG (F_BASE | (1ULL << VIRTIO_NET_F_MRG_RXBUF))

struct dev {
	struct vnet *n;
	struct virtio_mmio *m;
	gpa_t base;
	struct vring_driver q[2]; /* rx, tx */
	uint16_t slot[2];
	int peer; /* the socket's other end, or a packet socket on the tap */
	char ifname[IFNAMSIZ];
	bool tap;
};

static struct {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct dev d[NDEV];
	char dir[64];
	int slow; /* fault hook: completions take 5 ms */
} T;

enum { MAIN, ZERO, HUGE, GONE, TAP };

static uint32_t rd(struct dev *d, uint64_t off, unsigned int len)
{
	uint32_t v = 0;

	bus_dispatch(&T.bus, d->base + off, &v, len, false);
	return v;
}

static void wr(struct dev *d, uint64_t off, uint32_t v)
{
	bus_dispatch(&T.bus, d->base + off, &v, 4, true);
}

static void setup_queue(struct dev *d, unsigned int q, gpa_t ring)
{
	CHECK_EQ(vrd_init(&d->q[q], &T.mem, ring, 12 * MiB, QSZ), 0);
	d->slot[q] = 0;
	wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->q[q].desc_gpa);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->q[q].avail_gpa);
	wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->q[q].used_gpa);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void init_dev(struct dev *d, uint64_t features)
{
	unsigned int i = (unsigned int)(d - T.d);

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, 3);
	CHECK_EQ(rd(d, VIRTIO_MMIO_DEVICE_ID, 4), 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	wr(d, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS, 4), 0xb);
	setup_queue(d, 0, (gpa_t)(16 + 24 * i) * MiB);
	setup_queue(d, 1, (gpa_t)(28 + 24 * i) * MiB);
	wr(d, VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS, 4), 0xf);
}

/* Wait (bounded, so a bug fails instead of hanging) for a used entry. */
static bool wait_used(struct dev *d, unsigned int q, uint32_t *id,
		      uint32_t *len)
{
	for (int i = 0; i < 100000; i++) {
		if (vrd_get_used(&d->q[q], id, len))
			return true;
		usleep(100);
	}
	CHECK(!"no used entry in 10 s");
	return false;
}

static gpa_t post_rx(struct dev *d, uint32_t len)
{
	gpa_t buf = vrd_alloc(&d->q[0], len);
	struct vrd_seg seg = {buf, len, true};

	memset(vrd_ptr(&d->q[0], buf, len), 0xee, len);
	vrd_publish(&d->q[0], vrd_chain(&d->q[0], &seg, 1, d->slot[0]++));
	return buf;
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static void peer_write(int fd, const void *buf, size_t len)
{
	CHECK_EQ(write(fd, buf, len), (ssize_t)len);
}

/* A framed frame (length BE32 + bytes) into @out; returns its size. */
static size_t framed(uint8_t *out, uint32_t len, uint32_t seed)
{
	uint32_t be = htonl(len);

	memcpy(out, &be, 4);
	fill(out + 4, len, seed);
	return 4 + (size_t)len;
}

/* The next used rx entry holds frame (@len, @seed) whole: check it. */
static void expect_rx(struct dev *d, gpa_t buf, uint32_t len, uint32_t seed)
{
	uint8_t want[2048];
	uint32_t id, ulen;
	struct virtio_net_hdr_v1 h;

	if (!wait_used(d, 0, &id, &ulen))
		return;
	CHECK_EQ(ulen, HDR + len);
	memcpy(&h, vrd_ptr(&d->q[0], buf, HDR), HDR);
	CHECK_EQ(h.num_buffers, 1);
	CHECK_EQ(h.flags, 0);
	CHECK_EQ(h.gso_type, 0);
	fill(want, len, seed);
	CHECK(!memcmp(vrd_ptr(&d->q[0], buf + HDR, len), want, len));
}

static void kick(struct dev *d, unsigned int q)
{
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static void test_config(struct dev *d)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x01, 0x02, 0x03};
	uint32_t f = rd(d, VIRTIO_MMIO_DEVICE_FEATURES, 4); /* bank 0 */

	CHECK(f & (1u << VIRTIO_NET_F_MAC));
	CHECK(f & (1u << VIRTIO_NET_F_STATUS));
	CHECK(f & (1u << VIRTIO_NET_F_MRG_RXBUF));
	CHECK(!(f & (1u << VIRTIO_NET_F_CSUM))); /* no offloads on a socket */
	CHECK(!(f & (1u << VIRTIO_NET_F_GUEST_TSO4)));
	for (unsigned int i = 0; i < 6; i++)
		CHECK_EQ(rd(d, VIRTIO_MMIO_CONFIG + i, 1), mac[i]);
	CHECK_EQ(rd(d, VIRTIO_MMIO_CONFIG + 6, 2), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(rd(d, VIRTIO_MMIO_CONFIG + 8, 2), 1);
}

static void test_rx(struct dev *d)
{
	uint8_t w[8192];
	gpa_t b[4];
	size_t n = 0, k;
	struct vnet_stats st;

	for (int i = 0; i < 4; i++)
		b[i] = post_rx(d, 2048);
	kick(d, 0);
	/* Two frames in one write. */
	n = framed(w, 60, 1);
	n += framed(w + n, 1514, 2);
	peer_write(d->peer, w, n);
	expect_rx(d, b[0], 60, 1);
	expect_rx(d, b[1], 1514, 2);
	/* One frame byte by byte, then the next frame's first half. */
	n = framed(w, 100, 3);
	k = framed(w + n, 200, 4);
	for (size_t i = 0; i < n; i++) {
		peer_write(d->peer, w + i, 1);
		usleep(50);
	}
	peer_write(d->peer, w + n, k / 2);
	expect_rx(d, b[2], 100, 3);
	peer_write(d->peer, w + n + k / 2, k - k / 2);
	expect_rx(d, b[3], 200, 4);
	vnet_stats(d->n, &st);
	CHECK_EQ(st.rx_frames, 4);
	CHECK_EQ(st.rx_bytes, 60 + 1514 + 100 + 200);
}

/* A frame larger than one buffer spans three (MRG_RXBUF). */
static void test_rx_mrg(struct dev *d)
{
	uint8_t w[4096], got[4096], want[4096];
	uint32_t id, len, lens[3];
	gpa_t b[3];
	uint16_t first = d->slot[0];
	struct virtio_net_hdr_v1 h;
	size_t off = 0;

	for (int i = 0; i < 3; i++)
		b[i] = post_rx(d, 1000);
	kick(d, 0);
	peer_write(d->peer, w, framed(w, 2500, 5));
	for (int i = 0; i < 3; i++) {
		if (!wait_used(d, 0, &id, &len))
			return;
		CHECK_EQ(id, first + i);
		lens[i] = len;
		memcpy(got + off, vrd_ptr(&d->q[0], b[i], len), len);
		off += len;
	}
	CHECK_EQ(lens[0], 1000);
	CHECK_EQ(lens[1], 1000);
	CHECK_EQ(lens[2], 512);
	memcpy(&h, got, HDR);
	CHECK_EQ(h.num_buffers, 3);
	fill(want, 2500, 5);
	CHECK(!memcmp(got + HDR, want, 2500));
}

/* With no buffer posted nothing is read; a buffer later gets the frame. */
static void test_rx_no_buffer(struct dev *d)
{
	uint8_t w[256];
	struct vnet_stats st;
	int outq = -1;
	size_t n = framed(w, 100, 6);
	uint64_t before, bytes;
	gpa_t b;

	vnet_stats(d->n, &st);
	before = st.rx_no_buffer;
	bytes = st.rx_bytes;
	/*
	 * The earlier tests used up every buffer while input was flowing:
	 * the device counted that, stopped watching the socket and asked
	 * for a doorbell. It reads nothing until buffers come.
	 */
	CHECK(before > 0);
	peer_write(d->peer, w, n);
	vnet_stats(d->n, &st);
	CHECK_EQ(st.rx_bytes, bytes);
	/* Still in the socket (unread: counted in its memory). */
	CHECK_EQ(ioctl(d->peer, SIOCOUTQ, &outq), 0);
	CHECK(outq >= (int)n);
	/* A 4-byte buffer cannot hold a header: returned empty, counted. */
	{
		uint32_t id, len;

		post_rx(d, 4);
		b = post_rx(d, 2048);
		kick(d, 0);
		CHECK(wait_used(d, 0, &id, &len));
		CHECK_EQ(len, 0);
		expect_rx(d, b, 100, 6);
		vnet_stats(d->n, &st);
		CHECK_EQ(st.rx_bad_buffers, 1);
	}
}

/* Read @len bytes from the peer (blocking, with poll). */
static bool peer_read(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 10000) != 1)
			return false;
		r = read(fd, buf + got, len - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/*
 * Post a tx frame of @len payload bytes (@seed). Header split 5 + 7;
 * indirect unless @direct.
 */
static void post_tx(struct dev *d, uint32_t len, uint32_t seed, bool direct)
{
	struct vring_driver *q = &d->q[1];
	gpa_t buf = vrd_alloc(q, HDR + len);
	uint8_t *p = vrd_ptr(q, buf, HDR + len);
	uint32_t half = len / 2;
	struct vrd_seg seg[3] = {
	    {buf, 5, false},
	    {buf + 5, 7 + half, false},
	    {buf + HDR + half, len - half, false},
	};

	memset(p, 0, HDR);
	fill(p + HDR, len, seed);
	if (direct) {
		vrd_publish(q, vrd_chain(q, seg, 3, d->slot[1]));
		d->slot[1] += 3;
	} else {
		vrd_publish(q, vrd_indirect(q, seg, 3, d->slot[1]++));
	}
}

static void drain_used(struct dev *d, unsigned int q, unsigned int n)
{
	uint32_t id, len;

	for (unsigned int i = 0; i < n; i++) {
		if (!wait_used(d, q, &id, &len))
			return;
		CHECK_EQ(len, 0);
	}
}

static void test_tx(struct dev *d)
{
	enum { N = 200 };
	static uint8_t got[4 + 2000], want[2000];
	struct vnet_stats st;
	uint64_t bytes = 0;

	d->slot[1] = 0;
	for (unsigned int i = 0; i < N; i++) {
		post_tx(d, 60 + (i * 97) % 1900, i, i % 8 == 0);
		bytes += 60 + (i * 97) % 1900;
	}
	kick(d, 1);
	for (unsigned int i = 0; i < N; i++) {
		uint32_t len = 60 + (i * 97) % 1900, be;

		if (!peer_read(d->peer, got, 4 + len)) {
			CHECK(!"peer read");
			return;
		}
		memcpy(&be, got, 4);
		CHECK_EQ(ntohl(be), len);
		fill(want, len, i);
		CHECK(!memcmp(got + 4, want, len));
	}
	drain_used(d, 1, N);
	vnet_stats(d->n, &st);
	CHECK_EQ(st.tx_frames, N);
	CHECK_EQ(st.tx_bytes, bytes);
	CHECK_EQ(st.tx_dropped, 0);
}

/* Hostile transmit chains come back empty and send nothing. */
static void test_tx_hostile(struct dev *d)
{
	struct vring_driver *q = &d->q[1];
	gpa_t buf = vrd_alloc(q, 64);
	struct vrd_seg only_w = {buf, 64, true}, short_hdr = {buf, 8, false};
	uint8_t got[4 + 100], want[100];
	struct vnet_stats st;
	uint32_t be;
	int outq = -1;

	d->slot[1] = 0;
	vrd_publish(q, vrd_chain(q, &only_w, 1, d->slot[1]++));
	vrd_publish(q, vrd_chain(q, &short_hdr, 1, d->slot[1]++));
	post_tx(d, 100, 77, false);
	kick(d, 1);
	drain_used(d, 1, 3);
	CHECK(peer_read(d->peer, got, 4 + 100));
	memcpy(&be, got, 4);
	CHECK_EQ(ntohl(be), 100);
	fill(want, 100, 77);
	CHECK(!memcmp(got + 4, want, 100));
	CHECK_EQ(ioctl(d->peer, FIONREAD, &outq), 0);
	CHECK_EQ(outq, 0);
	vnet_stats(d->n, &st);
	CHECK_EQ(st.tx_dropped, 2);
}

static int fault(void *arg, struct io_request *req, int res)
{
	(void)arg;
	(void)req;
	if (__atomic_load_n(&T.slow, __ATOMIC_RELAXED))
		usleep(5000);
	return res;
}

/* A reset with writes in flight returns once they are done. */
static void test_reset_in_flight(struct dev *d)
{
	static uint8_t buf[64 * 1024];
	int avail = 0;

	d->slot[1] = 0;
	for (unsigned int i = 0; i < 32; i++)
		post_tx(d, 1000, i, false);
	__atomic_store_n(&T.slow, 1, __ATOMIC_RELAXED);
	kick(d, 1);
	while (!vnet_busy(d->n))
		usleep(10);
	wr(d, VIRTIO_MMIO_STATUS, 0);
	CHECK(!vnet_busy(d->n));
	__atomic_store_n(&T.slow, 0, __ATOMIC_RELAXED);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS, 4), 0);
	/* Whatever was sent is whole frames: the stream stays in sync. */
	CHECK_EQ(ioctl(d->peer, FIONREAD, &avail), 0);
	CHECK(avail % (4 + 1000) == 0);
	if (avail > 0)
		CHECK(peer_read(d->peer, buf, (size_t)avail));
	init_dev(d, F_MRG);
}

/* The peer breaks the stream or goes: link down, the VM goes on. */
static void test_link_down(struct dev *d, const void *bytes, size_t n,
			   bool close_peer)
{
	struct vnet_stats st;
	gpa_t b = post_rx(d, 2048);
	uint32_t gen = rd(d, VIRTIO_MMIO_CONFIG_GENERATION, 4);

	(void)b;
	kick(d, 0);
	if (close_peer) {
		close(d->peer);
		d->peer = -1;
	} else {
		peer_write(d->peer, bytes, n);
	}
	for (int i = 0; i < 100000; i++) {
		vnet_stats(d->n, &st);
		if (!st.link_up)
			break;
		usleep(100);
	}
	CHECK(!st.link_up);
	CHECK_EQ(rd(d, VIRTIO_MMIO_CONFIG + 6, 2), 0);
	CHECK(rd(d, VIRTIO_MMIO_INTERRUPT_STATUS, 4) & 2);
	CHECK(rd(d, VIRTIO_MMIO_CONFIG_GENERATION, 4) != gen);
	wr(d, VIRTIO_MMIO_INTERRUPT_ACK, 3);
	/* Transmit still completes (frames lost, like on a cable pulled). */
	d->slot[1] = 0;
	for (unsigned int i = 0; i < 10; i++)
		post_tx(d, 100, i, false);
	kick(d, 1);
	drain_used(d, 1, 10);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS, 4), 0xf);
}

/* Without MRG_RXBUF a frame larger than the buffer is dropped. */
static void test_rx_no_mrg(struct dev *d)
{
	uint8_t w[4096];
	struct vnet_stats st;
	gpa_t b = post_rx(d, 1000);

	kick(d, 0);
	peer_write(d->peer, w, framed(w, 2000, 8)); /* too big */
	peer_write(d->peer, w, framed(w, 500, 9));
	expect_rx(d, b, 500, 9);
	vnet_stats(d->n, &st);
	CHECK_EQ(st.rx_dropped, 1);
}

/* A frame with ethertype @type, our mac as source. */
static void eth_frame(uint8_t *p, uint32_t len, uint16_t type, uint32_t seed)
{
	fill(p, len, seed);
	memset(p, 0xff, 6);
	memcpy(p + 6, "\x52\x54\x00\x0a\x0b\x0c", 6);
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
}

/* A real tap: offloads offered, frames both ways via a packet socket. */
static void test_tap(struct dev *d)
{
	uint8_t want[300], got[2048];
	uint32_t f = rd(d, VIRTIO_MMIO_DEVICE_FEATURES, 4), id, len;
	struct vring_driver *q = &d->q[1];
	gpa_t buf, rxb[8];
	bool found = false;

	CHECK(f & (1u << VIRTIO_NET_F_CSUM));
	CHECK(f & (1u << VIRTIO_NET_F_GUEST_CSUM));
	/* The guest takes checksum offload only (no GUEST_TSO*). */
	init_dev(d, F_MRG | (1ULL << VIRTIO_NET_F_CSUM) |
			(1ULL << VIRTIO_NET_F_GUEST_CSUM));
	/* Transmit: header (all zero) + frame; the tap gets the frame. */
	buf = vrd_alloc(q, HDR + sizeof(want));
	memset(vrd_ptr(q, buf, HDR), 0, HDR);
	eth_frame(want, sizeof(want), 0x88b5, 11);
	memcpy(vrd_ptr(q, buf + HDR, sizeof(want)), want, sizeof(want));
	{
		struct vrd_seg seg = {buf, HDR + sizeof(want), false};

		vrd_publish(q, vrd_chain(q, &seg, 1, d->slot[1]++));
	}
	kick(d, 1);
	drain_used(d, 1, 1);
	for (int i = 0; i < 50 && !found; i++) {
		struct pollfd p = {.fd = d->peer, .events = POLLIN};
		ssize_t r;

		if (poll(&p, 1, 200) != 1)
			continue;
		r = recv(d->peer, got, sizeof(got), 0);
		found = r == (ssize_t)sizeof(want) &&
			!memcmp(got, want, sizeof(want));
	}
	CHECK(found);
	/* Receive: the host sends on the tap, the guest gets it. */
	for (int i = 0; i < 8; i++)
		rxb[i] = post_rx(d, 2048);
	kick(d, 0);
	eth_frame(want, sizeof(want), 0x88b6, 12);
	CHECK_EQ(send(d->peer, want, sizeof(want), 0), (ssize_t)sizeof(want));
	found = false;
	for (int i = 0; i < 8 && !found && wait_used(d, 0, &id, &len); i++) {
		uint8_t *p = vrd_ptr(&d->q[0], rxb[id], 2048);

		found = len == HDR + sizeof(want) &&
			!memcmp(p + HDR, want, sizeof(want)) && p[10] == 1 &&
			p[11] == 0;
	}
	CHECK(found);
}

static void *guest(void *arg)
{
	static const uint8_t zero_len[4] = {0, 0, 0, 0};
	static const uint8_t huge_len[4] = {0xff, 0xff, 0xff, 0xff};
	uint8_t w[256];

	(void)arg;
	for (int i = MAIN; i <= GONE; i++)
		init_dev(&T.d[i], i == HUGE ? F_BASE : F_MRG);
	test_config(&T.d[MAIN]);
	test_rx(&T.d[MAIN]);
	test_rx_mrg(&T.d[MAIN]);
	test_rx_no_buffer(&T.d[MAIN]);
	test_tx(&T.d[MAIN]);
	test_tx_hostile(&T.d[MAIN]);
	test_reset_in_flight(&T.d[MAIN]);
	test_rx_no_mrg(&T.d[HUGE]);
	test_link_down(&T.d[ZERO], zero_len, 4, false);
	test_link_down(&T.d[HUGE], huge_len, 4, false);
	test_link_down(&T.d[GONE], NULL, 0, true);
	if (T.d[TAP].n) {
		test_tap(&T.d[TAP]);
		printf("test_virtio_net: tap part ran on %s\n",
		       T.d[TAP].ifname);
	}
	/* The others did not disturb the main device. */
	{
		gpa_t b = post_rx(&T.d[MAIN], 2048);

		kick(&T.d[MAIN], 0);
		peer_write(T.d[MAIN].peer, w, framed(w, 90, 10));
		expect_rx(&T.d[MAIN], b, 90, 10);
	}
	io_loop_stop(T.loop);
	return NULL;
}

static void add_socket_dev(struct dev *d, unsigned int i)
{
	struct virtio_mmio_env env = {
	    .vm_fd = -1, .mem = &T.mem, .loop = T.loop, .mmio_bus = &T.bus};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char spec[160], err[256];
	struct net_spec sp;
	int l;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s%u", T.dir, i);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(l, 1), 0);
	snprintf(spec, sizeof(spec), "socket=%s%s", sa.sun_path,
		 i == MAIN ? ",mac=52:54:00:01:02:03" : "");
	CHECK_EQ(net_spec_parse(spec, &sp, err, sizeof(err)), 0);
	d->base = LAYOUT_VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_WINDOW_SIZE;
	CHECK_EQ(vnet_create(&d->n, &sp, &T.mem, T.loop, err, sizeof(err)), 0);
	d->peer = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	CHECK(d->peer >= 0);
	close(l);
	unlink(sa.sun_path);
	CHECK_EQ(
	    virtio_mmio_create(&d->m, &env, vnet_dev(d->n), d->base, 16 + i),
	    0);
}

/* A tap if this host lets us make one, up, with a packet socket on it. */
static void add_tap_dev(struct dev *d, unsigned int i)
{
	struct virtio_mmio_env env = {
	    .vm_fd = -1, .mem = &T.mem, .loop = T.loop, .mmio_bus = &T.bus};
	struct ifreq ifr = {0};
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL)};
	char err[256], path[128];
	struct vnet_stats st;
	struct net_spec sp;
	int s, fd;

	CHECK_EQ(net_spec_parse("tap=vmmtn%d", &sp, err, sizeof(err)), 0);
	if (vnet_create(&d->n, &sp, &T.mem, T.loop, err, sizeof(err))) {
		printf("test_virtio_net: SKIP tap part: %s\n", err);
		d->n = NULL;
		return;
	}
	vnet_stats(d->n, &st);
	/* The kernel completed the name: find it through a packet socket. */
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (unsigned int k = 0; k < 64; k++) {
		snprintf(ifr.ifr_name, IFNAMSIZ, "vmmtn%u", k);
		if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 &&
		    !(ifr.ifr_flags & IFF_UP)) {
			snprintf(d->ifname, sizeof(d->ifname), "%s",
				 ifr.ifr_name);
			break;
		}
	}
	CHECK(d->ifname[0]);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 d->ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1); /* fewer stray frames, if possible */
		close(fd);
	}
	ifr.ifr_flags |= IFF_UP;
	CHECK_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
	d->peer = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	CHECK(d->peer >= 0);
	ll.sll_ifindex = (int)if_nametoindex(d->ifname);
	CHECK_EQ(bind(d->peer, (struct sockaddr *)&ll, sizeof(ll)), 0);
	d->tap = true;
	d->base = LAYOUT_VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_WINDOW_SIZE;
	CHECK_EQ(
	    virtio_mmio_create(&d->m, &env, vnet_dev(d->n), d->base, 16 + i),
	    0);
}

int main(void)
{
	pthread_t g;

	test_loop_kinds();
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(T.dir, sizeof(T.dir), "/tmp/vmm-vnet-XXXXXX");
	CHECK(mkdtemp(T.dir) != NULL);
	CHECK_EQ(fake_mem_create(&T.mem, 160 * MiB), 0);
	CHECK_EQ(test_loop_create(&T.loop), 0);
	io_loop_set_fault(T.loop, fault, NULL);
	for (unsigned int i = MAIN; i <= GONE; i++)
		add_socket_dev(&T.d[i], i);
	add_tap_dev(&T.d[TAP], TAP);
	pthread_create(&g, NULL, guest, NULL);
	CHECK_EQ(io_loop_run(T.loop), 0);
	pthread_join(g, NULL);
	for (unsigned int i = MAIN; i <= TAP; i++) {
		struct dev *d = &T.d[i];

		if (!d->n)
			continue;
		CHECK_EQ(io_loop_drain(T.loop, vnet_busy, d->n, 5000), 0);
		virtio_mmio_destroy(d->m);
		vnet_destroy(d->n);
		if (d->peer >= 0)
			close(d->peer);
	}
	io_loop_destroy(T.loop);
	bus_destroy(&T.bus);
	fake_mem_destroy(&T.mem);
	rmdir(T.dir);
	return check_done("test_virtio_net");
}
