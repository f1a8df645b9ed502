/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk end to end without KVM: a fake guest driver (a thread doing
 * register accesses through the bus and rings through vring_driver)
 * against devices/virtio_blk.c behind virtio-mmio, on temporary image
 * files, with the real io loop and io_uring. Checks every request type
 * (many in flight, split and merged framing, indirect tables), the bytes
 * on the host, every malformed request's answer, the OFD lock, a
 * read-only disk, direct=on with unaligned buffers (bounced), and the
 * I/O path under injected short and failed completions (the loop's fault
 * hook) and a file that shrank under the device.
 */
#include "devices/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "arch/x86/layout.h"
#include "base/bus.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio/mmio.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define QSZ	  256
#define NQ	  2
#define DISK_SIZE (4 * MiB)
#define REQ_BYTES 8192
#define BATCH	  32
#define SEC	  512

enum fault_mode {
	FAULT_NONE,
	FAULT_SHORT,
	FAULT_EIO,
	FAULT_ENOSPC,
	FAULT_SLOW, /* completions take 10 ms to reach the device */
};

struct dev {
	struct vblk *b;
	struct virtio_mmio *m;
	gpa_t base;
	struct vring_driver q[NQ];
	uint16_t next_slot[NQ];
	char path[128];
};

struct t {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct dev rw, ro, direct;
	int fault;	     /* atomic: enum fault_mode */
	unsigned int faults; /* atomic: results rewritten */
};

static struct t T;

static uint32_t rd(struct dev *d, uint64_t off)
{
	uint32_t v = 0;

	bus_dispatch(&T.bus, d->base + off, &v, 4, false);
	return v;
}

static void wr(struct dev *d, uint64_t off, uint32_t v)
{
	bus_dispatch(&T.bus, d->base + off, &v, 4, true);
}

static int fault(void *arg, struct io_request *req, int res)
{
	struct t *t = arg;

	(void)req;
	switch (__atomic_load_n(&t->fault, __ATOMIC_RELAXED)) {
	case FAULT_SHORT:
		if (res <= 1)
			return res;
		__atomic_fetch_add(&t->faults, 1, __ATOMIC_RELAXED);
		return res / 2 > SEC ? res / 2 - 7 : 1; /* odd: mid-segment */
	case FAULT_EIO:
		__atomic_fetch_add(&t->faults, 1, __ATOMIC_RELAXED);
		return -EIO;
	case FAULT_ENOSPC:
		__atomic_fetch_add(&t->faults, 1, __ATOMIC_RELAXED);
		return -ENOSPC;
	case FAULT_SLOW: usleep(10000); return res;
	default: return res;
	}
}

/* ---- the driver side ---------------------------------------------------- */

static uint64_t features_of(struct dev *d)
{
	uint64_t f;

	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

static void init_dev(struct dev *d, gpa_t ring_base)
{
	uint64_t f;

	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, 3);
	f = features_of(d);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
	wr(d, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS), 0xb);
	for (unsigned int q = 0; q < NQ; q++) {
		struct vring_driver *v = &d->q[q];

		CHECK_EQ(
		    vrd_init(v, &T.mem, ring_base + q * 4 * MiB, 4 * MiB, QSZ),
		    0);
		d->next_slot[q] = 0;
		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(rd(d, VIRTIO_MMIO_QUEUE_NUM_MAX), QSZ);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)v->desc_gpa);
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)v->avail_gpa);
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)v->used_gpa);
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS), 0xf);
}

/* One request's buffers in guest memory. */
struct req {
	gpa_t hdr, data, status;
	uint32_t len;
	uint16_t head;
};

/*
 * Queue (not kick) a request: header, data in @split segments (device-
 * writable for reads and GET_ID), status. @merged: the header and data
 * share one descriptor (OUT) or data and status do (IN). @indirect: in
 * an indirect table.
 */
