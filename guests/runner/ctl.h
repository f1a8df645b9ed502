/* SPDX-License-Identifier: MIT */
/*
 * The control lines on the vmm.ctl port (docs/runner-protocol.md): ASCII,
 * ended by '\n', at most CTL_LINE_MAX bytes with it. The guest sends
 * "started PID" and "exit STATUS"; the host sends "signal N". Pure:
 * compiled into the init and into tests/unit.
 */
#ifndef GUESTS_RUNNER_CTL_H
#define GUESTS_RUNNER_CTL_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_LINE_MAX 64

/*
 * Format "started PID\n" or "exit STATUS\n" into BUF (LEN bytes, at least
 * CTL_LINE_MAX). Returns the line's length (no NUL counted), or -EINVAL for
 * a negative PID or a STATUS outside 0-255, or -ENOSPC.
 */
int ctl_format_started(char *buf, size_t len, long pid);
int ctl_format_exit(char *buf, size_t len, int status);

/*
 * Splits what the host sends into lines. A line longer than CTL_LINE_MAX
 * is dropped whole, up to and with its '\n', and counted in `dropped`.
 * Zero-initialise it.
 */
struct ctl_reader {
	char line[CTL_LINE_MAX];
	size_t len;
	bool overlong; /* in a line that is being dropped */
	size_t dropped;
};

/*
 * Called for each complete line: LINE holds LEN bytes without the '\n',
 * then a NUL (LINE may hold a NUL of its own: pass LEN on).
 */
typedef void ctl_line_fn(const char *line, size_t len, void *opaque);

/* Feed N bytes of DATA; FN is called once per complete line. */
void ctl_feed(struct ctl_reader *r, const char *data, size_t n, ctl_line_fn *fn,
	      void *opaque);

#define CTL_SIGNAL 1

/*
 * Parse one host line (LEN bytes, no '\n'). Returns CTL_SIGNAL with *SIGNO
 * set for "signal N" (N a decimal 1-64), or -EINVAL for anything else.
 */
int ctl_parse(const char *line, size_t len, int *signo);

#endif /* GUESTS_RUNNER_CTL_H */
