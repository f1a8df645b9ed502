/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of virtio/virtqueue.c against the fake guest driver: chains
 * in both directions, index wrap at 65535, indirect tables, EVENT_IDX and
 * flag-based suppression in both directions, zero-length and maximal
 * chains, and every kind of malformed ring (loops, out-of-range indices
 * and addresses, overflow, avail index running ahead, bad indirect tables,
 * misordered segments, bad ring configuration); doorbell suppression by a
 * device that polls (EVENT_IDX and NO_NOTIFY), and its re-enabling without
 * a lost wake-up.
 */
#include "virtio/virtqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include "base/mem.h"
#include "check.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define RAM (16 * MiB)
#define QSZ 8

struct fixture {
	struct mem mem;
	struct vring_driver d;
	struct virtqueue vq;
	struct iovec iov[VQ_SIZE_LIMIT];
	struct vq_chain chain;
};

static struct fixture *fx_new(unsigned int size, bool event_idx, bool indirect)
{
	struct fixture *f = calloc(1, sizeof(*f));

	CHECK_EQ(fake_mem_create(&f->mem, RAM), 0);
	CHECK_EQ(vrd_init(&f->d, &f->mem, 0x10000, 8 * MiB, size), 0);
	f->vq.max_size = VQ_SIZE_LIMIT;
	vq_reset(&f->vq);
	vrd_configure(&f->d, &f->vq);
	CHECK_EQ(vq_enable(&f->vq, &f->mem, event_idx, indirect), 0);
	f->chain = (struct vq_chain){.iov = f->iov, .max = size};
	return f;
}

static void fx_free(struct fixture *f)
{
	fake_mem_destroy(&f->mem);
	free(f);
}

static void test_basic(void)
{
	struct fixture *f = fx_new(QSZ, false, false);
	gpa_t a = vrd_alloc(&f->d, 100), b = vrd_alloc(&f->d, 200);
	struct vrd_seg segs[] = {{a, 100, false}, {b, 200, true}};
	uint32_t id, len;

	CHECK(!vq_has_avail(&f->vq));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 0);
	vrd_publish(&f->d, vrd_chain(&f->d, segs, 2, 3));
	CHECK(vq_has_avail(&f->vq));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(f->chain.head, 3);
	CHECK_EQ(f->chain.n_out, 1);
	CHECK_EQ(f->chain.n_in, 1);
	CHECK_EQ(f->chain.out_len, 100);
	CHECK_EQ(f->chain.in_len, 200);
	CHECK(f->iov[0].iov_base == vrd_ptr(&f->d, a, 100));
	CHECK(f->iov[1].iov_base == vrd_ptr(&f->d, b, 200));
	CHECK_EQ(vrd_get_used(&f->d, &id, &len), 0);
	vq_push(&f->vq, f->chain.head, 42);
	CHECK_EQ(vrd_get_used(&f->d, &id, &len), 1);
	CHECK_EQ(id, 3);
	CHECK_EQ(len, 42);
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 0);
	fx_free(f);
}

/* 70000 chains through a queue of 4: both 16-bit indices wrap. */
static void test_wrap(void)
{
	struct fixture *f = fx_new(4, true, false);
	gpa_t buf = vrd_alloc(&f->d, 64);
	unsigned int bad = 0;

	for (unsigned int i = 0; i < 70000; i++) {
		struct vrd_seg s = {buf, (uint32_t)(i % 64), i & 1};
		uint16_t slot = (uint16_t)(i % 4);
		uint32_t id = 0, len = 0;

		vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, slot));
		if (vq_pop(&f->vq, &f->chain) != 1 || f->chain.head != slot)
			bad++;
		vq_push(&f->vq, f->chain.head, i);
		if (vrd_get_used(&f->d, &id, &len) != 1 || id != slot ||
		    len != i)
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(f->vq.last_avail, (uint16_t)70000);
	CHECK_EQ(f->vq.used_idx, (uint16_t)70000);
	CHECK(!f->vq.broken);
	fx_free(f);
}

