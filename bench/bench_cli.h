/* SPDX-License-Identifier: MIT */
/*
 * The options of `vmm bench doorbell` and their parser. Pure: getopt_long
 * over argv and nothing else, so it is unit-tested
 * (tests/unit/test_bench_cli.c); bench/bench_doorbell.c acts on the result.
 */
#ifndef VMM_BENCH_CLI_H
#define VMM_BENCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_dev.h"

struct bench_doorbell_opts {
	enum bench_notify notify;
	uint32_t tests;	      /* bit mask of 1 << enum bench_test */
	uint32_t iterations;  /* timed samples per test */
	uint32_t warmup;      /* untimed round trips per test and round */
	uint32_t rounds;      /* interleaved repetitions of the test list */
	uint32_t idle_ms;     /* idle phase at the end (io thread idle CPU) */
	uint32_t timeout_us;  /* a round trip that takes longer fails */
	uint64_t poll_max_ns; /* adaptive: ceiling of the poll bound */
	bool event_idx;	      /* negotiate VIRTIO_F_EVENT_IDX */
	bool suppress;	      /* the driver honours kick suppression */
	bool irq_line;	      /* KVM_IRQ_LINE instead of the irqfd */
	int pin_vcpu, pin_io; /* CPU numbers, -1: not pinned */
	bool json;	      /* JSON on stdout instead of the table */
	bool raw;	      /* JSON: every sample too */
	const char *svg_path; /* NULL: no SVG */
	const char *kernel;   /* NULL: guests/doorbell.bzImage next to vmm */
	const char *serial;   /* the guest console's backend */
	int verbosity;
};

/*
 * `vmm bench doorbell ...` argv (argv[0] is "doorbell") -> @o. Pure. Returns
 * 0, 1 for --help (usage printed by the caller), or -EINVAL with a reason
 * in @err.
 */
int bench_doorbell_parse(int argc, char **argv, struct bench_doorbell_opts *o,
			 char *err, size_t err_len);

/* The usage text of `vmm bench doorbell`. */
const char *bench_doorbell_usage(void);

/* The name of a --notify mode, or NULL. */
const char *bench_notify_name(enum bench_notify n);

/* The mode called @name; -EINVAL if none is. */
int bench_notify_parse(const char *name, enum bench_notify *out);

#endif /* VMM_BENCH_CLI_H */
