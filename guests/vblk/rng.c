/* SPDX-License-Identifier: MIT */
/*
 * The virtio-rng test, at CPL 3 (virtio 1.2, 5.4): opts.rng_bytes from
 * the entropy device's one queue, 16 device-writable buffers of 4 KiB kept
 * in flight. Every used length must lie within its buffer (and be at
 * least 1), no buffer may start as the previous one did, and from 64 KiB
 * on all 256 byte values must appear and the byte histogram's chi-square
 * (255 degrees of freedom: mean 255, sd 22.6) must stay below 400, which
 * a uniform source exceeds with odds far below 1e-9.
 */
#include "vblk.h"

#include "lib/print.h"
#include "lib/string.h"

#define RNG_SLOTS 16
#define RNG_BUF	  4096

static uint8_t rbuf[RNG_SLOTS][RNG_BUF];

/* Chi-square of @hist against a uniform @total, and its min and max. */
static uint64_t chi2(const uint64_t *hist, uint64_t total, uint64_t *lo,
		     uint64_t *hi)
{
	uint64_t sum = 0;

	*lo = ~0ULL;
	*hi = 0;
	for (unsigned int i = 0; i < 256; i++) {
		int64_t dev = (int64_t)(hist[i] * 256) - (int64_t)total;

		/* (256 c - total)^2 / 256 / total = (c - E)^2 / E */
		sum += (uint64_t)(dev * dev) / 256;
		*lo = hist[i] < *lo ? hist[i] : *lo;
		*hi = hist[i] > *hi ? hist[i] : *hi;
	}
	return sum / total;
}

static void post(struct vdev *d, unsigned int s)
{
	struct vseg seg = {rbuf[s], RNG_BUF, true};

	(void)vq_add(&d->q[0], s, &seg, 1, false);
}

long test_rng(struct vdev *d)
{
	static uint64_t hist[256];
	struct vq *q = &d->q[0];
	uint64_t total = 0, lo, hi, x2;
	uint8_t prev[16] = {0};
	unsigned int bufs = 0, repeats = 0, slots;
	uint32_t id, len;
	char msg[96];

	if (vdev_init(d, 0, 1, msg, sizeof(msg))) {
		printk("FAIL: vblk: rng: %s\n", msg);
		return VBLK_EXIT_DRIVER;
	}
	slots = q->nslots < RNG_SLOTS ? q->nslots : RNG_SLOTS;
	for (unsigned int s = 0; s < slots; s++)
		post(d, s);
	vq_publish(d, q);
	while (total < opts.rng_bytes) {
		unsigned int s;

		vq_wait(q, &id, &len);
		s = id / VQ_SLOT_DESC;
		if (id % VQ_SLOT_DESC || s >= slots || !len || len > RNG_BUF) {
			printk("FAIL: vblk: rng: used id %u len %u\n", id, len);
			return VBLK_EXIT_TEST;
		}
		for (uint32_t i = 0; i < len; i++)
			hist[rbuf[s][i]]++;
		if (len >= sizeof(prev)) {
			repeats += !memcmp(prev, rbuf[s], sizeof(prev));
			memcpy(prev, rbuf[s], sizeof(prev));
		}
		total += len;
		bufs++;
		post(d, s);
		vq_publish(d, q);
	}
	x2 = chi2(hist, total, &lo, &hi);
	printk("vblk: rng: %lu bytes in %u buffers, chi2 %lu, counts %lu..%lu, "
	       "%u repeats\n",
	       (unsigned long)total, bufs, (unsigned long)x2, (unsigned long)lo,
	       (unsigned long)hi, repeats);
	if (repeats || hi == total ||
	    (total >= 64 * 1024 && (!lo || x2 >= 400))) {
		printk("FAIL: vblk: rng: the bytes do not look random\n");
		return VBLK_EXIT_TEST;
	}
	return 0;
}
