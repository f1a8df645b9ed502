/* SPDX-License-Identifier: MIT */
/*
 * The value of an `rlimit` record of the process description
 * (docs/runner-protocol.md): "NAME SOFT HARD", NAME as OCI spells it
 * (RLIMIT_NOFILE), each limit decimal or "unlimited". Pure: compiled into
 * the init and into tests/unit.
 */
#ifndef GUESTS_RUNNER_RLIMIT_H
#define GUESTS_RUNNER_RLIMIT_H

#include <stdint.h>

/* One parsed limit, for setrlimit(resource, {soft, hard}). */
struct rlimit_entry {
	int resource;  /* RLIMIT_* */
	uint64_t soft; /* RLIM_INFINITY for "unlimited" */
	uint64_t hard;
};

/* RLIMIT_* for an OCI name ("RLIMIT_NOFILE"), or -1 if there is none. */
int rlimit_resource(const char *name);

/*
 * Parse VALUE, "NAME SOFT HARD" with single spaces, into *OUT. Returns 0,
 * or -EINVAL when a field is missing or extra, NAME is unknown, a limit is
 * not a decimal number or "unlimited", or SOFT is above HARD (the kernel
 * would refuse it).
 */
int rlimit_parse(const char *value, struct rlimit_entry *out);

#endif /* GUESTS_RUNNER_RLIMIT_H */
