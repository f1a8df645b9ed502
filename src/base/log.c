/* SPDX-License-Identifier: MIT */
/*
 * stderr logging. Every message is one line prefixed with "vmm: " so a
 * user can tell the VMM's words from the guest's console output.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= __atomic_load_n(&current_level, __ATOMIC_RELAXED);
}

/* One line: "vmm: TAG" + @fmt + @suffix. */
static void log_vprint(enum log_level level, const char *suffix,
		       const char *fmt, va_list ap)
{
	static const char *const tags[] = {"error: ", "warning: ", "", ""};
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One fprintf per line so concurrent threads do not interleave. */
	fprintf(stderr, "vmm: %s%s%s\n", tags[level], line, suffix);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vprint(level, "", fmt, ap);
	va_end(ap);
}

void log_ratelimit_init(struct log_ratelimit *rl, unsigned int burst,
			uint64_t interval_ns)
{
	*rl =
	    (struct log_ratelimit){.burst = burst, .interval_ns = interval_ns};
}

bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ns,
			 uint64_t *suppressed)
{
	uint64_t interval =
	    rl->interval_ns ? rl->interval_ns : LOG_RATELIMIT_INTERVAL_NS;
	unsigned int burst = rl->burst ? rl->burst : LOG_RATELIMIT_BURST;
	bool ok;

	while (__atomic_test_and_set(&rl->busy, __ATOMIC_ACQUIRE))
		;
	if (!rl->started || now_ns - rl->begin_ns >= interval) {
		rl->started = true;
		rl->begin_ns = now_ns;
		rl->printed = 0;
	}
	ok = rl->printed < burst;
	if (ok) {
		rl->printed++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	__atomic_clear(&rl->busy, __ATOMIC_RELEASE);
	return ok;
}

void log_print_ratelimited(struct log_ratelimit *rl, enum log_level level,
			   const char *fmt, ...)
{
	struct timespec ts;
	uint64_t held = 0;
	char suffix[64] = "";
	va_list ap;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!log_ratelimit_allow(
		rl, (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec,
		&held))
		return;
	if (held)
		snprintf(suffix, sizeof(suffix), " (%llu more suppressed)",
			 (unsigned long long)held);
	va_start(ap, fmt);
	log_vprint(level, suffix, fmt, ap);
	va_end(ap);
}
