/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock without KVM: a fake guest driver (rx, tx and event rings
 * in fake RAM behind virtio-mmio, the real io loop on the main thread)
 * talks to devices/virtio_vsock.c while this thread also plays the host
 * programs on the unix sockets. Covers the hybrid handshake both ways,
 * 4 MiB each way within a 64 KiB guest credit, SHUTDOWN and RST, 64
 * connections at once, hostile packets (each resets at most its own
 * connection), a device reset (host clients see EOF; the driver, back,
 * gets TRANSPORT_RESET), and the timeouts (set short here): a client
 * without a CONNECT line, a REQUEST the guest never answers, a host
 * close the guest never finishes, a full guest shutdown the host never
 * drains; and none after a host half-close, however long the guest's
 * answer takes.
 */
#include "devices/virtio_vsock.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>
#include <linux/virtio_vsock.h>

#include "arch/x86/layout.h"
#include "base/bus.h"
#include "devices/virtio_vsock_int.h"
#include "devices/vsock_packet.h"
#include "io/loop.h"
#include "virtio/mmio.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define CID   77
#define QSZ   128
#define BUFSZ 4096
#define GBUF  65536 /* the guest's buf_alloc */
#define MAXG  160
#define BIG   (4 * 1024 * 1024)

struct gconn {
	bool used, open, rst;
	uint32_t gport, hport;
	uint32_t peer_shut;
	uint32_t rx_cnt, fwd_cnt, advertised; /* guest receive side */
	uint32_t tx_cnt, peer_buf_alloc, peer_fwd_cnt;
	uint64_t bad_bytes;
	uint8_t seed;
	char head[64];
};

static struct {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct vvsock *v;
	struct virtio_mmio *m;
	gpa_t base, ring;
	struct vring_driver q[3];
	gpa_t rxbuf[QSZ], txbuf[QSZ], evbuf[QSZ];
	bool tx_busy[QSZ];
	unsigned int events;
	struct gconn g[MAXG];
	uint32_t req_hport[MAXG], req_gport[MAXG];
	unsigned int nreq;
	unsigned int stray_rst;
	char path[64];
} T;

static uint8_t pattern(uint8_t seed, uint64_t pos)
{
	return (uint8_t)((pos * 131 + seed) ^ (pos >> 9));
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0;

	bus_dispatch(&T.bus, T.base + off, &v, 4, false);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	bus_dispatch(&T.bus, T.base + off, &v, 4, true);
}

/* ---- the fake driver ------------------------------------------------ */

static void post_rx(uint16_t slot)
{
	struct vrd_seg seg = {T.rxbuf[slot], BUFSZ, true};

	vrd_publish(&T.q[0], vrd_chain(&T.q[0], &seg, 1, slot));
}

static void post_ev(uint16_t slot)
{
	struct vrd_seg seg = {vrd_alloc(&T.q[2], 8), 8, true};

	T.evbuf[slot] = seg.addr;
	memset(vrd_ptr(&T.q[2], seg.addr, 8), 0xff, 8);

	vrd_publish(&T.q[2], vrd_chain(&T.q[2], &seg, 1, slot));
}

static void driver_init(void)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	wr(VIRTIO_MMIO_STATUS, 3);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_ID), 19);
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG), CID);
	CHECK_EQ(rd(VIRTIO_MMIO_CONFIG + 4), 0);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(VIRTIO_MMIO_DEVICE_FEATURES) & 2, 0); /* no SEQPACKET */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(VIRTIO_MMIO_STATUS, 0xb);
	for (unsigned int i = 0; i < 3; i++) {
		struct vring_driver *d = &T.q[i];

		CHECK_EQ(vrd_init(d, &T.mem, T.ring, 4 * MiB, QSZ), 0);
		T.ring += 4 * MiB;
		wr(VIRTIO_MMIO_QUEUE_SEL, i);
		wr(VIRTIO_MMIO_QUEUE_NUM, QSZ);
		wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc_gpa);
		wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->avail_gpa);
		wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->used_gpa);
		wr(VIRTIO_MMIO_QUEUE_READY, 1);
	}
	for (uint16_t i = 0; i < QSZ; i++) {
		T.rxbuf[i] = vrd_alloc(&T.q[0], BUFSZ);
		T.txbuf[i] = vrd_alloc(&T.q[1], BUFSZ + VSOCK_HDR_LEN);
		T.tx_busy[i] = false;
		post_rx(i);
	}
	for (uint16_t i = 0; i < 4; i++)
		post_ev(i);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(VIRTIO_MMIO_STATUS), 0xf);
}

