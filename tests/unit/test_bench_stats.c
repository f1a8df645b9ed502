/* SPDX-License-Identifier: MIT */
/*
 * bench/bench_stats.c: nearest-rank percentiles at their edges (n = 1,
 * exact ranks such as p99.9 of 1000, ties, unsorted input), summaries,
 * linear and log2 histograms (bin edges, under/overflow, power-of-two
 * buckets), and the SVG writer's output shape.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "bench/bench_stats.h"

static void test_percentile_small(void)
{
	uint64_t one[] = {42};
	uint64_t ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

	CHECK_EQ(bench_percentile(one, 0, 50), 0);
	CHECK_EQ(bench_percentile(one, 1, 0.001), 42);
	CHECK_EQ(bench_percentile(one, 1, 50), 42);
	CHECK_EQ(bench_percentile(one, 1, 100), 42);
	/* Nearest rank: ceil(p/100 * n). */
	CHECK_EQ(bench_percentile(ten, 10, 10), 1);
	CHECK_EQ(bench_percentile(ten, 10, 10.0001), 2);
	CHECK_EQ(bench_percentile(ten, 10, 50), 5);
	CHECK_EQ(bench_percentile(ten, 10, 51), 6);
	CHECK_EQ(bench_percentile(ten, 10, 90), 9);
	CHECK_EQ(bench_percentile(ten, 10, 99), 10);
	CHECK_EQ(bench_percentile(ten, 10, 0), 1);
	CHECK_EQ(bench_percentile(ten, 10, -5), 1);
	CHECK_EQ(bench_percentile(ten, 10, 200), 10);
	CHECK_EQ(bench_percentile(ten, 10, NAN), 1);
}

/* p99.9 of 1000 values is the 999th, not the 1000th. */
static void test_percentile_exact_ranks(void)
{
	size_t n = 1000000;
	uint64_t *v = malloc(n * sizeof(*v));

	CHECK(v != NULL);
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = i + 1;
	CHECK_EQ(bench_percentile(v, 1000, 99.9), 999);
	CHECK_EQ(bench_percentile(v, 1000, 99), 990);
	CHECK_EQ(bench_percentile(v, 1000, 50), 500);
	CHECK_EQ(bench_percentile(v, 100, 99.9), 100);
	CHECK_EQ(bench_percentile(v, n, 99.99), 999900);
	CHECK_EQ(bench_percentile(v, n, 99.9999), 999999);
	CHECK_EQ(bench_percentile(v, 20000, 99.9), 19980);
	CHECK_EQ(bench_percentile(v, 3, 50), 2);
	CHECK_EQ(bench_percentile(v, 3, 66.6667), 3);
	free(v);
}

static void test_summary(void)
{
	uint64_t v[] = {9, 1, 8, 2, 7, 3, 6, 4, 5, 10, 10, 10};
	struct bench_summary s;

	bench_summarize(v, 12, &s);
	for (size_t i = 1; i < 12; i++)
		CHECK(v[i - 1] <= v[i]);
	CHECK_EQ(s.n, 12);
	CHECK_EQ(s.min, 1);
	CHECK_EQ(s.p50, 6);
	CHECK_EQ(s.p90, 10);
	CHECK_EQ(s.p99, 10);
	CHECK_EQ(s.p999, 10);
	CHECK_EQ(s.max, 10);
	CHECK(fabs(s.mean - 75.0 / 12) < 1e-9);

	bench_summarize(v, 0, &s);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(s.max, 0);
	CHECK(s.mean == 0);
}

static void test_hist_linear(void)
{
	struct bench_hist h;

	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LINEAR, 0, 100, 10), 0);
	CHECK(bench_hist_edge(&h, 0) == 0);
	CHECK(fabs(bench_hist_edge(&h, 3) - 30) < 1e-9);
	CHECK(bench_hist_edge(&h, 10) == 100);
	CHECK_EQ(bench_hist_bin(&h, -1), -1);
	CHECK_EQ(bench_hist_bin(&h, 0), 0);
	CHECK_EQ(bench_hist_bin(&h, 9.999), 0);
	CHECK_EQ(bench_hist_bin(&h, 10), 1);
	CHECK_EQ(bench_hist_bin(&h, 99.999), 9);
	CHECK_EQ(bench_hist_bin(&h, 100), 10);
	CHECK_EQ(bench_hist_bin(&h, NAN), 10);
	CHECK_EQ(bench_hist_bin(&h, INFINITY), 10);
	for (int i = -5; i < 105; i++)
		bench_hist_add(&h, i);
	CHECK_EQ(h.under, 5);
	CHECK_EQ(h.over, 5);
	CHECK_EQ(h.total, 110);
	for (unsigned int b = 0; b < 10; b++)
		CHECK_EQ(h.counts[b], 10);
	bench_hist_free(&h);
	CHECK(h.counts == NULL);

	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LINEAR, 1, 1, 4), -EINVAL);
	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LINEAR, 0, 1, 0), -EINVAL);
	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LINEAR, 0, INFINITY, 4),
		 -EINVAL);
	CHECK_EQ(bench_hist_init(&h, (enum bench_hist_kind)7, 0, 1, 4),
		 -EINVAL);
	bench_hist_free(&h); /* zeroed by the failed init: a no-op */
}

