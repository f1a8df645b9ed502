/* SPDX-License-Identifier: MIT */
/*
 * Percentiles, histograms and the SVG drawing of bench_stats.h. The SVG
 * is written with fprintf only: two panels sharing one log10 latency
 * scale, histogram rows on top, percentile curves below ("nines" axis as
 * in HdrHistogram's plots), every number labelled in microseconds.
 */
#include "bench_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void bench_sort(uint64_t *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_u64);
}

uint64_t bench_percentile(const uint64_t *sorted, size_t n, double p)
{
	unsigned __int128 ppm, rank;

	if (!n)
		return 0;
	if (!(p > 0))
		return sorted[0];
	if (p >= 100)
		return sorted[n - 1];
	/*
	 * rank = ceil(p / 100 * n) in integers (p in parts per million), so
	 * that p99.9 of 1000 samples is exactly the 999th, not the 1000th
	 * after a floating-point product rounded up.
	 */
	ppm = (unsigned __int128)llround(p * 10000.0);
	rank = (ppm * n + 999999) / 1000000;
	if (rank < 1)
		rank = 1;
	return sorted[(size_t)MIN(rank, (unsigned __int128)n) - 1];
}

void bench_summarize(uint64_t *v, size_t n, struct bench_summary *s)
{
	double sum = 0;

	memset(s, 0, sizeof(*s));
	if (!n)
		return;
	bench_sort(v, n);
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i];
	s->n = n;
	s->min = v[0];
	s->p50 = bench_percentile(v, n, 50);
	s->p90 = bench_percentile(v, n, 90);
	s->p99 = bench_percentile(v, n, 99);
	s->p999 = bench_percentile(v, n, 99.9);
	s->max = v[n - 1];
	s->mean = sum / (double)n;
}

int bench_hist_init(struct bench_hist *h, enum bench_hist_kind kind, double lo,
		    double hi, unsigned int nbins)
{
	memset(h, 0, sizeof(*h));
	if (!nbins || !(lo < hi) || !isfinite(lo) || !isfinite(hi) ||
	    (kind == BENCH_HIST_LOG2 && !(lo > 0)) ||
	    (kind != BENCH_HIST_LINEAR && kind != BENCH_HIST_LOG2))
		return -EINVAL;
	h->counts = calloc(nbins, sizeof(*h->counts));
	if (!h->counts)
		return -ENOMEM;
	h->kind = kind;
	h->lo = lo;
	h->hi = hi;
	h->nbins = nbins;
	return 0;
}

void bench_hist_free(struct bench_hist *h)
{
	free(h->counts);
	memset(h, 0, sizeof(*h));
}

double bench_hist_edge(const struct bench_hist *h, unsigned int i)
{
	double f = (double)i / h->nbins;

	if (i == 0)
		return h->lo;
	if (i >= h->nbins)
		return h->hi;
	if (h->kind == BENCH_HIST_LINEAR)
		return h->lo + (h->hi - h->lo) * f;
	return exp2(log2(h->lo) + (log2(h->hi) - log2(h->lo)) * f);
}

long bench_hist_bin(const struct bench_hist *h, double v)
{
	double f;
	long b;

	if (!(v >= h->lo) && !isnan(v))
		return -1;
	if (!(v < h->hi))
		return h->nbins;
	if (h->kind == BENCH_HIST_LINEAR)
		f = (v - h->lo) / (h->hi - h->lo);
	else
		f = (log2(v) - log2(h->lo)) / (log2(h->hi) - log2(h->lo));
	b = (long)(f * h->nbins);
	b = b < 0 ? 0 : b >= (long)h->nbins ? (long)h->nbins - 1 : b;
	/* The edges are what bench_hist_edge() says, rounding aside. */
	while (b > 0 && v < bench_hist_edge(h, (unsigned int)b))
		b--;
	while (b + 1 < (long)h->nbins &&
	       v >= bench_hist_edge(h, (unsigned int)b + 1))
		b++;
	return b;
}

