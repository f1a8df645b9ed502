/* SPDX-License-Identifier: MIT */
/*
 * Condition variables that time out on CLOCK_MONOTONIC, so deadlines
 * computed with clock_gettime(CLOCK_MONOTONIC) mean what they say (the
 * default clock is CLOCK_REALTIME, against which a monotonic deadline is
 * long past and every wait returns at once).
 */
#ifndef VMM_BASE_COND_H
#define VMM_BASE_COND_H

#include <errno.h>
#include <pthread.h>
#include <time.h>

/* pthread_cond_init() on CLOCK_MONOTONIC. 0 or -errno. */
static inline int cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int r;

	if (pthread_condattr_init(&a))
		return -ENOMEM;
	r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!r)
		r = pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return -r;
}

#endif /* VMM_BASE_COND_H */