static void queue_req(struct dev *d, unsigned int q, struct req *r,
		      uint32_t type, uint64_t sector, uint32_t len,
		      unsigned int split, bool merged, bool indirect)
{
	struct vring_driver *v = &d->q[q];
	bool din = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct vrd_seg segs[16];
	unsigned int n = 0;
	struct virtio_blk_outhdr *h;

	r->len = len;
	r->hdr = vrd_alloc(v, sizeof(*h) + len + 1);
	r->data = r->hdr + sizeof(*h);
	r->status = r->data + len;
	h = vrd_ptr(v, r->hdr, sizeof(*h));
	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*(uint8_t *)vrd_ptr(v, r->status, 1) = 0xff;
	if (merged && !din) {
		segs[n++] =
		    (struct vrd_seg){r->hdr, (uint32_t)sizeof(*h) + len, false};
	} else {
		segs[n++] = (struct vrd_seg){r->hdr, sizeof(*h), false};
		for (unsigned int i = 0; len && i < split; i++) {
			uint32_t a = len * i / split, b = len * (i + 1) / split;

			if (merged && i == split - 1)
				b = len + 1; /* the status rides along */
			segs[n++] = (struct vrd_seg){r->data + a, b - a, din};
		}
	}
	if (!(merged && din))
		segs[n++] = (struct vrd_seg){r->status, 1, true};
	if (indirect) {
		r->head = vrd_indirect(v, segs, n, d->next_slot[q]++);
	} else {
		r->head = vrd_chain(v, segs, n, d->next_slot[q]);
		d->next_slot[q] = (uint16_t)(d->next_slot[q] + n);
	}
	vrd_publish(v, r->head);
}

