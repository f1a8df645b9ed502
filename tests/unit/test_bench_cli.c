/* SPDX-License-Identifier: MIT */
/*
 * bench/bench_cli.c: `vmm bench doorbell` options: defaults, every option,
 * test lists, on/off values, ranges, and the errors a typo must produce.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "bench/bench_abi.h"
#include "bench/bench_cli.h"

#define MAX_ARGS 48

/* Parse a NULL-terminated list of words (copied: argv is writable). */
static int parse_list(struct bench_doorbell_opts *o, const char *const *args)
{
	static char store[MAX_ARGS][64];
	char *argv[MAX_ARGS + 1];
	char err[128] = "";
	int argc = 0;

	argv[argc++] = strcpy(store[0], "doorbell");
	for (; *args && argc < MAX_ARGS; args++, argc++)
		argv[argc] = strcpy(store[argc], *args);
	argv[argc] = NULL;
	return bench_doorbell_parse(argc, argv, o, err, sizeof(err));
}

#define PARSE(o, ...) parse_list((o), (const char *const[]){__VA_ARGS__, NULL})

static void test_defaults(void)
{
	struct bench_doorbell_opts o;

	CHECK_EQ(parse_list(&o, (const char *const[]){NULL}), 0);
	CHECK_EQ(o.notify, BENCH_NOTIFY_URING);
	CHECK_EQ(o.tests, 0xf);
	CHECK_EQ(o.iterations, 20000);
	CHECK(o.rounds >= 1 && o.rounds <= o.iterations);
	CHECK(o.event_idx && o.suppress && !o.irq_line);
	CHECK_EQ(o.pin_vcpu, -1);
	CHECK_EQ(o.pin_io, -1);
	CHECK(!o.json && !o.raw && !o.svg_path && !o.kernel);
	CHECK(!strcmp(o.serial, "none"));
	CHECK_EQ(o.poll_max_ns, 200000);
}

static void test_all_options(void)
{
	struct bench_doorbell_opts o;

	CHECK_EQ(PARSE(&o, "--notify", "adaptive", "--iterations", "1000",
		       "--warmup", "7", "--rounds", "5", "--tests", "irq,c",
		       "--idle-ms", "0", "--timeout-ms", "50", "--poll-max-us",
		       "300", "--event-idx", "off", "--suppress", "no", "--irq",
		       "line", "--pin-vcpu", "0", "--pin-io", "1", "--json",
		       "--raw", "--svg", "x.svg", "--kernel", "k", "--serial",
		       "stdio", "-v", "-v"),
		 0);
	CHECK_EQ(o.notify, BENCH_NOTIFY_ADAPTIVE);
	CHECK_EQ(o.iterations, 1000);
	CHECK_EQ(o.warmup, 7);
	CHECK_EQ(o.rounds, 5);
	CHECK_EQ(o.tests, (1u << BENCH_TEST_IRQ) | (1u << BENCH_TEST_FLOOR));
	CHECK_EQ(o.idle_ms, 0);
	CHECK_EQ(o.timeout_us, 50000);
	CHECK_EQ(o.poll_max_ns, 300000);
	CHECK(!o.event_idx && !o.suppress && o.irq_line);
	CHECK_EQ(o.pin_vcpu, 0);
	CHECK_EQ(o.pin_io, 1);
	CHECK(o.json && o.raw);
	CHECK(!strcmp(o.svg_path, "x.svg") && !strcmp(o.kernel, "k"));
	CHECK(!strcmp(o.serial, "stdio"));
	CHECK_EQ(o.verbosity, 2);
	/* Parsing twice starts from the defaults again (getopt reset). */
	CHECK_EQ(PARSE(&o, "--notify", "exit"), 0);
	CHECK_EQ(o.notify, BENCH_NOTIFY_EXIT);
	CHECK_EQ(o.iterations, 20000);
}

static void test_names(void)
{
	enum bench_notify n;

	for (unsigned int i = 0; i < BENCH_NR_NOTIFY; i++) {
		const char *name = bench_notify_name((enum bench_notify)i);

		CHECK(name != NULL);
		CHECK_EQ(bench_notify_parse(name, &n), 0);
		CHECK_EQ(n, i);
	}
	CHECK(bench_notify_name(BENCH_NR_NOTIFY) == NULL);
	CHECK_EQ(bench_notify_parse("Uring", &n), -EINVAL);
	CHECK_EQ(bench_notify_parse("", &n), -EINVAL);
}

static void test_errors(void)
{
	struct bench_doorbell_opts o;

	CHECK_EQ(PARSE(&o, "--help"), 1);
	CHECK_EQ(PARSE(&o, "--notify", "sqpoll"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--iterations", "0"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--iterations", "-5"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--iterations", "12x"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--iterations", "20000000"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--rounds", "0"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--iterations", "3", "--rounds", "4"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--tests", "a,e"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--tests", ","), -EINVAL);
	CHECK_EQ(PARSE(&o, "--event-idx", "maybe"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--irq", "msi"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--pin-vcpu", "100000"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--timeout-ms", "0"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--bogus"), -EINVAL);
	CHECK_EQ(PARSE(&o, "stray"), -EINVAL);
	CHECK_EQ(PARSE(&o, "--notify"), -EINVAL);
}

int main(void)
{
	test_defaults();
	test_all_options();
	test_names();
	test_errors();
	return check_done("test_bench_cli");
}