static struct gconn *gfind(uint32_t gport, uint32_t hport)
{
	for (unsigned int i = 0; i < MAXG; i++)
		if (T.g[i].used && T.g[i].gport == gport &&
		    T.g[i].hport == hport)
			return &T.g[i];
	return NULL;
}

static struct gconn *gnew(uint32_t gport, uint32_t hport, uint8_t seed)
{
	for (unsigned int i = 0; i < MAXG; i++)
		if (!T.g[i].used) {
			T.g[i] = (struct gconn){.used = true,
						.gport = gport,
						.hport = hport,
						.seed = seed};
			return &T.g[i];
		}
	CHECK(0);
	return NULL;
}

static void reap_tx(void)
{
	uint32_t id, len;

	while (vrd_get_used(&T.q[1], &id, &len)) {
		CHECK(id < QSZ && T.tx_busy[id]);
		T.tx_busy[id] = false;
	}
}

/* Send a raw packet (header from @p, host-order) with @len payload. */
static void send_raw(const struct vsock_pkt *p, const void *data, uint32_t len,
		     uint32_t chain_len)
{
	uint16_t slot;
	uint8_t *buf;
	struct vrd_seg seg;

	for (;;) {
		reap_tx();
		for (slot = 0; slot < QSZ && T.tx_busy[slot]; slot++)
			;
		if (slot < QSZ)
			break;
		usleep(50);
	}
	buf = vrd_ptr(&T.q[1], T.txbuf[slot], BUFSZ + VSOCK_HDR_LEN);
	vsock_pkt_encode(p, buf);
	if (len)
		memcpy(buf + VSOCK_HDR_LEN, data, len);
	seg = (struct vrd_seg){T.txbuf[slot], chain_len, false};
	T.tx_busy[slot] = true;
	vrd_publish(&T.q[1], vrd_chain(&T.q[1], &seg, 1, slot));
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
}

static struct vsock_pkt gpkt(struct gconn *g, uint16_t op, uint32_t flags,
			     uint32_t len)
{
	return (struct vsock_pkt){.src_cid = CID,
				  .dst_cid = 2,
				  .src_port = g->gport,
				  .dst_port = g->hport,
				  .len = len,
				  .type = VIRTIO_VSOCK_TYPE_STREAM,
				  .op = op,
				  .flags = flags,
				  .buf_alloc = GBUF,
				  .fwd_cnt = g->fwd_cnt};
}

static void gsend(struct gconn *g, uint16_t op, uint32_t flags,
		  const void *data, uint32_t len)
{
	struct vsock_pkt p = gpkt(g, op, flags, len);

	g->advertised = g->fwd_cnt;
	send_raw(&p, data, len, VSOCK_HDR_LEN + len);
}

static void on_rw(struct gconn *g, const uint8_t *d, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		uint32_t pos = g->rx_cnt + i;

		if (pos < sizeof(g->head))
			g->head[pos] = (char)d[i];
		if (d[i] != pattern(g->seed, pos))
			g->bad_bytes++;
	}
	g->rx_cnt += len;
	/* The device must stay within the credit we gave it. */
	CHECK(g->rx_cnt - g->fwd_cnt <= GBUF);
}

