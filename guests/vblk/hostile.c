/* SPDX-License-Identifier: MIT */
/*
 * The hostile virtio-blk test, at CPL 3, on a victim disk and a bystander:
 * requests past the end get IOERR and an unknown type UNSUPP; a reset
 * with every slot's read in flight leaves neither the old buffers nor the
 * reused rings written; then four broken chains (a header of 8 bytes, no
 * device-writable byte for the status, an indirect table that loops, a
 * buffer outside RAM) must each leave the victim in DEVICE_NEEDS_RESET
 * with a configuration interrupt while the bystander keeps serving, and a
 * reset and fresh initialisation must bring the victim back.
 */
#include "vblk.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

/* A buffer far beyond any RAM vmm gives (at most 1 TiB + 1 GiB). */
#define OUTSIDE_RAM (1ULL << 48)

static uint8_t hbuf[16 * SECTOR], want[16 * SECTOR];
static struct virtio_blk_outhdr hh;
static uint8_t hst;

/* One request on @d that must end in status @want_st. */
static long expect(struct vdev *d, const char *what, uint32_t type,
		   uint64_t sector, unsigned int n, uint8_t want_st)
{
	struct vseg seg = {hbuf, n * SECTOR, type == VIRTIO_BLK_T_IN};
	uint8_t st = blk_do(d, 0, type, sector, &seg, n ? 1 : 0);

	printk("vblk: hostile: %s: %s\n", what, blk_status_name(st));
	if (st == want_st)
		return 0;
	printk("FAIL: vblk: %s: %s, expected %s\n", what, blk_status_name(st),
	       blk_status_name(want_st));
	return VBLK_EXIT_TEST;
}

/* A DISCARD or WRITE_ZEROES of @n sectors at @sector, expecting IOERR. */
static long expect_range(struct vdev *d, const char *what, uint32_t type,
			 uint64_t sector, uint32_t n)
{
	struct virtio_blk_discard_write_zeroes r = {.sector = sector,
						    .num_sectors = n};
	struct vseg seg = {&r, sizeof(r), false};
	uint8_t st = blk_do(d, 0, type, 0, &seg, 1);

	printk("vblk: hostile: %s: %s\n", what, blk_status_name(st));
	if (st == VIRTIO_BLK_S_IOERR)
		return 0;
	printk("FAIL: vblk: %s: %s, expected IOERR\n", what,
	       blk_status_name(st));
	return VBLK_EXIT_TEST;
}

/* Requests past the end and of unknown types on a disk of @cap sectors. */
static long status_cases(struct vdev *v, uint64_t cap)
{
	const struct {
		const char *what;
		uint32_t type;
		uint64_t sector;
		unsigned int n;
		uint8_t st;
	} c[] = {
	    {"read of the last sector", VIRTIO_BLK_T_IN, cap - 1, 1,
	     VIRTIO_BLK_S_OK},
	    {"read past the end", VIRTIO_BLK_T_IN, cap, 1, VIRTIO_BLK_S_IOERR},
	    {"read across the end", VIRTIO_BLK_T_IN, cap - 1, 2,
	     VIRTIO_BLK_S_IOERR},
	    {"read at sector 2^64-1", VIRTIO_BLK_T_IN, ~0ULL, 1,
	     VIRTIO_BLK_S_IOERR},
	    {"write past the end", VIRTIO_BLK_T_OUT, cap, 1,
	     VIRTIO_BLK_S_IOERR},
	    {"discard across the end", VIRTIO_BLK_T_DISCARD, cap - 4, 8,
	     VIRTIO_BLK_S_IOERR},
	    {"write zeroes past the end", VIRTIO_BLK_T_WRITE_ZEROES, cap, 1,
	     VIRTIO_BLK_S_IOERR},
	    {"type 99", 99, 0, 1, VIRTIO_BLK_S_UNSUPP},
	    {"read of sector 0", VIRTIO_BLK_T_IN, 0, 1, VIRTIO_BLK_S_OK},
	};
	long rc = 0;

	for (unsigned int i = 0; !rc && i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].type == VIRTIO_BLK_T_DISCARD ||
		    c[i].type == VIRTIO_BLK_T_WRITE_ZEROES)
			rc = expect_range(v, c[i].what, c[i].type, c[i].sector,
					  c[i].n);
		else
			rc = expect(v, c[i].what, c[i].type, c[i].sector,
				    c[i].n, c[i].st);
	}
	return rc;
}