/* Several chains in flight, completed out of order. */
static void test_batch(void)
{
	struct fixture *f = fx_new(QSZ, false, false);
	gpa_t buf = vrd_alloc(&f->d, 16);
	struct vrd_seg s = {buf, 16, true};
	uint32_t id, len;
	uint16_t heads[QSZ];

	for (unsigned int i = 0; i < QSZ; i++)
		vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, (uint16_t)i));
	for (unsigned int i = 0; i < QSZ; i++) {
		CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
		heads[i] = f->chain.head;
	}
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 0);
	for (int i = QSZ - 1; i >= 0; i--)
		vq_push(&f->vq, heads[i], (uint32_t)i);
	for (int i = QSZ - 1; i >= 0; i--) {
		CHECK_EQ(vrd_get_used(&f->d, &id, &len), 1);
		CHECK_EQ(id, heads[i]);
	}
	fx_free(f);
}

static void test_indirect(void)
{
	struct fixture *f = fx_new(QSZ, false, true);
	gpa_t a = vrd_alloc(&f->d, 10), b = vrd_alloc(&f->d, 20),
	      c = vrd_alloc(&f->d, 30);
	struct vrd_seg segs[] = {
	    {a, 10, false},
	    {b, 20, false},
	    {c, 30, true},
	};

	vrd_publish(&f->d, vrd_indirect(&f->d, segs, 3, 5));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(f->chain.head, 5);
	CHECK_EQ(f->chain.n_out, 2);
	CHECK_EQ(f->chain.n_in, 1);
	CHECK_EQ(f->chain.out_len, 30);
	CHECK_EQ(f->chain.in_len, 30);
	CHECK(f->iov[2].iov_base == vrd_ptr(&f->d, c, 30));
	fx_free(f);

	/* Not negotiated: a violation. */
	f = fx_new(QSZ, false, false);
	vrd_publish(&f->d, vrd_indirect(&f->d, segs, 3, 0));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), -EINVAL);
	CHECK(f->vq.broken);
	fx_free(f);
}

/* A maximal indirect table (chain->max entries) and one entry more. */
static void test_indirect_limits(void)
{
	struct fixture *f = fx_new(QSZ, false, true);
	struct vrd_seg segs[QSZ + 1];
	gpa_t buf = vrd_alloc(&f->d, 8);

	for (unsigned int i = 0; i <= QSZ; i++)
		segs[i] = (struct vrd_seg){buf, 8, i >= QSZ / 2};
	vrd_publish(&f->d, vrd_indirect(&f->d, segs, QSZ, 0));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(f->chain.n_out + f->chain.n_in, QSZ);
	vrd_publish(&f->d, vrd_indirect(&f->d, segs, QSZ + 1, 1));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), -EINVAL);
	fx_free(f);
}

/* Each hostile indirect form on a fresh queue. */
static void test_indirect_hostile(void)
{
	static const int kinds = 5;

	for (int k = 0; k < kinds; k++) {
		struct fixture *f = fx_new(QSZ, false, true);
		gpa_t buf = vrd_alloc(&f->d, 8);
		struct vrd_seg s = {buf, 8, false};
		struct vring_desc *t;
		gpa_t tg;

		switch (k) {
		case 0: /* indirect with NEXT */
			vrd_indirect(&f->d, &s, 1, 0);
			f->d.desc[0].flags |= VRING_DESC_F_NEXT;
			break;
		case 1: /* length not a multiple of 16 */
			vrd_indirect(&f->d, &s, 1, 0);
			f->d.desc[0].len = 24;
			break;
		case 2: /* nested indirect */
			tg = vrd_alloc(&f->d, 16);
			t = vrd_ptr(&f->d, tg, 16);
			t->addr = tg;
			t->len = 16;
			t->flags = VRING_DESC_F_INDIRECT;
			vrd_desc(&f->d, 0, tg, 16, VRING_DESC_F_INDIRECT, 0);
			break;
		case 3: /* table outside RAM */
			vrd_desc(&f->d, 0, RAM - 8, 16, VRING_DESC_F_INDIRECT,
				 0);
			break;
		case 4: /* indirect after a direct descriptor */
			vrd_desc(&f->d, 0, buf, 8, VRING_DESC_F_NEXT, 1);
			vrd_indirect(&f->d, &s, 1, 1);
			break;
		}
		vrd_publish(&f->d, 0);
		CHECK_EQ(vq_pop(&f->vq, &f->chain), -EINVAL);
		CHECK(f->vq.broken);
		/* Broken stays broken: no more work, no used entries. */
		CHECK_EQ(vq_pop(&f->vq, &f->chain), -EIO);
		vq_push(&f->vq, 0, 0);
		CHECK_EQ(f->vq.used_idx, 0);
		fx_free(f);
	}
}

