/* SPDX-License-Identifier: MIT */
/*
 * `vmm bench doorbell` command line -> struct bench_doorbell_opts. Pure,
 * like cli/cli.c: getopt_long over argv and nothing else, unit-tested.
 */
#include "bench_cli.h"

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_abi.h"
#include "cli/cli.h"

#define DEFAULT_ITERATIONS 20000
#define DEFAULT_WARMUP	   500
#define DEFAULT_ROUNDS	   4
#define DEFAULT_IDLE_MS	   1000
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_POLL_MAX_US                                                    \
	(VMM_DEFAULT_IO_POLL_NS / 1000) /* vmm --io-poll's */

static const char *const notify_names[BENCH_NR_NOTIFY] = {
    [BENCH_NOTIFY_URING] = "uring", [BENCH_NOTIFY_EPOLL] = "epoll",
    [BENCH_NOTIFY_BUSY] = "busy",   [BENCH_NOTIFY_ADAPTIVE] = "adaptive",
    [BENCH_NOTIFY_EXIT] = "exit",
};

const char *bench_notify_name(enum bench_notify n)
{
	return (unsigned int)n < BENCH_NR_NOTIFY ? notify_names[n] : NULL;
}

int bench_notify_parse(const char *name, enum bench_notify *out)
{
	for (unsigned int i = 0; i < BENCH_NR_NOTIFY; i++) {
		if (!strcmp(name, notify_names[i])) {
			*out = (enum bench_notify)i;
			return 0;
		}
	}
	return -EINVAL;
}

enum {
	OPT_NOTIFY = 256,
	OPT_ITERATIONS,
	OPT_WARMUP,
	OPT_ROUNDS,
	OPT_TESTS,
	OPT_IDLE_MS,
	OPT_TIMEOUT_MS,
	OPT_POLL_MAX_US,
	OPT_EVENT_IDX,
	OPT_SUPPRESS,
	OPT_PIN_VCPU,
	OPT_PIN_IO,
	OPT_JSON,
	OPT_RAW,
	OPT_SVG,
	OPT_KERNEL,
	OPT_SERIAL,
	OPT_IRQ,
};

static const struct option long_opts[] = {
    {"notify", required_argument, NULL, OPT_NOTIFY},
    {"iterations", required_argument, NULL, OPT_ITERATIONS},
    {"warmup", required_argument, NULL, OPT_WARMUP},
    {"rounds", required_argument, NULL, OPT_ROUNDS},
    {"tests", required_argument, NULL, OPT_TESTS},
    {"idle-ms", required_argument, NULL, OPT_IDLE_MS},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT_MS},
    {"poll-max-us", required_argument, NULL, OPT_POLL_MAX_US},
    {"event-idx", required_argument, NULL, OPT_EVENT_IDX},
    {"suppress", required_argument, NULL, OPT_SUPPRESS},
    {"irq", required_argument, NULL, OPT_IRQ},
    {"pin-vcpu", required_argument, NULL, OPT_PIN_VCPU},
    {"pin-io", required_argument, NULL, OPT_PIN_IO},
    {"json", no_argument, NULL, OPT_JSON},
    {"raw", no_argument, NULL, OPT_RAW},
    {"svg", required_argument, NULL, OPT_SVG},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: vmm bench doorbell [options]\n"
    "Doorbell latency through vmm's virtio-mmio and io_uring path, and\n"
    "the floor (an ioeventfd write nobody serves) in the same run.\n"
    "\n"
    "  --notify MODE       how the io thread waits for doorbells: uring\n"
    "                      (default: vmm --io-poll off), adaptive (vmm\n"
    "                      --io-poll adaptive), busy, epoll, exit\n"
    "  --iterations N      timed round trips per test (20000)\n"
    "  --warmup N          untimed ones per test and round (500)\n"
    "  --rounds N          interleaved rounds over the tests (4)\n"
    "  --tests LIST        a subset of a,b,c,d (or poll,irq,floor,exit)\n"
    "  --idle-ms N         idle phase measuring the io thread (1000)\n"
    "  --timeout-ms N      a slower round trip fails the run (1000)\n"
    "  --poll-max-us N     adaptive: ceiling of the poll bound, as in\n"
    "                      --io-poll adaptive:N (200)\n"
    "  --event-idx on|off  negotiate VIRTIO_F_EVENT_IDX (on)\n"
    "  --suppress on|off   the guest skips doorbells the device declined\n"
    "                      (on; off: every request rings)\n"
    "  --irq irqfd|line    interrupts by the transport's KVM_IRQFD or,\n"
    "                      as an experiment, KVM_IRQ_LINE (no kworker)\n"
    "  --pin-vcpu CPU      pin the vCPU thread\n"
    "  --pin-io CPU        pin the io thread\n"
    "  --json              JSON, not the table (--raw: with every sample)\n"
    "  --svg FILE          draw the distributions into FILE\n"
    "  --kernel PATH       the benchmark guest (guests/doorbell.bzImage\n"
    "                      next to the vmm binary)\n"
    "  --serial SPEC       the guest console (none)\n"
    "  -v                  more log output\n"
    "\n"
    "Exit status: 0 done, 1 the run failed, 2 usage error.\n";

