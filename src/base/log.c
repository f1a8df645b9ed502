/* SPDX-License-Identifier: MIT */
/*
 * Logging through the calling thread's sink: the VM's handler, or stderr
 * where every message is one line prefixed with "vmm: " so a user can
 * tell the VMM's words from the guest's console output.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"

/* Threads that entered no sink: warnings and errors on stderr. */
static const struct log_sink default_sink = {.level = LOG_WARN};
static __thread const struct log_sink *thread_sink;

void log_sink_init(struct log_sink *s)
{
	*s = default_sink;
}

const struct log_sink *log_sink_enter(const struct log_sink *s)
{
	const struct log_sink *prev = thread_sink;

	thread_sink = s;
	return prev;
}

static const struct log_sink *current(void)
{
	return thread_sink ? thread_sink : &default_sink;
}

bool log_enabled(enum log_level level)
{
	return level <= current()->level;
}

/* One line, @fmt + @suffix: to the sink's handler, or "vmm: TAG..." on
 * stderr. */
static void log_vprint(enum log_level level, const char *suffix,
		       const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_vprint(enum log_level level, const char *suffix,
		       const char *fmt, va_list ap)
{
	static const char *const tags[] = {"error: ", "warning: ", "", ""};
	const struct log_sink *sink = current();
	char line[1024];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (sink->fn) {
		n = strlen(line);
		snprintf(line + n, sizeof(line) - n, "%s", suffix);
		sink->fn(sink->opaque, (enum vmm_log_level)level, line);
		return;
	}
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
	uint64_t held = 0;
	char suffix[64] = "";
	va_list ap;

	if (!log_enabled(level))
		return;
	if (!log_ratelimit_allow(rl, clock_mono_ns(), &held))
		return;
	if (held)
		snprintf(suffix, sizeof(suffix), " (%llu more suppressed)",
			 (unsigned long long)held);
	va_start(ap, fmt);
	log_vprint(level, suffix, fmt, ap);
	va_end(ap);
}