/* Zero-length segments and a chain as long as the queue. */
static void test_zero_and_maximal(void)
{
	struct fixture *f = fx_new(QSZ, false, false);
	struct vrd_seg z = {0, 0, false}, segs[QSZ];
	gpa_t buf = vrd_alloc(&f->d, 4);

	vrd_publish(&f->d, vrd_chain(&f->d, &z, 1, 0));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(f->chain.n_out, 1);
	CHECK_EQ(f->chain.out_len, 0);
	CHECK(f->iov[0].iov_base == NULL);
	vq_push(&f->vq, f->chain.head, 0);
	for (unsigned int i = 0; i < QSZ; i++)
		segs[i] = (struct vrd_seg){buf, 4, i >= 3};
	/* Starts at slot 5: the chain wraps around the table. */
	vrd_publish(&f->d, vrd_chain(&f->d, segs, QSZ, 5));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(f->chain.n_out, 3);
	CHECK_EQ(f->chain.n_in, QSZ - 3);
	CHECK(!f->vq.broken);
	fx_free(f);
}

/* Direct-table violations, one fresh queue each. */
static void test_hostile(void)
{
	static const int kinds = 9;

	for (int k = 0; k < kinds; k++) {
		struct fixture *f = fx_new(QSZ, false, false);
		gpa_t buf = vrd_alloc(&f->d, 16);

		switch (k) {
		case 0: /* loop 0 -> 1 -> 0 */
			vrd_desc(&f->d, 0, buf, 4, VRING_DESC_F_NEXT, 1);
			vrd_desc(&f->d, 1, buf, 4, VRING_DESC_F_NEXT, 0);
			vrd_publish(&f->d, 0);
			break;
		case 1: /* self loop */
			vrd_desc(&f->d, 2, buf, 4, VRING_DESC_F_NEXT, 2);
			vrd_publish(&f->d, 2);
			break;
		case 2: /* next out of range */
			vrd_desc(&f->d, 0, buf, 4, VRING_DESC_F_NEXT, QSZ);
			vrd_publish(&f->d, 0);
			break;
		case 3: /* head out of range */
			vrd_publish(&f->d, QSZ + 3);
			break;
		case 4: /* buffer beyond RAM */
			vrd_desc(&f->d, 0, RAM - 2, 4, 0, 0);
			vrd_publish(&f->d, 0);
			break;
		case 5: /* address + length wraps around 2^64 */
			vrd_desc(&f->d, 0, ~0ULL - 8, 0x100, 0, 0);
			vrd_publish(&f->d, 0);
			break;
		case 6: /* readable after writable */
			vrd_desc(&f->d, 0, buf, 4,
				 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
			vrd_desc(&f->d, 1, buf, 4, 0, 0);
			vrd_publish(&f->d, 0);
			break;
		case 7: /* avail index ahead by more than the size */
			vrd_set_avail_idx(&f->d, QSZ + 1);
			break;
		case 8: /* ... also when it is "behind" (mod 2^16) */
			vrd_set_avail_idx(&f->d, 0xffff);
			break;
		}
		CHECK_EQ(vq_pop(&f->vq, &f->chain), -EINVAL);
		CHECK(f->vq.broken);
		CHECK(!vq_has_avail(&f->vq));
		/* A reset and a fresh enable recover the queue. */
		vq_reset(&f->vq);
		CHECK(!f->vq.broken);
		fx_free(f);
	}
}

/* The avail index running ahead by exactly the size is fine. */
static void test_full_ring(void)
{
	struct fixture *f = fx_new(QSZ, false, false);
	gpa_t buf = vrd_alloc(&f->d, 4);
	struct vrd_seg s = {buf, 4, true};

	for (unsigned int i = 0; i < QSZ; i++)
		vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, (uint16_t)i));
	for (unsigned int i = 0; i < QSZ; i++)
		CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK(!f->vq.broken);
	fx_free(f);
}

/* 2 x 2.25 GiB writable: the 32-bit used length would overflow. */
static void test_len_overflow(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint64_t ram = 0x98000000ULL;

	if (fake_mem_create(&f->mem, ram)) {
		free(f);
		return; /* no address space for it: nothing to check */
	}
	CHECK_EQ(vrd_init(&f->d, &f->mem, 0x10000, MiB, QSZ), 0);
	f->vq.max_size = QSZ;
	vq_reset(&f->vq);
	vrd_configure(&f->d, &f->vq);
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), 0);
	f->chain = (struct vq_chain){.iov = f->iov, .max = QSZ};
	vrd_desc(&f->d, 0, MiB, 0x90000000,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	vrd_desc(&f->d, 1, MiB, 0x90000000, VRING_DESC_F_WRITE, 0);
	vrd_publish(&f->d, 0);
	CHECK_EQ(vq_pop(&f->vq, &f->chain), -EINVAL);
	fx_free(f);
}

