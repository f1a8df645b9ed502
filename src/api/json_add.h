/* SPDX-License-Identifier: MIT */
/*
 * Building json-c objects without leaking on allocation failure: every
 * helper takes ownership of the value it adds, frees it when it cannot be
 * added, and says whether it was.
 */
#ifndef VMM_JSON_ADD_H
#define VMM_JSON_ADD_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* Add @key: @val to @obj; false (and @val freed) when out of memory. */
bool json_add(struct json_object *obj, const char *key,
	      struct json_object *val);

/*
 * Add an unsigned 64-bit counter (json-c keeps the full range, where a
 * double would round nanosecond totals above 2^53).
 */
bool json_add_u64(struct json_object *obj, const char *key, uint64_t v);

#endif /* VMM_JSON_ADD_H */
