/* SPDX-License-Identifier: MIT */
/*
 * Table, JSON and SVG output of `vmm bench doorbell` (bench_report.h).
 * Ratios are to the floor (test c) of the same run, percentile by
 * percentile; CPU use is CPU time over wall time of the timed blocks, in
 * percent of one CPU.
 */
#include "bench_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_ring.h>

#include <json-c/json.h>

#include "bench_cli.h"
#include "bench_results.h"
#include "bench_stats.h"
#include "api/json_add.h"

static const char *const test_keys[BENCH_NR_TESTS] = {
    [BENCH_TEST_POLL] = "poll",
    [BENCH_TEST_IRQ] = "irq",
    [BENCH_TEST_FLOOR] = "floor",
    [BENCH_TEST_EXIT] = "exit",
};

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static const struct bench_test_result *floor_of(const struct bench_results *res)
{
	const struct bench_test_result *f = &res->t[BENCH_TEST_FLOOR];

	return f->ran && f->n ? f : NULL;
}

static double ratio(uint64_t v, uint64_t floor_v)
{
	return floor_v ? (double)v / (double)floor_v : NAN;
}

static void print_cpu(FILE *f, const char *what, int cpu)
{
	if (cpu >= 0)
		fprintf(f, "%s on CPU %d", what, cpu);
	else
		fprintf(f, "%s unpinned", what);
}

static void text_header(FILE *f, const struct bench_report *r)
{
	const struct bench_doorbell_opts *o = r->opts;
	const struct bench_results *res = r->res;

	fprintf(f,
		"vmm bench doorbell: --notify %s, EVENT_IDX %s, kick "
		"suppression %s, interrupts by %s\n",
		bench_notify_name(o->notify),
		res->features & (1u << VIRTIO_RING_F_EVENT_IDX) ? "on" : "off",
		o->suppress ? "on" : "off",
		o->irq_line ? "KVM_IRQ_LINE (experiment)" : "KVM_IRQFD");
	fprintf(f,
		"  %u samples per test in %u interleaved rounds (%u "
		"warm-up each); ",
		o->iterations, o->rounds, o->warmup);
	print_cpu(f, "vCPU", o->pin_vcpu);
	print_cpu(f, ", io thread", o->pin_io);
	fprintf(f,
		"\n  host: %s\n  TSC %u kHz (KVM_GET_TSC_KHZ; the guest's "
		"from %s), guest TSC = host TSC: %s\n",
		r->host, res->tsc_khz,
		res->tsc_source == BENCH_TSC_CPUID ? "CPUID 0x40000010"
						   : "the mailbox",
		res->tsc_same ? "yes" : "not shown");
	fprintf(f,
		"  other processes used %.0f%% of a CPU during the run, "
		"steal %.1f%%%s\n",
		res->others_cpu_pct, res->steal_pct,
		res->others_cpu_pct > 20 ? " (noisy: rerun on a quiet machine)"
					 : "");
}

static void text_table(FILE *f, const struct bench_report *r, bool ns)
{
	const struct bench_results *res = r->res;
	const struct bench_test_result *fl = floor_of(res);

	fprintf(f, "\n%-10s %8s %9s %9s %9s %9s %10s %7s %7s %6s %7s\n",
		ns ? "ns" : "cycles", "n", "p50", "p90", "p99", "p99.9", "max",
		"p50/fl", "p99/fl", "kicks", "io CPU");
	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++) {
		const struct bench_test_result *t = &res->t[i];
		const struct bench_summary *s = &t->cyc;
		double k = ns ? 1e6 / res->tsc_khz : 1;

		if (!t->ran)
			continue;
		fprintf(f, "%-10s %8zu %9.0f %9.0f %9.0f %9.0f %10.0f",
			bench_test_tag(i), s->n, s->p50 * k, s->p90 * k,
			s->p99 * k, s->p999 * k, s->max * k);
		if (fl)
			fprintf(f, " %6.2fx %6.2fx", ratio(s->p50, fl->cyc.p50),
				ratio(s->p99, fl->cyc.p99));
		else
			fprintf(f, " %7s %7s", "-", "-");
		fprintf(f, " %6.2f %6.1f%%\n",
			s->n ? (double)t->guest.kicks / s->n : 0,
			pct(t->phase.io_cpu_ns, t->phase.wall_ns));
	}
}

