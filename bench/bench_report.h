/* SPDX-License-Identifier: MIT */
/*
 * The three outputs of `vmm bench doorbell`: a table for people, JSON for
 * scripts and an SVG for the README. All read one struct bench_results
 * and the options the run was made with; nothing here measures anything.
 */
#ifndef VMM_BENCH_REPORT_H
#define VMM_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

struct bench_doorbell_opts;
struct bench_results;

struct bench_report {
	const struct bench_doorbell_opts *opts;
	const struct bench_results *res;
	const char *host; /* one line: kernel, CPUs, kind of KVM */
	bool pvm;	  /* /dev/kvm is KVM PVM */
};

/* The tables (ns, cycles, split, idle and device lines) on @f. */
void bench_report_text(FILE *f, const struct bench_report *r);

/* One JSON document on @f. Returns 0, -ENOMEM or -EIO. */
int bench_report_json(FILE *f, const struct bench_report *r);

/* Draw the distributions into the file @path. Returns 0 or -errno. */
int bench_report_svg(const char *path, const struct bench_report *r);

#endif /* VMM_BENCH_REPORT_H */
