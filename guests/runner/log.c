/* SPDX-License-Identifier: MIT */
/*
 * Kernel log lines for the runner init (log.h). A write to /dev/kmsg is
 * one record; its "<N>" prefix sets the level (Documentation/ABI/testing/
 * dev-kmsg). The file descriptor is close-on-exec, and the child that sets
 * up the process uses it until its execve().
 */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static int log_fd = -1;

void log_open(void)
{
	if (log_fd < 0)
		log_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
}

void log_msg(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, m, i;

	n = snprintf(line, sizeof(line), "<%d>runner: ", level);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/*
	 * Messages quote what the host sent (keys, paths, program names): a
	 * newline or escape in there must not forge log lines.
	 */
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
			line[i] = '?';
	line[n++] = '\n';
	/* Nothing better to do when the log itself fails. */
	if (log_fd >= 0)
		(void)!write(log_fd, line, (size_t)n);
	else
		(void)!write(STDERR_FILENO, line + 3, (size_t)n - 3);
}
