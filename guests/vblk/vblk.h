/* SPDX-License-Identifier: MIT */
/*
 * guests/vblk: a freestanding guest with minimal virtio-mmio drivers for
 * virtio-blk and virtio-rng, for tests/guest/virtio_blk.sh. main.c (CPL 0)
 * finds every device through the "virtio_mmio.device=" command-line
 * entries, routes their interrupts and runs the chosen test at CPL 3
 * (user_call()): vdrv.c is the transport and split-queue driver (request
 * slots, direct or indirect chains, EVENT_IDX), blk.c the virtio-blk
 * requests, tests.c the data tests (pattern, readonly), framing.c chains
 * cut in unusual places, hostile.c the hostile test, rng.c virtio-rng.
 */
#ifndef GUESTS_VBLK_H
#define GUESTS_VBLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

/* Entries per queue at most (virtio-blk offers 256, virtio-rng 64). */
#define VQ_N 256
/*
 * Request slots per queue of VQ_N. Slot s owns ring descriptors [4s, 4s + 4)
 * (header, two data segments, status as a direct chain) and an indirect
 * table of VQ_IND entries, so a used id names its slot: id / 4.
 */
#define VQ_SLOTS     64
#define VQ_SLOT_DESC (VQ_N / VQ_SLOTS)
#define VQ_IND	     32
/* Queues per device the driver sets up (virtio-blk MQ: at most 2). */
#define VQ_MAXQ 2
/* virtio-mmio devices vmm can announce (one IOAPIC pin each, GSI 16..23). */
#define VDEV_MAX 8
/* Interrupt vector of device n's IOAPIC pin: VDEV_VECTOR + n. */
#define VDEV_VECTOR 0x50

#define SECTOR 512u

/* The guest's exit codes (beyond lib/exit.h's, which end at 23). */
#define VBLK_EXIT_NODEV	 30 /* a device the test needs is not announced */
#define VBLK_EXIT_DRIVER 31 /* the device refused the driver's set-up */
#define VBLK_EXIT_TEST	 32 /* a test saw wrong data or status */

/*
 * The rings at their largest; a queue of size n has its used_event at
 * avail.ring[n] and its avail_event at used.ring[n] (virtio 1.2, 2.7).
 */
struct vq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[VQ_N + 1];
};

struct vq_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[VQ_N + 1];
};

/* A slot's request header and status byte, never shared between slots. */
struct vq_slot {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	bool busy;
	uint32_t data_len; /* device-writable data bytes (for the used len) */
};

struct vq {
	unsigned int index;
	uint16_t size;	     /* VQ_N, or QueueNumMax if smaller */
	unsigned int nslots; /* size / VQ_SLOT_DESC */
	volatile struct vring_desc *desc;
	volatile struct vq_avail *avail;
	volatile struct vq_used *used;
	volatile uint16_t *used_event, *avail_event;
	volatile struct vring_desc (*ind)[VQ_IND]; /* VQ_SLOTS tables */
	struct vq_slot *slot;			   /* VQ_SLOTS */
	uint16_t avail_idx;  /* next avail index to publish */
	uint16_t pub_idx;    /* avail_idx at the last publication */
	uint16_t used_idx;   /* next used index to consume */
	uint16_t kicked_idx; /* avail_idx at the last doorbell check */
	unsigned int kicks;  /* doorbells actually written */
	unsigned int inflight, max_inflight;
};

struct vdev {
	unsigned int n; /* position on the command line */
	uint64_t base;	/* register window */
	unsigned int gsi;
	uint32_t device_id; /* read at discovery */
	uint64_t offered;   /* device features */
	uint64_t features;  /* negotiated */
	unsigned int nq;
	struct vq q[VQ_MAXQ];
	volatile uint64_t irq_vring, irq_config;
};

/* One driver buffer: a descriptor's address, length and direction. */
struct vseg {
	void *addr;
	uint32_t len;
	bool write; /* device-writable */
};

/* main.c: the devices in command-line order. */
extern struct vdev vdevs[VDEV_MAX];
extern unsigned int nr_vdevs;

/* vdrv.c: registers. */
uint32_t vreg_read(const struct vdev *d, uint32_t off);
void vreg_write(const struct vdev *d, uint32_t off, uint32_t val);
/* Config space at @off, with the generation check (virtio 1.2, 2.5.1). */
uint32_t vcfg_read32(const struct vdev *d, uint32_t off);
uint64_t vcfg_read64(const struct vdev *d, uint32_t off);

/*
 * Reset the device and initialise it (virtio 1.2, 3.1.1) with @nq queues
 * of VQ_N entries, accepting the offered features in @want (plus
 * VERSION_1, and EVENT_IDX and INDIRECT_DESC unless opts.plain). Returns
 * 0, or -1 with a reason in @msg.
 */
int vdev_init(struct vdev *d, uint64_t want, unsigned int nq, char *msg,
	      size_t len);
/* vdev_init() in two: up to FEATURES_OK, then the queues and DRIVER_OK. */
int vdev_negotiate(struct vdev *d, uint64_t want, char *msg, size_t len);
int vdev_start(struct vdev *d, unsigned int nq, char *msg, size_t len);

/* Write status 0 and wait until it reads back 0 (virtio 1.2, 4.2.3.1). */
void vdev_reset(struct vdev *d);