static void kick(struct dev *d, unsigned int q)
{
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* Wait for @n used entries; check each status (and used length). */
static void wait_reqs(struct dev *d, unsigned int q, struct req *r,
		      unsigned int n, uint8_t status)
{
	for (unsigned int done = 0; done < n;) {
		uint32_t id, len;

		if (!vrd_get_used(&d->q[q], &id, &len)) {
			usleep(50);
			continue;
		}
		for (unsigned int i = 0; i < n; i++) {
			if (r[i].head != id)
				continue;
			CHECK_EQ(*(uint8_t *)vrd_ptr(&d->q[q], r[i].status, 1),
				 status);
			if (status == VIRTIO_BLK_S_OK && r[i].len && len != 1)
				CHECK_EQ(len, r[i].len + 1); /* IN, GET_ID */
		}
		done++;
	}
	d->next_slot[q] = 0; /* every chain of the batch came back */
}

static uint8_t *data_of(struct dev *d, unsigned int q, const struct req *r)
{
	return vrd_ptr(&d->q[q], r->data, r->len);
}

/* One request, start to end. */
static void one(struct dev *d, unsigned int q, uint32_t type, uint64_t sector,
		uint32_t len, uint8_t status, struct req *out)
{
	struct req r;

	queue_req(d, q, &r, type, sector, len, 1, false, false);
	kick(d, q);
	wait_reqs(d, q, &r, 1, status);
	if (out)
		*out = r;
}

static uint8_t pattern(uint64_t byte, unsigned int seed)
{
	return (uint8_t)((byte * 31 + seed * 7 + (byte >> 9)) ^ (byte >> 13));
}

static void host_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* ---- the tests (guest thread) ------------------------------------------ */

static void test_config(struct dev *d)
{
	uint64_t f = features_of(d);
	uint32_t cap_lo, qn, seg_max;

	CHECK(f & (1ULL << VIRTIO_BLK_F_SEG_MAX));
	CHECK(f & (1ULL << VIRTIO_BLK_F_SIZE_MAX));
	CHECK(f & (1ULL << VIRTIO_BLK_F_BLK_SIZE));
	CHECK(f & (1ULL << VIRTIO_BLK_F_FLUSH));
	CHECK(f & (1ULL << VIRTIO_BLK_F_TOPOLOGY));
	CHECK(f & (1ULL << VIRTIO_BLK_F_MQ));
	CHECK(f & (1ULL << VIRTIO_BLK_F_DISCARD));
	CHECK(f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	CHECK(f & (1ULL << VIRTIO_RING_F_EVENT_IDX));
	CHECK(f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC));
	CHECK(!(f & (1ULL << VIRTIO_BLK_F_RO)));
	CHECK_EQ(rd(d, VIRTIO_MMIO_DEVICE_ID), 2);
	cap_lo = rd(d, VIRTIO_MMIO_CONFIG +
			   offsetof(struct virtio_blk_config, capacity));
	CHECK_EQ(cap_lo, DISK_SIZE / SEC);
	seg_max = rd(d, VIRTIO_MMIO_CONFIG +
			    offsetof(struct virtio_blk_config, seg_max));
	CHECK_EQ(seg_max, QSZ - 2);
	qn = rd(d, VIRTIO_MMIO_CONFIG +
		       offsetof(struct virtio_blk_config, num_queues)) &
	     0xffff;
	CHECK_EQ(qn, NQ);
}

/* BATCH writes in flight on queue 0, read back on queue 1 (indirect). */
static void test_rw(struct dev *d)
{
	struct req w[BATCH], r[BATCH];
	uint8_t *host = malloc(BATCH * REQ_BYTES);

	for (unsigned int i = 0; i < BATCH; i++) {
		uint64_t sector = 8 + i * (REQ_BYTES / SEC);

		queue_req(d, 0, &w[i], VIRTIO_BLK_T_OUT, sector, REQ_BYTES,
			  1 + i % 3, i % 5 == 4, i % 4 == 3);
		for (uint32_t k = 0; k < REQ_BYTES; k++)
			data_of(d, 0, &w[i])[k] = pattern(sector * SEC + k, 1);
	}
	kick(d, 0);
	wait_reqs(d, 0, w, BATCH, VIRTIO_BLK_S_OK);
	host_read(d->path, 8 * SEC, host, BATCH * REQ_BYTES);
	for (uint64_t k = 0; k < BATCH * REQ_BYTES; k++)
		if (host[k] != pattern(8 * SEC + k, 1)) {
			CHECK_EQ(host[k], pattern(8 * SEC + k, 1));
			break;
		}
	for (unsigned int i = 0; i < BATCH; i++)
		queue_req(d, 1, &r[i], VIRTIO_BLK_T_IN,
			  8 + i * (REQ_BYTES / SEC), REQ_BYTES, 1 + i % 4,
			  i % 6 == 5, i % 2);
	kick(d, 1);
	wait_reqs(d, 1, r, BATCH, VIRTIO_BLK_S_OK);
	for (unsigned int i = 0; i < BATCH; i++)
		CHECK(!memcmp(data_of(d, 1, &r[i]), host + i * REQ_BYTES,
			      REQ_BYTES));
	free(host);
}

static void test_flush_id(struct dev *d)
{
	struct req r;

	one(d, 0, VIRTIO_BLK_T_FLUSH, 0, 0, VIRTIO_BLK_S_OK, NULL);
	one(d, 0, VIRTIO_BLK_T_GET_ID, 0, VBLK_SERIAL_MAX, VIRTIO_BLK_S_OK, &r);
	CHECK(!memcmp(data_of(d, 0, &r), "disk-0\0", 7));
}

/* DISCARD / WRITE_ZEROES segments as the payload of an OUT-like chain. */
static void dwz(struct dev *d, uint32_t type, uint64_t sector, uint32_t n,
		uint32_t flags, unsigned int nseg, uint8_t status)
{
	struct virtio_blk_discard_write_zeroes seg[4];
	struct req r;

	for (unsigned int i = 0; i < nseg; i++)
		seg[i] = (struct virtio_blk_discard_write_zeroes){
		    .sector = sector + i * n, .num_sectors = n, .flags = flags};
	queue_req(d, 0, &r, type, 0, (uint32_t)(nseg * sizeof(seg[0])), 1,
		  false, false);
	/* OUT-shaped: the payload is device-readable. */
	memcpy(data_of(d, 0, &r), seg, nseg * sizeof(seg[0]));
	kick(d, 0);
	wait_reqs(d, 0, &r, 1, status);
}

static void test_discard_zeroes(struct dev *d)
{
	uint8_t buf[16 * SEC], zero[16 * SEC] = {0};

	dwz(d, VIRTIO_BLK_T_DISCARD, 8, 8, 0, 2, VIRTIO_BLK_S_OK);
	host_read(d->path, 8 * SEC, buf, sizeof(buf));
	CHECK(!memcmp(buf, zero, sizeof(buf)));
	dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 24, 16, 0, 1, VIRTIO_BLK_S_OK);
	dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 40, 16,
	    VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP, 1, VIRTIO_BLK_S_OK);
	host_read(d->path, 24 * SEC, buf, sizeof(buf));
	CHECK(!memcmp(buf, zero, sizeof(buf)));
	host_read(d->path, 40 * SEC, buf, sizeof(buf));
	CHECK(!memcmp(buf, zero, sizeof(buf)));
	/* Untouched neighbours keep their data. */
	host_read(d->path, 56 * SEC, buf, SEC);
	CHECK_EQ(buf[0], pattern(56 * SEC, 1));
}

