/* SPDX-License-Identifier: MIT */
/*
 * The runstate sampler: a timerfd on the io loop that, every period,
 * folds each vCPU's kernel-side counters (halt time, run-queue delay,
 * wake-ups) into its runstate with vcpu_stats_sample(). VMM-side events
 * do not wait for it: the vCPU threads apply them when they happen.
 */
#ifndef VCPU_SAMPLER_H
#define VCPU_SAMPLER_H

#include <stdbool.h>

#include "io/loop.h"

#define SAMPLER_DEFAULT_MS 10

struct vcpu;

struct sampler {
	struct io_source src; /* the timerfd */
	struct io_loop *loop; /* NULL while not started */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
};

/*
 * Sample @vcpus[0..@nr) every @period_ms (0: SAMPLER_DEFAULT_MS) on @l.
 * The vCPUs must outlive the sampler. Loop thread or before the loop
 * runs. Returns 0 or -errno.
 */
int sampler_start(struct sampler *s, struct io_loop *l, struct vcpu *vcpus,
		  unsigned int nr, unsigned int period_ms);

/*
 * Sample every vCPU now, e.g. once more after the vCPU threads stopped so
 * the --stats document has the final halt times. The sampler's thread,
 * or any thread once the loop is no longer running.
 */
void sampler_sample(struct sampler *s);

/* Stop the timer and close it. Safe on a zeroed or stopped sampler. */
void sampler_stop(struct sampler *s);

#endif /* VCPU_SAMPLER_H */