void bench_hist_add(struct bench_hist *h, double v)
{
	long b = bench_hist_bin(h, v);

	h->total++;
	if (b < 0)
		h->under++;
	else if (b >= (long)h->nbins)
		h->over++;
	else
		h->counts[b]++;
}

/* --- SVG ----------------------------------------------------------------- */

#define SVG_W		    960
#define SVG_LABEL_X	    16	/* row labels */
#define SVG_X0		    150 /* plot area */
#define SVG_X1		    700
#define SVG_TEXT_X	    716 /* per-row figures */
#define SVG_TOP		    84
#define SVG_ROW_H	    70
#define SVG_TAIL_H	    280
#define SVG_GAP		    70
#define SVG_BINS_PER_DECADE 40
#define SVG_TAIL_POINTS	    240
#define SVG_NINES	    4 /* the tail plot ends at p99.99 */

static const char *const svg_colors[] = {
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
};

/* The drawing's latency range, log10(us), shared by both panels. */
struct svg_scale {
	double lmin, lmax;
};

static void svg_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* Axis labels: "0.2 us", "5 us", "200 us", "2 ms" (1-2-5 values). */
static void fmt_tick(char *buf, size_t len, double ns)
{
	double us = ns / 1000.0;

	if (us >= 1000)
		snprintf(buf, len, "%g ms", us / 1000.0);
	else
		snprintf(buf, len, "%g us", us);
}

/* "7.13 us", "812 us", "2.50 ms": three significant digits. */
static void fmt_us(char *buf, size_t len, double ns)
{
	double us = ns / 1000.0;

	if (us >= 10000)
		snprintf(buf, len, "%.1f ms", us / 1000.0);
	else if (us >= 1000)
		snprintf(buf, len, "%.2f ms", us / 1000.0);
	else if (us >= 100)
		snprintf(buf, len, "%.0f us", us);
	else if (us >= 10)
		snprintf(buf, len, "%.1f us", us);
	else
		snprintf(buf, len, "%.2f us", us);
}

static double svg_x(const struct svg_scale *sc, double ns)
{
	double l = log10(ns > 0 ? ns / 1000.0 : 1e-6);

	l = l < sc->lmin ? sc->lmin : l > sc->lmax ? sc->lmax : l;
	return SVG_X0 +
	       (SVG_X1 - SVG_X0) * (l - sc->lmin) / (sc->lmax - sc->lmin);
}

/* Round down / up to 1, 2 or 5 times a power of ten (log10 in, out). */
static double nice_floor(double l)
{
	double d = floor(l), m = pow(10, l - d);

	return d + log10(m >= 5 ? 5 : m >= 2 ? 2 : 1);
}

static double nice_ceil(double l)
{
	double d = floor(l), m = pow(10, l - d);

	if (m <= 1 + 1e-9)
		return d;
	return d + (m <= 2 ? log10(2) : m <= 5 ? log10(5) : 1);
}

static struct svg_scale svg_scale_of(const struct bench_svg_series *s, size_t n)
{
	double lo = INFINITY, hi = 0;
	struct svg_scale sc;

	for (size_t i = 0; i < n; i++) {
		if (!s[i].n)
			continue;
		lo = fmin(lo, (double)s[i].sorted[0] * s[i].scale);
		hi = fmax(hi, (double)s[i].sorted[s[i].n - 1] * s[i].scale);
	}
	if (!(lo > 0) || !isfinite(lo))
		lo = 1000;
	if (!(hi > lo))
		hi = lo * 10;
	sc.lmin = nice_floor(log10(lo / 1000.0));
	sc.lmax = nice_ceil(log10(hi / 1000.0));
	if (sc.lmax - sc.lmin < 1)
		sc.lmax = sc.lmin + 1;
	return sc;
}

