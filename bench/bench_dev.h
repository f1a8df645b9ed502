/* SPDX-License-Identifier: MIT */
/*
 * The echo device of `vmm bench doorbell`: a virtio device (id
 * BENCH_VIRTIO_ID, bench/bench_abi.h) with two queues that return every
 * buffer they get, after writing the host's TSC into its first 8
 * device-writable bytes. It sits behind the product's virtio-mmio
 * transport, so a doorbell takes the product's path: QueueNotify is a
 * KVM_IOEVENTFD watched by the io thread's io_uring loop, used buffers go
 * back through vq_push(), interrupts through the transport's KVM_IRQFD.
 *
 * How the io thread waits for queue 0 is the benchmark's --notify mode:
 *   URING     the transport's multishot poll; nothing else (the product
 *             with --io-poll off)
 *   ADAPTIVE  the product's adaptive polling (--io-poll adaptive): the
 *             caller turned it on for the loop (io_loop_set_polling()), the
 *             transport's poller finds the buffers and asks the driver not
 *             to ring meanwhile; the device serves queue 0 as in URING
 *   BUSY      poll the avail ring forever (1 ms slices between which the
 *             loop runs once), asking for no doorbells (vq_disable_notify)
 *   EPOLL     block in epoll_wait() on @epoll_bell_fd (an ioeventfd the
 *             caller registered) inside a loop request, 10 ms at a time
 *   EXIT      the guest rings an address without ioeventfd and the vCPU
 *             thread serves the queue in its KVM_EXIT_MMIO (bench_dev_kick)
 * Queue 1 is always served by bench_dev_kick() (the exit measurement).
 *
 * Threads: as virtio/device.h; bench_dev_kick() is for vCPU threads. All
 * device state is under the device mutex.
 */
#ifndef VIRTIO_BENCH_DEV_H
#define VIRTIO_BENCH_DEV_H

#include <stdbool.h>
#include <stdint.h>

struct bench_dev;
struct virtio_mmio_env;

enum bench_notify {
	BENCH_NOTIFY_URING,
	BENCH_NOTIFY_EPOLL,
	BENCH_NOTIFY_BUSY,
	BENCH_NOTIFY_ADAPTIVE,
	BENCH_NOTIFY_EXIT,
	BENCH_NR_NOTIFY,
};

struct bench_dev_config {
	enum bench_notify notify;
	int epoll_bell_fd; /* EPOLL: the doorbell eventfd, else -1 */
	/*
	 * Experiment, not the product path: raise the interrupt with
	 * KVM_IRQ_LINE on the serving thread instead of the transport's
	 * KVM_IRQFD. KVM injects an irqfd routed to an IOAPIC pin from a
	 * kworker (only MSI routes are injected inline), which costs a
	 * wake-up per interrupt; this measures what avoiding it would gain.
	 * The transport's irqfd is deassigned; its InterruptStatus stays.
	 */
	bool irq_line;
};

/* What the device did; a snapshot under the device mutex. */
struct bench_dev_stats {
	uint64_t served_loop; /* buffers returned on the io thread */
	uint64_t served_vcpu; /* ... on a vCPU thread (bench_dev_kick) */
	uint64_t wakeups;     /* doorbells that woke the io thread */
	uint64_t poll_hits;   /* buffers (ADAPTIVE: queue runs) found polling */
	uint64_t polls;	      /* ADAPTIVE: the io loop's poll windows expired */
	uint64_t poll_ns;     /* ADAPTIVE: the io loop's current bound */
	uint64_t poll_grows, poll_shrinks;
};

/*
 * Create the device and its virtio-mmio transport at
 * LAYOUT_BENCH_VIRTIO_BASE / LAYOUT_BENCH_VIRTIO_GSI on @env (see
 * virtio/mmio.h; before the vCPUs start). @cfg is copied. Returns 0 or
 * -errno.
 */
int bench_dev_create(struct bench_dev **out, const struct virtio_mmio_env *env,
		     const struct bench_dev_config *cfg);

/*
 * Free the device and its transport: after the vCPUs stopped and with the
 * loop not running (vm_run() returned). NULL is a no-op.
 */
void bench_dev_destroy(struct bench_dev *d);

/*
 * A doorbell for queue @q taken as KVM_EXIT_MMIO: serve the queue on the
 * calling (vCPU) thread before the guest runs again. A bad @q is ignored.
 */
void bench_dev_kick(struct bench_dev *d, unsigned int q);

/* Copy the counters. Any thread. */
void bench_dev_stats(struct bench_dev *d, struct bench_dev_stats *st);

#endif /* VIRTIO_BENCH_DEV_H */
