/* SPDX-License-Identifier: MIT */
/*
 * Phase 2: malformed chains and broken queue set-ups, each case on a
 * random queue of a random attacked device, from a fresh reset: buffers
 * outside RAM, lengths of 2 GiB and more, next out of range, loops, an
 * indirect table inside an indirect table, indirect tables of zero or a
 * misaligned length or outside RAM, an indirect descriptor inside a
 * chain, avail->idx far ahead, a head out of range, rings outside RAM or
 * across its end, queue sizes that are not powers of 2, a queue changed
 * after it was enabled (and disabled, moved and enabled again), readable
 * after writable, zero-length buffers, tables of random descriptors, and
 * plausible requests full of random bytes (for the devices to parse).
 * vmm must refuse each with NEEDS_RESET or serve it; the case then ends
 * with the next case's reset, whether the device finished or not.
 */
#include "storm.h"

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

enum kind {
	K_OUTSIDE,
	K_HUGE,
	K_NEXT,
	K_LOOP,
	K_NESTED,
	K_IND_LEN,
	K_IND_BAD,
	K_IND_IN_CHAIN,
	K_AVAIL_JUMP,
	K_HEAD,
	K_USED_BAD,
	K_DESC_BAD,
	K_SIZE,
	K_CHANGE,
	K_GARBAGE,
	K_ORDER,
	K_ZERO,
	K_PLAUSIBLE,
	K_COUNT
};

static const char *const kind_name[K_COUNT] = {
    "outside RAM",	     "huge length",
    "next out of range",     "loop",
    "nested indirect",	     "indirect length",
    "indirect outside RAM",  "indirect in a chain",
    "avail idx jump",	     "head out of range",
    "used ring outside RAM", "bad descriptor table",
    "bad queue size",	     "changed after enable",
    "random table",	     "readable after writable",
    "zero lengths",	     "random request",
};

static unsigned long per_kind[K_COUNT];

/* A descriptor in the junk arena, @len bytes of random content. */
static struct vring_desc junk_desc(uint64_t *s, uint32_t len, uint16_t flags,
				   uint16_t next)
{
	uint64_t a = junk_addr(s, len);
	uint8_t *p = (uint8_t *)(uintptr_t)a;

	for (uint32_t i = 0; i < len && i < 64; i++)
		p[i] = (uint8_t)rnd(s);
	return (struct vring_desc){a, len, flags, next};
}

/* Descriptor @i of a random table: anything, within the rules of junk. */
static struct vring_desc random_desc(uint64_t *s, uint16_t size)
{
	uint16_t flags = (uint16_t)rnd_below(s, 8);
	uint16_t next =
	    (uint16_t)(rnd_below(s, 4) ? rnd_below(s, size) : rnd(s));
	uint32_t len = rnd_below(s, 3) ? rnd_below(s, 4096) : (uint32_t)rnd(s);

	if (flags & VRING_DESC_F_INDIRECT)
		len = 16 * rnd_below(s, 8);
	if (len < JUNK_SIZE && rnd_below(s, 4))
		return junk_desc(s, len, flags, next);
	return (struct vring_desc){bad_addr(s), len | 0x80000000u, flags, next};
}

/* Post head @head on @q and ring. */
static void post(struct sdev *d, struct squeue *q, uint16_t head)
{
	q->m->avail.ring[q->avail_idx % q->size] = head;
	q->avail_idx++;
	sq_kick(d, q);
}

/* Build the chain of @k at the start of @q's table and post it. */
static void chain_case(struct sdev *d, struct squeue *q, enum kind k,
		       uint64_t *s)
{
	volatile struct vring_desc *t = q->m->desc;
	struct vring_desc *ind = q->m->ind[rnd_below(s, 4)];
	uint16_t n = q->size, W = VRING_DESC_F_WRITE, N = VRING_DESC_F_NEXT;
	uint16_t I = VRING_DESC_F_INDIRECT;

	t[0] = junk_desc(s, 16 + rnd_below(s, 48), N, 1);
	t[1] = junk_desc(s, 1 + rnd_below(s, 512), W, 0);
	switch (k) {
	case K_OUTSIDE: t[rnd_below(s, 2)].addr = bad_addr(s); break;
	case K_HUGE:
		t[rnd_below(s, 2)].len = 0x80000000u | (uint32_t)rnd(s);
		break;
	case K_NEXT:
		t[1].flags |= N;
		t[1].next = (uint16_t)(n + rnd_below(s, 0x10000 - n));
		break;
	case K_LOOP:
		t[1].flags |= N;
		t[1].next = (uint16_t)rnd_below(s, 2);
		break;
	case K_NESTED:
		ind[0] = (struct vring_desc){(uintptr_t)q->m->ind[0], 32, I, 0};
		ind[1] = junk_desc(s, 64, W, 0);
		t[0] = (struct vring_desc){(uintptr_t)ind, 32, I, 0};
		break;
	case K_IND_LEN:
		ind[0] = junk_desc(s, 64, 0, 0);
		t[0] = (struct vring_desc){
		    (uintptr_t)ind + rnd_below(s, 2),
		    rnd_below(s, 2) ? 0 : 1 + 16 * rnd_below(s, 4), I, 0};
		if (!(t[0].len % 16) && t[0].len)
			t[0].len++;
		break;
	case K_IND_BAD:
		t[0] = (struct vring_desc){bad_addr(s),
					   16 * (1 + rnd_below(s, 4)), I, 0};
		if (rnd_below(s, 2)) { /* or longer than any chain may be */
			t[0].addr = junk_addr(s, 65536);
			t[0].len = 65536;
		}
		break;
	case K_IND_IN_CHAIN:
		ind[0] = junk_desc(s, 64, W, 0);
		t[1] = (struct vring_desc){(uintptr_t)ind, 16,
					   (uint16_t)(I | rnd_below(s, 2)), 0};
		break;
	case K_AVAIL_JUMP:
		q->avail_idx =
		    (uint16_t)(q->avail_idx + n + rnd_below(s, 0x8000));
		break;
	case K_HEAD:
		post(d, q, (uint16_t)(n + rnd_below(s, 0x10000 - n)));
		return;
	case K_GARBAGE:
		for (uint16_t i = 0; i < n; i++)
			t[i] = random_desc(s, n);
		for (unsigned int i = rnd_below(s, 8); i; i--)
			q->m->avail.ring[(q->avail_idx++) % n] =
			    (uint16_t)(rnd_below(s, 8) ? rnd_below(s, n)
						       : rnd(s));
		break;
	case K_ORDER:
		t[0].flags |= W;
		t[1].flags &= (uint16_t)~W;
		break;
	case K_ZERO:
		t[0].len = 0;
		t[1].len = rnd_below(s, 2) ? 0 : t[1].len;
		break;
	default: /* K_PLAUSIBLE: random header, data and status room */
		t[1] = junk_desc(s, 1 + rnd_below(s, 4096),
				 (uint16_t)(rnd_below(s, 2) ? 0 : W) | N, 2);
		t[2] = junk_desc(s, 1 + rnd_below(s, 64), W, 0);
		break;
	}
	post(d, q, 0);
}

