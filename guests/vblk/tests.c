/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk data tests, at CPL 3 (see tests/guest/virtio_blk.sh):
 *  pattern  the features and config space; GET_ID; blk_pattern() written
 *           over [start, start + sectors) with every slot of every queue
 *           in flight (1..64-sector requests of 1..5 segments, back to
 *           front in memory, every fourth through an indirect table),
 *           FLUSH, read back and compared; then DISCARD and WRITE_ZEROES
 *           of two ranges (zero_ranges()), and the whole range read again
 *           with those two as zeros;
 *  readonly the range reads as the pattern (the host wrote it), and OUT,
 *           DISCARD and WRITE_ZEROES end in IOERR (the last two may get
 *           UNSUPP if their feature is not offered).
 */
#include "vblk.h"

#include <linux/virtio_config.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

/* Sectors one slot's buffer holds. */
#define SLOT_SECTORS 64
#define SLOT_BYTES   (SLOT_SECTORS * SECTOR)

static uint8_t pool[VQ_MAXQ][VQ_SLOTS][SLOT_BYTES]
    __attribute__((aligned(4096)));

/* What each slot carries while in flight. */
static struct inflight {
	struct vseg seg[VQ_IND];
	uint64_t first;
	unsigned int n; /* sectors */
} req[VQ_MAXQ][VQ_SLOTS];

/* The ranges the second pass expects as zeros (the script's too). */
struct zero_ranges {
	uint64_t disc, disc_n, wz, wz_n;
	bool on;
};

struct io_run {
	struct vdev *d;
	const struct blk_info *bi;
	uint32_t type;
	struct zero_ranges z;
	unsigned int requests, errors, bad_status;
};

static bool zero_expected(const struct zero_ranges *z, uint64_t s)
{
	return z->on && ((s >= z->disc && s < z->disc + z->disc_n) ||
			 (s >= z->wz && s < z->wz + z->wz_n));
}

/* Sector @i of a request whose segments hold whole sectors, in order. */
static uint8_t *sector_ptr(const struct vseg *seg, unsigned int i)
{
	uint32_t off = i * SECTOR;

	while (off >= seg->len)
		off -= (seg++)->len;
	return (uint8_t *)seg->addr + off;
}

/*
 * Cut request @k of @n sectors into 1 + k % 5 segments, or one a sector
 * for every seventh (more if size_max asks, fewer if seg_max or the chain
 * allows fewer), placed back to front in @buf so that consecutive
 * segments are not adjacent in memory. Returns the count.
 */
static unsigned int cut(const struct blk_info *bi, unsigned int k,
			unsigned int n, uint8_t *buf, struct vseg *seg,
			bool write)
{
	unsigned int want = k % 7 == 6 ? n : 1 + k % 5, per, done = 0, i = 0;
	uint32_t max = bi->size_max / SECTOR;

	if (!bi->size_max || max > n)
		max = n;
	if (!max)
		max = 1;
	if (want > n)
		want = n;
	if (want < (n + max - 1) / max)
		want = (n + max - 1) / max;
	if (want > bi->max_data_segs)
		want = bi->max_data_segs;
	per = (n + want - 1) / want;
	for (; done < n; i++) {
		unsigned int len = n - done < per ? n - done : per;

		seg[i] = (struct vseg){buf + SLOT_BYTES - (done + len) * SECTOR,
				       len * SECTOR, write};
		done += len;
	}
	return i;
}

/* Request sizes in sectors, in turn. */
static const unsigned int sizes[] = {1, 8, 3, 64, 16, 5, 32, 2, 64, 7, 24};

static void submit(struct io_run *r, unsigned int qi, unsigned int s,
		   uint64_t *next, uint64_t end)
{
	unsigned int k = r->requests++, ns;
	struct inflight *f = &req[qi][s];
	bool write = r->type == VIRTIO_BLK_T_OUT;

	f->n = sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];
	if (f->n > end - *next)
		f->n = (unsigned int)(end - *next);
	f->first = *next;
	ns = cut(r->bi, k, f->n, pool[qi][s], f->seg, !write);
	if (write)
		for (unsigned int i = 0; i < f->n; i++)
			blk_pattern(sector_ptr(f->seg, i), f->first + i,
				    opts.seed);
	else
		memset(pool[qi][s], 0xa5, SLOT_BYTES);
	(void)blk_queue(
	    r->d, qi, s, r->type, f->first, f->seg, ns,
	    ns + 2 > VQ_SLOT_DESC ||
		(k % 4 == 0 && vdev_has(r->d, VIRTIO_RING_F_INDIRECT_DESC)));
	*next += f->n;
}

