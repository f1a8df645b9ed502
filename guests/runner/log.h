/* SPDX-License-Identifier: MIT */
/*
 * The runner init's messages go to the kernel log (/dev/kmsg), which the
 * runner's command line sends to ttyS0, never to the process's ports.
 * Errors reach the console even under `quiet`; warnings and notes only the
 * log buffer. Before log_open() (no /dev yet) they go to stderr, the
 * kernel's /dev/console.
 */
#ifndef GUESTS_RUNNER_LOG_H
#define GUESTS_RUNNER_LOG_H

#define LOG_ERR	 3
#define LOG_WARN 4
#define LOG_INFO 6

/* Open /dev/kmsg (close-on-exec); until then, and if it fails, stderr. */
void log_open(void);

/* One line, "runner: " and FMT, at the kernel log level LEVEL. */
__attribute__((format(printf, 2, 3))) void log_msg(int level, const char *fmt,
						   ...);

#define log_err(...)  log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)

#endif /* GUESTS_RUNNER_LOG_H */
