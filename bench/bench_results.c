/* SPDX-License-Identifier: MIT */
/*
 * Reading the doorbell guest's mailbox back (see bench_results.h). The
 * header is copied once and checked against what the host sent; the
 * sample arrays are copied out of guest RAM before anything is computed
 * from them.
 */
#include "bench_results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "arch/x86/layout.h"

/* A sample above this (2^47 cycles: a day at 2 GHz) is garbage. */
#define BENCH_SAMPLE_MAX (1ULL << 47)

static const char *const test_tags[BENCH_NR_TESTS] = {
    [BENCH_TEST_POLL] = "(a) poll",
    [BENCH_TEST_IRQ] = "(b) irq",
    [BENCH_TEST_FLOOR] = "(c) floor",
    [BENCH_TEST_EXIT] = "(d) exit",
};

static const char *const test_descs[BENCH_NR_TESTS] = {
    [BENCH_TEST_POLL] = "doorbell -> used ring, guest polls",
    [BENCH_TEST_IRQ] = "doorbell -> guest interrupt handler",
    [BENCH_TEST_FLOOR] = "the doorbell write to an unserved ioeventfd",
    [BENCH_TEST_EXIT] = "doorbell as KVM_EXIT_MMIO, vCPU thread",
};

const char *bench_test_tag(unsigned int t)
{
	return t < BENCH_NR_TESTS ? test_tags[t] : "?";
}

const char *bench_test_desc(unsigned int t)
{
	return t < BENCH_NR_TESTS ? test_descs[t] : "?";
}

double bench_results_ns(const struct bench_results *res, double cycles)
{
	return res->tsc_khz ? cycles * 1e6 / res->tsc_khz : 0;
}

static int read_test(struct bench_test_result *t, const uint8_t *box,
		     const struct bench_abi *sent, unsigned int i, bool split,
		     char *err, size_t err_len)
{
	const uint64_t *cyc =
	    (const uint64_t *)(const void *)(box + bench_abi_samples_off(
						       sent->iterations, i,
						       BENCH_SAMPLE_CYCLES));
	const uint64_t *host =
	    (const uint64_t *)(const void *)(box + bench_abi_samples_off(
						       sent->iterations, i,
						       BENCH_SAMPLE_HOST));
	size_t n = t->n;

	t->raw = malloc(n * sizeof(*t->raw));
	t->sorted = malloc(n * sizeof(*t->sorted));
	t->to_host = malloc(n * sizeof(*t->to_host));
	t->to_guest = malloc(n * sizeof(*t->to_guest));
	if (!t->raw || !t->sorted || !t->to_host || !t->to_guest)
		return -ENOMEM;
	memcpy(t->raw, cyc, n * sizeof(*t->raw));
	for (size_t k = 0; k < n; k++) {
		uint64_t c = t->raw[k], h = host[k];

		if (!c || c > BENCH_SAMPLE_MAX) {
			snprintf(err, err_len, "%s: sample %zu is %llu cycles",
				 test_tags[i], k, (unsigned long long)c);
			return -EINVAL;
		}
		t->sorted[k] = c;
		if (split && h && h < c) {
			t->to_host[t->n_split] = h;
			t->to_guest[t->n_split++] = c - h;
		}
	}
	bench_summarize(t->sorted, n, &t->cyc);
	bench_summarize(t->to_host, t->n_split, &t->to_host_s);
	bench_summarize(t->to_guest, t->n_split, &t->to_guest_s);
	return 0;
}

int bench_results_read(struct bench_results *res, const struct mem *mem,
		       const struct bench_abi *sent,
		       const struct bench_rig *rig, uint64_t tsc_before,
		       uint64_t tsc_after, char *err, size_t err_len)
{
	const uint8_t *box = gpa_ptr(mem, LAYOUT_BENCH_MAILBOX,
				     bench_abi_size(sent->iterations));
	struct bench_abi got;
	int r;

	memset(res, 0, sizeof(*res));
	if (!box) {
		snprintf(err, err_len, "mailbox outside guest RAM");
		return -EINVAL;
	}
	memcpy(&got, box, sizeof(got));
	got.message[sizeof(got.message) - 1] = 0;
	if (got.magic != BENCH_ABI_MAGIC || got.version != BENCH_ABI_VERSION) {
		snprintf(err, err_len,
			 "the guest overwrote the mailbox header");
		return -EINVAL;
	}
	if (got.status) {
		snprintf(err, err_len, "guest failed (status %u): %s",
			 got.status, got.message[0] ? got.message : "?");
		return -EINVAL;
	}
	res->tsc_khz = sent->tsc_khz ? sent->tsc_khz : got.tsc_khz_used;
	res->guest_tsc_khz = got.tsc_khz_used;
	res->tsc_source = got.tsc_source;
	res->features = got.features;
	/* One clock on both sides (PVM: no TSC offset), or no split. */
	res->tsc_same = got.tsc_start > tsc_before &&
			got.tsc_end > got.tsc_start && got.tsc_end < tsc_after;
	res->idle = rig->phase[BENCH_PHASE_IDLE];
	res->bad_marks = rig->bad_marks;
	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++) {
		struct bench_test_result *t = &res->t[i];

		t->ran = sent->tests & (1u << i);
		t->guest = got.result[i];
		t->phase = rig->phase[i];
		if (!t->ran)
			continue;
		if (t->guest.samples != sent->iterations) {
			snprintf(err, err_len, "%s: %u of %u samples",
				 test_tags[i], t->guest.samples,
				 sent->iterations);
			return -EINVAL;
		}
		t->n = t->guest.samples;
		r = read_test(t, box, sent, i, res->tsc_same, err, err_len);
		if (r) {
			if (r == -ENOMEM)
				snprintf(err, err_len, "out of memory");
			return r;
		}
	}
	return 0;
}

void bench_results_free(struct bench_results *res)
{
	for (unsigned int i = 0; i < BENCH_NR_TESTS; i++) {
		free(res->t[i].raw);
		free(res->t[i].sorted);
		free(res->t[i].to_host);
		free(res->t[i].to_guest);
	}
	memset(res, 0, sizeof(*res));
}