static void complete(struct io_run *r, unsigned int qi, unsigned int s,
		     uint8_t st)
{
	static uint8_t want[SECTOR];
	struct inflight *f = &req[qi][s];

	if (st != VIRTIO_BLK_S_OK) {
		if (r->bad_status++ < 4)
			printk("vblk: type %u at %lu+%u: status %s\n", r->type,
			       (unsigned long)f->first, f->n,
			       blk_status_name(st));
		return;
	}
	if (r->type != VIRTIO_BLK_T_IN)
		return;
	for (unsigned int i = 0; i < f->n; i++) {
		const uint8_t *got = sector_ptr(f->seg, i);
		uint64_t sec = f->first + i;
		unsigned int j = 0;

		if (zero_expected(&r->z, sec))
			memset(want, 0, SECTOR);
		else
			blk_pattern(want, sec, opts.seed);
		if (!memcmp(got, want, SECTOR))
			continue;
		while (got[j] == want[j])
			j++;
		if (r->errors++ < 4)
			printk(
			    "vblk: sector %lu byte %u: 0x%x, expected 0x%x\n",
			    (unsigned long)sec, j, got[j], want[j]);
	}
}

/* One pass of @r->type over the range, every free slot kept busy. */
static long run_io(struct io_run *r)
{
	struct vdev *d = r->d;
	uint64_t next = opts.start, end = opts.start + opts.sectors;
	unsigned int busy, s;
	uint8_t st;

	do {
		busy = 0;
		for (unsigned int qi = 0; qi < d->nq; qi++) {
			struct vq *q = &d->q[qi];
			int free;

			while (next < end && (free = vq_free_slot(q)) >= 0)
				submit(r, qi, (unsigned int)free, &next, end);
			vq_publish(d, q);
			/* Ask for an interrupt at the next completion. */
			*q->used_event = q->used_idx;
		}
		for (unsigned int qi = 0; qi < d->nq; qi++) {
			while (blk_reap(d, qi, &s, &st))
				if (s < VQ_SLOTS)
					complete(r, qi, s, st);
			busy += d->q[qi].inflight;
		}
		/* A used entry that names no request: its slot stays busy. */
	} while ((busy || next < end) && !blk_bad_used);
	if (r->bad_status || r->errors || blk_bad_used) {
		printk("FAIL: vblk: type %u pass: %u bad statuses, %u wrong "
		       "sectors, %u bad used entries\n",
		       r->type, r->bad_status, r->errors, blk_bad_used);
		return VBLK_EXIT_TEST;
	}
	return 0;
}

