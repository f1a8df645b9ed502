/* SPDX-License-Identifier: MIT */
/*
 * The proof after the storm, on the disk it spared: SPARE_SECTORS sectors
 * of a known pattern written, FLUSHed, read back and compared; the test
 * then compares the image file with the same pattern, byte for byte. The
 * pattern is guests/vblk's (the scripts compute it the same way): sector
 * s holds s and the seed as 8 little-endian bytes each, then bytes
 * (s * 7 + seed + j) & 0xff for j = 0..495. Its buffers and rings are
 * this file's and sq_mem's own: no attacked device was ever given them.
 */
#include "storm.h"

#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define SPARE_SECTORS 1024
#define REQ_SECTORS   8

static uint8_t buf[REQ_SECTORS * SECTOR], want[REQ_SECTORS * SECTOR];
static struct virtio_blk_outhdr hdr;
static uint8_t status;

static void pattern(uint8_t *p, uint64_t s, uint64_t seed)
{
	memcpy(p, &s, 8);
	memcpy(p + 8, &seed, 8);
	for (unsigned int j = 0; j < SECTOR - 16; j++)
		p[16 + j] = (uint8_t)(s * 7 + seed + j);
}

/* One request on the spared disk, synchronously: its status. */
static uint8_t request(struct sdev *d, uint32_t type, uint64_t sector,
		       uint32_t len)
{
	struct sseg seg[3] = {
	    {(uintptr_t)&hdr, sizeof(hdr), false},
	    {(uintptr_t)buf, len, type == VIRTIO_BLK_T_IN},
	    {(uintptr_t)&status, 1, true},
	};
	uint32_t id, used_len;

	hdr = (struct virtio_blk_outhdr){.type = type, .sector = sector};
	status = 0xee;
	if (len) {
		sq_add(&d->q[0], seg, 3);
	} else {
		seg[1] = seg[2];
		sq_add(&d->q[0], seg, 2);
	}
	sq_kick(d, &d->q[0]);
	if (!sq_wait(&d->q[0], &id, &used_len, 4000000000UL))
		return 0xff;
	return status;
}

long spare_check(struct sdev *d, uint64_t seed)
{
	uint8_t st;

	if (sdev_init(d, 1ULL << VIRTIO_BLK_F_FLUSH, 1))
		return STORM_EXIT_DRIVER;
	for (uint64_t s = 0; s < SPARE_SECTORS; s += REQ_SECTORS) {
		for (unsigned int i = 0; i < REQ_SECTORS; i++)
			pattern(buf + i * SECTOR, s + i, seed);
		st = request(d, VIRTIO_BLK_T_OUT, s, sizeof(buf));
		if (st) {
			printk("FAIL: storm: spare write at %lu: status 0x%x\n",
			       (unsigned long)s, st);
			return STORM_EXIT_DATA;
		}
	}
	st = request(d, VIRTIO_BLK_T_FLUSH, 0, 0);
	if (st) {
		printk("FAIL: storm: spare flush: status 0x%x\n", st);
		return STORM_EXIT_DATA;
	}
	for (uint64_t s = 0; s < SPARE_SECTORS; s += REQ_SECTORS) {
		for (unsigned int i = 0; i < REQ_SECTORS; i++)
			pattern(want + i * SECTOR, s + i, seed);
		memset(buf, 0x5a, sizeof(buf));
		st = request(d, VIRTIO_BLK_T_IN, s, sizeof(buf));
		if (st || memcmp(buf, want, sizeof(buf))) {
			printk(
			    "FAIL: storm: spare read at %lu: status 0x%x%s\n",
			    (unsigned long)s, st, st ? "" : ", data differs");
			return STORM_EXIT_DATA;
		}
	}
	sdev_reset(d);
	printk("storm: spare disk: %u sectors written, flushed and read back "
	       "with seed %lu\n",
	       SPARE_SECTORS, (unsigned long)seed);
	return 0;
}
