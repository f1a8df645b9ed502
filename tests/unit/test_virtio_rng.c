/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng without KVM: a fake guest driver posts buffers to
 * devices/virtio_rng.c behind virtio-mmio on the real io loop. Checks the
 * bytes look random (not constant, every byte value about equally often),
 * buffers with no writable part come back empty, a huge buffer gets at
 * most VRNG_MAX_FILL bytes, and a rate-limited device never gives more
 * than its bucket plus the rate times the time that passed (an upper
 * bound: a slow machine only makes it looser) while still serving every
 * buffer in the end.
 */
#include "devices/virtio_rng.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "base/bus.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio/mmio.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define RATE 8192 /* bytes per second of the limited device */

struct dev {
	struct vrng *r;
	struct virtio_mmio *m;
	gpa_t base;
	struct vring_driver q;
};

static struct {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct dev free_dev, limited;
} T;

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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void init_dev(struct dev *d, gpa_t ring)
{
	wr(d, VIRTIO_MMIO_STATUS, 0);
	wr(d, VIRTIO_MMIO_STATUS, 3);
	CHECK_EQ(rd(d, VIRTIO_MMIO_DEVICE_ID), 4);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(d, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(vrd_init(&d->q, &T.mem, ring, 8 * MiB, VRNG_QUEUE_SIZE), 0);
	wr(d, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(d, VIRTIO_MMIO_QUEUE_NUM, VRNG_QUEUE_SIZE);
	wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->q.desc_gpa);
	wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->q.avail_gpa);
	wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->q.used_gpa);
	wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(d, VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(d, VIRTIO_MMIO_STATUS), 0xf);
}

/* Post one buffer in slot @slot; returns its address. */
static gpa_t post(struct dev *d, uint16_t slot, uint32_t len, bool writable)
{
	gpa_t buf = vrd_alloc(&d->q, len);
	struct vrd_seg seg = {buf, len, writable};

	memset(vrd_ptr(&d->q, buf, len), 0, len);
	vrd_publish(&d->q, vrd_chain(&d->q, &seg, 1, slot));
	return buf;
}

static uint32_t wait_used(struct dev *d, uint16_t want_id)
{
	uint32_t id, len;

	while (!vrd_get_used(&d->q, &id, &len))
		usleep(100);
	CHECK_EQ(id, want_id);
	return len;
}

static void test_free(struct dev *d)
{
	enum { N = 65536 };
	unsigned int hist[256] = {0};
	gpa_t buf = post(d, 0, N, true);
	uint8_t *p;

	post(d, 1, 64, false); /* nothing the device may write */
	post(d, 2, 1u << 20, true);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(wait_used(d, 0), N);
	CHECK_EQ(wait_used(d, 1), 0);
	CHECK_EQ(wait_used(d, 2), VRNG_MAX_FILL);
	p = vrd_ptr(&d->q, buf, N);
	for (unsigned int i = 0; i < N; i++)
		hist[p[i]]++;
	/* 256 expected per value; 128..384 is > 8 sigma either way. */
	for (unsigned int v = 0; v < 256; v++)
		CHECK(hist[v] > 128 && hist[v] < 384);
	CHECK_EQ(vrng_bytes(d->r), N + VRNG_MAX_FILL);
}

static void test_limited(struct dev *d)
{
	enum { BUFS = 6, LEN = 4096 };
	double start = now_s();
	uint32_t got = 0;

	for (uint16_t i = 0; i < BUFS; i++)
		post(d, i, LEN, true);
	wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (uint16_t i = 0; i < BUFS; i++) {
		uint32_t len = wait_used(d, i);

		CHECK(len > 0 && len <= LEN); /* a partial fill is fine */
		got += len;
		/* The bucket (one second's worth) plus what accrued since. */
		CHECK(vrng_bytes(d->r) <=
		      RATE + (uint64_t)((now_s() - start) * RATE) + 1);
	}
	CHECK_EQ(vrng_bytes(d->r), got);
	CHECK(got > 2 * LEN); /* more than the bucket: it was refilled */
}

static void *guest(void *arg)
{
	(void)arg;
	init_dev(&T.free_dev, 16 * MiB);
	test_free(&T.free_dev);
	init_dev(&T.limited, 24 * MiB);
	test_limited(&T.limited);
	io_loop_stop(T.loop);
	return NULL;
}

static void add_dev(struct dev *d, unsigned int i, uint64_t rate)
{
	struct virtio_mmio_env env = {
	    .vm_fd = -1, .mem = &T.mem, .loop = T.loop, .mmio_bus = &T.bus};
	char err[128];

	d->base = LAYOUT_VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_WINDOW_SIZE;
	CHECK_EQ(vrng_create(&d->r, rate, &T.mem, T.loop, err, sizeof(err)), 0);
	CHECK_EQ(
	    virtio_mmio_create(&d->m, &env, vrng_dev(d->r), d->base, 16 + i),
	    0);
}

int main(void)
{
	pthread_t g;

	test_loop_kinds();
	CHECK_EQ(fake_mem_create(&T.mem, 64 * MiB), 0);
	CHECK_EQ(test_loop_create(&T.loop), 0);
	add_dev(&T.free_dev, 0, 0);
	add_dev(&T.limited, 1, RATE);
	pthread_create(&g, NULL, guest, NULL);
	CHECK_EQ(io_loop_run(T.loop), 0);
	pthread_join(g, NULL);
	for (struct dev *d = &T.free_dev; d <= &T.limited; d++) {
		virtio_mmio_destroy(d->m);
		vrng_destroy(d->r);
	}
	io_loop_destroy(T.loop);
	bus_destroy(&T.bus);
	fake_mem_destroy(&T.mem);
	return check_done("test_virtio_rng");
}
