/* SPDX-License-Identifier: MIT */
/*
 * InterruptStatus, the irqfd and InterruptACKs taken by KVM (mmio_irq.h
 * says why and how).
 */
#define pr_fmt(fmt) "virtio-mmio: " fmt

#include "mmio_irq.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "kvm/eventfd.h"

static struct ioeventfd_spec ack_spec(gpa_t addr, unsigned int i)
{
	return (struct ioeventfd_spec){
	    .addr = addr,
	    .len = 4,
	    .datamatch = true,
	    .data = i + 1,
	};
}

int mmio_irq_init(struct mmio_irq *irq, int vm_fd, unsigned int gsi)
{
	int r;

	memset(irq, 0, sizeof(*irq));
	irq->status = &irq->own_status;
	irq->vm_fd = vm_fd;
	irq->gsi = gsi;
	irq->irq_fd = -1;
	for (unsigned int i = 0; i < MMIO_IRQ_ACK_VALUES; i++)
		irq->ack_fd[i] = -1;
	pthread_mutex_init(&irq->ack_lock, NULL);
	r = io_eventfd_new();
	if (r < 0)
		goto err;
	irq->irq_fd = r;
	for (unsigned int i = 0; i < MMIO_IRQ_ACK_VALUES; i++) {
		r = io_eventfd_new();
		if (r < 0)
			goto err;
		irq->ack_fd[i] = r;
	}
	if (vm_fd >= 0) {
		r = io_irqfd_set(vm_fd, irq->irq_fd, gsi, true);
		if (r) {
			pr_err("KVM_IRQFD gsi %u: %s", gsi, strerror(-r));
			goto err;
		}
		irq->irqfd = true;
	}
	return 0;

err:
	mmio_irq_destroy(irq);
	return r;
}

void mmio_irq_destroy(struct mmio_irq *irq)
{
	mmio_irq_unwire_acks(irq);
	if (irq->irqfd)
		(void)io_irqfd_set(irq->vm_fd, irq->irq_fd, irq->gsi, false);
	irq->irqfd = false;
	if (irq->irq_fd >= 0)
		close(irq->irq_fd);
	irq->irq_fd = -1;
	for (unsigned int i = 0; i < MMIO_IRQ_ACK_VALUES; i++) {
		if (irq->ack_fd[i] >= 0)
			close(irq->ack_fd[i]);
		irq->ack_fd[i] = -1;
	}
	pthread_mutex_destroy(&irq->ack_lock);
}

void mmio_irq_use_word(struct mmio_irq *irq, uint32_t *word, bool guest_reads)
{
	__atomic_store_n(word, __atomic_load_n(irq->status, __ATOMIC_SEQ_CST),
			 __ATOMIC_SEQ_CST);
	irq->status = word;
	irq->guest_reads = guest_reads;
}

/*
 * ack_lock held: clear what the ACKs KVM counted acknowledge. Only the
 * values that share a bit with InterruptStatus can: a driver acknowledges
 * what it read, and a bit stays set until its ACK is taken here (or exits),
 * so the other counters hold nothing that matters yet.
 */
static void take_acks(struct mmio_irq *irq)
{
	uint32_t st = __atomic_load_n(irq->status, __ATOMIC_SEQ_CST);
	uint32_t clear = 0;

	for (unsigned int i = 0; i < MMIO_IRQ_ACK_VALUES; i++)
		if (((i + 1) & st) && io_eventfd_drain(irq->ack_fd[i]) > 0)
			clear |= i + 1;
	if (clear)
		__atomic_fetch_and(irq->status, ~clear, __ATOMIC_SEQ_CST);
}

/* Take the counted ACKs, then set @bits: whether one was clear (an edge). */
static bool set_after_acks(struct mmio_irq *irq, uint32_t bits)
{
	uint32_t old;

	pthread_mutex_lock(&irq->ack_lock);
	take_acks(irq);
	old = __atomic_fetch_or(irq->status, bits, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&irq->ack_lock);
	return (old & bits) != bits;
}

int mmio_irq_raise(struct mmio_irq *irq, uint32_t bits)
{
	uint32_t old;

	/* The guest reads the word: ACKs first, then the bits (header). */
	if (irq->guest_reads &&
	    __atomic_load_n(&irq->acks_wired, __ATOMIC_ACQUIRE))
		return set_after_acks(irq, bits)
			   ? io_eventfd_signal(irq->irq_fd)
			   : 0;
	old = __atomic_fetch_or(irq->status, bits, __ATOMIC_SEQ_CST);
	/* Set already: in flight, unless the driver acknowledged it in KVM. */
	if ((old & bits) == bits &&
	    (!__atomic_load_n(&irq->acks_wired, __ATOMIC_ACQUIRE) ||
	     !set_after_acks(irq, bits)))
		return 0;
	return io_eventfd_signal(irq->irq_fd);
}

uint32_t mmio_irq_status(struct mmio_irq *irq)
{
	uint32_t st;

	if (!__atomic_load_n(&irq->acks_wired, __ATOMIC_ACQUIRE))
		return __atomic_load_n(irq->status, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&irq->ack_lock);
	take_acks(irq);
	st = __atomic_load_n(irq->status, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&irq->ack_lock);
	return st;
}

void mmio_irq_ack(struct mmio_irq *irq, uint32_t bits)
{
	__atomic_fetch_and(irq->status, ~bits, __ATOMIC_SEQ_CST);
}

void mmio_irq_reset(struct mmio_irq *irq)
{
	__atomic_store_n(irq->status, 0, __ATOMIC_SEQ_CST);
}

int mmio_irq_wire_acks(struct mmio_irq *irq, gpa_t ack_addr)
{
	unsigned int i;
	int r = 0;

	if (__atomic_load_n(&irq->acks_wired, __ATOMIC_RELAXED))
		return 0;
	for (i = 0; irq->vm_fd >= 0 && i < MMIO_IRQ_ACK_VALUES; i++) {
		struct ioeventfd_spec spec = ack_spec(ack_addr, i);

		r = io_ioeventfd_set(irq->vm_fd, irq->ack_fd[i], &spec, true);
		if (r)
			break;
	}
	if (r) {
		while (i--) {
			struct ioeventfd_spec spec = ack_spec(ack_addr, i);

			(void)io_ioeventfd_set(irq->vm_fd, irq->ack_fd[i],
					       &spec, false);
		}
		return r;
	}
	irq->ack_addr = ack_addr;
	__atomic_store_n(&irq->acks_wired, true, __ATOMIC_RELEASE);
	return 0;
}

void mmio_irq_unwire_acks(struct mmio_irq *irq)
{
	if (!__atomic_load_n(&irq->acks_wired, __ATOMIC_RELAXED))
		return;
	for (unsigned int i = 0; irq->vm_fd >= 0 && i < MMIO_IRQ_ACK_VALUES;
	     i++) {
		struct ioeventfd_spec spec = ack_spec(irq->ack_addr, i);
		int r =
		    io_ioeventfd_set(irq->vm_fd, irq->ack_fd[i], &spec, false);

		if (r)
			pr_warn("KVM_IOEVENTFD deassign: %s", strerror(-r));
	}
	/* From here ACKs exit; apply what KVM counted before. */
	pthread_mutex_lock(&irq->ack_lock);
	take_acks(irq);
	__atomic_store_n(&irq->acks_wired, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&irq->ack_lock);
}