/* Queue @q set up wrongly, as @k says; returns false if it is a chain case. */
static bool setup_case(struct sdev *d, unsigned int qi, enum kind k,
		       uint64_t *s)
{
	struct sq_mem *m = sq_mem(d, qi);
	uint32_t max, size = d->q[qi].size;
	uint64_t desc = (uintptr_t)m->desc, avail = (uintptr_t)&m->avail;
	uint64_t used = (uintptr_t)&m->used;

	switch (k) {
	case K_USED_BAD:
		used = rnd_below(s, 2) ? bad_addr(s) & ~3ULL : (ram_end - 16);
		break;
	case K_DESC_BAD:
		desc = rnd_below(s, 2) ? bad_addr(s) & ~15ULL
				       : junk_addr(s, 4096) | 8;
		break;
	case K_SIZE:
		sreg_write(d, VIRTIO_MMIO_QUEUE_SEL, qi);
		max = sreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX);
		size =
		    (uint32_t[]){0,	  3,	   max + 1,
				 max * 2, 0x10000, (uint32_t)rnd(s)}[rnd_below(
			s, 6)];
		break;
	default: return false;
	}
	sq_program(d, qi, size, desc, avail, used, true);
	return true;
}

/* Ready, running, then changed under the device and enabled again. */
static void change_case(struct sdev *d, struct squeue *q, uint64_t *s)
{
	struct sq_mem *m = q->m;

	sreg_write(d, VIRTIO_MMIO_QUEUE_SEL, q->index);
	sreg_write(d, VIRTIO_MMIO_QUEUE_NUM, q->size / 2);
	sreg_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)bad_addr(s));
	sreg_write(d, VIRTIO_MMIO_QUEUE_READY, 0);
	if (rnd_below(s, 2))
		sreg_write(d, VIRTIO_MMIO_QUEUE_USED_LOW,
			   (uint32_t)(0xc0000000u | rnd_below(s, 1u << 30)));
	else
		sreg_write(d, VIRTIO_MMIO_QUEUE_USED_LOW,
			   (uint32_t)(uintptr_t)&m->used);
	sreg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	chain_case(d, q, K_PLAUSIBLE, s);
}

static long one_case(struct sdev *d, uint64_t *s)
{
	unsigned int qi = rnd_below(s, d->nq);
	enum kind k = (enum kind)rnd_below(s, K_COUNT);
	uint64_t want = rnd(s) | (1ULL << VIRTIO_F_VERSION_1);
	struct squeue *q = &d->q[qi];
	uint16_t before;

	per_kind[k]++;
	if (sdev_negotiate(d, want))
		return STORM_EXIT_DRIVER;
	for (unsigned int i = 0; i < d->nq; i++)
		sq_setup(d, i);
	/* Queue set-up cases: program the queue again, wrongly. */
	(void)setup_case(d, qi, k, s);
	sreg_write(d, VIRTIO_MMIO_STATUS, 0xf);
	if (k == K_CHANGE)
		change_case(d, q, s);
	else
		chain_case(d, q, k, s);
	before = q->used_idx;
	for (unsigned int i = 0; i < 2000; i++) {
		if (q->m->used.idx != before)
			break;
		cpu_relax();
	}
	if (sreg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
		n_needs_reset++;
	return 0;
}

long phase_chains(uint64_t seed, unsigned long rounds)
{
	uint64_t s = rnd_init(seed);
	struct sdev *att[SDEV_MAX];
	unsigned int n = 0;
	long rc = 0;

	for (unsigned int i = 0; i < nr_sdevs; i++)
		if (!sdevs[i].spare && sdevs[i].nq)
			att[n++] = &sdevs[i];
	for (unsigned long i = 0; !rc && n && i < rounds; i++)
		rc = one_case(att[rnd_below(&s, n)], &s);
	for (unsigned int i = 0; i < n; i++)
		sdev_reset(att[i]);
	printk("storm: chains: %lu cases, %lu ended in NEEDS_RESET:", rounds,
	       n_needs_reset);
	for (unsigned int k = 0; k < K_COUNT; k++)
		printk(" %s %lu%s", kind_name[k], per_kind[k],
		       k + 1 < K_COUNT ? "," : "\n");
	return rc;
}
