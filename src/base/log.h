/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr with a per-file prefix. Each .c may define pr_fmt()
 * before including this header:
 *	#define pr_fmt(fmt) "virtio-console: " fmt
 * Lines go to the sink the calling thread entered (each VM's io and vCPU
 * threads enter their VM's: a handler of the application's, or stderr at a
 * level); threads that entered none print warnings and errors to stderr.
 */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdbool.h>

#include <vmm/vmm.h>

/* The same values as enum vmm_log_level. */
enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct log_sink {
	enum log_level level; /* print this and more severe */
	vmm_log_fn fn;	      /* NULL: stderr, "vmm: " prefixed */
	void *opaque;
};

/* Warnings and errors to stderr. */
void log_sink_init(struct log_sink *s);

/*
 * Log this thread's lines to @s (NULL: the default) from now on; @s must
 * outlive its use. Returns the sink entered before, to restore it.
 */
const struct log_sink *log_sink_enter(const struct log_sink *s);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

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
