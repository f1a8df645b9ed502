/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr with a per-file prefix. Each .c may define pr_fmt()
 * before including this header:
 *	#define pr_fmt(fmt) "virtio-console: " fmt
 * Lines go to the sink the calling thread entered (each VM's io and vCPU
 * threads enter their VM's: a handler of the application's, or stderr at a
 * level); threads that entered none print warnings and errors to stderr.
 * What a guest can trigger repeatedly goes through a per-object
 * struct log_ratelimit (below).
 */
#ifndef VMM_LOG_H
#define VMM_LOG_H

#include <stdbool.h>
#include <stdint.h>

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
 * A rate limit for messages that a guest (or a client) can trigger at will:
 * at most @burst lines per @interval_ns, and the first line let through
 * after some were held back says how many. One per object (a device of one
 * VM), never a static: one noisy VM must not silence another. A zeroed
 * struct works with the defaults. Thread-safe.
 */
#define LOG_RATELIMIT_BURST	  10
#define LOG_RATELIMIT_INTERVAL_NS (5ULL * 1000000000ULL)

struct log_ratelimit {
	uint64_t interval_ns; /* 0: LOG_RATELIMIT_INTERVAL_NS */
	unsigned int burst;   /* 0: LOG_RATELIMIT_BURST */
	bool started;	      /* begin_ns is set */
	uint64_t begin_ns;    /* the current interval began */
	unsigned int printed; /* lines let through in it */
	uint64_t suppressed;  /* held back since the last line let through */
	bool busy;	      /* a tiny spin lock around the above */
};

void log_ratelimit_init(struct log_ratelimit *rl, unsigned int burst,
			uint64_t interval_ns);

/*
 * May a line go out at @now_ns (any monotonic clock)? If so, *@suppressed
 * gets the number of lines held back since the last one that went out.
 */
bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ns,
			 uint64_t *suppressed);

/* log_print() through @rl at CLOCK_MONOTONIC's now; notes suppressed lines. */
void log_print_ratelimited(struct log_ratelimit *rl, enum log_level level,
			   const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define pr_warn_ratelimited(rl, fmt, ...)                                      \
	log_print_ratelimited(rl, LOG_WARN, pr_fmt(fmt), ##__VA_ARGS__)

#endif /* VMM_LOG_H */
