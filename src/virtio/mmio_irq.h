/* SPDX-License-Identifier: MIT */
/*
 * The interrupt side of one virtio-mmio device: the InterruptStatus word,
 * the irqfd that raises the device's GSI, and InterruptACK writes taken by
 * KVM without an exit.
 *
 * A driver's interrupt handler reads InterruptStatus and writes the value
 * back to InterruptACK (Linux's vm_interrupt()). The read exits to the
 * VMM unless the guest reads the register page (below); the write does
 * not exit: while the device is wired (DRIVER_OK), an
 * ACK of VRING, CONFIG or both (1, 2, 3, the values a driver writes) is a
 * KVM_IOEVENTFD with that datamatch, counted in an eventfd of its own, and
 * the vCPU goes on. The VMM applies those ACKs when they can matter:
 *  - before InterruptStatus is read, so the driver reads what it would
 *    have read had its ACK cleared the bits at once;
 *  - before it raises a bit that is still set: a set bit means "interrupt
 *    in flight, not acknowledged", so no new edge; if the driver has in
 *    fact acknowledged it (its eventfd counts), the bit is cleared and the
 *    raise sends the edge the driver needs. A driver scans its rings after
 *    writing the ACK, so work published before the ACK reached KVM is seen
 *    by that scan, and work published after finds the ACK counted.
 * Applying ACKs and the raise that follows are one step under a mutex of
 * their own: two threads taking ACKs cannot clear a bit one of them set.
 * Other ACK values (0, bits beyond the two) exit and clear at once
 * (mmio_irq_ack()), as every ACK does while the device is not wired.
 *
 * Where the guest reads the register page from memory (mmio.c's read-only
 * memslot: no exit at all), the word it reads is the one
 * mmio_irq_use_word() names, and no read takes ACKs. Every raise then
 * takes the ACKs of the bits still set before it sets its own: the
 * handler that the edge runs reads only bits raised since its last ACK
 * (an ACK KVM counted but the VMM had not applied would otherwise show a
 * stale CONFIG, a spurious configuration change). Taking them after the
 * own bit was set could clear it; before, never.
 *
 * Any thread may raise; InterruptStatus is read on vCPU threads.
 */
#ifndef VIRTIO_MMIO_IRQ_H
#define VIRTIO_MMIO_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/util.h"

/* InterruptACK values taken in KVM: VRING, CONFIG, both. */
#define MMIO_IRQ_ACK_VALUES 3

struct mmio_irq {
	uint32_t *status;    /* InterruptStatus, atomic: own_status or the
				register page's word */
	uint32_t own_status; /* until mmio_irq_use_word() */
	bool guest_reads;    /* the guest reads *status without an exit */
	int vm_fd;	     /* or -1: no KVM (unit tests) */
	unsigned int gsi;
	int irq_fd;			 /* eventfd behind KVM_IRQFD */
	bool irqfd;			 /* KVM_IRQFD assigned */
	int ack_fd[MMIO_IRQ_ACK_VALUES]; /* ACK of value i + 1 */
	gpa_t ack_addr;			 /* InterruptACK, while wired */
	bool acks_wired;	  /* atomic: ack_fd counts ACKs (set under the
				     device mutex) */
	pthread_mutex_t ack_lock; /* taking ACKs, and the raise after */
};

/*
 * Eventfds, and the irqfd on @gsi when @vm_fd >= 0. Returns 0 or -errno
 * (the KVM_IRQFD error is logged).
 */
int mmio_irq_init(struct mmio_irq *irq, int vm_fd, unsigned int gsi);

/*
 * Keep InterruptStatus in @word from now on (its current value moves
 * there); @guest_reads: the guest reads @word itself, without an exit.
 * Before the device is live.
 */
void mmio_irq_use_word(struct mmio_irq *irq, uint32_t *word, bool guest_reads);

/* Unwire, deassign the irqfd, close everything. */
void mmio_irq_destroy(struct mmio_irq *irq);

/*
 * Raise @bits in InterruptStatus; an edge on the irqfd for bits that were
 * clear (after taking ACKs). Returns 0 or the eventfd write's -errno.
 */
int mmio_irq_raise(struct mmio_irq *irq, uint32_t bits);

/* InterruptStatus as the driver reads it: ACKs taken first. */
uint32_t mmio_irq_status(struct mmio_irq *irq);

/* An InterruptACK that reached the VMM: clear @bits now. */
void mmio_irq_ack(struct mmio_irq *irq, uint32_t bits);

/* Reset: InterruptStatus 0 (unwire first). */
void mmio_irq_reset(struct mmio_irq *irq);

/*
 * Let KVM take ACKs written to @ack_addr (the device's InterruptACK)
 * from now on. Without KVM (vm_fd -1) the eventfds are used as they are:
 * tests write them as KVM would. A KVM_IOEVENTFD that fails leaves ACKs
 * exiting, as before; returns that -errno for the caller to log.
 */
int mmio_irq_wire_acks(struct mmio_irq *irq, gpa_t ack_addr);

/* Back to ACKs that exit; the ACKs KVM counted are taken. */
void mmio_irq_unwire_acks(struct mmio_irq *irq);

#endif
