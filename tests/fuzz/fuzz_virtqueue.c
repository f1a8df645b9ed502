/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the split virtqueue (src/virtio/virtqueue.c) over a fake guest
 * memory (tests/unit/fake_mem.c) whose bytes come from the input: the
 * descriptor table, indirect tables, avail ring and indices are all the
 * guest's to choose. The harness plays a device: it pops chains, reads
 * every device-readable byte and writes every device-writable one, and
 * pushes chains back in any order, between the queue calls a device and
 * its transport make (notification suppression, polling, feature
 * changes, reset and re-enable); the "guest" may rewrite memory in
 * between.
 *
 * Input: u8 features (bit 0 EVENT_IDX, bit 1 INDIRECT_DESC), u8 log2 of
 * the queue size, u16 desc/avail/used offsets in RAM, u8 length of the
 * ops, the ops (one byte each, some followed by arguments), then the RAM
 * image from guest address 0.
 *
 * Checked besides ASan/UBSan: every chain's iovecs lie inside guest RAM
 * and add up to its out_len and in_len, no more than the iovec array.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "fake_mem.h"
#include "input.h"
#include "virtio/virtqueue.h"

#define RAM	 (64u * 1024u)
#define MAX_IOV	 64
#define MAX_HELD 256
#define MAX_OPS	 64

enum op {
	OP_POP,	      /* pop a chain, touch it, hold it */
	OP_PUSH,      /* push held chain (u8 which), with a u32 length */
	OP_NOTIFY,    /* vq_should_notify() */
	OP_ENABLE,    /* vq_enable_notify() */
	OP_DISABLE,   /* vq_disable_notify() */
	OP_POLL,      /* vq_poll_start() / vq_poll_stop() */
	OP_POKE16,    /* the guest writes a u16 (u16 offset, u16 value) */
	OP_FEATURES,  /* vq_set_features() from a u8 */
	OP_RESET,     /* vq_reset() then vq_enable() again */
	OP_HAS_AVAIL, /* vq_has_avail() and the state */
	OP_DRAIN,     /* pop and push until empty or broken */
	OP_NR
};

static struct mem mem;
static uint8_t *ram;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	if (fake_mem_create(&mem, RAM))
		abort();
	ram = gpa_ptr(&mem, 0, RAM);
	if (!ram)
		abort();
	return 0;
}

/* What a device does with a chain: read it all, fill what it may write. */
static void touch(const struct vq_chain *c)
{
	size_t out = 0, in = 0;
	volatile uint8_t sum = 0;

	if (c->n_out + c->n_in > c->max)
		abort();
	for (unsigned int i = 0; i < c->n_out + c->n_in; i++) {
		const struct iovec *v = &c->iov[i];
		const uint8_t *p = v->iov_base;

		/* A zero-length descriptor is a NULL iovec. */
		if (!v->iov_len && !p)
			continue;
		if (v->iov_len > RAM || p < ram || p + v->iov_len > ram + RAM) {
			fprintf(stderr,
				"fuzz_virtqueue: iovec %u at %p, %zu bytes, "
				"RAM at %p\n",
				i, (const void *)p, v->iov_len, (void *)ram);
			abort();
		}
		if (i < c->n_out) {
			for (size_t j = 0; j < v->iov_len; j++)
				sum = (uint8_t)(sum + p[j]);
			out += v->iov_len;
		} else {
			memset(v->iov_base, 0xa5, v->iov_len);
			in += v->iov_len;
		}
	}
	if (out != c->out_len || in != c->in_len)
		abort();
}

struct held {
	uint16_t head;
	uint32_t in_len;
};

static struct held held[MAX_HELD];
static unsigned int n_held;

static int pop(struct virtqueue *vq)
{
	struct iovec iov[MAX_IOV];
	struct vq_chain c = {.iov = iov, .max = MAX_IOV};
	int r = vq_pop(vq, &c);

	if (r == 1) {
		touch(&c);
		if (c.head >= vq->size)
			abort();
		if (n_held == MAX_HELD) /* a device would have pushed it */
			vq_push(vq, c.head, 0);
		else
			held[n_held++] = (struct held){c.head, c.in_len};
	}
	return r;
}

static void push(struct virtqueue *vq, unsigned int which, uint32_t len)
{
	struct held h;

	if (!n_held)
		return;
	which %= n_held;
	h = held[which];
	held[which] = held[--n_held];
	/* A device never claims more than the chain could hold. */
	vq_push(vq, h.head, len % (h.in_len + 1u));
}

static void step(struct virtqueue *vq, struct fuzz_in *in, bool *polled)
{
	unsigned int op = fuzz_u8(in) % OP_NR, which, off;
	struct vq_state st;
	gpa_t desc, avail, used;
	uint16_t qsize;
	uint32_t len;

	switch (op) {
	case OP_POP: pop(vq); break;
	case OP_PUSH:
		which = fuzz_u8(in);
		len = fuzz_u32(in);
		push(vq, which, len);
		break;
	case OP_NOTIFY: (void)vq_should_notify(vq); break;
	case OP_ENABLE: (void)vq_enable_notify(vq); break;
	case OP_DISABLE: vq_disable_notify(vq); break;
	case OP_POLL:
		if (*polled)
			vq_poll_stop(vq);
		else
			vq_poll_start(vq);
		*polled = !*polled;
		break;
	case OP_POKE16:
		off = fuzz_u16(in) % (RAM - 1);
		len = fuzz_u16(in);
		memcpy(ram + off, &len, 2);
		break;
	case OP_FEATURES:
		which = fuzz_u8(in);
		vq_set_features(vq, which & 1, which & 2);
		break;
	case OP_RESET: /* the transport's reset, then the same rings */
		which = fuzz_u8(in);
		qsize = vq->size;
		desc = vq->desc_gpa;
		avail = vq->avail_gpa;
		used = vq->used_gpa;
		vq_reset(vq);
		n_held = 0;
		*polled = false;
		vq->size = qsize;
		vq->desc_gpa = desc;
		vq->avail_gpa = avail;
		vq->used_gpa = used;
		(void)vq_enable(vq, &mem, which & 1, which & 2);
		break;
	case OP_HAS_AVAIL:
		(void)vq_has_avail(vq);
		vq_get_state(vq, &st);
		break;
	case OP_DRAIN:
		for (unsigned int i = 0; i < 2 * VQ_SIZE_LIMIT; i++) {
			if (pop(vq) != 1)
				break;
			push(vq, n_held - 1, held[n_held - 1].in_len);
		}
		(void)vq_should_notify(vq);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t features = fuzz_u8(&in);
	unsigned int log2 = fuzz_u8(&in) % 16;
	struct virtqueue vq = {.max_size = VQ_SIZE_LIMIT};
	struct fuzz_in ops;
	const uint8_t *image;
	bool polled = false;
	size_t len;

	vq_reset(&vq);
	vq.size = (uint16_t)(1u << log2);
	vq.desc_gpa = fuzz_u16(&in);
	vq.avail_gpa = fuzz_u16(&in);
	vq.used_gpa = fuzz_u16(&in);
	ops.p = fuzz_bytes(&in, fuzz_u8(&in), &ops.n);
	image = fuzz_bytes(&in, in.n, &len);
	memset(ram, 0, RAM);
	if (len)
		memcpy(ram, image, len < RAM ? len : RAM);
	n_held = 0;
	if (vq_enable(&vq, &mem, features & 1, features & 2))
		return 0;
	for (unsigned int i = 0; i < MAX_OPS && ops.n; i++)
		step(&vq, &ops, &polled);
	if (polled)
		vq_poll_stop(&vq);
	return 0;
}