/* The protocol's answers to requests a driver got wrong. */
static void test_bad_requests(struct dev *d)
{
	struct vblk_stats st;

	one(d, 0, VIRTIO_BLK_T_IN, DISK_SIZE / SEC, SEC, VIRTIO_BLK_S_IOERR,
	    NULL);
	one(d, 0, VIRTIO_BLK_T_IN, DISK_SIZE / SEC - 1, 2 * SEC,
	    VIRTIO_BLK_S_IOERR, NULL);
	one(d, 0, VIRTIO_BLK_T_OUT, UINT64_MAX / 4, SEC, VIRTIO_BLK_S_IOERR,
	    NULL);
	one(d, 0, VIRTIO_BLK_T_OUT, 0, 100, VIRTIO_BLK_S_IOERR, NULL);
	one(d, 0, 99, 0, SEC, VIRTIO_BLK_S_UNSUPP, NULL);
	one(d, 0, VIRTIO_BLK_T_SCSI_CMD, 0, SEC, VIRTIO_BLK_S_UNSUPP, NULL);
	/* Discard never unmaps on request; past the end; no segment. */
	dwz(d, VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
	    1, VIRTIO_BLK_S_UNSUPP);
	dwz(d, VIRTIO_BLK_T_DISCARD, DISK_SIZE / SEC - 4, 8, 0, 1,
	    VIRTIO_BLK_S_IOERR);
	dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, 0, VIRTIO_BLK_S_UNSUPP);
	/* A read of nothing is fine. */
	one(d, 0, VIRTIO_BLK_T_IN, 0, 0, VIRTIO_BLK_S_OK, NULL);
	vblk_stats(d->b, &st);
	CHECK_EQ(st.bad_requests, 9);
	CHECK_EQ(st.io_errors, 0);
}

/* Short completions are finished, failures are IOERR, the disk lives on. */
static void test_faults(struct dev *d)
{
	struct req w, r;
	struct vblk_stats st;
	uint8_t host[4 * SEC];

	__atomic_store_n(&T.fault, FAULT_SHORT, __ATOMIC_RELAXED);
	queue_req(d, 0, &w, VIRTIO_BLK_T_OUT, 100, 4 * SEC, 3, false, false);
	for (uint32_t k = 0; k < 4 * SEC; k++)
		data_of(d, 0, &w)[k] = pattern(k, 9);
	kick(d, 0);
	wait_reqs(d, 0, &w, 1, VIRTIO_BLK_S_OK);
	queue_req(d, 0, &r, VIRTIO_BLK_T_IN, 100, 4 * SEC, 3, false, false);
	kick(d, 0);
	wait_reqs(d, 0, &r, 1, VIRTIO_BLK_S_OK);
	CHECK(__atomic_load_n(&T.faults, __ATOMIC_RELAXED) >= 4);
	CHECK(!memcmp(data_of(d, 0, &r), data_of(d, 0, &w), 4 * SEC));
	host_read(d->path, 100 * SEC, host, sizeof(host));
	CHECK(!memcmp(host, data_of(d, 0, &w), sizeof(host)));

	__atomic_store_n(&T.fault, FAULT_EIO, __ATOMIC_RELAXED);
	one(d, 0, VIRTIO_BLK_T_IN, 0, SEC, VIRTIO_BLK_S_IOERR, NULL);
	one(d, 1, VIRTIO_BLK_T_FLUSH, 0, 0, VIRTIO_BLK_S_IOERR, NULL);
	__atomic_store_n(&T.fault, FAULT_ENOSPC, __ATOMIC_RELAXED);
	one(d, 0, VIRTIO_BLK_T_OUT, 0, SEC, VIRTIO_BLK_S_IOERR, NULL);
	dwz(d, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, 1, VIRTIO_BLK_S_IOERR);
	__atomic_store_n(&T.fault, FAULT_NONE, __ATOMIC_RELAXED);
	vblk_stats(d->b, &st);
	CHECK_EQ(st.io_errors, 4);
	one(d, 0, VIRTIO_BLK_T_IN, 100, 4 * SEC, VIRTIO_BLK_S_OK, &r);
	CHECK(!memcmp(data_of(d, 0, &r), host, sizeof(host)));

	/* The image shrank under the device: the read finds EOF. */
	CHECK_EQ(truncate(d->path, DISK_SIZE / 2), 0);
	one(d, 0, VIRTIO_BLK_T_IN, DISK_SIZE / SEC - 8, 4 * SEC,
	    VIRTIO_BLK_S_IOERR, NULL);
	CHECK_EQ(truncate(d->path, DISK_SIZE), 0);
}

/*
 * A reset with reads in flight returns only once they are done: nothing
 * lands in guest buffers after the driver saw the reset.
 */
