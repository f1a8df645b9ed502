/* SPDX-License-Identifier: MIT */
/*
 * The adaptive polling bound of the io loop (io/loop.h, io_loop_set_polling),
 * modelled on KVM's halt polling (virt/kvm/kvm_main.c, kvm_vcpu_halt(), and
 * Documentation/virt/kvm/halt-polling.rst). When the loop runs out of work
 * it polls its pollers for up to @ns before it sleeps in io_uring. When
 * something wakes it, the time since it went idle (poll time included)
 * decides:
 *   - at most @ns: polling caught it (or would have): no change;
 *   - more than @ns but at most the ceiling: a longer poll would have
 *     caught it, so the bound grows (x2, from 10 us, clamped at the
 *     ceiling);
 *   - more than the ceiling: the poll before that sleep was wasted, so the
 *     bound shrinks (/2, and to 0 once below 10 us).
 * Work found while polling leaves the bound alone.
 *
 * One rule KVM does not need (it stops polling as soon as another task is
 * runnable on its CPU, single_task_running(), which user space cannot
 * see): when the io thread shares its CPU with the vCPU it waits for, the
 * guest can only make progress once the loop stops polling, so every
 * window expires and the wake-up follows soon after, however long the
 * window. A sleep shorter than the window before it means a poll twice
 * as long would have caught the work; when that happens
 * IO_POLL_FUTILE_STREAK times in a row (no work found by polling in
 * between) while the bound doubles each time, a longer poll is not what
 * is missing: polling is futile, the bound drops to 0 and may not grow
 * for the next IO_POLL_HOLD wake-ups.
 *
 * Pure arithmetic, no clock and no locking (the loop thread owns it):
 * unit-tested.
 */
#ifndef IO_POLL_POLICY_H
#define IO_POLL_POLICY_H

#include <stdint.h>

/* KVM's halt_poll_ns_grow_start, halt_poll_ns_grow, halt_poll_ns_shrink. */
#define IO_POLL_START_NS 10000
#define IO_POLL_GROW	 2
#define IO_POLL_SHRINK	 2
/* Futile polling: this many wake-ups in a row, then this long a hold. */
#define IO_POLL_FUTILE_STREAK 4
#define IO_POLL_HOLD	      1024

struct io_poll_policy {
	uint64_t ns;		 /* current bound; 0: do not poll */
	uint64_t max_ns;	 /* the ceiling (KVM: halt_poll_ns); 0: off */
	uint64_t grows, shrinks; /* how often each happened */
	uint64_t futile;	 /* ... and how often polling was given up */
	unsigned int streak;	 /* wake-ups in a row soon after a window */
	unsigned int hold;	 /* wake-ups left before it may grow again */
};

/* Start with no polling and ceiling @max_ns (0 disables polling). */
void io_poll_policy_init(struct io_poll_policy *p, uint64_t max_ns);

/*
 * The loop slept and was woken @idle_ns after it ran out of work (poll
 * time included): adapt the bound as described above.
 */
void io_poll_policy_wakeup(struct io_poll_policy *p, uint64_t idle_ns);

/* Polling found work (the loop did not sleep). */
void io_poll_policy_hit(struct io_poll_policy *p);

#endif /* IO_POLL_POLICY_H */