static void test_bad_config(void)
{
	struct fixture *f = fx_new(QSZ, false, false);

	vq_reset(&f->vq);
	vrd_configure(&f->d, &f->vq);
	f->vq.size = 6;
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), -EINVAL);
	CHECK(!f->vq.ready);
	f->vq.size = 0;
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), -EINVAL);
	vrd_configure(&f->d, &f->vq);
	f->vq.desc_gpa += 8;
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), -EINVAL);
	vrd_configure(&f->d, &f->vq);
	f->vq.used_gpa += 2;
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), -EINVAL);
	vrd_configure(&f->d, &f->vq);
	f->vq.used_gpa = RAM - 16;
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), -EINVAL);
	vrd_configure(&f->d, &f->vq);
	f->vq.avail_gpa = 0xfffffffffffffff0ULL;
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), -EINVAL);
	CHECK(!f->vq.ready);
	CHECK_EQ(vq_pop(&f->vq, &f->chain), -EIO);
	vrd_configure(&f->d, &f->vq);
	CHECK_EQ(vq_enable(&f->vq, &f->mem, false, false), 0);
	CHECK(f->vq.ready);
	fx_free(f);
}

/* Device -> driver suppression with EVENT_IDX (used_event). */
static void test_event_idx_interrupts(void)
{
	struct fixture *f = fx_new(QSZ, true, false);
	gpa_t buf = vrd_alloc(&f->d, 4);
	struct vrd_seg s = {buf, 4, true};
	bool notes[6];

	/* used_event = 2: interrupt when used idx passes 2 (3rd chain). */
	vrd_set_used_event(&f->d, 2);
	for (unsigned int i = 0; i < 6; i++) {
		vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, (uint16_t)i));
		CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
		vq_push(&f->vq, f->chain.head, 4);
		notes[i] = vq_should_notify(&f->vq);
	}
	CHECK(notes[0]); /* the first one always notifies */
	CHECK(!notes[1]);
	CHECK(notes[2]); /* used idx went 2 -> 3 */
	CHECK(!notes[3]);
	CHECK(!notes[4]);
	CHECK(!notes[5]);
	/* A batch that crosses used_event notifies once. */
	vrd_set_used_event(&f->d, 7);
	for (unsigned int i = 0; i < 3; i++) {
		vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, (uint16_t)i));
		CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
		vq_push(&f->vq, f->chain.head, 4);
	}
	CHECK(vq_should_notify(&f->vq));
	CHECK(!vq_should_notify(&f->vq)); /* nothing new since */
	fx_free(f);
}

/* Without EVENT_IDX: VRING_AVAIL_F_NO_INTERRUPT. */
static void test_flag_interrupts(void)
{
	struct fixture *f = fx_new(QSZ, false, false);

	CHECK(vq_should_notify(&f->vq));
	vrd_set_no_interrupt(&f->d, true);
	CHECK(!vq_should_notify(&f->vq));
	vrd_set_no_interrupt(&f->d, false);
	CHECK(vq_should_notify(&f->vq));
	fx_free(f);
}

/* Driver -> device suppression: avail_event and NO_NOTIFY. */
static void test_kick_suppression(void)
{
	struct fixture *f = fx_new(QSZ, true, false);
	gpa_t buf = vrd_alloc(&f->d, 4);
	struct vrd_seg s = {buf, 4, false};

	CHECK(!vq_enable_notify(&f->vq));
	CHECK_EQ(vrd_avail_event(&f->d), 0);
	vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, 0));
	vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, 1));
	/* Work arrived: enable_notify says "keep going". */
	CHECK(vq_enable_notify(&f->vq));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK(!vq_enable_notify(&f->vq));
	CHECK_EQ(vrd_avail_event(&f->d), 2);
	/*
	 * Popping alone keeps asking for the next doorbell: a driver that
	 * follows avail_event must kick for chain 3 after the ring ran dry,
	 * even if the device never calls vq_enable_notify().
	 */
	vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, 2));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 0);
	CHECK_EQ(vrd_avail_event(&f->d), 3);
	CHECK(vring_need_event(vrd_avail_event(&f->d), 4, 3));
	fx_free(f);

	f = fx_new(QSZ, false, false);
	vq_disable_notify(&f->vq);
	CHECK(vrd_no_notify(&f->d));
	CHECK(!vq_enable_notify(&f->vq));
	CHECK(!vrd_no_notify(&f->d));
	fx_free(f);
}

