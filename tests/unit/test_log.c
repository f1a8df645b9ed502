/* SPDX-License-Identifier: MIT */
/*
 * The per-object rate limiter for guest-triggered messages (base/log.h):
 * a burst per interval, an injectable clock, the count of lines held back
 * reported by the next line let through, defaults for a zeroed struct,
 * independence of two limiters, and the printed suffix.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "capture.h"
#include "check.h"

static void test_burst_and_interval(void)
{
	struct log_ratelimit rl;
	uint64_t held = 12345;

	log_ratelimit_init(&rl, 3, 100);
	for (int i = 0; i < 3; i++) {
		CHECK(log_ratelimit_allow(&rl, 1000, &held));
		CHECK_EQ(held, 0);
	}
	for (int i = 0; i < 7; i++)
		CHECK(!log_ratelimit_allow(&rl, 1000 + 10 * i, &held));
	/* Still inside the interval that began at 1000. */
	CHECK(!log_ratelimit_allow(&rl, 1099, &held));
	/* A new interval: the first line says 8 were held back. */
	CHECK(log_ratelimit_allow(&rl, 1100, &held));
	CHECK_EQ(held, 8);
	CHECK(log_ratelimit_allow(&rl, 1101, &held));
	CHECK_EQ(held, 0);
	CHECK(log_ratelimit_allow(&rl, 1102, &held));
	CHECK(!log_ratelimit_allow(&rl, 1103, &held));
	/* Long quiet: a fresh burst. */
	CHECK(log_ratelimit_allow(&rl, 1000000, &held));
	CHECK_EQ(held, 1);
}

static void test_zeroed_and_independent(void)
{
	struct log_ratelimit a, b;
	uint64_t held;
	int n = 0;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (int i = 0; i < 1000; i++)
		n += log_ratelimit_allow(&a, 5, &held);
	CHECK_EQ(n, LOG_RATELIMIT_BURST);
	/* One object's flood does not silence another. */
	CHECK(log_ratelimit_allow(&b, 5, &held));
	CHECK_EQ(held, 0);
	CHECK(
	    !log_ratelimit_allow(&a, 5 + LOG_RATELIMIT_INTERVAL_NS - 1, &held));
	CHECK(log_ratelimit_allow(&a, 5 + LOG_RATELIMIT_INTERVAL_NS, &held));
	CHECK_EQ(held, 991);
}

/* 1000 requests, 2 lines; then, the interval over, one with the count. */
static void test_printed(void)
{
	struct log_ratelimit rl;
	char *out;

	log_ratelimit_init(&rl, 2, UINT64_MAX); /* no interval ends by itself */
	capture_begin();
	for (int i = 0; i < 1000; i++)
		log_print_ratelimited(&rl, LOG_WARN, "bad request [%d]", i);
	rl.started = false; /* as if the interval had ended */
	log_print_ratelimited(&rl, LOG_WARN, "bad request [%d]", 1000);
	log_print_ratelimited(&rl, LOG_INFO, "not at the default level");
	out = capture_end();
	CHECK(out != NULL);
	CHECK_EQ(capture_count(out, ""), 3);
	CHECK_EQ(capture_count(out, "vmm: warning: bad request [0]"), 1);
	CHECK_EQ(capture_count(out, "vmm: warning: bad request [1]"), 1);
	CHECK_EQ(capture_count(out, "vmm: warning: bad request [1000] (998 "
				    "more suppressed)"),
		 1);
	free(out);
}

int main(void)
{
	test_burst_and_interval();
	test_zeroed_and_independent();
	test_printed();
	return check_done("test_log");
}
