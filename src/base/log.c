/* SPDX-License-Identifier: MIT */
/*
 * stderr logging. Every message is one line prefixed with "vmm: " so a
 * user can tell the VMM's words from the guest's console output.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= __atomic_load_n(&current_level, __ATOMIC_RELAXED);
}

void log_print(enum log_level level, const char *fmt, ...)
{
	static const char *const tags[] = {"error: ", "warning: ", "", ""};
	char line[1024];
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so concurrent threads do not interleave. */
	fprintf(stderr, "vmm: %s%s\n", tags[level], line);
}
