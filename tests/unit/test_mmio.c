/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of virtio/mmio.c and virtio/device.c without KVM (vm_fd -1):
 * identification registers, feature negotiation, status rules, queue
 * register validation, config space bounds and generation, and a full
 * round trip: a "vCPU" thread writes QueueNotify, the loop thread runs the
 * fake device, which interrupts through the irqfd eventfd; InterruptStatus
 * and InterruptACK never lose or duplicate an interrupt; a malformed chain
 * sets DEVICE_NEEDS_RESET with a config interrupt, and reset recovers;
 * with the io loop polling, a driver that rings only when asked never
 * loses a request; a guest repeating a bad request makes a bounded number
 * of host log lines, counted per device; a device once started stays
 * "ever started" through the guest's reset at power-off.
 */
#include "virtio/mmio.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "arch/x86/layout.h"
#include "kvm/eventfd.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "base/bus.h"
#include "capture.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define BASE LAYOUT_VIRTIO_MMIO_BASE
#define QSZ  16

struct fake_dev {
	struct virtio_dev vd;
	uint8_t config[8];
	int activated, resets;
	unsigned int notified; /* queue_notify calls */
	unsigned int chains;   /* chains completed */
	bool on_loop;
};

static struct fake_dev *to_fake(struct virtio_dev *vd)
{
	return container_of(vd, struct fake_dev, vd);
}

static void fake_read_config(struct virtio_dev *vd, size_t off, void *buf,
			     size_t len)
{
	memcpy(buf, to_fake(vd)->config + off, len);
}

static void fake_write_config(struct virtio_dev *vd, size_t off,
			      const void *buf, size_t len)
{
	memcpy(to_fake(vd)->config + off, buf, len);
}

static int fake_activate(struct virtio_dev *vd)
{
	to_fake(vd)->activated++;
	return 0;
}

static void fake_reset(struct virtio_dev *vd)
{
	to_fake(vd)->resets++;
}

/* Fill every writable byte with 0xab, complete, interrupt. */
static void fake_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct fake_dev *f = to_fake(vd);
	struct iovec iov[QSZ];
	struct vq_chain c = {.iov = iov, .max = QSZ};
	bool pushed = false;

	f->notified++;
	f->on_loop = io_loop_on_thread(vd->loop);
	while (virtio_dev_pop(vd, q, &c) == 1) {
		for (unsigned int i = c.n_out; i < c.n_out + c.n_in; i++)
			memset(iov[i].iov_base, 0xab, iov[i].iov_len);
		vq_push(&vd->vqs[q], c.head, c.in_len);
		__atomic_fetch_add(&f->chains, 1, __ATOMIC_RELEASE);
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(vd, q);
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake",
    .device_id = 3,
    .features = 1ULL << 1,
    .num_queues = 2,
    .queue_size = QSZ,
    .config_size = sizeof(((struct fake_dev *)0)->config),
    .read_config = fake_read_config,
    .write_config = fake_write_config,
    .activate = fake_activate,
    .reset = fake_reset,
    .queue_notify = fake_queue_notify,
};

struct env {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct fake_dev dev;
	struct virtio_mmio *m;
	struct vring_driver d;
	int irq_fd;
	unsigned int kicks; /* doorbells the polled driver rang */
};

/* A register as the page shows it (what a guest reads without exits). */
static uint32_t page_rd(struct env *e, uint64_t off)
{
	const void *p = virtio_mmio_regs(e->m) + off;

	return __atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE);
}

/* Every register read also checks the page says the same. */
static uint32_t rd(struct env *e, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	CHECK(bus_dispatch(&e->bus, BASE + off, &v, 4, false));
	if (off < VIRTIO_MMIO_CONFIG)
		CHECK_EQ(page_rd(e, off), v);
	return v;
}

static void wr(struct env *e, uint64_t off, uint32_t v)
{
	CHECK(bus_dispatch(&e->bus, BASE + off, &v, 4, true));
}