/*
 * The driver's side of virtio 1.2, 2.7.10: publish one chain, then decide
 * about the doorbell from the device's suppression state. The "old" index
 * is the one before this chain (a driver that kicks per chain).
 */
static bool drv_publish(struct fixture *f, const struct vrd_seg *s,
			uint16_t slot)
{
	uint16_t old = f->d.avail_idx;

	/* One thread plays both sides here: no barrier needed. */
	vrd_publish(&f->d, vrd_chain(&f->d, s, 1, slot));
	if (f->vq.event_idx)
		return vring_need_event(vrd_avail_event(&f->d), f->d.avail_idx,
					old);
	return !vrd_no_notify(&f->d);
}

/* Pop and complete everything available; how many. */
static unsigned int dev_drain(struct fixture *f)
{
	unsigned int n = 0;

	while (vq_pop(&f->vq, &f->chain) == 1) {
		vq_push(&f->vq, f->chain.head, 0);
		n++;
	}
	return n;
}

/*
 * vq_disable_notify() with EVENT_IDX: popping no
 * longer re-arms avail_event, so a polling device gets no doorbells until
 * it asks again.
 */
static void test_disable_event_idx(void)
{
	struct fixture *f = fx_new(QSZ, true, false);
	struct vrd_seg s = {vrd_alloc(&f->d, 4), 4, false};
	unsigned int kicks = 0;

	vq_disable_notify(&f->vq);
	for (unsigned int i = 0; i < 100; i++) {
		kicks += drv_publish(f, &s, (uint16_t)(i % QSZ));
		CHECK_EQ(dev_drain(f), 1);
	}
	CHECK_EQ(kicks, 0);
	/* Work waiting when the device asks again: keep going. */
	CHECK(!drv_publish(f, &s, 0));
	CHECK(vq_enable_notify(&f->vq));
	CHECK_EQ(dev_drain(f), 1);
	CHECK(!vq_enable_notify(&f->vq));
	CHECK(drv_publish(f, &s, 1)); /* doorbells are back */
	CHECK_EQ(dev_drain(f), 1);
	CHECK(drv_publish(f, &s, 2));
	fx_free(f);
}

/*
 * A polled queue: no doorbells across 70000 chains (both indices wrap,
 * avail_event is re-parked on the way), whatever the device asks
 * meanwhile; vq_poll_stop() brings back what the device asked for.
 */
static void test_poll_suppression(bool event_idx)
{
	struct fixture *f = fx_new(4, event_idx, false);
	struct vrd_seg s = {vrd_alloc(&f->d, 4), 4, false};
	unsigned int kicks = 0, lost = 0;

	vq_poll_start(&f->vq);
	for (unsigned int i = 0; i < 70000; i++) {
		kicks += drv_publish(f, &s, (uint16_t)(i % 4));
		if (dev_drain(f) != 1)
			lost++;
		/* A device that asks for doorbells when its ring is dry. */
		if (i % 3 == 0)
			CHECK(!vq_enable_notify(&f->vq));
	}
	CHECK_EQ(kicks, 0);
	CHECK_EQ(lost, 0);
	/* Published while polled, before the stop: the look sees it. */
	CHECK(!drv_publish(f, &s, 0));
	vq_poll_stop(&f->vq);
	CHECK(vq_has_avail(&f->vq));
	CHECK_EQ(dev_drain(f), 1);
	/* After the stop the device asked for doorbells: they ring. */
	CHECK(drv_publish(f, &s, 1));
	CHECK_EQ(dev_drain(f), 1);
	/* A device that said no keeps its no across a polling phase. */
	vq_disable_notify(&f->vq);
	vq_poll_start(&f->vq);
	CHECK(!drv_publish(f, &s, 2));
	CHECK_EQ(dev_drain(f), 1);
	vq_poll_stop(&f->vq);
	CHECK(!drv_publish(f, &s, 3));
	CHECK(vq_enable_notify(&f->vq));
	CHECK_EQ(dev_drain(f), 1);
	CHECK(drv_publish(f, &s, 0));
	/* Stop without start, start twice: harmless. */
	vq_poll_stop(&f->vq);
	vq_poll_start(&f->vq);
	vq_poll_start(&f->vq);
	vq_poll_stop(&f->vq);
	CHECK_EQ(dev_drain(f), 1);
	CHECK(drv_publish(f, &s, 1));
	fx_free(f);
}