/* Round @k on the bystander: 16 sectors written, read back, compared. */
static long bystander_io(struct vdev *b, unsigned int k)
{
	long rc;

	for (unsigned int i = 0; i < 16; i++)
		blk_pattern(hbuf + i * SECTOR, 16 * k + i, opts.seed + k);
	memcpy(want, hbuf, sizeof(want));
	rc = expect(b, "bystander write", VIRTIO_BLK_T_OUT, 16 * k, 16,
		    VIRTIO_BLK_S_OK);
	if (rc)
		return rc;
	memset(hbuf, 0xa5, sizeof(hbuf));
	rc = expect(b, "bystander read", VIRTIO_BLK_T_IN, 16 * k, 16,
		    VIRTIO_BLK_S_OK);
	if (!rc && memcmp(hbuf, want, sizeof(want))) {
		printk("FAIL: vblk: bystander read differs\n");
		rc = VBLK_EXIT_TEST;
	}
	return rc;
}

static struct vseg seg(void *p, uint32_t len, bool write)
{
	return (struct vseg){p, len, write};
}

/* Publish broken chain @kind on the victim's queue 0. */
static const char *post_broken(struct vdev *d, unsigned int kind)
{
	struct vq *q = &d->q[0];
	volatile struct vring_desc *t = q->ind[0];
	struct vseg s[3];

	hh = (struct virtio_blk_outhdr){.type = VIRTIO_BLK_T_IN};
	switch (kind) {
	case 0:
		s[0] = seg(&hh, 8, false);
		s[1] = seg(&hst, 1, true);
		blk_raw_post(d, 0, s, 2, false);
		return "8-byte header";
	case 1:
		hh.type = VIRTIO_BLK_T_OUT;
		s[0] = seg(&hh, sizeof(hh), false);
		s[1] = seg(hbuf, SECTOR, false);
		blk_raw_post(d, 0, s, 2, false);
		return "no room for the status";
	case 2:
		t[0] = (struct vring_desc){(uintptr_t)&hh, sizeof(hh),
					   VRING_DESC_F_NEXT, 1};
		t[1] = (struct vring_desc){
		    (uintptr_t)hbuf, SECTOR,
		    VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2};
		t[2] = (struct vring_desc){
		    (uintptr_t)&hst, 1, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
		    0};
		q->desc[0] = (struct vring_desc){(uintptr_t)t, 3 * sizeof(*t),
						 VRING_DESC_F_INDIRECT, 0};
		vq_add_head(q, 0);
		vq_publish(d, q);
		return "looping indirect table";
	default:
		s[0] = seg(&hh, sizeof(hh), false);
		s[1] = seg((void *)(uintptr_t)OUTSIDE_RAM, SECTOR, true);
		s[2] = seg(&hst, 1, true);
		blk_raw_post(d, 0, s, 3, false);
		return "buffer outside RAM";
	}
}

/* Wait for NEEDS_RESET and the configuration interrupt that says so. */
static long needs_reset(struct vdev *d, const char *what, uint64_t irqs)
{
	uint32_t st = 0;

	for (unsigned long i = 0; i < 2000000000UL; i++) {
		if (d->irq_config != irqs)
			break;
		if (!(i % 4096) && (vreg_read(d, VIRTIO_MMIO_STATUS) &
				    VIRTIO_CONFIG_S_NEEDS_RESET))
			break;
		cpu_relax();
	}
	for (unsigned long i = 0; i < 100000000UL && d->irq_config == irqs; i++)
		cpu_relax();
	st = vreg_read(d, VIRTIO_MMIO_STATUS);
	printk("vblk: hostile: %s: status 0x%x, config interrupt %s\n", what,
	       st, d->irq_config != irqs ? "seen" : "MISSING");
	if (st == (0xf | VIRTIO_CONFIG_S_NEEDS_RESET) && d->irq_config != irqs)
		return 0;
	printk("FAIL: vblk: %s: expected status 0x4f and a config "
	       "interrupt\n",
	       what);
	return VBLK_EXIT_TEST;
}

static long reinit(struct vdev *d, struct blk_info *bi)
{
	char msg[96];

	if (blk_init(d, 1, bi, msg, sizeof(msg))) {
		printk("FAIL: vblk: disk %u: %s\n", d->n, msg);
		return VBLK_EXIT_DRIVER;
	}
	return 0;
}

