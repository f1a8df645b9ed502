/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk chains cut where Linux never cuts them but the spec allows
 * (virtio 1.2, 2.6.4 "Message Framing": the device must not assume a
 * particular arrangement of descriptors), at CPL 3. Writes blk_pattern()
 * to [start, start + 8) in three differently cut requests, reads it back
 * in three more, then once more in one plain request:
 *   W1  header and 2 sectors of data in ONE descriptor, status apart;
 *   R1  the header split 7 + 9, data 100 + 900, then the last 24 data
 *       bytes and the status byte in one 25-byte descriptor (indirect);
 *   W2  3 sectors as 1 + 511 + 700 + 324 bytes (indirect);
 *   R2  3 sectors as 1000 + 536 bytes (direct);
 *   W3  the header with the first 100 bytes of 3 sectors, then the rest.
 */
#include "vblk.h"

#include "lib/print.h"
#include "lib/string.h"

#define F_SECTORS 8

/* A header followed by room for 8 sectors and a status byte. */
static struct {
	struct virtio_blk_outhdr hdr;
	uint8_t data[F_SECTORS * SECTOR + 1];
} __attribute__((packed)) fb;
static uint8_t want[F_SECTORS * SECTOR];
static uint8_t status;
static struct vdev *dev;

static struct vseg rd(void *p, uint32_t len)
{
	return (struct vseg){p, len, false};
}

static struct vseg wr(void *p, uint32_t len)
{
	return (struct vseg){p, len, true};
}

/* Post @n raw buffers; check the used length and the status byte @st. */
static long post(const char *what, const struct vseg *seg, unsigned int n,
		 bool indirect, uint32_t want_len, const uint8_t *st)
{
	int64_t len;

	status = 0xee;
	len = blk_raw(dev, 0, seg, n, indirect);
	printk("vblk: framing %s: used len %ld, status %s\n", what, (long)len,
	       blk_status_name(*st));
	if (*st != VIRTIO_BLK_S_OK || len != (int64_t)want_len) {
		printk("FAIL: vblk: framing %s: expected OK and used len %u\n",
		       what, want_len);
		return VBLK_EXIT_TEST;
	}
	return 0;
}

/* Header for @type at sector start + @off; data poisoned or patterned. */
static void prep(uint32_t type, unsigned int off, unsigned int n)
{
	fb.hdr = (struct virtio_blk_outhdr){.type = type,
					    .sector = opts.start + off};
	if (type == VIRTIO_BLK_T_OUT)
		memcpy(fb.data, want + off * SECTOR, n * SECTOR);
	else
		memset(fb.data, 0xa5, n * SECTOR);
}

static long same(const char *what, unsigned int off, unsigned int n)
{
	if (!memcmp(fb.data, want + off * SECTOR, n * SECTOR))
		return 0;
	printk("FAIL: vblk: framing %s: data differs\n", what);
	return VBLK_EXIT_TEST;
}

/* Header and 2 sectors of data in ONE descriptor, status apart. */
static long w1(void)
{
	struct vseg s[] = {rd(&fb, sizeof(fb.hdr) + 2 * SECTOR),
			   wr(&status, 1)};

	prep(VIRTIO_BLK_T_OUT, 0, 2);
	return post("W1", s, 2, false, 1, &status);
}

/* Header 7 + 9, data 100 + 900, the last 24 data bytes + status. */
static long r1(void)
{
	uint8_t *h = (uint8_t *)&fb.hdr, *p = fb.data;
	struct vseg s[] = {rd(h, 7), rd(h + 7, 9), wr(p, 100), wr(p + 100, 900),
			   wr(p + 1000, 25)};

	prep(VIRTIO_BLK_T_IN, 0, 2);
	p[2 * SECTOR] = 0xee;
	return post("R1", s, 5, true, 2 * SECTOR + 1, &p[2 * SECTOR])
		   ?: same("R1", 0, 2);
}

/* 3 sectors as 1 + 511 + 700 + 324 bytes, indirect. */
static long w2(void)
{
	uint8_t *p = fb.data;
	struct vseg s[] = {rd(&fb.hdr, sizeof(fb.hdr)),
			   rd(p, 1),
			   rd(p + 1, 511),
			   rd(p + 512, 700),
			   rd(p + 1212, 324),
			   wr(&status, 1)};

	prep(VIRTIO_BLK_T_OUT, 2, 3);
	return post("W2", s, 6, true, 1, &status);
}

/* 3 sectors as 1000 + 536 bytes, direct. */
static long r2(void)
{
	uint8_t *p = fb.data;
	struct vseg s[] = {rd(&fb.hdr, sizeof(fb.hdr)), wr(p, 1000),
			   wr(p + 1000, 536), wr(&status, 1)};

	prep(VIRTIO_BLK_T_IN, 2, 3);
	return post("R2", s, 4, false, 3 * SECTOR + 1, &status)
		   ?: same("R2", 2, 3);
}

/* The header with the first 100 bytes of 3 sectors, then the rest. */
static long w3(void)
{
	struct vseg s[] = {rd(&fb, sizeof(fb.hdr) + 100),
			   rd(fb.data + 100, 3 * SECTOR - 100), wr(&status, 1)};

	prep(VIRTIO_BLK_T_OUT, 5, 3);
	return post("W3", s, 3, false, 1, &status);
}

/* All 8 sectors in one plain request. */
static long r3(void)
{
	struct vseg s[] = {rd(&fb.hdr, sizeof(fb.hdr)),
			   wr(fb.data, F_SECTORS * SECTOR), wr(&status, 1)};

	prep(VIRTIO_BLK_T_IN, 0, F_SECTORS);
	return post("R3", s, 3, false, F_SECTORS * SECTOR + 1, &status)
		   ?: same("R3", 0, F_SECTORS);
}

long test_framing(struct vdev *d)
{
	struct blk_info bi;
	char msg[96];
	long rc;

	if (blk_init(d, 1, &bi, msg, sizeof(msg))) {
		printk("FAIL: vblk: %s\n", msg);
		return VBLK_EXIT_DRIVER;
	}
	if (opts.start + F_SECTORS > bi.capacity) {
		printk("FAIL: vblk: framing needs %u sectors from %lu\n",
		       F_SECTORS, (unsigned long)opts.start);
		return VBLK_EXIT_TEST;
	}
	for (unsigned int i = 0; i < F_SECTORS; i++)
		blk_pattern(want + i * SECTOR, opts.start + i, opts.seed);
	dev = d;
	rc = w1() ?: r1() ?: w2() ?: r2() ?: w3() ?: r3();
	if (!rc)
		printk("vblk: framing: %u sectors written and read back in "
		       "unusual chains\n",
		       F_SECTORS);
	return rc;
}
