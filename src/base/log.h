/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr with a per-file prefix. Each .c may define pr_fmt()
 * before including this header:
 *	#define pr_fmt(fmt) "virtio-console: " fmt
 * Only warnings and errors print by default; -v raises the level to info,
 * -vv to debug. The level is process-wide by design (it is a property of the
 * process's stderr, not of any VM), set once by main() before VMs exist.
 */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_print(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define pr_err(fmt, ...)   log_print(LOG_ERR, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...)  log_print(LOG_WARN, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...)  log_print(LOG_INFO, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) log_print(LOG_DEBUG, pr_fmt(fmt), ##__VA_ARGS__)

/*
 * Warn once per call site: for anything a guest can trigger repeatedly.
 * The flag is per call site, not per VM: it only limits log volume.
 */
#define pr_warn_once(fmt, ...)                                                 \
	do {                                                                   \
		static bool warned_;                                           \
		if (!__atomic_exchange_n(&warned_, true, __ATOMIC_RELAXED))    \
			pr_warn(fmt, ##__VA_ARGS__);                           \
	} while (0)

#endif /* VMM_LOG_H */