/* Room for a slot's 64 sectors, 4 KiB-aligned or 8 bytes off. */
#define RB_SECTORS 64
#define RB_LEN	   (RB_SECTORS * SECTOR)
/* Resets with reads in flight: each catches a late write only by chance. */
#define RB_ROUNDS 4
static uint8_t rbufs[VQ_SLOTS][RB_LEN + 64] __attribute__((aligned(4096)));

/* Odd slots are misaligned: a direct=on device bounces those. */
static uint8_t *rb(unsigned int s)
{
	return rbufs[s] + (s % 2 ? 8 : 0);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

/*
 * A reset with every slot's read in flight, sent as soon as the device
 * has taken them all (or completed one). Once the status reads 0
 * the device may neither write the old buffers nor put used entries in
 * the rings (virtio 1.2, 2.4.1; Linux's virtio_reset_device() counts on
 * it: "prevents device from sending interrupts and accessing memory"),
 * which the fresh initialisation reuses. The buffers start as 0x5a (no
 * sector of the image reads as that); those still 0x5a at both ends when
 * the reset completed must stay so. Only reads still in flight then can
 * show a device that does not wait for them: a slow disk (direct=on) and
 * RB_ROUNDS rounds make that likely, never certain; a device that waits
 * passes every time.
 */
static long reset_in_flight(struct vdev *d, struct blk_info *bi)
{
	struct vq *q = &d->q[0];
	unsigned int n = q->nslots, pending = 0, late = 0;
	uint64_t unwritten = 0;
	uint16_t before = q->used_idx, done;
	long rc;

	memset(rbufs, 0x5a, sizeof(rbufs));
	for (unsigned int s = 0; s < n; s++) {
		struct vseg sg = {rb(s), RB_LEN, true};

		(void)blk_queue(d, 0, s, VIRTIO_BLK_T_IN,
				s * 32 % (bi->capacity - RB_SECTORS), &sg, 1,
				s % 2);
	}
	vq_publish(d, q);
	/* Taken: the device's avail_event caught up (EVENT_IDX), or used. */
	while (*q->avail_event != q->avail_idx && q->used->idx == before)
		cpu_relax();
	vdev_reset(d);
	for (unsigned int s = 0; s < n; s++)
		if (rb(s)[0] == 0x5a && rb(s)[RB_LEN - 1] == 0x5a)
			unwritten |= 1ULL << s;
	done = (uint16_t)(q->used->idx - before);
	rc = reinit(d, bi);
	if (rc)
		return rc;
	/* Long enough for stale completions to land, were there any. */
	for (unsigned long i = 0; i < 100000000UL; i++)
		cpu_relax();
	for (unsigned int s = 0; s < n; s++) {
		if (!(unwritten >> s & 1))
			continue;
		pending++;
		late += !all(rb(s), RB_LEN, 0x5a);
	}
	printk("vblk: hostile: reset with %u reads in flight (%u used and %u "
	       "unwritten when it completed): used idx %u after "
	       "re-initialisation, %u written after it\n",
	       n, done, pending, q->used->idx, late);
	if (q->used->idx || late) {
		printk("FAIL: vblk: the device worked on after its reset\n");
		return VBLK_EXIT_TEST;
	}
	return expect(d, "read after the reset", VIRTIO_BLK_T_IN, 0, 1,
		      VIRTIO_BLK_S_OK);
}

long test_hostile(struct vdev *v, struct vdev *b)
{
	struct blk_info bi, bb;
	long rc;

	rc = reinit(v, &bi) ?: reinit(b, &bb) ?: bystander_io(b, 0);
	if (rc)
		return rc;
	rc = status_cases(v, bi.capacity);
	for (unsigned int k = 0; !rc && k < RB_ROUNDS; k++)
		rc = reset_in_flight(v, &bi);
	for (unsigned int k = 0; !rc && k < 4; k++) {
		uint64_t irqs = v->irq_config;
		const char *what = post_broken(v, k);

		rc = needs_reset(v, what, irqs) ?: bystander_io(b, k + 1) ?:
		     reinit(v, &bi) ?:
		     expect(v, "read after the reset", VIRTIO_BLK_T_IN, 0, 1,
			    VIRTIO_BLK_S_OK);
	}
	return rc;
}