static void test_reset_in_flight(struct dev *d)
{
	struct req r[BATCH];

	for (unsigned int i = 0; i < BATCH; i++)
		queue_req(d, 0, &r[i], VIRTIO_BLK_T_IN, i * 16, REQ_BYTES, 2,
			  false, false);
	__atomic_store_n(&T.fault, FAULT_SLOW, __ATOMIC_RELAXED);
	kick(d, 0);
	while (!vblk_busy(d->b))
		usleep(10);
	wr(d, VIRTIO_MMIO_STATUS, 0);
	CHECK(!vblk_busy(d->b));
	__atomic_store_n(&T.fault, FAULT_NONE, __ATOMIC_RELAXED);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS), 0);
	init_dev(d, d->q[0].desc_gpa);
}

/* A chain without a status byte breaks the device until a reset. */
static void test_malformed(struct dev *d)
{
	struct vring_driver *v = &d->q[0];
	struct req r;
	gpa_t hdr = vrd_alloc(v, 64);
	struct vrd_seg seg = {hdr, 16, false};
	uint16_t head = vrd_chain(v, &seg, 1, 0);

	memset(vrd_ptr(v, hdr, 16), 0, 16);
	vrd_publish(v, head);
	kick(d, 0);
	while (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
		usleep(100);
	init_dev(d, d->q[0].desc_gpa);
	one(d, 0, VIRTIO_BLK_T_IN, 100, 4 * SEC, VIRTIO_BLK_S_OK, &r);
	CHECK_EQ(data_of(d, 0, &r)[5], pattern(5, 9));
}

static void test_readonly(struct dev *d)
{
	uint64_t f = features_of(d);

	CHECK(f & (1ULL << VIRTIO_BLK_F_RO));
	CHECK(!(f & (1ULL << VIRTIO_BLK_F_DISCARD)));
	one(d, 0, VIRTIO_BLK_T_OUT, 0, SEC, VIRTIO_BLK_S_IOERR, NULL);
	one(d, 0, VIRTIO_BLK_T_IN, 0, SEC, VIRTIO_BLK_S_OK, NULL);
	one(d, 0, VIRTIO_BLK_T_FLUSH, 0, 0, VIRTIO_BLK_S_OK, NULL);
}

/* direct=on: unaligned guest buffers bounce, aligned ones do not. */
static void test_direct(struct dev *d)
{
	struct vring_driver *v = &d->q[0];
	struct vblk_stats st;
	struct req w, r;
	uint8_t host[8 * SEC];

	/* vrd_alloc() aligns to 16: 16 past a page is unaligned enough. */
	(void)vrd_alloc(v, 4096 - (v->heap & 4095) + 16 - 16);
	queue_req(d, 0, &w, VIRTIO_BLK_T_OUT, 64, 8 * SEC, 2, false, false);
	for (uint32_t k = 0; k < 8 * SEC; k++)
		data_of(d, 0, &w)[k] = pattern(k, 3);
	kick(d, 0);
	wait_reqs(d, 0, &w, 1, VIRTIO_BLK_S_OK);
	one(d, 0, VIRTIO_BLK_T_IN, 64, 8 * SEC, VIRTIO_BLK_S_OK, &r);
	CHECK(!memcmp(data_of(d, 0, &r), data_of(d, 0, &w), 8 * SEC));
	host_read(d->path, 64 * SEC, host, sizeof(host));
	CHECK(!memcmp(host, data_of(d, 0, &w), sizeof(host)));
	vblk_stats(d->b, &st);
	CHECK(st.bounced >= 2);
	/* Not a multiple of the logical block at an odd place: IOERR. */
	if (rd(d, VIRTIO_MMIO_CONFIG +
		      offsetof(struct virtio_blk_config, blk_size)) > SEC)
		one(d, 0, VIRTIO_BLK_T_IN, 1, SEC, VIRTIO_BLK_S_IOERR, NULL);
}

static void *guest(void *arg)
{
	(void)arg;
	init_dev(&T.rw, 16 * MiB);
	test_config(&T.rw);
	test_rw(&T.rw);
	test_flush_id(&T.rw);
	test_discard_zeroes(&T.rw);
	test_bad_requests(&T.rw);
	test_faults(&T.rw);
	test_reset_in_flight(&T.rw);
	test_malformed(&T.rw);
	init_dev(&T.ro, 24 * MiB);
	test_readonly(&T.ro);
	init_dev(&T.direct, 32 * MiB);
	test_direct(&T.direct);
	io_loop_stop(T.loop);
	return NULL;
}

/* ---- set-up ----------------------------------------------------------------
 */

static void make_image(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, (off_t)size), 0);
	close(fd);
}