static void text_split(FILE *f, const struct bench_results *res)
{
	bool any = false;

	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++)
		any |= res->t[i].n_split > 0;
	if (!any)
		return;
	fprintf(f, "\nsplit at the device, ns  %-21s %s\n",
		"doorbell -> device", "device -> guest");
	fprintf(f, "%-24s %10s %10s %10s %10s\n", "", "p50", "p99", "p50",
		"p99");
	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++) {
		const struct bench_test_result *t = &res->t[i];

		if (!t->n_split)
			continue;
		fprintf(f, "%-24s %10.0f %10.0f %10.0f %10.0f\n",
			bench_test_tag(i),
			bench_results_ns(res, t->to_host_s.p50),
			bench_results_ns(res, t->to_host_s.p99),
			bench_results_ns(res, t->to_guest_s.p50),
			bench_results_ns(res, t->to_guest_s.p99));
	}
}

static void text_device(FILE *f, const struct bench_report *r)
{
	const struct bench_results *res = r->res;
	struct bench_dev_stats d = {0};

	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++) {
		const struct bench_dev_stats *s = &res->t[i].phase.dev;

		d.served_loop += s->served_loop;
		d.served_vcpu += s->served_vcpu;
		d.wakeups += s->wakeups;
		d.poll_hits += s->poll_hits;
		d.polls += s->polls;
		d.poll_grows += s->poll_grows;
		d.poll_shrinks += s->poll_shrinks;
		if (res->t[i].phase.blocks)
			d.poll_ns = s->poll_ns;
	}
	fprintf(f,
		"\nio thread while the guest idled: %.2f%% CPU over %.0f "
		"ms (vCPU thread %.1f%%)\n",
		pct(res->idle.io_cpu_ns, res->idle.wall_ns),
		res->idle.wall_ns / 1e6,
		pct(res->idle.vcpu_cpu_ns, res->idle.wall_ns));
	fprintf(
	    f,
	    "device (timed blocks): %llu buffers served by the io "
	    "thread (%llu found by polling), %llu by vCPU exits; %llu io "
	    "thread wake-ups by a doorbell\n",
	    (unsigned long long)d.served_loop, (unsigned long long)d.poll_hits,
	    (unsigned long long)d.served_vcpu, (unsigned long long)d.wakeups);
	if (r->opts->notify == BENCH_NOTIFY_ADAPTIVE)
		fprintf(f,
			"adaptive polling: bound %.1f us at the end (ceiling "
			"%.0f us), grew %llu times, shrank %llu, %llu windows "
			"expired\n",
			d.poll_ns / 1e3, r->opts->poll_max_ns / 1e3,
			(unsigned long long)d.poll_grows,
			(unsigned long long)d.poll_shrinks,
			(unsigned long long)d.polls);
	if (res->bad_marks)
		fprintf(f, "warning: %u malformed phase markers\n",
			res->bad_marks);
}

void bench_report_text(FILE *f, const struct bench_report *r)
{
	text_header(f, r);
	text_table(f, r, true);
	text_table(f, r, false);
	text_split(f, r->res);
	text_device(f, r);
	fputs("\n", f);
	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++)
		if (r->res->t[i].ran)
			fprintf(f, "%s: %s\n", bench_test_tag(i),
				bench_test_desc(i));
	fprintf(f, "kicks: doorbell writes per round trip; io CPU: the io "
		   "thread's CPU time over the timed blocks' wall time\n");
}

/* --- JSON ---------------------------------------------------------------- */

/* Doubles rounded to 0.01 (ns, percent, ratios); NaN becomes null. */
static bool add_num(struct json_object *o, const char *key, double v)
{
	if (isnan(v))
		return !json_object_object_add(o, key, NULL);
	return json_add(o, key, json_object_new_double(round(v * 100) / 100));
}

