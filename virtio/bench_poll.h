/* SPDX-License-Identifier: MIT */
/*
 * The adaptive polling bound of the bench echo device (virtio/bench_dev.c),
 * modelled on KVM's halt polling (virt/kvm/kvm_main.c, kvm_vcpu_halt() and
 * Documentation/virt/kvm/halt-polling.rst): after serving a doorbell the
 * io thread polls the queue for up to @ns before it sleeps in io_uring.
 * When a doorbell wakes it, the time since the queue went idle decides:
 * shorter than the ceiling means a longer poll would have caught it, so
 * the bound grows (x2, from 10 us); longer than the ceiling means polling
 * was wasted, so it shrinks (/2, to 0 below 10 us). Work found while
 * polling leaves the bound alone. Pure arithmetic, no clock: unit-tested.
 */
#ifndef VIRTIO_BENCH_POLL_H
#define VIRTIO_BENCH_POLL_H

#include <stdint.h>

/* KVM's halt_poll_ns_grow_start, _grow and _shrink defaults. */
#define BENCH_POLL_START_NS 10000
#define BENCH_POLL_GROW	    2
#define BENCH_POLL_SHRINK   2

struct bench_poll {
	uint64_t ns;		 /* current bound; 0: do not poll */
	uint64_t max_ns;	 /* the ceiling (KVM: halt_poll_ns) */
	uint64_t grows, shrinks; /* how often each happened */
};

/* Start with no polling and ceiling @max_ns (0 disables polling). */
void bench_poll_init(struct bench_poll *p, uint64_t max_ns);

/*
 * The io thread had gone to sleep and a doorbell woke it @idle_ns after
 * the queue went idle (poll time included): adapt the bound.
 */
void bench_poll_wakeup(struct bench_poll *p, uint64_t idle_ns);

#endif /* VIRTIO_BENCH_POLL_H */