const char *bench_doorbell_usage(void)
{
	return usage_text;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

static int parse_onoff(const char *s, bool *out)
{
	if (!strcmp(s, "on") || !strcmp(s, "1") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "off") || !strcmp(s, "0") || !strcmp(s, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* "a,c" or "poll,floor" -> bit mask. */
static int parse_tests(const char *s, uint32_t *mask)
{
	static const char *const names[BENCH_NR_TESTS][2] = {
	    {"a", "poll"},
	    {"b", "irq"},
	    {"c", "floor"},
	    {"d", "exit"},
	};
	char buf[64], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned int i;

		for (i = 0; i < BENCH_NR_TESTS; i++)
			if (!strcmp(tok, names[i][0]) ||
			    !strcmp(tok, names[i][1]))
				break;
		if (i == BENCH_NR_TESTS)
			return -EINVAL;
		*mask |= 1u << i;
	}
	return *mask ? 0 : -EINVAL;
}

static int parse_cpu(const char *s, int *out)
{
	uint32_t v;

	if (parse_u32(s, 0, CPU_SETSIZE - 1, &v))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static void opts_default(struct bench_doorbell_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->notify = BENCH_NOTIFY_URING;
	o->tests = (1u << BENCH_NR_TESTS) - 1;
	o->iterations = DEFAULT_ITERATIONS;
	o->warmup = DEFAULT_WARMUP;
	o->rounds = DEFAULT_ROUNDS;
	o->idle_ms = DEFAULT_IDLE_MS;
	o->timeout_us = DEFAULT_TIMEOUT_MS * 1000;
	o->poll_max_ns = DEFAULT_POLL_MAX_US * 1000ULL;
	o->event_idx = true;
	o->suppress = true;
	o->pin_vcpu = o->pin_io = -1;
	o->serial = "none";
}

/* Apply option @c with argument @arg to @o. 0, 1 (--help) or -EINVAL. */
static int parse_opt(int c, const char *arg, struct bench_doorbell_opts *o)
{
	uint32_t v;
	int r = 0;

	switch (c) {
	case OPT_NOTIFY: return bench_notify_parse(arg, &o->notify);
	case OPT_ITERATIONS:
		return parse_u32(arg, 1, BENCH_ABI_MAX_ITERATIONS,
				 &o->iterations);
	case OPT_WARMUP: return parse_u32(arg, 0, 1000000, &o->warmup);
	case OPT_ROUNDS: return parse_u32(arg, 1, 1000, &o->rounds);
	case OPT_TESTS: return parse_tests(arg, &o->tests);
	case OPT_IDLE_MS: return parse_u32(arg, 0, 600000, &o->idle_ms);
	case OPT_TIMEOUT_MS:
		r = parse_u32(arg, 1, 60000, &v);
		o->timeout_us = v * 1000;
		return r;
	case OPT_POLL_MAX_US:
		r = parse_u32(arg, 0, 1000000, &v);
		o->poll_max_ns = v * 1000ULL;
		return r;
	case OPT_EVENT_IDX: return parse_onoff(arg, &o->event_idx);
	case OPT_SUPPRESS: return parse_onoff(arg, &o->suppress);
	case OPT_IRQ:
		o->irq_line = !strcmp(arg, "line");
		return o->irq_line || !strcmp(arg, "irqfd") ? 0 : -EINVAL;
	case OPT_PIN_VCPU: return parse_cpu(arg, &o->pin_vcpu);
	case OPT_PIN_IO: return parse_cpu(arg, &o->pin_io);
	case OPT_JSON: o->json = true; return 0;
	case OPT_RAW: o->raw = true; return 0;
	case OPT_SVG: o->svg_path = arg; return 0;
	case OPT_KERNEL: o->kernel = arg; return 0;
	case OPT_SERIAL: o->serial = arg; return 0;
	case 'v': o->verbosity++; return 0;
	case 'h': return 1;
	default: return -EINVAL;
	}
}

int bench_doorbell_parse(int argc, char **argv, struct bench_doorbell_opts *o,
			 char *err, size_t err_len)
{
	int c, r;

	opts_default(o);
	optind = 0; /* full reset: vmm may have parsed other options */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		r = parse_opt(c, optarg, o);
		if (r == 1)
			return 1;
		if (r && (c == '?' || c == ':' || !optarg)) {
			snprintf(err, err_len,
				 "unknown option or missing "
				 "value: %s",
				 argv[optind - 1]);
			return -EINVAL;
		}
		if (r) {
			snprintf(err, err_len, "bad value '%s' for %s", optarg,
				 argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		snprintf(err, err_len, "unexpected argument '%s'",
			 argv[optind]);
		return -EINVAL;
	}
	if (o->rounds > o->iterations) {
		snprintf(err, err_len, "--rounds %u exceeds --iterations %u",
			 o->rounds, o->iterations);
		return -EINVAL;
	}
	return 0;
}
