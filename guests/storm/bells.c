/* SPDX-License-Identifier: MIT */
/*
 * Phase 3, the doorbell flood: QueueNotify writes spread over every queue
 * of every attacked device, mostly wired ones (an ioeventfd each), some
 * to queues that do not exist (a KVM_EXIT_MMIO each), with devices reset
 * and started again along the way and the rng given work now and then.
 * Phase 5, the interrupt storm: batches of virtio-rng completions with
 * every interrupt wanted, acknowledged with random bits by the handler.
 */
#include "storm.h"

#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"

/* Give the rng something to do: @n small writable buffers. */
static void feed_rng(struct sdev *r, unsigned int n, uint64_t *s)
{
	struct squeue *q = &r->q[0];

	for (unsigned int i = 0; i < n; i++) {
		uint32_t len = 1 + rnd_below(s, 64);
		struct sseg seg = {junk_addr(s, len), len, true};

		sq_add(q, &seg, 1);
	}
	sq_kick(r, q);
}

long phase_doorbells(uint64_t seed, unsigned long count)
{
	uint64_t s = rnd_init(seed);
	struct sdev *att[SDEV_MAX], *rng = NULL;
	unsigned int n = 0;
	unsigned long stray = 0;

	for (unsigned int i = 0; i < nr_sdevs; i++) {
		struct sdev *d = &sdevs[i];

		if (d->spare || !d->nq)
			continue;
		if (sdev_init(d, 0, d->nq))
			return STORM_EXIT_DRIVER;
		att[n++] = d;
		if (d->device_id == VIRTIO_ID_RNG)
			rng = d;
	}
	for (unsigned long i = 0; n && i < count; i++) {
		struct sdev *d = att[rnd_below(&s, n)];
		uint32_t qv = rnd_below(&s, d->nq);

		if (!rnd_below(&s, 16)) {
			qv = (uint32_t)rnd(&s) | d->nq;
			stray++;
		}
		sreg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, qv);
		n_doorbells++;
		if (!(i & 0xfff)) {
			/* Now and then a device starts over mid-flood. */
			d = att[rnd_below(&s, n)];
			if (sdev_init(d, 0, d->nq))
				return STORM_EXIT_DRIVER;
		}
		if (rng && !(i & 0xff)) {
			struct squeue *q = &rng->q[0];
			uint32_t id, len;

			while (sq_reap(q, &id, &len))
				;
			if ((uint16_t)(q->avail_idx - q->used_idx) <
			    q->size / 2)
				feed_rng(rng, 4, &s);
		}
	}
	for (unsigned int i = 0; i < n; i++)
		sdev_reset(att[i]);
	printk("storm: doorbells: %lu QueueNotify writes, %lu to queues that "
	       "do not exist\n",
	       n_doorbells, stray);
	return 0;
}

long phase_irqs(uint64_t seed, unsigned long completions)
{
	uint64_t s = rnd_init(seed);
	struct sdev *r = sdev_find(VIRTIO_ID_RNG, 0);
	unsigned long done = 0, n_acks = 0;
	uint64_t irqs0;
	uint32_t id, len;

	if (!r || r->spare) {
		printk("storm: interrupts: no virtio-rng, skipped\n");
		return 0;
	}
	if (sdev_init(r, 0, 1))
		return STORM_EXIT_DRIVER;
	irqs0 = r->irqs;
	while (done < completions) {
		unsigned int batch = 1 + rnd_below(&s, 32);

		if (batch > r->q[0].size)
			batch = r->q[0].size;
		feed_rng(r, batch, &s);
		for (unsigned int i = 0; i < batch; i++, done++) {
			if (!sq_wait(&r->q[0], &id, &len, 2000000000UL)) {
				printk("FAIL: storm: virtio-rng stopped "
				       "completing after %lu buffers\n",
				       done);
				return STORM_EXIT_DATA;
			}
		}
		/*
		 * A bit the handler left set holds back the next interrupt
		 * (vmm raises only bits that were clear): random bits
		 * acknowledged from here too keep the interrupts coming.
		 */
		sreg_write(r, VIRTIO_MMIO_INTERRUPT_ACK, (uint32_t)rnd(&s));
		n_acks++;
	}
	sdev_reset(r);
	printk("storm: interrupts: %lu completions, %lu interrupts, %lu more "
	       "random InterruptACK writes\n",
	       done, (unsigned long)(r->irqs - irqs0), n_acks);
	return 0;
}
