/* SPDX-License-Identifier: MIT */
/*
 * The "virtio" part of the stats document: every virtio-mmio transport
 * with its status, unacknowledged interrupt bits and, per queue, both
 * sides' ring indices and notification suppression. A stalled queue reads
 * off directly: avail > last_avail with the device idle is a missed
 * doorbell; used > used_event with int_status set and the driver idle is
 * a missed interrupt.
 */
#include "stats_virtio.h"

#include <errno.h>

#include <json-c/json.h>

#include "json_add.h"

static struct json_object *queue_obj(const struct vq_state *q)
{
	struct json_object *o = json_object_new_object();

	if (!o || !json_add(o, "ready", json_object_new_boolean(q->ready)))
		goto fail;
	if (!q->ready)
		return o;
	if (!json_add_u64(o, "size", q->size) ||
	    !json_add(o, "broken", json_object_new_boolean(q->broken)) ||
	    !json_add(o, "event_idx", json_object_new_boolean(q->event_idx)) ||
	    !json_add(o, "notify_off",
		      json_object_new_boolean(q->notify_off)) ||
	    !json_add(o, "polled", json_object_new_boolean(q->polled)) ||
	    !json_add_u64(o, "avail", q->avail_idx) ||
	    !json_add_u64(o, "last_avail", q->last_avail) ||
	    !json_add_u64(o, "used", q->used_idx) ||
	    !json_add_u64(o, "avail_flags", q->avail_flags) ||
	    !json_add_u64(o, "used_event", q->used_event) ||
	    !json_add_u64(o, "used_flags", q->used_flags) ||
	    !json_add_u64(o, "avail_event", q->avail_event))
		goto fail;
	return o;
fail:
	json_object_put(o);
	return NULL;
}

static struct json_object *transport_obj(const struct virtio_mmio_state *t)
{
	struct json_object *o = json_object_new_object(), *qs;

	if (!o || !json_add_u64(o, "device_id", t->device_id) ||
	    !json_add_u64(o, "base", t->base) ||
	    !json_add_u64(o, "gsi", t->gsi) ||
	    !json_add_u64(o, "status", t->status) ||
	    !json_add_u64(o, "int_status", t->int_status))
		goto fail;
	qs = json_object_new_array_ext((int)t->nr_queues);
	if (!qs || !json_add(o, "queues", qs))
		goto fail;
	for (unsigned int i = 0; i < t->nr_queues; i++) {
		struct json_object *q = queue_obj(&t->q[i]);

		if (!q || json_object_array_add(qs, q)) {
			json_object_put(q);
			goto fail;
		}
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int stats_virtio_fill(struct json_object *obj, const struct vm_stats *st)
{
	struct json_object *arr;

	if (!st->nr_virtio)
		return 0;
	arr = json_object_new_array_ext((int)st->nr_virtio);
	if (!arr || !json_add(obj, "virtio", arr))
		return -ENOMEM;
	for (unsigned int i = 0; i < st->nr_virtio; i++) {
		struct json_object *t = transport_obj(&st->virtio[i]);

		if (!t || json_object_array_add(arr, t)) {
			json_object_put(t);
			return -ENOMEM;
		}
	}
	return 0;
}
