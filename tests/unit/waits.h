/* SPDX-License-Identifier: MIT */
/*
 * Bounded waits for tests that drive threads into a particular
 * interleaving: a bug that deadlocks becomes a failed check, not a hang.
 */
#ifndef TESTS_UNIT_WAITS_H
#define TESTS_UNIT_WAITS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How long a test waits for anything before it calls it a failure. */
#define WAIT_S 10

/* Wait up to WAIT_S for *@flag (read atomically) to become true. */
bool wait_flag(bool *flag);

/*
 * Wait up to WAIT_S until thread @tid of this process sleeps (state S in
 * /proc: blocked in a futex, a poll...). A thread that only computes
 * never does.
 */
bool wait_asleep(pid_t tid);

/* Read up to @want bytes from nonblocking @fd within WAIT_S; the count. */
size_t read_for(int fd, void *buf, size_t want);

#endif /* TESTS_UNIT_WAITS_H */
