/* SPDX-License-Identifier: MIT */
/*
 * Strict unsigned number parsing. strtoul() accepts leading spaces, a sign
 * and a partial number; the process description must not (a "uid=-1" that
 * wraps to 4294967295 would be a surprising way to run as nobody).
 */
#include "num.h"

#include <errno.h>

int num_parse(const char *s, unsigned int base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *p;

	/* Shape first, so "99999999999999999999x" is -EINVAL, not -ERANGE. */
	if (!*s)
		return -EINVAL;
	for (p = s; *p; p++)
		if (*p < '0' || (unsigned int)(*p - '0') >= base)
			return -EINVAL;
	for (p = s; *p; p++)
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (unsigned int)(*p - '0'), &v))
			return -ERANGE;
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