/*
 * Vertical grid lines at 1, 2 and 5 times each power of ten across
 * [y0, y1]; 2 and 5 are labelled only where a decade is wide enough.
 */
static void svg_x_grid(FILE *f, const struct svg_scale *sc, int y0, int y1)
{
	static const double steps[] = {1, 2, 5};
	double decade_px = (SVG_X1 - SVG_X0) / (sc->lmax - sc->lmin);
	char buf[32];

	for (double d = floor(sc->lmin); d <= sc->lmax; d++) {
		for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
			double l = d + log10(steps[k]), x;

			if (l < sc->lmin - 1e-9 || l > sc->lmax + 1e-9)
				continue;
			x = svg_x(sc, pow(10, l) * 1000.0);
			fprintf(f,
				"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
				"y2=\"%d\" class=\"%s\"/>\n",
				x, y0, x, y1, k ? "grid" : "grid1");
			if (k && decade_px < 150)
				continue;
			fmt_tick(buf, sizeof(buf), pow(10, l) * 1000.0);
			fprintf(f,
				"<text x=\"%.1f\" y=\"%d\" class=\"tick\" "
				"text-anchor=\"middle\">%s</text>\n",
				x, y1 + 14, buf);
		}
	}
}

static void svg_row(FILE *f, const struct bench_svg_series *s,
		    const struct svg_scale *sc, int y, const char *color,
		    const struct bench_svg_opts *o)
{
	unsigned int nb =
	    (unsigned int)ceil((sc->lmax - sc->lmin) * SVG_BINS_PER_DECADE);
	struct bench_hist h;
	uint64_t peak = 0;
	char p50[32], p99[32], p999[32];
	int base = y + SVG_ROW_H - 10;

	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"label\">", SVG_LABEL_X,
		base - 20);
	svg_text(f, s->label);
	fprintf(f,
		"</text>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		"class=\"axis\"/>\n",
		SVG_X0, base, SVG_X1, base);
	if (!s->n ||
	    bench_hist_init(&h, BENCH_HIST_LOG2, pow(10, sc->lmin) * 1000.0,
			    pow(10, sc->lmax) * 1000.0, nb)) {
		fprintf(f,
			"<text x=\"%d\" y=\"%d\" class=\"tick\">no "
			"samples</text>\n",
			SVG_TEXT_X, base - 20);
		return;
	}
	for (size_t i = 0; i < s->n; i++)
		bench_hist_add(&h, (double)s->sorted[i] * s->scale);
	for (unsigned int b = 0; b < nb; b++)
		peak = MAX(peak, h.counts[b]);
	fprintf(f,
		"<path fill=\"%s\" fill-opacity=\"0.45\" stroke=\"%s\" "
		"stroke-width=\"1\" d=\"M%d %d",
		color, color, SVG_X0, base);
	for (unsigned int b = 0; b < nb && peak; b++) {
		double yy =
		    base - (double)(SVG_ROW_H - 22) * h.counts[b] / peak;

		fprintf(f, " L%.1f %.1f L%.1f %.1f",
			svg_x(sc, bench_hist_edge(&h, b)), yy,
			svg_x(sc, bench_hist_edge(&h, b + 1)), yy);
	}
	fprintf(f, " L%d %d Z\"/>\n", SVG_X1, base);
	/* Percentile marks: p50 solid, p99 dashed, p99.9 dotted. */
	static const double pct[] = {50, 99, 99.9};
	static const char *const dash[] = {"", "4 3", "1 3"};

	for (size_t k = 0; k < ARRAY_SIZE(pct); k++) {
		double x = svg_x(
		    sc, (double)bench_percentile(s->sorted, s->n, pct[k]) *
			    s->scale);

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"stroke=\"#000\" stroke-width=\"1.5\" "
			"stroke-dasharray=\"%s\"/>\n",
			x, base - SVG_ROW_H + 14, x, base, dash[k]);
	}
	fmt_us(p50, sizeof(p50),
	       bench_percentile(s->sorted, s->n, 50) * s->scale);
	fmt_us(p99, sizeof(p99),
	       bench_percentile(s->sorted, s->n, 99) * s->scale);
	fmt_us(p999, sizeof(p999),
	       bench_percentile(s->sorted, s->n, 99.9) * s->scale);
	fprintf(f,
		"<text x=\"%d\" y=\"%d\" class=\"fig\">p50 %s  p99 %s"
		"</text>\n<text x=\"%d\" y=\"%d\" class=\"fig\">p99.9 %s",
		SVG_TEXT_X, base - 30, p50, p99, SVG_TEXT_X, base - 14, p999);
	if (o->ref_ns[0] > 0) {
		fprintf(f, "  p50 = %.2fx ",
			(double)bench_percentile(s->sorted, s->n, 50) *
			    s->scale / o->ref_ns[0]);
		svg_text(f, o->ref_label[0]);
	}
	fputs("</text>\n", f);
	bench_hist_free(&h);
}

