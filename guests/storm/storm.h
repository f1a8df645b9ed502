/* SPDX-License-Identifier: MIT */
/*
 * guests/storm: a hostile guest for tests/guest/hostile_storm.sh. It
 * attacks every virtio-mmio device vmm announces except one virtio-blk
 * disk it spares, then shows that the spared disk, the console and vmm
 * itself still work. Everything is drawn from one seed (storm.seed= on
 * the command line), so a failing run can be replayed.
 *
 * main.c     entry at CPL 0: options, devices, interrupts, the phases
 * vq.c       a small virtio-mmio driver: reset, features, rings, chains
 * regs.c     phase 1: random register and port accesses
 * chains.c   phase 2: malformed chains on every queue
 * bells.c    phase 3 and 5: a flood of doorbells, an interrupt storm
 * resets.c   phase 4: resets with I/O in flight, then a fresh start
 * vsock.c    phase 4 for virtio-vsock: a reset with a connection open
 * spare.c    the proof: the spared disk written, flushed and read back
 *
 * Memory a device may write is confined to two places: the rings of the
 * attacked devices (struct sq_mem) and the junk arena. Every address the
 * storm hands a device is either inside those or outside guest RAM, so
 * the guest's own code and data survive whatever the device does.
 */
#ifndef GUESTS_STORM_H
#define GUESTS_STORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

/* Devices vmm can announce (one IOAPIC pin each, GSI 16..23). */
#define SDEV_MAX 8
/* Queues per device the storm drives (console 2, vsock 3, net 2, ...). */
#define SQ_MAX 4
/* Entries per ring at most; a device offering fewer gets its maximum. */
#define SQ_N 256
/* Interrupt vector of device n: SDEV_VECTOR + n. */
#define SDEV_VECTOR 0x50

#define JUNK_SIZE (1u << 20)

#define SECTOR 512u

/* Exit codes (beyond lib/exit.h's, which end at 23). */
#define STORM_EXIT_NODEV  30 /* no spare disk, or an unusable command line */
#define STORM_EXIT_DRIVER 31 /* a device refused a well-formed set-up */
#define STORM_EXIT_DATA	  32 /* the spared disk or a device lost data */

/* xorshift64*: small, and the same sequence for the same seed. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A generator state from a seed (never 0: xorshift would stay there). */
static inline uint64_t rnd_init(uint64_t seed)
{
	uint64_t s = (seed + 1) * 0x9e3779b97f4a7c15ULL;

	return s ? s : 1;
}

/* A number below @n (n > 0). */
static inline uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rnd(s) >> 32) % n);
}

/* The rings at their largest (virtio 1.2, 2.7: 16, 2, 4-aligned). */
struct sq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[SQ_N + 1]; /* + used_event */
};

struct sq_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[SQ_N];
	uint16_t avail_event;
};

struct sq_mem {
	struct vring_desc desc[SQ_N] __attribute__((aligned(4096)));
	struct sq_avail avail __attribute__((aligned(4096)));
	struct sq_used used __attribute__((aligned(4096)));
	struct vring_desc ind[4][64] __attribute__((aligned(4096)));
} __attribute__((aligned(4096)));

struct squeue {
	unsigned int index;
	uint16_t size; /* power of 2, at most SQ_N */
	struct sq_mem *m;
	uint16_t avail_idx; /* next avail index we publish */
	uint16_t used_idx;  /* next used entry we consume */
	uint16_t next_desc; /* round-robin descriptor allocation */
};

struct sdev {
	unsigned int n; /* position on the command line */
	uint64_t base;	/* register window */
	unsigned int gsi;
	uint32_t device_id;
	bool spare; /* never attacked */
	unsigned int nq;
	uint64_t features;
	struct squeue q[SQ_MAX];
	volatile uint64_t irqs, irq_config;
};

/* A buffer of a chain. */
struct sseg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* main.c */
extern struct sdev sdevs[SDEV_MAX];
extern unsigned int nr_sdevs;
extern uint64_t ram_end; /* end of the RAM below 4 GiB the storm knows */
extern uint8_t junk[JUNK_SIZE];
/* The next device id @id at or after position @from, or NULL. */
struct sdev *sdev_find(uint32_t id, unsigned int from);
/* Attacked devices' interrupt handler acks random bits from this seed. */
extern uint64_t irq_seed;

/* A spot in the junk arena: @len bytes at an offset from @s. */
uint64_t junk_addr(uint64_t *s, uint32_t len);
/* An address a device must refuse: past RAM, in the MMIO hole, 2^48. */
uint64_t bad_addr(uint64_t *s);

/* vq.c: registers (4-byte) and the status handshake. */
uint32_t sreg_read(const struct sdev *d, uint32_t off);
void sreg_write(const struct sdev *d, uint32_t off, uint32_t val);
/* Status 0, and wait (bounded) until it reads back 0. */
void sdev_reset(struct sdev *d);
/*
 * Reset, ACKNOWLEDGE, DRIVER, accept the offered features in @want (with
 * VERSION_1), FEATURES_OK; set up every queue below @nq at @nq's rings;
 * DRIVER_OK. 0, or -1 with a reason printed.
 */
int sdev_init(struct sdev *d, uint64_t want, unsigned int nq);
/* Up to FEATURES_OK only (for set-ups the storm breaks on purpose). */
int sdev_negotiate(struct sdev *d, uint64_t want);
/* Program queue @i's size and ring addresses, ready or not. */
void sq_program(struct sdev *d, unsigned int i, uint32_t size, uint64_t desc,
		uint64_t avail, uint64_t used, bool ready);
/* Fresh rings for queue @i (memory cleared, indices 0). */
void sq_setup(struct sdev *d, unsigned int i);
/* A chain of @n buffers, direct, in the avail ring; not yet published. */
void sq_add(struct squeue *q, const struct sseg *seg, unsigned int n);
/* Publish and ring the doorbell. */
void sq_kick(struct sdev *d, struct squeue *q);
/* Take one used entry: 1 with id and len, 0 if none. */
int sq_reap(struct squeue *q, uint32_t *id, uint32_t *len);
/* Spin up to @spins times for a used entry: 1 with id/len, 0 if none. */
int sq_wait(struct squeue *q, uint32_t *id, uint32_t *len, unsigned long spins);
/* The memory of queue @i of device @d. */
struct sq_mem *sq_mem(const struct sdev *d, unsigned int i);

/* The phases: each returns 0, or a STORM_EXIT_* code after a FAIL line. */
long phase_regs(uint64_t seed, unsigned long rounds);
long phase_chains(uint64_t seed, unsigned long rounds);
long phase_doorbells(uint64_t seed, unsigned long count);
long phase_resets(uint64_t seed);
long phase_irqs(uint64_t seed, unsigned long completions);
long phase_vsock(struct sdev *d, uint64_t seed, uint32_t port);
long spare_check(struct sdev *d, uint64_t seed);

/* Counters the final line reports. */
extern unsigned long n_doorbells, n_irqs, n_needs_reset;

#endif /* GUESTS_STORM_H */
