/* SPDX-License-Identifier: MIT */
/*
 * Strict unsigned numbers for the runner init: the process description's
 * uid, gid, group, umask and rlimit values and the control lines' signal
 * numbers. Pure: compiled into the init and into tests/unit.
 */
#ifndef GUESTS_RUNNER_NUM_H
#define GUESTS_RUNNER_NUM_H

#include <stdint.h>

/*
 * Parse all of S as an unsigned number in BASE (8 or 10): one or more
 * digits and nothing else (no sign, no space, no prefix). Stores it in *OUT
 * and returns 0; -EINVAL when S is not such a number, -ERANGE when it is
 * above MAX (*OUT untouched in both cases).
 */
int num_parse(const char *s, unsigned int base, uint64_t max, uint64_t *out);

#endif /* GUESTS_RUNNER_NUM_H */
