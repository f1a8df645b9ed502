/* SPDX-License-Identifier: MIT */
/*
 * Logging through the calling thread's sink: the VM's handler, or stderr
 * where every message is one line prefixed with "vmm: " so a user can
 * tell the VMM's words from the guest's console output.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

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

void log_print(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = {"error: ", "warning: ", "", ""};
	const struct log_sink *sink = current();
	char line[1024];
	va_list ap;

	if (level > sink->level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (sink->fn) {
		sink->fn(sink->opaque, (enum vmm_log_level)level, line);
		return;
	}
	/* One fprintf per line so concurrent threads do not interleave. */
	fprintf(stderr, "vmm: %s%s\n", tags[level], line);
}
