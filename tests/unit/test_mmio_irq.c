/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio interrupt (src/virtio/mmio_irq.c) without KVM: the test
 * writes the ACK eventfds as KVM's ioeventfds would. Edges are counted on
 * the irqfd's eventfd. Then a driver thread and a device thread race as a
 * guest and the io thread do, and no interrupt may be lost.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "kvm/eventfd.h"
#include "virtio/mmio_irq.h"

#define ACK_ADDR 0xd0000064ULL
#define VRING	 1u
#define CONFIG	 2u

/* Edges raised since the last call. */
static int64_t edges(struct mmio_irq *irq)
{
	return io_eventfd_drain(irq->irq_fd);
}

/* The driver writes @value to InterruptACK and KVM counts it. */
static void kvm_ack(struct mmio_irq *irq, uint32_t value)
{
	CHECK(value >= 1 && value <= MMIO_IRQ_ACK_VALUES);
	CHECK_EQ(io_eventfd_signal(irq->ack_fd[value - 1]), 0);
}

static void test_exiting_acks(void)
{
	struct mmio_irq irq;

	CHECK_EQ(mmio_irq_init(&irq, -1, 5), 0);
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 1);
	/* In flight, not acknowledged: no second edge. */
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 0);
	CHECK_EQ(mmio_irq_status(&irq), VRING);
	/* A counted ACK means nothing while not wired. */
	CHECK_EQ(io_eventfd_signal(irq.ack_fd[0]), 0);
	CHECK_EQ(mmio_irq_status(&irq), VRING);
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 0);
	mmio_irq_ack(&irq, VRING);
	CHECK_EQ(mmio_irq_status(&irq), 0);
	CHECK_EQ(mmio_irq_raise(&irq, VRING | CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	mmio_irq_ack(&irq, CONFIG);
	CHECK_EQ(mmio_irq_status(&irq), VRING);
	mmio_irq_reset(&irq);
	CHECK_EQ(mmio_irq_status(&irq), 0);
	mmio_irq_destroy(&irq);
}

static void test_kvm_acks(void)
{
	struct mmio_irq irq;

	CHECK_EQ(mmio_irq_init(&irq, -1, 5), 0);
	CHECK_EQ(mmio_irq_wire_acks(&irq, ACK_ADDR), 0);
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 1);
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 0); /* not acknowledged yet */
	/* Acknowledged in KVM: the next raise needs, and gets, an edge. */
	kvm_ack(&irq, VRING);
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 1);
	/* A read after the ACK sees it applied. */
	kvm_ack(&irq, VRING);
	CHECK_EQ(mmio_irq_status(&irq), 0);
	/* Several ACKs counted are one. */
	CHECK_EQ(mmio_irq_raise(&irq, VRING | CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	kvm_ack(&irq, CONFIG);
	kvm_ack(&irq, CONFIG);
	CHECK_EQ(mmio_irq_status(&irq), VRING);
	CHECK_EQ(mmio_irq_raise(&irq, CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	kvm_ack(&irq, VRING | CONFIG);
	CHECK_EQ(mmio_irq_status(&irq), 0);
	/* Other values still exit and clear at once. */
	CHECK_EQ(mmio_irq_raise(&irq, VRING | CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	mmio_irq_ack(&irq, 0xffffffff);
	CHECK_EQ(mmio_irq_status(&irq), 0);
	/* Unwired, what KVM counted before is applied, later counts not. */
	CHECK_EQ(mmio_irq_raise(&irq, VRING | CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	kvm_ack(&irq, VRING);
	mmio_irq_unwire_acks(&irq);
	CHECK_EQ(mmio_irq_status(&irq), CONFIG);
	kvm_ack(&irq, CONFIG);
	CHECK_EQ(mmio_irq_status(&irq), CONFIG);
	(void)io_eventfd_drain(irq.ack_fd[CONFIG - 1]);
	/* Wired again. */
	CHECK_EQ(mmio_irq_wire_acks(&irq, ACK_ADDR), 0);
	CHECK_EQ(mmio_irq_wire_acks(&irq, ACK_ADDR), 0); /* once is enough */
	kvm_ack(&irq, CONFIG);
	CHECK_EQ(mmio_irq_status(&irq), 0);
	mmio_irq_destroy(&irq);
}

/*
 * The guest reads the word itself (the register page): ACKs counted in KVM
 * are taken at the next raise, before its bits are set, so the handler
 * that raise runs never reads a bit it had acknowledged.
 */
static void test_guest_reads_word(void)
{
	struct mmio_irq irq;
	uint32_t word = 0;

	CHECK_EQ(mmio_irq_init(&irq, -1, 5), 0);
	CHECK_EQ(mmio_irq_raise(&irq, CONFIG), 0); /* before: moves along */
	CHECK_EQ(edges(&irq), 1);
	mmio_irq_use_word(&irq, &word, true);
	CHECK_EQ(word, CONFIG);
	mmio_irq_ack(&irq, CONFIG);
	CHECK_EQ(word, 0);
	CHECK_EQ(mmio_irq_wire_acks(&irq, ACK_ADDR), 0);
	CHECK_EQ(mmio_irq_raise(&irq, VRING | CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	CHECK_EQ(word, VRING | CONFIG);
	kvm_ack(&irq, VRING | CONFIG);
	CHECK_EQ(word, VRING | CONFIG); /* counted, not taken: no exit */
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 1);
	CHECK_EQ(word, VRING); /* not the acknowledged CONFIG */
	/* In flight: no edge, and the word keeps it. */
	CHECK_EQ(mmio_irq_raise(&irq, VRING), 0);
	CHECK_EQ(edges(&irq), 0);
	CHECK_EQ(word, VRING);
	kvm_ack(&irq, VRING);
	CHECK_EQ(mmio_irq_raise(&irq, CONFIG), 0);
	CHECK_EQ(edges(&irq), 1);
	CHECK_EQ(word, CONFIG);
	mmio_irq_unwire_acks(&irq);
	mmio_irq_reset(&irq);
	CHECK_EQ(word, 0);
	mmio_irq_destroy(&irq);
}

/*
 * The race: the device publishes work (a counter) and raises, the driver
 * waits for an edge, reads InterruptStatus, acknowledges in KVM and scans
 * (reads the counter), as a guest's handler does. However the two
 * interleave, the driver must end up having seen the last work item: a
 * lost edge leaves it waiting (for 60 s, then the check fails).
 */
#define RACE_ITEMS 200000

struct race {
	struct mmio_irq irq;
	uint32_t word;	    /* InterruptStatus where the guest reads it */
	bool guest_reads;   /* the driver reads word, as from the page */
	uint64_t published; /* atomic */
	uint64_t seen;
	uint64_t reads_without_vring;
	bool lost;
};

static void *race_device(void *arg)
{
	struct race *r = arg;

	for (uint64_t i = 1; i <= RACE_ITEMS; i++) {
		__atomic_store_n(&r->published, i, __ATOMIC_SEQ_CST);
		CHECK_EQ(mmio_irq_raise(&r->irq, VRING), 0);
		if (!(i % 64))
			sched_yield();
	}
	return NULL;
}

static void *race_driver(void *arg)
{
	struct race *r = arg;
	struct pollfd p = {.fd = r->irq.irq_fd, .events = POLLIN};
	time_t end = time(NULL) + 60;

	while (r->seen < RACE_ITEMS) {
		uint32_t st;
		int n = poll(&p, 1, 1000);

		if (n == 0 && time(NULL) > end) {
			r->lost = true;
			break;
		}
		if (n <= 0)
			continue;
		(void)io_eventfd_drain(r->irq.irq_fd);
		/* Linux's vm_interrupt(): read, write the value back. */
		st = r->guest_reads
			 ? __atomic_load_n(&r->word, __ATOMIC_SEQ_CST)
			 : mmio_irq_status(&r->irq);
		if (st & VRING)
			kvm_ack(&r->irq, VRING);
		else
			r->reads_without_vring++;
		r->seen = __atomic_load_n(&r->published, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void test_no_lost_interrupt(bool guest_reads)
{
	struct race r = {.guest_reads = guest_reads};
	pthread_t dev, drv;

	CHECK_EQ(mmio_irq_init(&r.irq, -1, 5), 0);
	if (guest_reads)
		mmio_irq_use_word(&r.irq, &r.word, true);
	CHECK_EQ(mmio_irq_wire_acks(&r.irq, ACK_ADDR), 0);
	CHECK_EQ(pthread_create(&drv, NULL, race_driver, &r), 0);
	CHECK_EQ(pthread_create(&dev, NULL, race_device, &r), 0);
	pthread_join(dev, NULL);
	pthread_join(drv, NULL);
	CHECK(!r.lost);
	CHECK_EQ(r.seen, RACE_ITEMS);
	printf("race (%s): %d items, %llu status reads found nothing\n",
	       guest_reads ? "guest reads the page" : "reads exit", RACE_ITEMS,
	       (unsigned long long)r.reads_without_vring);
	mmio_irq_destroy(&r.irq);
}

int main(void)
{
	test_exiting_acks();
	test_kvm_acks();
	test_guest_reads_word();
	test_no_lost_interrupt(false);
	test_no_lost_interrupt(true);
	return check_done("test_mmio_irq");
}
