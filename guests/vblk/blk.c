/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk requests over vdrv.c's slots (virtio 1.2, 5.2): the config
 * space's limits, a request as header + data + status byte in one chain,
 * and the checks of every completion (the used id names a busy slot; on
 * success a read's used length is its data plus the status byte).
 */
#include "vblk.h"

#include <stddef.h>

#include <linux/virtio_config.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define CFG(field) ((uint32_t)offsetof(struct virtio_blk_config, field))

unsigned int blk_bad_used;

uint64_t blk_wanted_features(void)
{
	return (1ULL << VIRTIO_BLK_F_SIZE_MAX) |
	       (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_RO) |
	       (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
	       (1ULL << VIRTIO_BLK_F_TOPOLOGY) | (1ULL << VIRTIO_BLK_F_MQ) |
	       (1ULL << VIRTIO_BLK_F_DISCARD) |
	       (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
}

static void blk_read_config(struct vdev *d, struct blk_info *bi)
{
	*bi = (struct blk_info){.capacity = vcfg_read64(d, CFG(capacity)),
				.seg_max = VQ_IND - 2,
				.blk_size = SECTOR,
				.num_queues = 1};
	if (vdev_has(d, VIRTIO_BLK_F_SIZE_MAX))
		bi->size_max = vcfg_read32(d, CFG(size_max));
	if (vdev_has(d, VIRTIO_BLK_F_SEG_MAX))
		bi->seg_max = vcfg_read32(d, CFG(seg_max));
	if (vdev_has(d, VIRTIO_BLK_F_BLK_SIZE))
		bi->blk_size = vcfg_read32(d, CFG(blk_size));
	if (vdev_has(d, VIRTIO_BLK_F_MQ))
		/* u16 at offset 34: the high half of the word at 32. */
		bi->num_queues = (uint16_t)(vcfg_read32(d, CFG(wce)) >> 16);
	if (vdev_has(d, VIRTIO_BLK_F_DISCARD)) {
		bi->max_discard_sectors =
		    vcfg_read32(d, CFG(max_discard_sectors));
		bi->max_discard_seg = vcfg_read32(d, CFG(max_discard_seg));
		bi->discard_align =
		    vcfg_read32(d, CFG(discard_sector_alignment));
	}
	if (vdev_has(d, VIRTIO_BLK_F_WRITE_ZEROES)) {
		bi->max_wz_sectors =
		    vcfg_read32(d, CFG(max_write_zeroes_sectors));
		bi->max_wz_seg = vcfg_read32(d, CFG(max_write_zeroes_seg));
	}
	/* Header and status take two of a chain's descriptors. */
	bi->max_data_segs = bi->seg_max < VQ_IND - 2 ? bi->seg_max : VQ_IND - 2;
	if (!vdev_has(d, VIRTIO_RING_F_INDIRECT_DESC) &&
	    bi->max_data_segs > VQ_SLOT_DESC - 2)
		bi->max_data_segs = VQ_SLOT_DESC - 2;
}

int blk_init(struct vdev *d, unsigned int nq, struct blk_info *bi, char *msg,
	     size_t len)
{
	if (d->device_id != VIRTIO_ID_BLOCK) {
		snprintk(msg, len, "device %u is id %u, not virtio-blk", d->n,
			 d->device_id);
		return -1;
	}
	if (vdev_negotiate(d, blk_wanted_features(), msg, len))
		return -1;
	blk_read_config(d, bi);
	if (!bi->max_data_segs || !bi->num_queues) {
		snprintk(msg, len, "seg_max %u, num_queues %u", bi->seg_max,
			 bi->num_queues);
		return -1;
	}
	/* Config space after FEATURES_OK: num_queues needs MQ negotiated. */
	if (nq > bi->num_queues)
		nq = bi->num_queues;
	return vdev_start(d, nq, msg, len);
}

int blk_queue(struct vdev *d, unsigned int qi, unsigned int slot, uint32_t type,
	      uint64_t sector, const struct vseg *data, unsigned int n,
	      bool indirect)
{
	struct vq *q = &d->q[qi];
	struct vq_slot *sl = &q->slot[slot];
	struct vseg seg[VQ_IND];

	if (n + 2 > VQ_IND || sl->busy)
		return -1;
	/* virtio 1.2, 5.2.6: header, data, then the status byte, last. */
	sl->hdr = (struct virtio_blk_outhdr){.type = type, .sector = sector};
	sl->status = 0xee; /* the device must overwrite it */
	sl->data_len = 0;
	seg[0] = (struct vseg){&sl->hdr, sizeof(sl->hdr), false};
	for (unsigned int i = 0; i < n; i++) {
		seg[1 + i] = data[i];
		if (data[i].write)
			sl->data_len += data[i].len;
	}
	seg[n + 1] = (struct vseg){&sl->status, 1, true};
	if (vq_add(q, slot, seg, n + 2, indirect))
		return -1;
	sl->busy = true;
	if (++q->inflight > q->max_inflight)
		q->max_inflight = q->inflight;
	return 0;
}

/* Check one used entry; 0xff for one that names no request of ours. */
static uint8_t blk_complete(struct vq *q, uint32_t id, uint32_t len,
			    unsigned int *slot)
{
	struct vq_slot *sl;
	uint8_t st;
	bool bad_len;

	if (id % VQ_SLOT_DESC || id >= q->size ||
	    !q->slot[id / VQ_SLOT_DESC].busy) {
		if (blk_bad_used++ < 4)
			printk("vblk: queue %u: used id %u names no request\n",
			       q->index, id);
		*slot = VQ_SLOTS;
		return 0xff;
	}
	*slot = id / VQ_SLOT_DESC;
	sl = &q->slot[*slot];
	st = sl->status;
	sl->busy = false;
	q->inflight--;
	/* virtio 1.2, 2.7.8: len is what the device wrote. */
	if (st == VIRTIO_BLK_S_OK && sl->hdr.type == VIRTIO_BLK_T_IN)
		bad_len = len != sl->data_len + 1;
	else
		bad_len = len < 1 || len > sl->data_len + 1;
	if (bad_len) {
		if (blk_bad_used++ < 4)
			printk("vblk: type %u sector %lu: used len %u, wrote "
			       "%u data bytes + status %s\n",
			       sl->hdr.type, (unsigned long)sl->hdr.sector, len,
			       sl->data_len, blk_status_name(st));
		return 0xff;
	}
	return st;
}

int blk_reap(struct vdev *d, unsigned int qi, unsigned int *slot,
	     uint8_t *status)
{
	uint32_t id, len;

	if (!vq_reap(&d->q[qi], &id, &len))
		return 0;
	*status = blk_complete(&d->q[qi], id, len, slot);
	return 1;
}

uint8_t blk_do(struct vdev *d, unsigned int qi, uint32_t type, uint64_t sector,
	       const struct vseg *data, unsigned int n)
{
	struct vq *q = &d->q[qi];
	int slot = vq_free_slot(q);
	unsigned int got;
	uint32_t id, len;
	uint8_t st;

	if (slot < 0 || blk_queue(d, qi, (unsigned int)slot, type, sector, data,
				  n, n + 2 > VQ_SLOT_DESC))
		return 0xff;
	vq_publish(d, q);
	/* Only ours is in flight; an entry naming no request ends the wait. */
	do {
		vq_wait(q, &id, &len);
		st = blk_complete(q, id, len, &got);
	} while (got != (unsigned int)slot && got != VQ_SLOTS);
	return got == VQ_SLOTS ? 0xff : st;
}

void blk_raw_post(struct vdev *d, unsigned int qi, const struct vseg *seg,
		  unsigned int n, bool indirect)
{
	struct vq *q = &d->q[qi];

	if (vq_add(q, 0, seg, n, indirect))
		return;
	vq_publish(d, q);
}

int64_t blk_raw(struct vdev *d, unsigned int qi, const struct vseg *seg,
		unsigned int n, bool indirect)
{
	uint32_t id, len;

	if (n > (indirect ? VQ_IND : VQ_SLOT_DESC))
		return -1;
	blk_raw_post(d, qi, seg, n, indirect);
	vq_wait(&d->q[qi], &id, &len);
	/* Slot 0's head is descriptor 0: any other id is not ours. */
	return id ? -1 : (int64_t)len;
}

const char *blk_status_name(uint8_t status)
{
	static char buf[8];

	switch (status) {
	case VIRTIO_BLK_S_OK: return "OK";
	case VIRTIO_BLK_S_IOERR: return "IOERR";
	case VIRTIO_BLK_S_UNSUPP: return "UNSUPP";
	}
	snprintk(buf, sizeof(buf), "0x%x", status);
	return buf;
}

/* Python's bytes(range(256)) sliced at s * 7 + seed makes the same. */
void blk_pattern(uint8_t *buf, uint64_t s, uint64_t seed)
{
	uint8_t b = (uint8_t)(s * 7 + seed);

	memcpy(buf, &s, 8);
	memcpy(buf + 8, &seed, 8);
	for (unsigned int j = 16; j < SECTOR; j++)
		buf[j] = b++;
}
