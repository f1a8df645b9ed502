/* SPDX-License-Identifier: MIT */
/*
 * Statistics for benchmarks: nearest-rank percentiles and summaries of
 * integer samples, histograms with linear or logarithmic (log2-spaced)
 * bins, and an SVG drawing of several latency distributions side by side
 * (a histogram row per series over one log axis, and a percentile plot of
 * the tails). Pure: no clocks, no global state; everything is
 * unit-tested (tests/unit/test_bench_stats.c).
 */
#ifndef VMM_BENCH_STATS_H
#define VMM_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bench_summary {
	size_t n;
	uint64_t min, p50, p90, p99, p999, max;
	double mean;
};

/* Sort @n values ascending, in place. */
void bench_sort(uint64_t *v, size_t n);

/*
 * Nearest-rank percentile @p (0 < p <= 100) of ascending @sorted: the
 * smallest value with at least p % of the samples at or below it, i.e.
 * sorted[ceil(p / 100 * n) - 1]. Returns 0 when @n is 0; p <= 0 gives the
 * minimum, p >= 100 the maximum.
 */
uint64_t bench_percentile(const uint64_t *sorted, size_t n, double p);

/* Sort @v (in place) and summarise it into @s; all zero if @n is 0. */
void bench_summarize(uint64_t *v, size_t n, struct bench_summary *s);

enum bench_hist_kind {
	BENCH_HIST_LINEAR, /* equal widths over [lo, hi) */
	BENCH_HIST_LOG2,   /* equal widths in log2(x) over [lo, hi), lo > 0 */
};

struct bench_hist {
	enum bench_hist_kind kind;
	double lo, hi;
	unsigned int nbins;
	uint64_t *counts; /* nbins */
	uint64_t under;	  /* values below lo */
	uint64_t over;	  /* values at or above hi */
	uint64_t total;	  /* everything added */
};

/*
 * Set up an empty histogram of @nbins (>= 1) bins over [@lo, @hi), lo < hi
 * (and lo > 0 for BENCH_HIST_LOG2: lo = 1, hi = 2^k, nbins = k gives the
 * power-of-two buckets [2^i, 2^(i+1))). Returns 0, -EINVAL or -ENOMEM.
 * bench_hist_free() releases it (and is safe on a zeroed struct).
 */
int bench_hist_init(struct bench_hist *h, enum bench_hist_kind kind, double lo,
		    double hi, unsigned int nbins);
void bench_hist_free(struct bench_hist *h);

/* Lower edge of bin @i; bench_hist_edge(h, nbins) is @hi. */
double bench_hist_edge(const struct bench_hist *h, unsigned int i);

/* The bin of @v: -1 below lo, nbins at or above hi (or NaN). */
long bench_hist_bin(const struct bench_hist *h, double v);

/* Count @v in its bin (or under / over). */
void bench_hist_add(struct bench_hist *h, double v);

/* One distribution to draw: ascending samples, @scale ns per unit. */
struct bench_svg_series {
	const char *label;
	const uint64_t *sorted;
	size_t n;
	double scale;
};

struct bench_svg_opts {
	const char *title;
	const char *subtitle; /* may be NULL */
	/* Vertical reference lines (e.g. the floor's p50 and p99), in ns. */
	double ref_ns[2]; /* 0: none */
	const char *ref_label[2];
};

/*
 * Write an SVG document to @f: per series a histogram row (log-spaced bins
 * over a shared log10 axis in microseconds) marked at p50, p99 and p99.9,
 * and below them the latency at each percentile from p0 to p99.99 on a
 * "nines" axis. Series with no samples are drawn as empty rows. Returns 0,
 * -EINVAL (no series) or -EIO (write error).
 */
int bench_svg_write(FILE *f, const struct bench_svg_series *s, size_t n,
		    const struct bench_svg_opts *o);

#endif /* VMM_BENCH_STATS_H */