/* lo = 1, hi = 2^k, k bins: bucket i is exactly [2^i, 2^(i+1)). */
static void test_hist_log2(void)
{
	struct bench_hist h;

	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LOG2, 1, 1 << 20, 20), 0);
	for (unsigned int i = 0; i <= 20; i++)
		CHECK(bench_hist_edge(&h, i) == (double)(1u << i));
	CHECK_EQ(bench_hist_bin(&h, 0.5), -1);
	CHECK_EQ(bench_hist_bin(&h, 1), 0);
	CHECK_EQ(bench_hist_bin(&h, 1.999), 0);
	for (unsigned int i = 1; i < 20; i++) {
		CHECK_EQ(bench_hist_bin(&h, (double)(1u << i)), i);
		CHECK_EQ(bench_hist_bin(&h, (double)(1u << i) - 0.001), i - 1);
	}
	CHECK_EQ(bench_hist_bin(&h, 1 << 20), 20);
	for (uint64_t v = 1; v < (1u << 20); v++)
		bench_hist_add(&h, (double)v);
	/* 2^i values land in bucket i. */
	for (unsigned int i = 0; i < 20; i++)
		CHECK_EQ(h.counts[i], 1ULL << i);
	CHECK_EQ(h.under + h.over, 0);
	bench_hist_free(&h);

	/* Fractional bins per octave: edges are monotonic and consistent. */
	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LOG2, 1000, 1e7, 160), 0);
	for (unsigned int i = 0; i < 160; i++) {
		double lo = bench_hist_edge(&h, i),
		       hi = bench_hist_edge(&h, i + 1);

		CHECK(lo < hi);
		CHECK_EQ(bench_hist_bin(&h, lo), i);
		CHECK_EQ(bench_hist_bin(&h, (lo + hi) / 2), i);
	}
	bench_hist_free(&h);
	CHECK_EQ(bench_hist_init(&h, BENCH_HIST_LOG2, 0, 10, 4), -EINVAL);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_svg(void)
{
	uint64_t a[1000], b[10];
	struct bench_svg_series s[] = {
	    {.label = "(a) poll <fast> & co",
	     .sorted = a,
	     .n = 1000,
	     .scale = 0.5},
	    {.label = "(b) empty", .sorted = NULL, .n = 0, .scale = 1},
	    {.label = "(c) floor", .sorted = b, .n = 10, .scale = 1},
	};
	struct bench_svg_opts o = {
	    .title = "title",
	    .subtitle = NULL,
	    .ref_ns = {7100, 11100},
	    .ref_label = {"floor p50", "floor p99"},
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (size_t i = 0; i < 1000; i++)
		a[i] = 10000 + i * 37;
	a[999] = 5000000; /* an outlier far out */
	for (size_t i = 0; i < 10; i++)
		b[i] = 7000 + i;
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(bench_svg_write(f, s, 3, &o), 0);
	fclose(f);
	CHECK(strncmp(buf, "<?xml", 5) == 0);
	CHECK(count(buf, "<svg ") == 1);
	CHECK(strstr(buf, "</svg>\n") == buf + len - 7);
	CHECK(strstr(buf, "(a) poll &lt;fast&gt; &amp; co") != NULL);
	CHECK(strstr(buf, "no samples") != NULL);
	CHECK(count(buf, "<polyline") == 2); /* the empty series has none */
	CHECK(count(buf, "class=\"ref\"") == 4);
	CHECK(strstr(buf, "nan") == NULL && strstr(buf, "inf") == NULL);
	/* Every opened element is closed or self-closing. */
	CHECK_EQ(count(buf, "<text"), count(buf, "</text>"));
	CHECK_EQ(count(buf, "<"),
		 2 * count(buf, "</") + count(buf, "/>") + 1 /* <?xml */);
	free(buf);

	CHECK_EQ(bench_svg_write(stdout, s, 0, &o), -EINVAL);
}

int main(void)
{
	test_percentile_small();
	test_percentile_exact_ranks();
	test_summary();
	test_hist_linear();
	test_hist_log2();
	test_svg();
	return check_done("test_bench_stats");
}