static double svg_tail_y(const struct svg_scale *sc, int y0, double ns)
{
	double l = log10(ns > 0 ? ns / 1000.0 : 1e-6);

	l = l < sc->lmin ? sc->lmin : l > sc->lmax ? sc->lmax : l;
	return y0 + SVG_TAIL_H -
	       SVG_TAIL_H * (l - sc->lmin) / (sc->lmax - sc->lmin);
}

static void svg_tail(FILE *f, const struct bench_svg_series *s, size_t n,
		     const struct svg_scale *sc, const struct bench_svg_opts *o,
		     int y0)
{
	static const char *const nines[] = {"p0", "p90", "p99", "p99.9",
					    "p99.99"};
	char buf[32];

	fprintf(f,
		"<text x=\"%d\" y=\"%d\" class=\"label\">latency at "
		"percentile</text>\n",
		SVG_LABEL_X, y0 - 12);
	for (int k = 0; k <= SVG_NINES; k++) {
		double x = SVG_X0 + (SVG_X1 - SVG_X0) * (double)k / SVG_NINES;

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"class=\"grid\"/>\n<text x=\"%.1f\" y=\"%d\" "
			"class=\"tick\" text-anchor=\"middle\">%s</text>\n",
			x, y0, x, y0 + SVG_TAIL_H, x, y0 + SVG_TAIL_H + 14,
			nines[k]);
	}
	for (double d = floor(sc->lmin); d <= sc->lmax; d++) {
		for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
			double l = d + log10(m), y;

			if (l < sc->lmin - 1e-9 || l > sc->lmax + 1e-9)
				continue;
			y = svg_tail_y(sc, y0, pow(10, l) * 1000.0);
			fmt_tick(buf, sizeof(buf), pow(10, l) * 1000.0);
			fprintf(f,
				"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" "
				"y2=\"%.1f\" class=\"grid\"/>\n<text x=\"%d\" "
				"y=\"%.1f\" class=\"tick\" text-anchor=\"end\">"
				"%s</text>\n",
				SVG_X0, y, SVG_X1, y, SVG_X0 - 6, y + 4, buf);
		}
	}
	for (int k = 0; k < 2; k++) {
		double y;

		if (!(o->ref_ns[k] > 0))
			continue;
		y = svg_tail_y(sc, y0, o->ref_ns[k]);
		fprintf(f,
			"<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
			"class=\"ref\"/>\n",
			SVG_X0, y, SVG_X1, y);
	}
	for (size_t i = 0; i < n; i++) {
		const char *color = svg_colors[i % ARRAY_SIZE(svg_colors)];

		if (s[i].n) {
			fprintf(f,
				"<polyline fill=\"none\" stroke=\"%s\" "
				"stroke-width=\"2\" points=\"",
				color);
			for (int k = 0; k <= SVG_TAIL_POINTS; k++) {
				double nn =
				    SVG_NINES * (double)k / SVG_TAIL_POINTS;
				double q = 100.0 * (1.0 - pow(10, -nn));
				double v = (double)bench_percentile(s[i].sorted,
								    s[i].n, q) *
					   s[i].scale;

				fprintf(f, "%s%.1f,%.1f", k ? " " : "",
					SVG_X0 +
					    (SVG_X1 - SVG_X0) * nn / SVG_NINES,
					svg_tail_y(sc, y0, v));
			}
			fputs("\"/>\n", f);
		}
		fprintf(f,
			"<line x1=\"%d\" y1=\"%zu\" x2=\"%d\" y2=\"%zu\" "
			"stroke=\"%s\" stroke-width=\"3\"/>\n<text x=\"%d\" "
			"y=\"%zu\" class=\"tick\">",
			SVG_TEXT_X, y0 + 20 * i + 10, SVG_TEXT_X + 24,
			y0 + 20 * i + 10, color, SVG_TEXT_X + 30,
			y0 + 20 * i + 14);
		svg_text(f, s[i].label);
		fputs("</text>\n", f);
	}
}

