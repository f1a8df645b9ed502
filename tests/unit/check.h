/* SPDX-License-Identifier: MIT */
/*
 * Minimal assertions for unit tests. A failed check prints file:line, the
 * expressions and their values, and makes the program exit 1 at the end.
 * Exit codes: 0 pass, 1 fail, 77 skip. Checks may run on several threads
 * at once (a fake guest, a drain thread, the loop), so the counters are
 * atomic.
 */
#ifndef TESTS_UNIT_CHECK_H
#define TESTS_UNIT_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK_INC(n) __atomic_fetch_add(&(n), 1, __ATOMIC_RELAXED)

#define CHECK(cond)                                                            \
	do {                                                                   \
		CHECK_INC(check_count);                                        \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, \
				__LINE__, #cond);                              \
			CHECK_INC(check_failures);                             \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		CHECK_INC(check_count);                                        \
		if (a_ != b_) {                                                \
			fprintf(stderr,                                        \
				"%s:%d: CHECK_EQ(%s, %s) failed: %lld != "     \
				"%lld (0x%llx != 0x%llx)\n",                   \
				__FILE__, __LINE__, #a, #b, a_, b_,            \
				(unsigned long long)a_,                        \
				(unsigned long long)b_);                       \
			CHECK_INC(check_failures);                             \
		}                                                              \
	} while (0)

/* End of main(): report and pick the exit code. */
static inline int check_done(const char *name)
{
	int failures = __atomic_load_n(&check_failures, __ATOMIC_RELAXED);
	int count = __atomic_load_n(&check_count, __ATOMIC_RELAXED);

	if (failures) {
		fprintf(stderr, "%s: %d of %d checks failed\n", name, failures,
			count);
		return 1;
	}
	printf("%s: %d checks passed\n", name, count);
	return 0;
}

#endif /* TESTS_UNIT_CHECK_H */