static void add_dev(struct dev *d, const char *dir, const char *name,
		    unsigned int i, bool readonly, bool direct,
		    const char *serial)
{
	struct vblk_config cfg = {.readonly = readonly,
				  .direct = direct,
				  .serial = serial,
				  .num_queues = NQ};
	struct virtio_mmio_env env = {
	    .vm_fd = -1, .mem = &T.mem, .loop = T.loop, .mmio_bus = &T.bus};
	char err[200];

	snprintf(d->path, sizeof(d->path), "%s/%s", dir, name);
	make_image(d->path, DISK_SIZE);
	cfg.path = d->path;
	d->base = LAYOUT_VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_WINDOW_SIZE;
	CHECK_EQ(vblk_create(&d->b, &cfg, &T.mem, T.loop, err, sizeof(err)), 0);
	CHECK_EQ(
	    virtio_mmio_create(&d->m, &env, vblk_dev(d->b), d->base, 16 + i),
	    0);
	log_ratelimit_init(&vblk_dev(d->b)->warn_rl, 0, UINT64_MAX);
}

/* The OFD lock: one writer, or any number of readers. */
static void test_lock(const char *dir)
{
	struct vblk_config cfg = {.num_queues = 1};
	struct vblk *a, *b;
	char path[128], err[200];

	snprintf(path, sizeof(path), "%s/lock.img", dir);
	make_image(path, MiB);
	cfg.path = path;
	CHECK_EQ(vblk_create(&a, &cfg, &T.mem, T.loop, err, sizeof(err)), 0);
	CHECK_EQ(vblk_create(&b, &cfg, &T.mem, T.loop, err, sizeof(err)),
		 -EBUSY);
	CHECK(strstr(err, "locked by another user"));
	cfg.readonly = true;
	CHECK_EQ(vblk_create(&b, &cfg, &T.mem, T.loop, err, sizeof(err)),
		 -EBUSY);
	vblk_destroy(a);
	CHECK_EQ(vblk_create(&a, &cfg, &T.mem, T.loop, err, sizeof(err)), 0);
	CHECK_EQ(vblk_create(&b, &cfg, &T.mem, T.loop, err, sizeof(err)), 0);
	vblk_destroy(b);
	cfg.readonly = false;
	CHECK_EQ(vblk_create(&b, &cfg, &T.mem, T.loop, err, sizeof(err)),
		 -EBUSY);
	vblk_destroy(a);
	/* Bad input: missing, empty, a directory, a long serial. */
	cfg.path = "/nonexistent/x.img";
	CHECK_EQ(vblk_create(&a, &cfg, &T.mem, T.loop, err, sizeof(err)),
		 -ENOENT);
	cfg.path = dir;
	CHECK(vblk_create(&a, &cfg, &T.mem, T.loop, err, sizeof(err)) < 0);
	make_image(path, 0);
	cfg.path = path;
	CHECK_EQ(vblk_create(&a, &cfg, &T.mem, T.loop, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "empty"));
	make_image(path, MiB);
	cfg.serial = "123456789012345678901";
	CHECK_EQ(vblk_create(&a, &cfg, &T.mem, T.loop, err, sizeof(err)),
		 -EINVAL);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/test_virtio_blk.XXXXXX";
	pthread_t g;

	test_loop_kinds();
	CHECK(mkdtemp(dir));
	CHECK_EQ(fake_mem_create(&T.mem, 64 * MiB), 0);
	CHECK_EQ(test_loop_create(&T.loop), 0);
	io_loop_set_fault(T.loop, fault, &T);
	test_lock(dir);
	add_dev(&T.rw, dir, "rw.img", 0, false, false, "disk-0");
	add_dev(&T.ro, dir, "ro.img", 1, true, false, NULL);
	add_dev(&T.direct, dir, "direct.img", 2, false, true, NULL);
	pthread_create(&g, NULL, guest, NULL);
	CHECK_EQ(io_loop_run(T.loop), 0);
	pthread_join(g, NULL);

	for (struct dev *d = &T.rw; d <= &T.direct; d++) {
		CHECK_EQ(io_loop_drain(T.loop, vblk_busy, d->b, 5000), 0);
		virtio_mmio_destroy(d->m);
		vblk_destroy(d->b);
		unlink(d->path);
	}
	io_loop_destroy(T.loop);
	bus_destroy(&T.bus);
	fake_mem_destroy(&T.mem);
	rmdir(dir);
	return check_done("test_virtio_blk");
}
