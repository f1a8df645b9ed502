/* SPDX-License-Identifier: MIT */
/*
 * struct vm_stats -> json-c objects, and the --stats file. json-c reports
 * allocation failure with NULL; each builder checks and unwinds with one
 * json_object_put() of the partly built object.
 */
#include "stats_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "json_add.h"
#include "stats_virtio.h"

/*
 * Live times at the snapshot's own clock, so that they add up to
 * time_ns - created_ns exactly, as Xen's runstate times do.
 */
static struct json_object *times_obj(const struct runstate_snapshot *rs,
				     uint64_t now)
{
	struct json_object *o = json_object_new_object();
	uint64_t t[RUNSTATE_NR];

	if (!o)
		return NULL;
	runstate_times_at(rs, now, t);
	for (unsigned int i = 0; i < RUNSTATE_NR; i++) {
		if (!json_add_u64(o, runstate_name(i), t[i])) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* Only the edges the table allows: the others are always 0. */
static struct json_object *transitions_obj(const struct runstate_snapshot *rs)
{
	struct json_object *o = json_object_new_object();
	char key[32];

	if (!o)
		return NULL;
	for (unsigned int f = 0; f < RUNSTATE_NR; f++) {
		for (unsigned int t = 0; t < RUNSTATE_NR; t++) {
			if (!runstate_edge_allowed(f, t))
				continue;
			snprintf(key, sizeof(key), "%s->%s", runstate_name(f),
				 runstate_name(t));
			if (!json_add_u64(o, key, rs->transitions[f][t])) {
				json_object_put(o);
				return NULL;
			}
		}
	}
	return o;
}

static struct json_object *hist_arr(const struct runstate_snapshot *rs)
{
	struct json_object *a =
	    json_object_new_array_ext(RUNSTATE_HIST_BUCKETS);

	if (!a)
		return NULL;
	for (unsigned int i = 0; i < RUNSTATE_HIST_BUCKETS; i++) {
		struct json_object *v =
		    json_object_new_uint64(rs->wake_hist[i]);

		if (!v || json_object_array_add(a, v)) {
			json_object_put(v);
			json_object_put(a);
			return NULL;
		}
	}
	return a;
}

/* Counters the host kernel lacks are left out rather than shown as 0. */
static struct json_object *kvm_obj(const struct kvm_stats_values *kv)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (unsigned int i = 0; i < KVM_STAT_NR; i++) {
		if (!(kv->present & (1u << i)))
			continue;
		if (!json_add_u64(o, kvm_stat_name(i), kv->v[i])) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* id, tid, state, paused, down: the part both forms share. */
static bool fill_head(struct json_object *o, const struct vcpu_snapshot *v)
{
	const struct runstate_snapshot *rs = &v->rs;

	return json_add_u64(o, "id", v->id) &&
	       json_add_u64(o, "tid", rs->tid) &&
	       json_add(o, "state",
			json_object_new_string(
			    runstate_name((unsigned int)rs->state))) &&
	       json_add(
		   o, "paused",
		   json_object_new_boolean(rs->flags & RUNSTATE_F_PAUSED)) &&
	       json_add(o, "down",
			json_object_new_boolean(rs->flags & RUNSTATE_F_DOWN));
}

static bool fill_full(struct json_object *o, const struct vcpu_snapshot *v,
		      uint64_t now)
{
	const struct runstate_snapshot *rs = &v->rs;

	return json_add_u64(o, "created_ns", rs->created) &&
	       json_add_u64(o, "state_entry_ns", rs->state_entry_time) &&
	       json_add(o, "time_ns", times_obj(rs, now)) &&
	       json_add(o, "transitions", transitions_obj(rs)) &&
	       json_add_u64(o, "invalid_transitions", rs->invalid) &&
	       json_add_u64(o, "wakeups", rs->wakeups) &&
	       json_add(o, "wake_latency_log2_ns", hist_arr(rs)) &&
	       json_add_u64(o, "unattributed_ns", rs->unattributed_ns) &&
	       json_add(o, "kvm", kvm_obj(&v->kvm));
}

static struct json_object *vcpu_obj(const struct vcpu_snapshot *v, uint64_t now,
				    bool brief)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (!fill_head(o, v) || (!brief && !fill_full(o, v, now))) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *disk_obj(const char *path,
				    const struct vblk_stats *d)
{
	struct json_object *o = json_object_new_object();

	if (!o || !json_add(o, "path", json_object_new_string(path)) ||
	    !json_add_u64(o, "reads", d->reads) ||
	    !json_add_u64(o, "writes", d->writes) ||
	    !json_add_u64(o, "flushes", d->flushes) ||
	    !json_add_u64(o, "discards", d->discards) ||
	    !json_add_u64(o, "write_zeroes", d->write_zeroes) ||
	    !json_add_u64(o, "read_bytes", d->read_bytes) ||
	    !json_add_u64(o, "write_bytes", d->write_bytes) ||
	    !json_add_u64(o, "io_errors", d->io_errors) ||
	    !json_add_u64(o, "bad_requests", d->bad_requests) ||
	    !json_add_u64(o, "bounced", d->bounced)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *net_obj(const struct vnet_stats *n)
{
	struct json_object *o = json_object_new_object();

	if (!o ||
	    !json_add(o, "link_up", json_object_new_boolean(n->link_up)) ||
	    !json_add_u64(o, "rx_frames", n->rx_frames) ||
	    !json_add_u64(o, "rx_bytes", n->rx_bytes) ||
	    !json_add_u64(o, "tx_frames", n->tx_frames) ||
	    !json_add_u64(o, "tx_bytes", n->tx_bytes) ||
	    !json_add_u64(o, "rx_no_buffer", n->rx_no_buffer) ||
	    !json_add_u64(o, "rx_dropped", n->rx_dropped) ||
	    !json_add_u64(o, "tx_dropped", n->tx_dropped) ||
	    !json_add_u64(o, "rx_bad_buffers", n->rx_bad_buffers) ||
	    !json_add_u64(o, "tx_waits", n->tx_waits) ||
	    !json_add_u64(o, "tx_writing", n->tx_writing)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * "ops": {"LOOKUP": n, ...}, the ops the guest has sent, and "op_ns":
 * {"LOOKUP": ns, ...}, the time each kind spent in the server.
 */
static int fs_ops_fill(struct json_object *f, const struct vfs_stats *st)
{
	struct json_object *ops = json_object_new_object(), *ns;

	if (!json_add(f, "ops", ops))
		return -ENOMEM;
	ns = json_object_new_object();
	if (!json_add(f, "op_ns", ns))
		return -ENOMEM;
	for (uint32_t op = 0; op < FUSE_SERVER_NOPS; op++) {
		const char *name = fuse_server_op_name(op);

		if (st->ops[op] && (!json_add_u64(ops, name, st->ops[op]) ||
				    !json_add_u64(ns, name, st->op_ns[op])))
			return -ENOMEM;
	}
	return 0;
}

/* "fs": [...] when the VM has shared directories, then the queues. */
static int fs_devices_fill(struct json_object *obj, const struct vm_stats *st)
{
	struct json_object *arr;

	if (st->nr_fs) {
		arr = json_object_new_array_ext((int)st->nr_fs);
		if (!arr || !json_add(obj, "fs", arr))
			return -ENOMEM;
		for (unsigned int i = 0; i < st->nr_fs; i++) {
			struct json_object *f = json_object_new_object();

			if (!f || json_object_array_add(arr, f)) {
				json_object_put(f);
				return -ENOMEM;
			}
			if (!json_add(f, "tag",
				      json_object_new_string(st->fs_tags[i])) ||
			    !json_add_u64(f, "requests", st->fs[i].requests) ||
			    !json_add_u64(f, "io_requests",
					  st->fs[i].io_requests) ||
			    !json_add_u64(f, "bad_requests",
					  st->fs[i].bad_requests) ||
			    !json_add_u64(f, "serve_ns", st->fs[i].serve_ns) ||
			    fs_ops_fill(f, &st->fs[i]))
				return -ENOMEM;
		}
	}
	return stats_virtio_fill(obj, st);
}

/* "nets": [...] and "vsock": {...} when the VM has them. */
static int net_devices_fill(struct json_object *obj, const struct vm_stats *st)
{
	const struct vvsock_stats *v = &st->vsock_stats;
	struct json_object *arr, *vs;

	if (st->nr_nets) {
		arr = json_object_new_array_ext((int)st->nr_nets);
		if (!arr || !json_add(obj, "nets", arr))
			return -ENOMEM;
		for (unsigned int i = 0; i < st->nr_nets; i++) {
			struct json_object *n = net_obj(&st->nets[i]);

			if (!n || json_object_array_add(arr, n)) {
				json_object_put(n);
				return -ENOMEM;
			}
		}
	}
	if (st->vsock) {
		vs = json_object_new_object();
		if (!vs || !json_add(obj, "vsock", vs) ||
		    !json_add_u64(vs, "connections", v->connections) ||
		    !json_add_u64(vs, "open", v->open) ||
		    !json_add_u64(vs, "rx_bytes", v->rx_bytes) ||
		    !json_add_u64(vs, "tx_bytes", v->tx_bytes) ||
		    !json_add_u64(vs, "resets", v->resets) ||
		    !json_add_u64(vs, "bad_packets", v->bad_packets))
			return -ENOMEM;
	}
	return fs_devices_fill(obj, st);
}

/* "disks": [...] and "rng": {...} when the VM has them, then the nets. */
static int devices_fill(struct json_object *obj, const struct vm_stats *st)
{
	struct json_object *arr, *rng;

	if (st->nr_disks) {
		arr = json_object_new_array_ext((int)st->nr_disks);
		if (!arr || !json_add(obj, "disks", arr))
			return -ENOMEM;
		for (unsigned int i = 0; i < st->nr_disks; i++) {
			struct json_object *d =
			    disk_obj(st->disk_paths[i], &st->disks[i]);

			if (!d || json_object_array_add(arr, d)) {
				json_object_put(d);
				return -ENOMEM;
			}
		}
	}
	if (st->rng) {
		rng = json_object_new_object();
		if (!rng || !json_add(obj, "rng", rng) ||
		    !json_add_u64(rng, "bytes", st->rng_bytes))
			return -ENOMEM;
	}
	return net_devices_fill(obj, st);
}

int stats_json_fill(struct json_object *obj, const struct vm_stats *st,
		    bool brief)
{
	struct json_object *arr;

	if (!brief && !json_add_u64(obj, "time_ns", st->time_ns))
		return -ENOMEM;
	arr = json_object_new_array_ext((int)st->nr_vcpus);
	if (!arr)
		return -ENOMEM;
	for (unsigned int i = 0; i < st->nr_vcpus; i++) {
		struct json_object *v =
		    vcpu_obj(&st->vcpus[i], st->time_ns, brief);

		if (!v || json_object_array_add(arr, v)) {
			json_object_put(v);
			json_object_put(arr);
			return -ENOMEM;
		}
	}
	if (!json_add(obj, "vcpus", arr))
		return -ENOMEM;
	return brief ? 0 : devices_fill(obj, st);
}

int stats_json_write(const char *path, const struct vm_stats *st)
{
	struct json_object *doc = json_object_new_object();
	const char *text;
	FILE *f;
	int r;

	if (!doc)
		return -ENOMEM;
	r = stats_json_fill(doc, st, false);
	if (r)
		goto out_put;
	text = json_object_to_json_string_ext(
	    doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		     JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!text) {
		r = -ENOMEM;
		goto out_put;
	}
	/* Written once at exit; a reader never races with us. */
	f = fopen(path, "we");
	if (!f) {
		r = -errno;
		goto out_put;
	}
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
out_put:
	json_object_put(doc);
	return r;
}
