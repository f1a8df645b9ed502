/* SPDX-License-Identifier: MIT */
/*
 * What `vmm bench doorbell` learned: the guest's mailbox (bench/bench_abi.h)
 * read back, checked and summarised, together with the phase accounting
 * of the bench rig. The guest is untrusted like any other: every count is
 * bounded by what the host asked for, every sample must be positive, and
 * the host-side split of a round trip is only used when the guest's TSC
 * provably is the host's.
 */
#ifndef VMM_BENCH_RESULTS_H
#define VMM_BENCH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_abi.h"
#include "bench_rig.h"
#include "bench_stats.h"

struct mem;

struct bench_test_result {
	bool ran;		  /* in the test mask */
	size_t n;		  /* samples */
	uint64_t *raw;		  /* cycles, in the order measured */
	uint64_t *sorted;	  /* the same, ascending */
	struct bench_summary cyc; /* in TSC cycles */
	/* Round trips split at the device (tsc_same only): */
	size_t n_split;
	uint64_t *to_host;  /* t0 -> device took the request */
	uint64_t *to_guest; /* device -> guest saw the completion */
	struct bench_summary to_host_s, to_guest_s;
	struct bench_abi_result guest; /* kicks, timeouts, stray irqs */
	struct bench_phase phase;      /* wall and CPU time, device counters */
};

struct bench_results {
	uint32_t tsc_khz; /* converts cycles to ns */
	uint32_t guest_tsc_khz;
	uint32_t tsc_source; /* BENCH_TSC_* */
	bool tsc_same;	     /* guest TSC within the host's window */
	uint32_t features;   /* what the driver accepted */
	struct bench_test_result t[BENCH_NR_TESTS];
	struct bench_phase idle;
	unsigned int bad_marks;
	/* Filled in by the caller: load from other processes, steal. */
	double others_cpu_pct; /* % of one CPU, over the run */
	double steal_pct;
};

/*
 * Read the mailbox from @mem after the guest stopped. @sent is the host's
 * copy of the parameters it wrote (never re-read from the guest), @rig
 * the phase accounting, @tsc_before/@tsc_after the host TSC around
 * vm_run(). Returns 0, or -EINVAL/-ENOMEM with a reason in @err (including
 * the guest's own message if it failed). bench_results_free() is safe
 * after either.
 */
int bench_results_read(struct bench_results *res, const struct mem *mem,
		       const struct bench_abi *sent,
		       const struct bench_rig *rig, uint64_t tsc_before,
		       uint64_t tsc_after, char *err, size_t err_len);

void bench_results_free(struct bench_results *res);

/* "(a) poll" ... "(d) exit", and a one-line description, of test @t. */
const char *bench_test_tag(unsigned int t);
const char *bench_test_desc(unsigned int t);

/* @cycles of the TSC in nanoseconds. */
double bench_results_ns(const struct bench_results *res, double cycles);

#endif /* VMM_BENCH_RESULTS_H */