static void on_packet(const struct vsock_pkt *p, const uint8_t *payload)
{
	struct gconn *g = gfind(p->dst_port, p->src_port);

	CHECK_EQ(p->src_cid, 2);
	CHECK_EQ(p->dst_cid, CID);
	CHECK_EQ(p->type, VIRTIO_VSOCK_TYPE_STREAM);
	if (p->op == VIRTIO_VSOCK_OP_REQUEST) {
		CHECK(!g);
		CHECK(T.nreq < MAXG);
		T.req_hport[T.nreq] = p->src_port;
		T.req_gport[T.nreq++] = p->dst_port;
		return;
	}
	if (!g) {
		CHECK_EQ(p->op, VIRTIO_VSOCK_OP_RST);
		T.stray_rst++;
		return;
	}
	g->peer_buf_alloc = p->buf_alloc;
	g->peer_fwd_cnt = p->fwd_cnt;
	switch (p->op) {
	case VIRTIO_VSOCK_OP_RESPONSE: g->open = true; break;
	case VIRTIO_VSOCK_OP_RST:
		g->rst = true;
		g->open = false;
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN: g->peer_shut |= p->flags; break;
	case VIRTIO_VSOCK_OP_RW:
		CHECK(!(g->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND));
		on_rw(g, payload, p->len);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_UPDATE: break;
	default: CHECK(0);
	}
}

/* Handle what the device gave on rx and events; returns packets seen. */
static unsigned int pump(void)
{
	unsigned int n = 0;
	uint32_t id, len;

	while (vrd_get_used(&T.q[0], &id, &len)) {
		const uint8_t *buf = vrd_ptr(&T.q[0], T.rxbuf[id], BUFSZ);
		struct vsock_pkt p;

		CHECK(id < QSZ);
		CHECK(len >= VSOCK_HDR_LEN && len <= BUFSZ);
		vsock_pkt_decode(buf, &p);
		CHECK_EQ(p.len, len - VSOCK_HDR_LEN);
		on_packet(&p, buf + VSOCK_HDR_LEN);
		post_rx((uint16_t)id);
		n++;
	}
	if (n)
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	while (vrd_get_used(&T.q[2], &id, &len)) {
		uint32_t ev;

		CHECK_EQ(len, 4);
		memcpy(&ev, vrd_ptr(&T.q[2], T.evbuf[id], 4), 4);
		CHECK_EQ(le32toh(ev), VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
		T.events++;
	}
	reap_tx();
	return n;
}

/* The guest application consumed what it got: give credit back. */
static void consume(struct gconn *g)
{
	g->fwd_cnt = g->rx_cnt;
	if (g->open && g->fwd_cnt - g->advertised >= GBUF / 4)
		gsend(g, VIRTIO_VSOCK_OP_CREDIT_UPDATE, 0, NULL, 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Pump until @cond, for at most 20 s (then a failed check). */
#define UNTIL(cond)                                                            \
	do {                                                                   \
		double until_ = now_s() + 20;                                  \
		while (!(cond) && now_s() < until_)                            \
			if (!pump())                                           \
				usleep(100);                                   \
		CHECK(cond);                                                   \
	} while (0)

/* ---- host programs -------------------------------------------------- */

static int host_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static int host_listen(uint32_t port)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", T.path, port);
	unlink(sa.sun_path);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(fd, 128), 0);
	return fd;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Non-blocking read: bytes, 0 at EOF, -1 if nothing now. */
static ssize_t hread(int fd, void *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

	return n < 0 && errno == EAGAIN ? -1 : (n < 0 ? 0 : n);
}

/* The host socket reached EOF (nothing else is expected on it). */
static bool host_eof(int fd)
{
	char c;

	return hread(fd, &c, 1) == 0;
}

/* Drain host socket @fd: true once it reached EOF. */
static bool host_drained_eof(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = hread(fd, buf, sizeof(buf))) > 0)
		;
	return n == 0;
}