int bench_svg_write(FILE *f, const struct bench_svg_series *s, size_t n,
		    const struct bench_svg_opts *o)
{
	struct svg_scale sc;
	int rows_end, tail0, height;

	if (!n || !s || !o)
		return -EINVAL;
	sc = svg_scale_of(s, n);
	rows_end = SVG_TOP + (int)n * SVG_ROW_H;
	tail0 = rows_end + SVG_GAP;
	height = tail0 + SVG_TAIL_H + 40;
	fprintf(
	    f,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">"
	    "\n<style>.grid{stroke:#eee;stroke-width:1}.grid1{stroke:#ccc;"
	    "stroke-width:1}.axis{stroke:#888;"
	    "stroke-width:1}.ref{stroke:#000;stroke-width:1;"
	    "stroke-dasharray:6 4}.tick{font-size:11px;fill:#444}"
	    ".label{font-size:13px;fill:#000}.fig{font-size:12px;"
	    "fill:#000}.title{font-size:16px;font-weight:bold}</style>\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n",
	    SVG_W, height, SVG_W, height);
	fprintf(f, "<text x=\"%d\" y=\"24\" class=\"title\">", SVG_LABEL_X);
	svg_text(f, o->title);
	fprintf(f, "</text>\n<text x=\"%d\" y=\"44\" class=\"tick\">",
		SVG_LABEL_X);
	svg_text(f, o->subtitle);
	fprintf(f,
		"</text>\n<text x=\"%d\" y=\"60\" class=\"tick\">"
		"Histograms on a log scale; marks: p50 solid, p99 dashed, "
		"p99.9 dotted",
		SVG_LABEL_X);
	if (o->ref_ns[0] > 0 || o->ref_ns[1] > 0) {
		fputs("; long dashes: ", f);
		svg_text(f, o->ref_label[0]);
		fputs(o->ref_ns[1] > 0 ? ", " : "", f);
		svg_text(f, o->ref_label[1]);
	}
	fputs("</text>\n", f);
	svg_x_grid(f, &sc, SVG_TOP, rows_end);
	for (int k = 0; k < 2; k++) {
		double x;

		if (!(o->ref_ns[k] > 0))
			continue;
		x = svg_x(&sc, o->ref_ns[k]);
		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
			"class=\"ref\"/>\n",
			x, SVG_TOP, x, rows_end);
	}
	for (size_t i = 0; i < n; i++)
		svg_row(f, &s[i], &sc, SVG_TOP + (int)i * SVG_ROW_H,
			svg_colors[i % ARRAY_SIZE(svg_colors)], o);
	svg_tail(f, s, n, &sc, o, tail0);
	fputs("</svg>\n", f);
	return ferror(f) ? -EIO : 0;
}
