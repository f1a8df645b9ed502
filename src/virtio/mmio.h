/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport, version 2 register layout (virtio 1.2, 4.2.2).
 * One 4 KiB window on the MMIO bus per device. Doorbells: when the driver
 * sets DRIVER_OK each queue gets a KVM_IOEVENTFD on QueueNotify (base +
 * 0x50, 4 bytes, datamatch = queue index) watched on the io loop; they are
 * removed on reset. Interrupts: one KVM_IRQFD on the device's GSI, with
 * InterruptStatus / InterruptACK semantics. The transport knows no device
 * type: everything device-specific is behind struct virtio_dev.
 *
 * Polling: the transport registers an io loop poller (io/loop.h). While
 * the loop polls (io_loop_set_polling()), it peeks at the avail->idx of
 * every wired queue (except those in ops->unpolled), hands a queue with
 * new chains to the device as a doorbell would (ops->queue_notify, on
 * the loop thread), and asks the driver not to ring (vq_poll_start());
 * before the loop sleeps, doorbells are re-armed and the rings looked at
 * once more, so no chain is left without a doorbell or a look.
 *
 * The register page: where KVM has read-only memslots, the window is also
 * a read-only page of memory the VMM keeps equal to what a read of each
 * register or config byte would return, so the guest reads without an
 * exit (an interrupt handler's InterruptStatus read above all) while its
 * writes still exit to the VMM, or to ioeventfds in KVM. Anything that
 * changes a value the guest can read updates the page under the device
 * mutex: the end of each register write, and the device's own changes
 * (virtio_dev's changed hook: DEVICE_NEEDS_RESET, a config change).
 *
 * Threads: register accesses arrive on vCPU threads (through bus.c) and
 * take the device mutex; doorbells are served on the loop thread.
 */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include "base/util.h"
#include "virtqueue.h"

struct bus;
struct io_loop;
struct mem;
struct virtio_dev;
struct virtio_mmio;

struct virtio_mmio_env {
	/*
	 * The VM fd for KVM_IOEVENTFD / KVM_IRQFD, or -1 without KVM (unit
	 * tests): doorbells then arrive as QueueNotify register writes and
	 * interrupts only signal the eventfd virtio_mmio_irq_fd() returns.
	 */
	int vm_fd;
	/*
	 * A free KVM memslot for the register page (above), or 0 (guest RAM
	 * holds slot 0): every register read then exits to the VMM.
	 */
	unsigned int regs_slot;
	const struct mem *mem;
	struct io_loop *loop;
	struct bus *mmio_bus;
};

/* "VMM\0" as the VendorID register reads it. */
#define VIRTIO_MMIO_VENDOR 0x004d4d56

/* Each device's register window (registers and config space). */
#define VIRTIO_MMIO_WINDOW_SIZE 0x1000

/*
 * Put @dev (initialised with virtio_dev_init(), caller-owned, must outlive
 * the transport) behind a register window at @base of
 * VIRTIO_MMIO_WINDOW_SIZE bytes on env->mmio_bus, interrupting through
 * @gsi, and register its poller on env->loop. Call before the vCPUs start
 * (bus registration is not locked) and before the loop runs (or on its
 * thread). Returns 0 or -errno (-EEXIST: the window overlaps another
 * device).
 */
int virtio_mmio_create(struct virtio_mmio **out,
		       const struct virtio_mmio_env *env,
		       struct virtio_dev *dev, gpa_t base, unsigned int gsi);

/*
 * Unregister doorbells and the irqfd and free the transport. After the
 * vCPUs have stopped, with the loop not running (or on its thread). The
 * bus range stays registered: the bus dies with the VM. NULL is a no-op.
 */
void virtio_mmio_destroy(struct virtio_mmio *m);

/* The eventfd behind the KVM_IRQFD (tests count interrupts with it). */
int virtio_mmio_irq_fd(const struct virtio_mmio *m);

/*
 * The register page as the guest reads it when KVM maps it (always kept,
 * for tests: every register and config byte equals what a read through
 * the bus returns, InterruptStatus once ACKs are taken). Lock not needed
 * to look; values are stored atomically.
 */
const uint8_t *virtio_mmio_regs(const struct virtio_mmio *m);

/* Does the guest read the register page without exits? */
bool virtio_mmio_regs_mapped(const struct virtio_mmio *m);

/*
 * The eventfd in which KVM counts InterruptACK writes of @value (1-3,
 * mmio_irq.h) while the device is wired, or -1 for other values; without
 * KVM, tests and fuzzers write it as KVM would.
 */
int virtio_mmio_ack_fd(const struct virtio_mmio *m, uint32_t value);

/*
 * How often the transport's poller handed a queue to the device (work
 * found without a doorbell). Any thread.
 */
uint64_t virtio_mmio_poll_kicks(const struct virtio_mmio *m);

/* Queues a state snapshot covers (vsock has 3, a 3-port console 8). */
#define VIRTIO_MMIO_STATE_QUEUES 8

/* The transport and its first queues, for diagnosis (stats, stalls). */
struct virtio_mmio_state {
	uint32_t device_id;
	uint64_t base;
	unsigned int gsi;
	uint8_t status;	     /* the device status register */
	uint32_t int_status; /* InterruptStatus: raised, not acknowledged */
	unsigned int nr_queues;
	struct vq_state q[VIRTIO_MMIO_STATE_QUEUES];
};

/* Snapshot @m under the device mutex. Any thread. */
void virtio_mmio_get_state(struct virtio_mmio *m, struct virtio_mmio_state *s);

/* Register access entry points, as the bus calls them (tests use them). */
void virtio_mmio_read(void *opaque, uint64_t off, void *data, uint32_t len);
void virtio_mmio_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len);

/*
 * Bit q of @queues: the poller leaves queue q alone (its device serves it
 * elsewhere, e.g. on a vCPU thread); queues from 64 on are always polled
 * while the io loop polls. Before the driver sets DRIVER_OK.
 */
void virtio_mmio_set_unpolled(struct virtio_mmio *m, uint64_t queues);

#endif /* VIRTIO_MMIO_H */