/* Read the line "OK <port>\n" (blocking bits at a time, bounded). */
static uint32_t read_ok(int fd)
{
	char line[32] = {0};
	unsigned int port = 0, i = 0;
	double until = now_s() + 20;

	while (i < sizeof(line) - 1 && now_s() < until) {
		ssize_t n = hread(fd, line + i, 1);

		if (n == 0)
			break;
		if (n < 0) {
			pump();
			usleep(100);
			continue;
		}
		if (line[i++] == '\n')
			break;
	}
	CHECK_EQ(sscanf(line, "OK %u\n", &port), 1);
	return port;
}

/* A host client connects with CONNECT @gport; the guest accepts. */
static struct gconn *host_to_guest(int *fd, uint32_t gport, uint8_t seed,
				   unsigned int extra)
{
	char line[64];
	struct gconn *g;
	unsigned int r = T.nreq;
	int len;

	*fd = host_connect(T.path);
	len = snprintf(line, sizeof(line), "CONNECT %u\n", gport);
	/* The first bytes of the stream ride along with the line. */
	for (unsigned int i = 0; i < extra; i++)
		line[len++] = (char)pattern(seed, i);
	CHECK_EQ(write(*fd, line, (size_t)len), len);
	UNTIL(T.nreq > r);
	CHECK_EQ(T.req_gport[r], gport);
	CHECK(T.req_hport[r] >= (1u << 30));
	g = gnew(gport, T.req_hport[r], seed);
	gsend(g, VIRTIO_VSOCK_OP_RESPONSE, 0, NULL, 0);
	g->open = true;
	CHECK_EQ(read_ok(*fd), g->hport);
	nonblock(*fd);
	return g;
}

/* The guest connects to CID 2 port @hport. */
static struct gconn *guest_to_host(uint32_t gport, uint32_t hport, uint8_t seed)
{
	struct gconn *g = gnew(gport, hport, seed);

	gsend(g, VIRTIO_VSOCK_OP_REQUEST, 0, NULL, 0);
	UNTIL(g->open || g->rst);
	return g;
}

/* Guest sends up to @len pattern bytes now, within credit; the count. */
static uint32_t gsend_some(struct gconn *g, uint32_t len)
{
	uint8_t buf[BUFSZ];
	uint32_t avail = g->peer_buf_alloc - (g->tx_cnt - g->peer_fwd_cnt);
	uint32_t n = MIN(MIN(len, (uint32_t)BUFSZ), avail);

	if (avail > g->peer_buf_alloc)
		n = 0;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = pattern(g->seed ^ 0x5a, g->tx_cnt + i);
	if (n)
		gsend(g, VIRTIO_VSOCK_OP_RW, 0, buf, n);
	g->tx_cnt += n;
	return n;
}

struct hside {
	int fd;
	uint8_t seed;
	uint64_t sent, got, bad;
	bool eof;
};