static struct json_object *summary_obj(const struct bench_summary *s,
				       const struct bench_results *res, bool ns)
{
	struct json_object *o = json_object_new_object();
	const struct {
		const char *key;
		uint64_t v;
	} f[] = {
	    {"min", s->min}, {"p50", s->p50},	 {"p90", s->p90},
	    {"p99", s->p99}, {"p99_9", s->p999}, {"max", s->max},
	};
	bool ok = o != NULL;

	for (size_t i = 0; ok && i < sizeof(f) / sizeof(f[0]); i++)
		ok = ns ? add_num(o, f[i].key, bench_results_ns(res, f[i].v))
			: json_add_u64(o, f[i].key, f[i].v);
	if (ok)
		ok = add_num(o, "mean",
			     ns ? bench_results_ns(res, s->mean) : s->mean);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *test_obj(const struct bench_report *r,
				    unsigned int i)
{
	const struct bench_results *res = r->res;
	const struct bench_test_result *t = &res->t[i];
	const struct bench_test_result *fl = floor_of(res);
	struct json_object *o = json_object_new_object(), *x;
	bool ok = o != NULL;

	ok =
	    ok && json_add(o, "tag", json_object_new_string(bench_test_tag(i)));
	ok = ok && json_add(o, "description",
			    json_object_new_string(bench_test_desc(i)));
	ok = ok && json_add_u64(o, "samples", t->n);
	ok = ok && json_add_u64(o, "kicks", t->guest.kicks);
	ok = ok && json_add_u64(o, "timeouts", t->guest.timeouts);
	ok = ok && json_add_u64(o, "stray_irqs", t->guest.stray_irqs);
	ok = ok && json_add(o, "ns", summary_obj(&t->cyc, res, true));
	ok = ok && json_add(o, "cycles", summary_obj(&t->cyc, res, false));
	if (ok && (x = json_object_new_object())) {
		ok = json_add(o, "ratio_to_floor", x);
		ok = ok && add_num(x, "p50",
				   fl ? ratio(t->cyc.p50, fl->cyc.p50) : NAN);
		ok = ok && add_num(x, "p99",
				   fl ? ratio(t->cyc.p99, fl->cyc.p99) : NAN);
		ok = ok && add_num(x, "p99_9",
				   fl ? ratio(t->cyc.p999, fl->cyc.p999) : NAN);
	} else {
		ok = false;
	}
	ok = ok && add_num(o, "io_cpu_pct",
			   pct(t->phase.io_cpu_ns, t->phase.wall_ns));
	ok = ok && add_num(o, "vcpu_cpu_pct",
			   pct(t->phase.vcpu_cpu_ns, t->phase.wall_ns));
	ok = ok &&
	     json_add_u64(o, "served_by_io_thread", t->phase.dev.served_loop);
	ok = ok && json_add_u64(o, "served_by_polling", t->phase.dev.poll_hits);
	ok = ok && json_add_u64(o, "served_by_vcpu", t->phase.dev.served_vcpu);
	if (ok && t->n_split) {
		ok = json_add(o, "to_device_ns",
			      summary_obj(&t->to_host_s, res, true));
		ok = ok && json_add(o, "to_guest_ns",
				    summary_obj(&t->to_guest_s, res, true));
	}
	if (ok && r->opts->raw && (x = json_object_new_array())) {
		ok = json_add(o, "raw_cycles", x);
		for (size_t k = 0; ok && k < t->n; k++)
			ok = !json_object_array_add(
			    x, json_object_new_uint64(t->raw[k]));
	}
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *config_obj(const struct bench_report *r)
{
	const struct bench_doorbell_opts *op = r->opts;
	struct json_object *o = json_object_new_object();
	bool ok = o != NULL;

	ok = ok &&
	     json_add(o, "notify",
		      json_object_new_string(bench_notify_name(op->notify)));
	ok = ok &&
	     json_add(o, "event_idx",
		      json_object_new_boolean(r->res->features &
					      (1u << VIRTIO_RING_F_EVENT_IDX)));
	ok = ok &&
	     json_add(o, "suppress", json_object_new_boolean(op->suppress));
	ok = ok &&
	     json_add(o, "irq",
		      json_object_new_string(op->irq_line ? "line" : "irqfd"));
	ok = ok && json_add_u64(o, "iterations", op->iterations);
	ok = ok && json_add_u64(o, "warmup", op->warmup);
	ok = ok && json_add_u64(o, "rounds", op->rounds);
	ok = ok && json_add_u64(o, "idle_ms", op->idle_ms);
	ok = ok && json_add_u64(o, "poll_max_ns", op->poll_max_ns);
	ok = ok && json_add(o, "pin_vcpu", json_object_new_int(op->pin_vcpu));
	ok = ok && json_add(o, "pin_io", json_object_new_int(op->pin_io));
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *report_obj(const struct bench_report *r)
{
	const struct bench_results *res = r->res;
	struct json_object *o = json_object_new_object(), *x;
	bool ok = o != NULL;

	ok = ok && json_add(o, "benchmark", json_object_new_string("doorbell"));
	ok = ok && json_add(o, "config", config_obj(r));
	ok = ok && (x = json_object_new_object()) && json_add(o, "host", x);
	ok = ok && json_add(x, "description", json_object_new_string(r->host));
	ok = ok && json_add(x, "kvm_pvm", json_object_new_boolean(r->pvm));
	ok = ok && json_add_u64(x, "tsc_khz", res->tsc_khz);
	ok = ok &&
	     json_add(x, "guest_tsc_source",
		      json_object_new_string(res->tsc_source == BENCH_TSC_CPUID
						 ? "cpuid"
						 : "mailbox"));
	ok = ok && json_add(x, "guest_tsc_is_host_tsc",
			    json_object_new_boolean(res->tsc_same));
	ok = ok && add_num(x, "others_cpu_pct", res->others_cpu_pct);
	ok = ok && add_num(x, "steal_pct", res->steal_pct);
	ok = ok && (x = json_object_new_object()) && json_add(o, "tests", x);
	for (unsigned int i = 0; ok && i < BENCH_NR_TESTS; i++)
		if (res->t[i].ran)
			ok = json_add(x, test_keys[i], test_obj(r, i));
	ok = ok && (x = json_object_new_object()) && json_add(o, "idle", x);
	ok = ok && add_num(x, "ms", res->idle.wall_ns / 1e6);
	ok = ok && add_num(x, "io_cpu_pct",
			   pct(res->idle.io_cpu_ns, res->idle.wall_ns));
	ok = ok && add_num(x, "vcpu_cpu_pct",
			   pct(res->idle.vcpu_cpu_ns, res->idle.wall_ns));
	ok = ok && json_add_u64(o, "bad_markers", res->bad_marks);
	if (!ok) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int bench_report_json(FILE *f, const struct bench_report *r)
{
	struct json_object *o = report_obj(r);
	const char *text;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	text = json_object_to_json_string_ext(
	    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text || fprintf(f, "%s\n", text) < 0)
		ret = text ? -EIO : -ENOMEM;
	json_object_put(o);
	return ret;
}

/* --- SVG ----------------------------------------------------------------- */

int bench_report_svg(const char *path, const struct bench_report *r)
{
	const struct bench_results *res = r->res;
	const struct bench_test_result *fl = floor_of(res);
	struct bench_svg_series s[BENCH_NR_TESTS];
	char labels[BENCH_NR_TESTS][96], title[160], sub[200];
	struct bench_svg_opts o = {
	    .title = title,
	    .subtitle = sub,
	    .ref_label = {"floor p50", "floor p99"},
	};
	size_t n = 0;
	FILE *f;
	int ret;

	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++) {
		const struct bench_test_result *t = &res->t[i];

		if (!t->ran)
			continue;
		snprintf(labels[n], sizeof(labels[n]), "%s", bench_test_tag(i));
		s[n] = (struct bench_svg_series){
		    .label = labels[n],
		    .sorted = t->sorted,
		    .n = t->n,
		    .scale = bench_results_ns(res, 1),
		};
		n++;
	}
	if (fl) {
		o.ref_ns[0] = bench_results_ns(res, fl->cyc.p50);
		o.ref_ns[1] = bench_results_ns(res, fl->cyc.p99);
	}
	snprintf(title, sizeof(title), "vmm bench doorbell --notify %s%s",
		 bench_notify_name(r->opts->notify),
		 r->pvm ? " (nested KVM PVM host)" : "");
	snprintf(sub, sizeof(sub),
		 "%u samples per test. (a) doorbell -> "
		 "used ring, polled; (b) -> interrupt handler; (c) floor: "
		 "unserved ioeventfd; (d) KVM_EXIT_MMIO",
		 r->opts->iterations);
	f = fopen(path, "we");
	if (!f)
		return -errno;
	ret = bench_svg_write(f, s, n, &o);
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}
