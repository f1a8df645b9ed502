/* SPDX-License-Identifier: MIT */
/*
 * Control lines (ctl.h): formatting the guest's two lines, splitting the
 * host's bytes into lines, and parsing them. The reader keeps at most one
 * line, so a host that never sends '\n' costs CTL_LINE_MAX bytes, and a
 * line that does not fit is dropped rather than cut into two commands.
 */
#include "ctl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "num.h"

/* The highest signal number on Linux (glibc's SIGRTMAX). */
#define CTL_SIGNAL_MAX 64

static int ctl_format(char *buf, size_t len, const char *word, long v)
{
	int n = snprintf(buf, len, "%s %ld\n", word, v);

	if (n < 0 || (size_t)n >= len || n > CTL_LINE_MAX)
		return -ENOSPC;
	return n;
}

int ctl_format_started(char *buf, size_t len, long pid)
{
	if (pid < 0)
		return -EINVAL;
	return ctl_format(buf, len, "started", pid);
}

int ctl_format_exit(char *buf, size_t len, int status)
{
	if (status < 0 || status > 255)
		return -EINVAL;
	return ctl_format(buf, len, "exit", status);
}

void ctl_feed(struct ctl_reader *r, const char *data, size_t n, ctl_line_fn *fn,
	      void *opaque)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = data[i];

		if (c == '\n') {
			if (r->overlong)
				r->dropped++;
			else {
				r->line[r->len] = '\0';
				fn(r->line, r->len, opaque);
			}
			r->len = 0;
			r->overlong = false;
			continue;
		}
		if (r->overlong)
			continue;
		/* Room for the NUL, standing in for the '\n' of the limit. */
		if (r->len + 1 >= sizeof(r->line)) {
			r->overlong = true;
			continue;
		}
		r->line[r->len++] = c;
	}
}

int ctl_parse(const char *line, size_t len, int *signo)
{
	static const char word[] = "signal ";
	uint64_t n;

	/* A NUL inside the line would hide what follows it from the parse. */
	if (strlen(line) != len || strncmp(line, word, sizeof(word) - 1))
		return -EINVAL;
	if (num_parse(line + sizeof(word) - 1, 10, CTL_SIGNAL_MAX, &n) || !n)
		return -EINVAL;
	*signo = (int)n;
	return CTL_SIGNAL;
}