/* The host side writes and reads what it can now. */
static void host_step(struct hside *h, uint64_t to_send)
{
	uint8_t buf[16384];
	ssize_t n;

	if (h->sent < to_send) {
		size_t len =
		    (size_t)MIN((uint64_t)sizeof(buf), to_send - h->sent);

		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(h->seed, h->sent + i);
		n = send(h->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			h->sent += (uint64_t)n;
	}
	while ((n = hread(h->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] !=
			    pattern(h->seed ^ 0x5a, h->got + (size_t)i))
				h->bad++;
		h->got += (uint64_t)n;
	}
	if (n == 0)
		h->eof = true;
}

/* Move @len bytes each way over (@g, @h); the guest sends seed ^ 0x5a. */
static void bulk(struct gconn **g, struct hside *h, unsigned int n,
		 uint32_t len)
{
	double until = now_s() + 60;
	bool done = false;

	while (!done && now_s() < until) {
		done = true;
		for (unsigned int i = 0; i < n; i++) {
			uint32_t want = len - g[i]->tx_cnt;

			if (want)
				gsend_some(g[i], want);
			host_step(&h[i], len);
			pump();
			consume(g[i]);
			done &= g[i]->tx_cnt == len && h[i].got == len &&
				g[i]->rx_cnt == len;
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		CHECK_EQ(g[i]->rx_cnt, len);
		CHECK_EQ(g[i]->bad_bytes, 0);
		CHECK_EQ(h[i].got, len);
		CHECK_EQ(h[i].bad, 0);
	}
}

/* ---- the cases ------------------------------------------------------ */

static void test_host_to_guest_bulk(void)
{
	struct hside h = {.seed = 1, .sent = 5};
	struct gconn *g = host_to_guest(&h.fd, 1234, 1, 5);
	struct vvsock_stats st;

	bulk(&g, &h, 1, BIG);
	vvsock_stats(T.v, &st);
	CHECK_EQ(st.rx_bytes, BIG);
	CHECK_EQ(st.tx_bytes, BIG);
	CHECK_EQ(st.open, 1);
	/* Host closes: the guest hears SHUTDOWN(SEND|RCV), closes too: RST. */
	close(h.fd);
	UNTIL(g->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND);
	CHECK(g->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV);
	gsend(g, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0);
	UNTIL(g->rst);
	g->used = false;
}

static void test_guest_to_host(void)
{
	int lfd = host_listen(5000), fd;
	struct gconn *g = guest_to_host(2000, 5000, 2);
	struct hside h = {.seed = 2};
	char buf[8];

	CHECK(g->open);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(fd >= 0);
	h.fd = fd;
	bulk(&g, &h, 1, 1 << 20);
	/* Guest SHUTDOWN(SEND): the host reads EOF, can still write. */
	gsend(g, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0);
	UNTIL(hread(fd, buf, sizeof(buf)) == 0);
	CHECK_EQ(write(fd, "", 0), 0);
	h.sent = 1 << 20;
	host_step(&h, (1 << 20) + 100);
	UNTIL((pump(), g->rx_cnt == (1 << 20) + 100));
	CHECK_EQ(g->bad_bytes, 0);
	CHECK(!g->rst);
	/* Host closes too: both directions are done, RST. */
	close(fd);
	UNTIL(g->rst);
	g->used = false;
	/* Nobody listens on 5001: RST. */
	g = guest_to_host(2001, 5001, 3);
	CHECK(g->rst && !g->open);
	g->used = false;
	close(lfd);
}

static void test_many(void)
{
	enum { N = 64 };
	struct gconn *g[N];
	struct hside h[N];

	for (unsigned int i = 0; i < N; i++) {
		h[i] = (struct hside){.seed = (uint8_t)(10 + i)};
		g[i] = host_to_guest(&h[i].fd, 3000, (uint8_t)(10 + i), 0);
	}
	bulk(g, h, N, 100000);
	for (unsigned int i = 0; i < N; i++) {
		gsend(g[i], VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0);
		UNTIL(g[i]->rst);
		UNTIL(host_eof(h[i].fd));
		close(h[i].fd);
		g[i]->used = false;
	}
}

static void test_hostile(void)
{
	struct hside ha = {.seed = 20}, hb = {.seed = 21};
	struct gconn *a = host_to_guest(&ha.fd, 4000, 20, 0);
	struct gconn *b = host_to_guest(&hb.fd, 4001, 21, 0);
	struct vvsock_stats st0, st;
	struct vsock_pkt p;
	uint8_t junk[BUFSZ] = {0};
	unsigned int stray = T.stray_rst;

	vvsock_stats(T.v, &st0);
	/* Wrong source CID: dropped, no answer. */
	p = gpkt(a, VIRTIO_VSOCK_OP_RW, 0, 1);
	p.src_cid = CID + 1;
	send_raw(&p, "x", 1, VSOCK_HDR_LEN + 1);
	/* Wrong destination CID: dropped. */
	p = gpkt(a, VIRTIO_VSOCK_OP_RW, 0, 1);
	p.dst_cid = 1;
	send_raw(&p, "x", 1, VSOCK_HDR_LEN + 1);
	/* A packet for no connection: RST. */
	p = gpkt(a, VIRTIO_VSOCK_OP_RW, 0, 0);
	p.src_port = 9;
	send_raw(&p, NULL, 0, VSOCK_HDR_LEN);
	UNTIL(T.stray_rst == stray + 1);
	vvsock_stats(T.v, &st);
	CHECK_EQ(st.bad_packets, st0.bad_packets + 2);
	CHECK(a->open && !a->rst);

	/* Unknown op resets a; b keeps working. */
	gsend(a, 99, 0, NULL, 0);
	UNTIL(a->rst);
	UNTIL(host_eof(ha.fd));
	close(ha.fd);
	a->used = false;
	bulk(&b, &hb, 1, 50000);

	/* len beyond the chain. */
	a = host_to_guest(&ha.fd, 4002, 22, 0);
	p = gpkt(a, VIRTIO_VSOCK_OP_RW, 0, 1000);
	send_raw(&p, junk, 10, VSOCK_HDR_LEN + 10);
	UNTIL(a->rst);
	UNTIL(host_eof(ha.fd));
	close(ha.fd);
	a->used = false;

	/* Ignoring credit while the host reads nothing: reset. */
	a = host_to_guest(&ha.fd, 4003, 23, 0);
	for (unsigned int i = 0; i < 2048 && !a->rst; i++) {
		gsend(a, VIRTIO_VSOCK_OP_RW, 0, junk, BUFSZ);
		pump();
	}
	UNTIL(a->rst);
	/* Data was still buffered for the client: it sees it, then EOF. */
	UNTIL(host_drained_eof(ha.fd));
	close(ha.fd);
	a->used = false;
	vvsock_stats(T.v, &st);
	CHECK_EQ(st.bad_packets, st0.bad_packets + 5);
	/* b is unharmed. */
	hb.sent = b->rx_cnt;
	b->tx_cnt = 50000;
	bulk(&b, &hb, 1, 100000);
	gsend(b, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0);
	UNTIL(b->rst);
	close(hb.fd);
	b->used = false;
}

static void test_reset(void)
{
	int lfd = host_listen(6000), hfd, gfd;
	struct hside h = {.seed = 30};
	struct gconn *a = host_to_guest(&h.fd, 6001, 30, 0);
	struct gconn *b = guest_to_host(2100, 6000, 31);
	struct vvsock_stats st;

	CHECK(b->open);
	hfd = h.fd;
	gfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(gfd >= 0);
	T.events = 0;
	wr(VIRTIO_MMIO_STATUS, 0); /* reset with both open */
	UNTIL(host_eof(hfd) && host_eof(gfd));
	vvsock_stats(T.v, &st);
	CHECK_EQ(st.open, 0);
	close(hfd);
	close(gfd);
	a->used = b->used = false;
	driver_init();
	UNTIL(T.events == 1);
	/* And it works again. */
	a = host_to_guest(&h.fd, 6002, 32, 3);
	h.seed = 32;
	h.sent = 3;
	bulk(&a, &h, 1, 10000);
	close(h.fd);
	UNTIL(a->peer_shut);
	gsend(a, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0);
	UNTIL(a->rst);
	a->used = false;
	close(lfd);
}

/* ---- timeouts ------------------------------------------------------- */

/* Short, so the cases are quick; only "eventually" is ever checked. */
#define SHORT_MS 100

/* Read host socket @fd, pumping, until it gives bytes or EOF (20 s). */
static ssize_t wait_read(int fd, void *buf, size_t len)
{
	double until = now_s() + 20;
	ssize_t n;

	while ((n = hread(fd, buf, len)) < 0 && now_s() < until)
		if (!pump())
			usleep(100);
	return n;
}

/* Clients that never complete their CONNECT line are closed. */
static void test_timeout_line(void)
{
	int a, b;
	char buf[64];

	vvsock_set_timeout(T.v, SHORT_MS);
	a = host_connect(T.path);
	b = host_connect(T.path);
	CHECK_EQ(write(a, "CONNECT 12", 10), 10); /* half a line */
	CHECK_EQ(wait_read(a, buf, sizeof(buf)), 0);
	CHECK_EQ(wait_read(b, buf, sizeof(buf)), 0); /* nothing at all */
	close(a);
	close(b);
	vvsock_set_timeout(T.v, VVSOCK_TIMEOUT_MS);
}

/* The guest hears a REQUEST and stays silent: RST, the client sees EOF. */
static void test_timeout_request(void)
{
	unsigned int r = T.nreq, stray = T.stray_rst;
	struct gconn *g;
	char buf[64];
	int fd;

	vvsock_set_timeout(T.v, SHORT_MS);
	fd = host_connect(T.path);
	CHECK_EQ(write(fd, "CONNECT 7000\n", 13), 13);
	UNTIL(T.nreq > r);
	CHECK_EQ(T.req_gport[r], 7000);
	g = gnew(7000, T.req_hport[r], 40);
	/* (An RST in the same batch as the REQUEST counts as stray.) */
	UNTIL(g->rst || T.stray_rst > stray);
	CHECK(!g->open);
	CHECK_EQ(wait_read(fd, buf, sizeof(buf)), 0); /* EOF, no "OK" */
	close(fd);
	g->used = false;
	vvsock_set_timeout(T.v, VVSOCK_TIMEOUT_MS);
}

/* The host closes; the guest hears SHUTDOWN and never finishes: RST. */
static void test_timeout_shutdown(void)
{
	struct hside h = {.seed = 41};
	struct gconn *g = host_to_guest(&h.fd, 7001, 41, 0);
	struct vvsock_stats st0, st;

	vvsock_stats(T.v, &st0);
	vvsock_set_timeout(T.v, SHORT_MS);
	close(h.fd);
	UNTIL(g->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND);
	UNTIL(g->rst);
	vvsock_stats(T.v, &st);
	CHECK_EQ(st.open, st0.open - 1);
	CHECK_EQ(st.resets, st0.resets + 1);
	g->used = false;
	vvsock_set_timeout(T.v, VVSOCK_TIMEOUT_MS);
}

/*
 * The host only shuts its writing side: the guest hears SHUTDOWN(SEND)
 * alone and may answer after many timeouts of silence; the host reads it.
 * Its full close then ends the connection.
 */
static void test_halfclose_answer(void)
{
	struct hside h = {.seed = 43};
	struct gconn *g = host_to_guest(&h.fd, 7002, 43, 0);
	uint8_t buf[64];
	double until;

	vvsock_set_timeout(T.v, SHORT_MS);
	CHECK_EQ(shutdown(h.fd, SHUT_WR), 0);
	UNTIL(g->peer_shut & VIRTIO_VSOCK_SHUTDOWN_SEND);
	CHECK(!(g->peer_shut & VIRTIO_VSOCK_SHUTDOWN_RCV));
	until = now_s() + 5.0 * SHORT_MS / 1000;
	while (now_s() < until)
		if (!pump())
			usleep(1000);
	CHECK(!g->rst);
	CHECK_EQ(gsend_some(g, 32), 32);
	CHECK_EQ(wait_read(h.fd, buf, sizeof(buf)), 32);
	for (unsigned int i = 0; i < 32; i++)
		CHECK_EQ(buf[i], pattern(43 ^ 0x5a, i));
	/* Host EOF plus the guest's SHUTDOWN(SEND): both ways done, RST. */
	gsend(g, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0);
	UNTIL(g->rst);
	close(h.fd);
	g->used = false;
	vvsock_set_timeout(T.v, VVSOCK_TIMEOUT_MS);
}

/*
 * The guest fills its credit (256 KiB, more than a unix socket holds at
 * the default wmem of 208 KiB) and shuts down both ways; the host reads
 * nothing, so the rest stays buffered: RST, and the host gets less than
 * was sent.
 */
static void test_timeout_flush(void)
{
	int lfd = host_listen(7100), fd;
	struct gconn *g = guest_to_host(2200, 7100, 42);
	uint8_t buf[16384];
	uint64_t got = 0;
	ssize_t n;

	CHECK(g->open);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	CHECK(fd >= 0);
	vvsock_set_timeout(T.v, SHORT_MS);
	while (g->tx_cnt < g->peer_buf_alloc &&
	       gsend_some(g, g->peer_buf_alloc - g->tx_cnt))
		pump();
	gsend(g, VIRTIO_VSOCK_OP_SHUTDOWN, 3, NULL, 0);
	UNTIL(g->rst);
	/*
	 * What the socket got is there already: less than was sent, so the
	 * timeout cut the flush short. (Not waiting for EOF here: a host
	 * socket closed with its POLLOUT watch armed can outlive close() in
	 * the io loop, as after the credit reset in test_hostile.)
	 */
	while ((n = hread(fd, buf, sizeof(buf))) > 0)
		got += (uint64_t)n;
	CHECK(got < g->tx_cnt);
	close(fd);
	close(lfd);
	g->used = false;
	vvsock_set_timeout(T.v, VVSOCK_TIMEOUT_MS);
}

static void *guest(void *arg)
{
	(void)arg;
	driver_init();
	test_host_to_guest_bulk();
	test_guest_to_host();
	test_many();
	test_hostile();
	test_reset();
	test_timeout_line();
	test_timeout_request();
	test_timeout_shutdown();
	test_halfclose_answer();
	test_timeout_flush();
	io_loop_stop(T.loop);
	return NULL;
}

static void test_listener_files(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vvsock *v2;
	char err[128] = "";
	int fd;

	/* A live listener: in use. */
	CHECK_EQ(
	    vvsock_create(&v2, CID, T.path, &T.mem, T.loop, err, sizeof(err)),
	    -EADDRINUSE);
	CHECK(strstr(err, "in use") != NULL);
	/* A stale socket file is replaced. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.stale", T.path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	CHECK_EQ(vvsock_create(&v2, CID, sa.sun_path, &T.mem, T.loop, err,
			       sizeof(err)),
		 0);
	vvsock_destroy(v2);
	CHECK(access(sa.sun_path, F_OK) != 0); /* unlinked */
	/* Any other file is refused. */
	fd = open(sa.sun_path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	close(fd);
	CHECK_EQ(vvsock_create(&v2, CID, sa.sun_path, &T.mem, T.loop, err,
			       sizeof(err)),
		 -EEXIST);
	unlink(sa.sun_path);
	CHECK_EQ(vvsock_create(&v2, 2, "/nonexistent/x", &T.mem, T.loop, err,
			       sizeof(err)),
		 -EINVAL);
}

int main(void)
{
	struct virtio_mmio_env env = {.vm_fd = -1, .mem = &T.mem};
	char err[128];
	pthread_t g;

	test_loop_kinds();
	snprintf(T.path, sizeof(T.path), "/tmp/test_vsock.%d", (int)getpid());
	CHECK_EQ(fake_mem_create(&T.mem, 64 * MiB), 0);
	CHECK_EQ(test_loop_create(&T.loop), 0);
	env.loop = T.loop;
	env.mmio_bus = &T.bus;
	T.ring = 16 * MiB;
	T.base = LAYOUT_VIRTIO_MMIO_BASE;
	CHECK_EQ(
	    vvsock_create(&T.v, CID, T.path, &T.mem, T.loop, err, sizeof(err)),
	    0);
	test_listener_files();
	CHECK_EQ(virtio_mmio_create(&T.m, &env, vvsock_dev(T.v), T.base, 16),
		 0);
	pthread_create(&g, NULL, guest, NULL);
	CHECK_EQ(io_loop_run(T.loop), 0);
	pthread_join(g, NULL);
	virtio_mmio_destroy(T.m);
	vvsock_destroy(T.v);
	CHECK(access(T.path, F_OK) != 0);
	io_loop_destroy(T.loop);
	bus_destroy(&T.bus);
	fake_mem_destroy(&T.mem);
	return check_done("test_virtio_vsock");
}