/* Features, config space and GET_ID against the options. */
long blk_check(struct vdev *d, const struct blk_info *bi)
{
	uint64_t need = blk_wanted_features() & ~(1ULL << VIRTIO_BLK_F_RO);
	bool ro = d->offered & (1ULL << VIRTIO_BLK_F_RO);
	uint8_t id[VIRTIO_BLK_ID_BYTES + 1];
	struct vseg seg = {id, VIRTIO_BLK_ID_BYTES, true};
	size_t n = strlen(opts.serial);
	uint8_t st;

	/* A read-only disk need not offer what only writes. */
	if (opts.readonly)
		need &= ~((1ULL << VIRTIO_BLK_F_DISCARD) |
			  (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	need |= (1ULL << VIRTIO_F_VERSION_1) |
		(1ULL << VIRTIO_RING_F_EVENT_IDX) |
		(1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	printk("vblk: disk %u: %lu sectors, seg_max %u, size_max %u, blk_size "
	       "%u, %u queues (%u used), discard %u/%u, write zeroes %u/%u, "
	       "features 0x%lx\n",
	       d->n, (unsigned long)bi->capacity, bi->seg_max, bi->size_max,
	       bi->blk_size, bi->num_queues, d->nq, bi->max_discard_sectors,
	       bi->max_discard_seg, bi->max_wz_sectors, bi->max_wz_seg,
	       (unsigned long)d->offered);
	if ((d->offered & need) != need || ro != opts.readonly) {
		printk("FAIL: vblk: features 0x%lx lack 0x%lx, RO %d\n",
		       (unsigned long)d->offered,
		       (unsigned long)(need & ~d->offered), ro);
		return VBLK_EXIT_TEST;
	}
	if ((opts.capacity && bi->capacity != opts.capacity) ||
	    opts.start + opts.sectors > bi->capacity) {
		printk(
		    "FAIL: vblk: capacity %lu, expected %lu, range %lu+%lu\n",
		    (unsigned long)bi->capacity, (unsigned long)opts.capacity,
		    (unsigned long)opts.start, (unsigned long)opts.sectors);
		return VBLK_EXIT_TEST;
	}
	memset(id, 0xff, sizeof(id));
	st = blk_do(d, 0, VIRTIO_BLK_T_GET_ID, 0, &seg, 1);
	id[VIRTIO_BLK_ID_BYTES] = 0;
	printk("vblk: GET_ID %s '%s'\n", blk_status_name(st), (char *)id);
	/* NUL-padded, no terminator at 20 bytes (virtio 1.2, 5.2.6). */
	if (n && (st != VIRTIO_BLK_S_OK || memcmp(id, opts.serial, n) ||
		  (n < VIRTIO_BLK_ID_BYTES && id[n]))) {
		printk("FAIL: vblk: GET_ID, expected '%s'\n", opts.serial);
		return VBLK_EXIT_TEST;
	}
	return 0;
}

/* A quarter-way and a half-way eighth of the range, 8-sector aligned. */
static struct zero_ranges zero_ranges(void)
{
	uint64_t n = (opts.sectors / 8) & ~7ULL;

	return (struct zero_ranges){
	    .disc = opts.start + ((opts.sectors / 4) & ~7ULL),
	    .disc_n = n,
	    .wz = opts.start + ((opts.sectors / 2) & ~7ULL),
	    .wz_n = n,
	    .on = n != 0,
	};
}

/*
 * DISCARD or WRITE_ZEROES (@type) of [@s, @s + @n): ranges of at most a
 * third of @n (and the device's maximum), two per request if allowed;
 * discard ranges are multiples of @align sectors (write zeroes ones need
 * not be); the first WRITE_ZEROES request has the UNMAP flag.
 */
static long zero_range(struct vdev *d, uint32_t type, uint64_t s, uint64_t n,
		       uint32_t max, uint32_t max_seg, uint32_t align)
{
	struct virtio_blk_discard_write_zeroes r[2];
	uint64_t per = n / 3 ? n / 3 : 1;
	unsigned int k = 0;

	if (max && per > max)
		per = max;
	if (align > 1 && per > align)
		per -= per % align;
	while (n) {
		unsigned int nr = 0;
		struct vseg seg = {r, 0, false};
		uint8_t st;

		for (; nr < (max_seg > 1 ? 2 : 1) && n; nr++) {
			uint32_t len = (uint32_t)(n < per ? n : per);

			r[nr] = (struct virtio_blk_discard_write_zeroes){
			    .sector = s, .num_sectors = len};
			if (type == VIRTIO_BLK_T_WRITE_ZEROES && !k)
				r[nr].flags =
				    VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
			s += len;
			n -= len;
		}
		seg.len = (uint32_t)(nr * sizeof(r[0]));
		st = blk_do(d, 0, type, 0, &seg, 1);
		if (st != VIRTIO_BLK_S_OK) {
			printk(
			    "FAIL: vblk: type %u of %u ranges from %lu: %s\n",
			    type, nr, (unsigned long)r[0].sector,
			    blk_status_name(st));
			return VBLK_EXIT_TEST;
		}
		k++;
	}
	return 0;
}

/* At least one used-buffer interrupt: they are asked for at every wait. */
static long irq_seen(struct vdev *d)
{
	for (unsigned long i = 0; i < 100000000UL && !d->irq_vring; i++)
		cpu_relax();
	if (!d->irq_vring) {
		printk("FAIL: vblk: no used-buffer interrupt from disk %u\n",
		       d->n);
		return VBLK_EXIT_TEST;
	}
	return 0;
}

long test_pattern(struct vdev *d)
{
	struct blk_info bi;
	struct io_run w, rd;
	char msg[96];
	long rc;
	uint8_t st;

	if (blk_init(d, VQ_MAXQ, &bi, msg, sizeof(msg))) {
		printk("FAIL: vblk: %s\n", msg);
		return VBLK_EXIT_DRIVER;
	}
	rc = blk_check(d, &bi);
	if (rc)
		return rc;
	w = (struct io_run){.d = d, .bi = &bi, .type = VIRTIO_BLK_T_OUT};
	rc = run_io(&w);
	if (rc)
		return rc;
	st = blk_do(d, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	if (st != VIRTIO_BLK_S_OK) {
		printk("FAIL: vblk: FLUSH: %s\n", blk_status_name(st));
		return VBLK_EXIT_TEST;
	}
	rd = (struct io_run){.d = d, .bi = &bi, .type = VIRTIO_BLK_T_IN};
	rc = run_io(&rd);
	if (rc)
		return rc;
	printk("vblk: pattern %lu sectors from %lu: %u writes, %u reads, "
	       "%u+%u in flight at most, %u doorbells\n",
	       (unsigned long)opts.sectors, (unsigned long)opts.start,
	       w.requests, rd.requests, d->q[0].max_inflight,
	       d->nq > 1 ? d->q[1].max_inflight : 0,
	       d->q[0].kicks + (d->nq > 1 ? d->q[1].kicks : 0));
	rd = (struct io_run){
	    .d = d, .bi = &bi, .type = VIRTIO_BLK_T_IN, .z = zero_ranges()};
	if (rd.z.on &&
	    (zero_range(d, VIRTIO_BLK_T_DISCARD, rd.z.disc, rd.z.disc_n,
			bi.max_discard_sectors, bi.max_discard_seg,
			bi.discard_align > 8 ? bi.discard_align : 8) ||
	     zero_range(d, VIRTIO_BLK_T_WRITE_ZEROES, rd.z.wz, rd.z.wz_n,
			bi.max_wz_sectors, bi.max_wz_seg, 1)))
		return VBLK_EXIT_TEST;
	rc = run_io(&rd);
	if (rc)
		return rc;
	printk("vblk: discarded %lu+%lu, zeroed %lu+%lu: zeros read back\n",
	       (unsigned long)rd.z.disc, (unsigned long)rd.z.disc_n,
	       (unsigned long)rd.z.wz, (unsigned long)rd.z.wz_n);
	st = blk_do(d, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	if (st != VIRTIO_BLK_S_OK) {
		printk("FAIL: vblk: FLUSH: %s\n", blk_status_name(st));
		return VBLK_EXIT_TEST;
	}
	return irq_seen(d);
}

long test_readonly(struct vdev *d)
{
	static uint8_t buf[8 * SECTOR];
	struct virtio_blk_discard_write_zeroes r = {.sector = opts.start,
						    .num_sectors = 8};
	struct vseg data = {buf, sizeof(buf), false},
		    rng = {&r, sizeof(r), false};
	const uint32_t types[] = {VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_DISCARD,
				  VIRTIO_BLK_T_WRITE_ZEROES};
	struct blk_info bi;
	struct io_run rd;
	char msg[96];
	long rc;

	if (blk_init(d, VQ_MAXQ, &bi, msg, sizeof(msg))) {
		printk("FAIL: vblk: %s\n", msg);
		return VBLK_EXIT_DRIVER;
	}
	rc = blk_check(d, &bi);
	if (rc)
		return rc;
	for (unsigned int i = 0; i < 3; i++) {
		uint8_t st = blk_do(d, 0, types[i], i ? 0 : opts.start,
				    i ? &rng : &data, 1);
		/* A type whose feature is not offered may get UNSUPP. */
		bool unsupp_ok =
		    i && !vdev_has(d, i == 1 ? VIRTIO_BLK_F_DISCARD
					     : VIRTIO_BLK_F_WRITE_ZEROES);

		printk("vblk: read-only: type %u: %s\n", types[i],
		       blk_status_name(st));
		if (st != VIRTIO_BLK_S_IOERR &&
		    !(unsupp_ok && st == VIRTIO_BLK_S_UNSUPP)) {
			printk("FAIL: vblk: type %u on a read-only disk: %s, "
			       "expected IOERR\n",
			       types[i], blk_status_name(st));
			return VBLK_EXIT_TEST;
		}
	}
	printk("vblk: read-only: FLUSH: %s\n",
	       blk_status_name(blk_do(d, 0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0)));
	rd = (struct io_run){.d = d, .bi = &bi, .type = VIRTIO_BLK_T_IN};
	rc = run_io(&rd);
	if (rc)
		return rc;
	printk("vblk: read-only: %lu sectors read as written\n",
	       (unsigned long)opts.sectors);
	return irq_seen(d);
}
