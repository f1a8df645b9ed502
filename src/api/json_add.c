/* SPDX-License-Identifier: MIT */
/*
 * json-c object building helpers shared by the statistics document and
 * the benchmark report.
 */
#include "json_add.h"

#include <json-c/json.h>

bool json_add(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val || json_object_object_add(obj, key, val)) {
		json_object_put(val);
		return false;
	}
	return true;
}

bool json_add_u64(struct json_object *obj, const char *key, uint64_t v)
{
	return json_add(obj, key, json_object_new_uint64(v));
}