/*
 * No lost wake-up, over a random interleaving of a driver that publishes
 * and kicks when asked and a device that alternates between polling
 * (looks at every step) and sleeping (wakes only on a doorbell). The
 * invariant: whenever the device sleeps, each chain it has not consumed
 * was followed by a doorbell.
 */
static void test_poll_no_lost_wakeup(bool event_idx)
{
	struct fixture *f = fx_new(QSZ, event_idx, false);
	struct vrd_seg s = {vrd_alloc(&f->d, 4), 4, false};
	bool polling = false, kick_pending = false;
	unsigned int bad = 0, published = 0, consumed = 0, kicks = 0;
	uint64_t x = 88172645463325292ULL;

	for (unsigned int step = 0; step < 200000; step++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if ((x & 3) != 0 && published - consumed < QSZ) {
			/* The driver. */
			if (drv_publish(f, &s, (uint16_t)(published % QSZ))) {
				kick_pending = true;
				kicks++;
			}
			published++;
		} else if (polling) {
			consumed += dev_drain(f);
			/* The bound expired: re-arm, look once more. */
			if ((x >> 8) % 4 == 0) {
				vq_poll_stop(&f->vq);
				polling = false;
				if (vq_has_avail(&f->vq)) {
					consumed += dev_drain(f);
					vq_poll_start(&f->vq);
					polling = true;
				}
			}
		} else if (kick_pending) {
			/* Woken by the doorbell: serve, then maybe poll. */
			kick_pending = false;
			do {
				consumed += dev_drain(f);
			} while (vq_enable_notify(&f->vq));
			if ((x >> 8) & 1) {
				vq_poll_start(&f->vq);
				polling = true;
			}
		}
		if (!polling && !kick_pending && vq_has_avail(&f->vq))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK(kicks > 0 && kicks < published);
	CHECK(consumed > 60000);
	CHECK(!f->vq.broken);
	fx_free(f);
}

/* The diagnostic snapshot reads both sides of the rings as they are. */
static void test_state(void)
{
	struct fixture *f = fx_new(QSZ, true, false);
	gpa_t buf = vrd_alloc(&f->d, 4);
	struct vrd_seg s = {buf, 4, true};
	struct vq_state st;

	vrd_set_used_event(&f->d, 5);
	for (unsigned int i = 0; i < 3; i++)
		vrd_publish(&f->d, vrd_chain(&f->d, &s, 1, (uint16_t)i));
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	vq_push(&f->vq, f->chain.head, 4);
	CHECK_EQ(vq_pop(&f->vq, &f->chain), 1);
	vq_get_state(&f->vq, &st);
	CHECK(st.ready && st.event_idx && !st.broken);
	CHECK_EQ(st.size, QSZ);
	CHECK_EQ(st.avail_idx, 3);   /* published by the driver */
	CHECK_EQ(st.last_avail, 2);  /* taken by the device */
	CHECK_EQ(st.used_idx, 1);    /* returned */
	CHECK_EQ(st.used_event, 5);  /* the driver's interrupt threshold */
	CHECK_EQ(st.avail_event, 1); /* asked for at the last pop */
	vq_reset(&f->vq);
	vq_get_state(&f->vq, &st);
	CHECK(!st.ready);
	CHECK_EQ(st.avail_idx, 0);
	fx_free(f);
}

int main(void)
{
	test_basic();
	test_wrap();
	test_batch();
	test_indirect();
	test_indirect_limits();
	test_indirect_hostile();
	test_zero_and_maximal();
	test_hostile();
	test_full_ring();
	test_len_overflow();
	test_bad_config();
	test_event_idx_interrupts();
	test_flag_interrupts();
	test_kick_suppression();
	test_disable_event_idx();
	test_poll_suppression(true);
	test_poll_suppression(false);
	test_poll_no_lost_wakeup(true);
	test_poll_no_lost_wakeup(false);
	test_state();
	return check_done("test_virtqueue");
}
