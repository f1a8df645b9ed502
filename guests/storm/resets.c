/* SPDX-License-Identifier: MIT */
/*
 * Phase 4: every attacked device is reset while it has work: disk reads
 * and writes in flight, console output pending, rng buffers, net frames,
 * vsock packets and virtio-fs requests posted. The status must read 0
 * again (vmm waits for what is in flight), and a fresh initialisation
 * must work: a disk read completes with status OK, a console line goes
 * out (the test looks for it in the console's file), the rng fills a
 * buffer. Each device gets RESET_ROUNDS rounds, the reset after a random
 * pause so that it lands at different points of the I/O.
 */
#include "storm.h"

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define RESET_ROUNDS 6
#define BLK_REQS     32

static uint64_t blk_capacity(struct sdev *d)
{
	uint32_t lo = mmio_read32(d->base + VIRTIO_MMIO_CONFIG);
	uint32_t hi = mmio_read32(d->base + VIRTIO_MMIO_CONFIG + 4);

	return ((uint64_t)hi << 32) | lo;
}

/* A virtio-blk request on queue 0; its status byte's address. */
static uint8_t *blk_post(struct sdev *d, uint32_t type, uint64_t sector,
			 uint32_t len, uint64_t *s)
{
	uint64_t h = junk_addr(s, sizeof(struct virtio_blk_outhdr) + 1);
	struct virtio_blk_outhdr *hdr = (void *)(uintptr_t)h;
	uint8_t *st = (uint8_t *)(hdr + 1);
	struct sseg seg[3] = {
	    {h, sizeof(*hdr), false},
	    {junk_addr(s, len), len, type == VIRTIO_BLK_T_IN},
	    {(uintptr_t)st, 1, true},
	};

	*hdr = (struct virtio_blk_outhdr){.type = type, .sector = sector};
	*st = 0xee;
	sq_add(&d->q[0], seg, 3);
	return st;
}

/* Work for every queue of @d, shaped for its kind; not yet published. */
static void load(struct sdev *d, uint64_t *s)
{
	uint64_t cap = d->device_id == VIRTIO_ID_BLOCK ? blk_capacity(d) : 0;

	for (unsigned int qi = 0; qi < d->nq; qi++) {
		struct squeue *q = &d->q[qi];
		unsigned int n =
		    q->size / 4 < BLK_REQS ? q->size / 4 : BLK_REQS;

		for (unsigned int i = 0; i < n; i++) {
			uint32_t len = SECTOR * (1 + rnd_below(s, 8));
			struct sseg seg = {junk_addr(s, len), len, true};

			if (d->device_id == VIRTIO_ID_BLOCK && cap > 16) {
				(void)blk_post(
				    d,
				    rnd_below(s, 2) ? VIRTIO_BLK_T_IN
						    : VIRTIO_BLK_T_OUT,
				    rnd_below(s, (uint32_t)(cap - 8)), len, s);
				continue;
			}
			/*
			 * Console and net transmit on queue 1, vsock on 1,
			 * virtio-fs requests on 1 too: readable there, room
			 * to write everywhere else.
			 */
			seg.write = qi != 1;
			if (!seg.write)
				memset((void *)(uintptr_t)seg.addr, 'x', len);
			sq_add(q, &seg, 1);
		}
	}
	for (unsigned int qi = 0; qi < d->nq; qi++)
		sq_kick(d, &d->q[qi]);
}

/* After the reset: the device must serve well-formed work again. */
static long prove(struct sdev *d, uint64_t seed, uint64_t *s)
{
	static char line[64];
	uint32_t id, len;
	struct sseg seg;
	uint8_t *st;

	switch (d->device_id) {
	case VIRTIO_ID_BLOCK:
		st = blk_post(d, VIRTIO_BLK_T_IN, 0, SECTOR, s);
		sq_kick(d, &d->q[0]);
		if (sq_wait(&d->q[0], &id, &len, 2000000000UL) && !*st)
			return 0;
		printk("FAIL: storm: disk %u: read after reset: status 0x%x\n",
		       d->n, *st);
		return STORM_EXIT_DATA;
	case VIRTIO_ID_CONSOLE:
		len = (uint32_t)snprintk(line, sizeof(line),
					 "storm: console alive seed=%lu\n",
					 (unsigned long)seed);
		seg = (struct sseg){(uintptr_t)line, len, false};
		sq_add(&d->q[1], &seg, 1);
		sq_kick(d, &d->q[1]);
		break;
	case VIRTIO_ID_RNG:
		seg = (struct sseg){junk_addr(s, 64), 64, true};
		sq_add(&d->q[0], &seg, 1);
		sq_kick(d, &d->q[0]);
		break;
	default: return 0;
	}
	if (sq_wait(&d->q[d->device_id == VIRTIO_ID_CONSOLE], &id, &len,
		    2000000000UL))
		return 0;
	printk("FAIL: storm: device %u (id %u) idle after its reset\n", d->n,
	       d->device_id);
	return STORM_EXIT_DATA;
}

static long reset_rounds(struct sdev *d, uint64_t seed, uint64_t *s)
{
	long rc = 0;

	for (unsigned int k = 0; !rc && k < RESET_ROUNDS; k++) {
		unsigned long pause = rnd_below(s, 1u << (2 * k + 4));

		if (sdev_init(d, 0, d->nq))
			return STORM_EXIT_DRIVER;
		load(d, s);
		for (unsigned long i = 0; i < pause; i++)
			cpu_relax();
		sdev_reset(d);
		if (sreg_read(d, VIRTIO_MMIO_STATUS)) {
			printk("FAIL: storm: device %u: status 0x%x after "
			       "reset\n",
			       d->n, sreg_read(d, VIRTIO_MMIO_STATUS));
			return STORM_EXIT_DRIVER;
		}
		if (sdev_init(d, 0, d->nq))
			return STORM_EXIT_DRIVER;
		rc = prove(d, seed, s);
	}
	sdev_reset(d);
	return rc;
}

long phase_resets(uint64_t seed)
{
	uint64_t s = rnd_init(seed * 31 + 3);
	unsigned int n = 0;
	long rc = 0;

	for (unsigned int i = 0; !rc && i < nr_sdevs; i++) {
		if (sdevs[i].spare || !sdevs[i].nq)
			continue;
		rc = reset_rounds(&sdevs[i], seed, &s);
		n++;
	}
	if (!rc)
		printk("storm: resets: %u devices, %u resets each with I/O in "
		       "flight, each working again after it\n",
		       n, RESET_ROUNDS);
	return rc;
}