/* Wait (like a halted vCPU) for an interrupt; returns the pulse count. */
static uint64_t wait_irq(struct env *e)
{
	struct pollfd p = {.fd = e->irq_fd, .events = POLLIN};

	CHECK_EQ(poll(&p, 1, 10000), 1);
	return (uint64_t)io_eventfd_drain(e->irq_fd);
}

static bool irq_pending(struct env *e)
{
	struct pollfd p = {.fd = e->irq_fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static void env_init(struct env *e)
{
	struct virtio_mmio_env me;

	memset(e, 0, sizeof(*e));
	CHECK_EQ(fake_mem_create(&e->mem, 16 * MiB), 0);
	CHECK_EQ(test_loop_create(&e->loop), 0);
	CHECK_EQ(virtio_dev_init(&e->dev.vd, &fake_ops, &e->mem, e->loop), 0);
	me = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &e->mem, .loop = e->loop, .mmio_bus = &e->bus};
	CHECK_EQ(virtio_mmio_create(&e->m, &me, &e->dev.vd, BASE, 16), 0);
	e->irq_fd = virtio_mmio_irq_fd(e->m);
	CHECK_EQ(vrd_init(&e->d, &e->mem, 0x100000, 4 * MiB, QSZ), 0);
}

static void env_fini(struct env *e)
{
	virtio_mmio_destroy(e->m);
	virtio_dev_uninit(&e->dev.vd);
	io_loop_destroy(e->loop);
	bus_destroy(&e->bus);
	fake_mem_destroy(&e->mem);
}

/* The driver's side of virtio 1.2, 3.1.1 up to FEATURES_OK. */
static void drv_features(struct env *e)
{
	wr(e, VIRTIO_MMIO_STATUS, 0);
	wr(e, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(e, VIRTIO_MMIO_STATUS,
	   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(e, VIRTIO_MMIO_DRIVER_FEATURES,
	   (1u << 1) | (1u << VIRTIO_RING_F_EVENT_IDX));
	wr(e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(e, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(e, VIRTIO_MMIO_STATUS, 0x3 | VIRTIO_CONFIG_S_FEATURES_OK);
}

static void drv_queue(struct env *e, unsigned int q)
{
	wr(e, VIRTIO_MMIO_QUEUE_SEL, q);
	CHECK_EQ(rd(e, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK_EQ(rd(e, VIRTIO_MMIO_QUEUE_NUM_MAX), QSZ);
	wr(e, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	wr(e, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)e->d.desc_gpa);
	wr(e, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(e->d.desc_gpa >> 32));
	wr(e, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)e->d.avail_gpa);
	wr(e, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	wr(e, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)e->d.used_gpa);
	wr(e, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	wr(e, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(e, VIRTIO_MMIO_QUEUE_READY), 1);
}

static void drv_start(struct env *e)
{
	drv_features(e);
	CHECK(rd(e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK);
	vrd_init(&e->d, &e->mem, 0x100000, 4 * MiB, QSZ);
	drv_queue(e, 0);
	wr(e, VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(e, VIRTIO_MMIO_STATUS), 0xf);
}

/* Identification, features, status and register validation. */
static void test_registers(void)
{
	struct env e;
	uint16_t half = 0;
	uint8_t cfg[8];

	env_init(&e);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_VERSION), 2);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_DEVICE_ID), 3);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	wr(&e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_DEVICE_FEATURES),
		 (1u << 1) | (1u << 28) | (1u << 29));
	wr(&e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_DEVICE_FEATURES), 1);
	wr(&e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* Registers are 32-bit only. */
	CHECK(bus_dispatch(&e.bus, BASE, &half, 2, false));
	CHECK_EQ(half, 0);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	/* A nonexistent queue. */
	wr(&e, VIRTIO_MMIO_QUEUE_SEL, 2);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(&e, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_QUEUE_READY), 0);

	/* Features the device did not offer: FEATURES_OK refused. */
	wr(&e, VIRTIO_MMIO_STATUS, 3);
	wr(&e, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(&e, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 5);
	wr(&e, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_STATUS), 3);
	/* Without VERSION_1, too. */
	wr(&e, VIRTIO_MMIO_DRIVER_FEATURES, 1u << 1);
	wr(&e, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_FEATURES_OK);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_STATUS), 3);
	/* Clearing bits is not a reset. */
	wr(&e, VIRTIO_MMIO_STATUS, 1);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_STATUS), 3);

	/* Config space: inside, straddling the end, generation. */
	memcpy(e.dev.config, "ABCDEFGH", 8);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_CONFIG + 4), 0x48474645);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_CONFIG + 6), 0);
	CHECK(
	    bus_dispatch(&e.bus, BASE + VIRTIO_MMIO_CONFIG + 7, cfg, 1, false));
	CHECK_EQ(cfg[0], 'H');
	wr(&e, VIRTIO_MMIO_CONFIG, 0x31323334);
	CHECK(!memcmp(e.dev.config, "4321", 4));
	CHECK_EQ(rd(&e, VIRTIO_MMIO_CONFIG_GENERATION), 0);
	pthread_mutex_lock(&e.dev.vd.lock);
	virtio_dev_config_changed(&e.dev.vd);
	pthread_mutex_unlock(&e.dev.vd.lock);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_CONFIG_GENERATION), 1);
	CHECK(!irq_pending(&e)); /* not DRIVER_OK: no interrupt */

	/* Queue registers: sizes, addresses, ready. */
	drv_features(&e);
	wr(&e, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&e, VIRTIO_MMIO_QUEUE_NUM, 6);
	CHECK(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	drv_features(&e);
	CHECK(!(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET));
	wr(&e, VIRTIO_MMIO_QUEUE_NUM, 2 * QSZ);
	CHECK(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	drv_features(&e);
	/* A ring outside RAM: QueueReady refused, NEEDS_RESET. */
	wr(&e, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	wr(&e, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	wr(&e, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x10);
	wr(&e, VIRTIO_MMIO_QUEUE_READY, 1);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_QUEUE_READY), 0);
	CHECK(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* DRIVER_OK without FEATURES_OK. */
	wr(&e, VIRTIO_MMIO_STATUS, 0);
	wr(&e, VIRTIO_MMIO_STATUS, 3);
	wr(&e, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK(!(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK));
	CHECK_EQ(e.dev.activated, 0);
	/* A good start; address writes to a ready queue are ignored. */
	drv_start(&e);
	CHECK_EQ(e.dev.activated, 1);
	CHECK_EQ(e.dev.vd.vqs[0].event_idx, 1);
	wr(&e, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(&e, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	CHECK_EQ(e.dev.vd.vqs[0].desc_gpa, e.d.desc_gpa);
	/* A second device window may not overlap. */
	{
		struct virtio_mmio *m2;
		struct virtio_mmio_env me = {.vm_fd = -1,
					     .mem = &e.mem,
					     .loop = e.loop,
					     .mmio_bus = &e.bus};

		CHECK_EQ(
		    virtio_mmio_create(&m2, &me, &e.dev.vd, BASE + 0x800, 17),
		    -EEXIST);
	}
	env_fini(&e);
}

/* ---- the round trip, with a vCPU thread and the loop -------------- */

/* The loop thread completes chains; wait until it did @n in all. */
static void wait_chains(struct env *e, unsigned int n)
{
	while (__atomic_load_n(&e->dev.chains, __ATOMIC_ACQUIRE) < n)
		usleep(100);
}

static void *vcpu_thread(void *arg)
{
	int resets;
	struct env *e = arg;
	struct vrd_seg s;
	uint32_t id, len;
	gpa_t buf;
	uint8_t *p;

	drv_start(e);
	buf = vrd_alloc(&e->d, 64);
	p = vrd_ptr(&e->d, buf, 64);
	s = (struct vrd_seg){buf, 64, true};

	/* One chain, one doorbell, one interrupt. */
	vrd_set_used_event(&e->d, 0);
	vrd_publish(&e->d, vrd_chain(&e->d, &s, 1, 0));
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(wait_irq(e), 1);
	CHECK_EQ(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(vrd_get_used(&e->d, &id, &len), 1);
	CHECK_EQ(len, 64);
	CHECK_EQ(p[63], 0xab);

	/*
	 * Not acknowledged yet: the next completion sets no new bit, so no
	 * second pulse; the driver sees it after its ACK.
	 */
	vrd_set_used_event(&e->d, 1);
	vrd_publish(&e->d, vrd_chain(&e->d, &s, 1, 1));
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_chains(e, 2);
	CHECK(!irq_pending(e));
	wr(e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(vrd_get_used(&e->d, &id, &len), 1);

	/* Acknowledged: the next completion pulses again. */
	vrd_set_used_event(&e->d, 2);
	vrd_publish(&e->d, vrd_chain(&e->d, &s, 1, 2));
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(wait_irq(e), 1);
	wr(e, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CHECK_EQ(vrd_get_used(&e->d, &id, &len), 1);

	/* EVENT_IDX suppression: used_event far away, no interrupt. */
	vrd_set_used_event(&e->d, 100);
	vrd_publish(&e->d, vrd_chain(&e->d, &s, 1, 3));
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wait_chains(e, 4);
	CHECK(!irq_pending(e));
	CHECK_EQ(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(vrd_get_used(&e->d, &id, &len), 1);

	/* Doorbells for a nonexistent queue are ignored. */
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 9);

	/* A looping chain: NEEDS_RESET and a config interrupt. */
	vrd_desc(&e->d, 4, buf, 4, VRING_DESC_F_NEXT, 5);
	vrd_desc(&e->d, 5, buf, 4, VRING_DESC_F_NEXT, 4);
	vrd_publish(&e->d, 4);
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CHECK_EQ(wait_irq(e), 1);
	CHECK(rd(e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK_EQ(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	CHECK_EQ(rd(e, VIRTIO_MMIO_CONFIG_GENERATION), 1);
	/* Further doorbells do nothing. */
	vrd_publish(&e->d, vrd_chain(&e->d, &s, 1, 6));
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

	/* Reset recovers; the device works again from scratch. */
	resets = e->dev.resets;
	wr(e, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(e, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	CHECK_EQ(e->dev.resets, resets + 1);
	CHECK(!e->dev.vd.vqs[0].ready);
	drv_start(e);
	vrd_set_used_event(&e->d, 0);
	vrd_publish(&e->d, vrd_chain(&e->d, &s, 1, 0));
	wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	(void)io_eventfd_drain(e->irq_fd);
	wait_chains(e, 5);
	CHECK_EQ(vrd_get_used(&e->d, &id, &len), 1);
	CHECK_EQ(rd(e, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	io_loop_stop(e->loop);
	return NULL;
}

static void test_round_trip(void)
{
	struct env e;
	pthread_t t;

	env_init(&e);
	pthread_create(&t, NULL, vcpu_thread, &e);
	CHECK_EQ(io_loop_run(e.loop), 0);
	pthread_join(t, NULL);
	CHECK(e.dev.on_loop);
	CHECK_EQ(e.dev.chains, 5);
	env_fini(&e);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Spin until @n chains completed; false after 10 s (a lost wake-up). */
static bool spin_chains(struct env *e, unsigned int n)
{
	uint64_t end = now_ns() + 10000000000ULL;

	while (__atomic_load_n(&e->dev.chains, __ATOMIC_ACQUIRE) < n)
		if (now_ns() > end)
			return false;
	return true;
}

#define POLLED_ROUNDS 6000

/*
 * The driver's barrier between publishing avail->idx and reading the
 * device's avail_event (virtio 1.2, 2.7.10): a SEQ_CST store of the
 * index, then a SEQ_CST load.
 */
static uint16_t drv_avail_event(struct env *e)
{
	uint16_t *ev =
	    vrd_ptr(&e->d, e->d.used_gpa + vq_used_bytes(QSZ) - 2, 2);

	__atomic_store_n(&e->d.avail->idx, e->d.avail_idx, __ATOMIC_SEQ_CST);
	return __atomic_load_n(ev, __ATOMIC_SEQ_CST);
}

/*
 * A driver that kicks only when avail_event asks (virtio 1.2, 2.7.10)
 * against the transport's poller: each request must complete, whether the
 * poller finds it, the re-check before the loop sleeps does, or the
 * doorbell does. Pauses of 0-127 us between requests make the loop's
 * bound grow, expire and shrink; a reset halfway re-wires the queue.
 */
static void *polled_vcpu_thread(void *arg)
{
	struct env *e = arg;
	struct vrd_seg s;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	unsigned int done = 0;
	uint32_t id, len;

	drv_start(e);
	s = (struct vrd_seg){vrd_alloc(&e->d, 64), 64, true};
	for (unsigned int i = 0; i < POLLED_ROUNDS; i++) {
		uint16_t old = e->d.avail_idx;
		uint64_t until;

		if (i == POLLED_ROUNDS / 2) {
			wr(e, VIRTIO_MMIO_STATUS, 0);
			drv_start(e);
			s = (struct vrd_seg){vrd_alloc(&e->d, 64), 64, true};
		}
		vrd_publish(&e->d,
			    vrd_chain(&e->d, &s, 1, (uint16_t)(i % QSZ)));
		if (vring_need_event(drv_avail_event(e), e->d.avail_idx, old)) {
			wr(e, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
			e->kicks++;
		}
		if (!spin_chains(e, i + 1))
			break;
		done += vrd_get_used(&e->d, &id, &len) == 1;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		until = now_ns() + (x & 127) * 1000;
		while ((x & 3) && now_ns() < until)
			;
	}
	CHECK_EQ(done, POLLED_ROUNDS);
	io_loop_stop(e->loop);
	return NULL;
}

static void test_polled_round_trips(void)
{
	struct io_loop_poll_stats st;
	struct env e;
	pthread_t t;

	env_init(&e);
	CHECK_EQ(io_loop_set_polling(e.loop, 50000), 0);
	pthread_create(&t, NULL, polled_vcpu_thread, &e);
	CHECK_EQ(io_loop_run(e.loop), 0);
	pthread_join(t, NULL);
	CHECK_EQ(e.dev.chains, POLLED_ROUNDS);
	io_loop_poll_stats(e.loop, &st);
	/* Printed, not checked: the split depends on timing. */
	printf("polled round trips: %u doorbells, %llu found by polling, "
	       "%llu windows (%llu expired), %llu sleeps\n",
	       e.kicks, (unsigned long long)virtio_mmio_poll_kicks(e.m),
	       (unsigned long long)st.windows, (unsigned long long)st.expired,
	       (unsigned long long)st.sleeps);
	/* The loop stopped its poller: doorbells are asked for again. */
	CHECK(!e.dev.vd.vqs[0].polled);
	env_fini(&e);
}

/*
 * "Did the guest ever start the device" survives the reset a guest does
 * when it powers off (vm/attach.c's hint for kernels without virtio
 * depends on it); a refused DRIVER_OK is no start.
 */
static void test_ever_started(void)
{
	struct env e;

	env_init(&e);
	CHECK(!virtio_dev_ever_started(&e.dev.vd));
	wr(&e, VIRTIO_MMIO_STATUS, 3);
	wr(&e, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_DRIVER_OK);
	CHECK(!(rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK));
	CHECK(!virtio_dev_ever_started(&e.dev.vd));
	drv_features(&e);
	CHECK(!virtio_dev_ever_started(&e.dev.vd));
	drv_start(&e);
	CHECK(virtio_dev_ever_started(&e.dev.vd));
	/* The guest powers off: it resets the device first. */
	wr(&e, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(&e, VIRTIO_MMIO_STATUS), 0);
	CHECK(virtio_dev_ever_started(&e.dev.vd));
	env_fini(&e);
}

/* The guest's bad request: DRIVER_OK without FEATURES_OK (2 warnings). */
static void bad_start(struct env *e)
{
	wr(e, VIRTIO_MMIO_STATUS, 0);
	wr(e, VIRTIO_MMIO_STATUS, 3);
	wr(e, VIRTIO_MMIO_STATUS, 3 | VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * 1000 bad requests print one burst of lines, not 1000 lines; a second
 * device (another VM's) still gets its own; the next line let through says
 * how many were held back. The limiters' intervals are made endless so
 * that the counts do not depend on how fast this runs.
 */
static void test_warnings_ratelimited(void)
{
	static struct env a, b;
	char *out;

	env_init(&a);
	env_init(&b);
	log_ratelimit_init(&a.dev.vd.warn_rl, LOG_RATELIMIT_BURST, UINT64_MAX);
	log_ratelimit_init(&b.dev.vd.warn_rl, LOG_RATELIMIT_BURST, UINT64_MAX);
	capture_begin();
	for (int i = 0; i < 1000; i++)
		bad_start(&a);
	bad_start(&b);
	a.dev.vd.warn_rl.started = false; /* as if the interval had ended */
	bad_start(&a);
	out = capture_end();
	CHECK(out != NULL);
	/* 10 of a's first 2000, b's 2, a's 2 after the interval. */
	CHECK_EQ(capture_count(out, "vmm: warning: "), LOG_RATELIMIT_BURST + 4);
	CHECK_EQ(capture_count(out, "(1990 more suppressed)"), 1);
	free(out);
	env_fini(&a);
	env_fini(&b);
}

/*
 * The register page against reads through the bus, at every offset: after
 * the driver's writes, a device-side config change and DEVICE_NEEDS_RESET.
 */
static void check_page(struct env *e)
{
	uint8_t cfg[sizeof(e->dev.config)];

	for (uint64_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4)
		(void)rd(e, off);
	CHECK(bus_dispatch(&e->bus, BASE + VIRTIO_MMIO_CONFIG, cfg, sizeof(cfg),
			   false));
	CHECK(!memcmp(virtio_mmio_regs(e->m) + VIRTIO_MMIO_CONFIG, cfg,
		      sizeof(cfg)));
}

static void test_register_page(void)
{
	struct env e;
	uint32_t gen;

	env_init(&e);
	CHECK(!virtio_mmio_regs_mapped(e.m)); /* no KVM here */
	check_page(&e);
	wr(&e, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	check_page(&e);
	drv_start(&e);
	wr(&e, VIRTIO_MMIO_QUEUE_SEL, 1);
	check_page(&e);
	wr(&e, VIRTIO_MMIO_QUEUE_SEL, 0);
	check_page(&e);
	/* The device changes its config: new bytes, a new generation. */
	gen = page_rd(&e, VIRTIO_MMIO_CONFIG_GENERATION);
	pthread_mutex_lock(&e.dev.vd.lock);
	memcpy(e.dev.config, "changed", 8);
	virtio_dev_config_changed(&e.dev.vd);
	pthread_mutex_unlock(&e.dev.vd.lock);
	CHECK(page_rd(&e, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
	CHECK(
	    !memcmp(virtio_mmio_regs(e.m) + VIRTIO_MMIO_CONFIG, "changed", 8));
	CHECK(wait_irq(&e) >= 1);
	CHECK_EQ(page_rd(&e, VIRTIO_MMIO_INTERRUPT_STATUS), 2);
	check_page(&e);
	wr(&e, VIRTIO_MMIO_INTERRUPT_ACK, 2);
	CHECK_EQ(page_rd(&e, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* The device breaks: the status the driver reads says so. */
	pthread_mutex_lock(&e.dev.vd.lock);
	virtio_dev_set_needs_reset(&e.dev.vd);
	pthread_mutex_unlock(&e.dev.vd.lock);
	CHECK(page_rd(&e, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	check_page(&e);
	/* A reset leaves the page as a new device's. */
	wr(&e, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(page_rd(&e, VIRTIO_MMIO_STATUS), 0);
	CHECK_EQ(page_rd(&e, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	check_page(&e);
	env_fini(&e);
}

int main(void)
{
	test_loop_kinds();
	alarm(60);
	test_registers();
	test_register_page();
	test_ever_started();
	test_warnings_ratelimited();
	test_round_trip();
	test_polled_round_trips();
	return check_done("test_mmio");
}