/* True if feature @bit was negotiated. */
static inline bool vdev_has(const struct vdev *d, unsigned int bit)
{
	return d->features & (1ULL << bit);
}

/*
 * Put @n buffers in slot @slot's chain: direct (n <= VQ_SLOT_DESC) or
 * through its indirect table (n <= VQ_IND), and its head in the avail
 * ring, unpublished. Returns 0, or -1 if the chain does not fit.
 */
int vq_add(struct vq *q, unsigned int slot, const struct vseg *seg,
	   unsigned int n, bool indirect);

/* Put descriptor @head in the avail ring as is (hostile chains). */
void vq_add_head(struct vq *q, uint16_t head);

/* Publish what vq_add() queued; doorbell if due (virtio 1.2, 2.7.10). */
void vq_publish(struct vdev *d, struct vq *q);

/* Take the next used entry: 1 with id/len, 0 if none yet. */
int vq_reap(struct vq *q, uint32_t *id, uint32_t *len);

/* Spin (at CPL 3) until a used entry arrives. */
void vq_wait(struct vq *q, uint32_t *id, uint32_t *len);

/* A free slot of @q (below q->nslots), or -1. */
int vq_free_slot(const struct vq *q);

/* blk.c: the device's geometry and limits, from its config space. */
struct blk_info {
	uint64_t capacity; /* 512-byte sectors */
	uint32_t size_max, seg_max, blk_size;
	uint16_t num_queues;
	uint32_t max_discard_sectors, max_discard_seg;
	uint32_t discard_align;
	uint32_t max_wz_sectors, max_wz_seg;
	unsigned int max_data_segs; /* what we may put in one chain */
};

/* Features the driver accepts from a virtio-blk device. */
uint64_t blk_wanted_features(void);

/* Initialise @d as virtio-blk with up to @nq queues; fill @bi. */
int blk_init(struct vdev *d, unsigned int nq, struct blk_info *bi, char *msg,
	     size_t len);

/*
 * Queue (unpublished) request @type at @sector in slot @slot of queue @qi:
 * header, the @n data buffers in @data, the status byte. Returns 0 or -1.
 */
int blk_queue(struct vdev *d, unsigned int qi, unsigned int slot, uint32_t type,
	      uint64_t sector, const struct vseg *data, unsigned int n,
	      bool indirect);

/*
 * Reap one completion of queue @qi: 1 with the slot and its status, 0 if
 * none. A used entry that names no busy slot, or a used length other than
 * the data written plus the status byte on success, counts in
 * blk_bad_used and returns status 0xff.
 */
int blk_reap(struct vdev *d, unsigned int qi, unsigned int *slot,
	     uint8_t *status);
extern unsigned int blk_bad_used;

/* One request, synchronously: its status (0xff: a bad completion). */
uint8_t blk_do(struct vdev *d, unsigned int qi, uint32_t type, uint64_t sector,
	       const struct vseg *data, unsigned int n);

/*
 * Slot 0 of queue @qi (which must be free) as the raw chain @seg, for the
 * framing and hostile tests: blk_raw_post() publishes it, blk_raw() also
 * waits and returns the used length, or -1 if the used id is not slot 0.
 */
void blk_raw_post(struct vdev *d, unsigned int qi, const struct vseg *seg,
		  unsigned int n, bool indirect);
int64_t blk_raw(struct vdev *d, unsigned int qi, const struct vseg *seg,
		unsigned int n, bool indirect);

/* "OK", "IOERR", "UNSUPP" or "0x%x". */
const char *blk_status_name(uint8_t status);

/*
 * The test pattern of 512-byte sector @s for seed @seed, as the host
 * script computes it: @s and @seed as 8 little-endian bytes each, then
 * bytes (s * 7 + seed + j) & 0xff for j = 0..495.
 */
void blk_pattern(uint8_t *buf, uint64_t s, uint64_t seed);

/* The test options (main.c parses them from the command line). */
struct vblk_opts {
	uint64_t seed;
	uint64_t start, sectors; /* the range the pattern test uses */
	uint64_t capacity;	 /* expected, 0: unchecked */
	char serial[24];	 /* expected GET_ID, "": unchecked */
	bool readonly;		 /* RO expected on the (first) disk */
	bool plain;		 /* no EVENT_IDX, no INDIRECT_DESC */
	uint64_t rng_bytes;
	char order[40]; /* expected device ids, e.g. "3,2,2,4" */
};
extern struct vblk_opts opts;

/* The first device with @id at or after position @from, or NULL. */
struct vdev *vdev_find(uint32_t id, unsigned int from);

/*
 * tests.c: the features offered (RO as opts.readonly says), the capacity
 * and range, GET_ID against opts.serial. 0 or VBLK_EXIT_TEST.
 */
long blk_check(struct vdev *d, const struct blk_info *bi);

/* The tests (tests.c, framing.c, hostile.c, rng.c): 0 or VBLK_EXIT_*. */
long test_pattern(struct vdev *d);
long test_readonly(struct vdev *d);
long test_framing(struct vdev *d);
long test_hostile(struct vdev *victim, struct vdev *bystander);
long test_rng(struct vdev *d);

#endif /* GUESTS_VBLK_H */
