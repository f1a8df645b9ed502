/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of api/stats_json.c: the --stats document written to a
 * file and read back, its invariants (times add up to time since
 * creation), the brief form, and absent KVM counters left out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/fuse.h>

#include "check.h"
#include "api/stats_json.h"

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	CHECK(json_object_object_get_ex(o, key, &v));
	return v;
}

static void fill(struct vm_stats *st)
{
	struct vcpu_snapshot *v = &st->vcpus[1];

	st->time_ns = 10000;
	st->vcpus[0].id = 0;
	st->vcpus[0].rs.state = RUNSTATE_OFFLINE;
	st->vcpus[0].rs.flags = RUNSTATE_F_DOWN;
	st->vcpus[0].rs.created = 10000;
	st->vcpus[0].rs.state_entry_time = 10000;
	v->id = 1;
	v->rs.tid = 777;
	v->rs.state = RUNSTATE_RUNNING;
	v->rs.created = 1000;
	v->rs.state_entry_time = 8000;
	v->rs.time[RUNSTATE_OFFLINE] = 1000;
	v->rs.time[RUNSTATE_RUNNABLE] = 500;
	v->rs.time[RUNSTATE_BLOCKED] = 5500;
	v->rs.transitions[RUNSTATE_OFFLINE][RUNSTATE_RUNNABLE] = 1;
	v->rs.transitions[RUNSTATE_BLOCKED][RUNSTATE_RUNNABLE] = 9;
	v->rs.wakeups = 9;
	v->rs.wake_hist[31] = 9;
	v->kvm.present = (1u << KVM_STAT_NR) - 1;
	v->kvm.v[KVM_STAT_HALT_WAIT_NS] = 5500;
	v->kvm.v[KVM_STAT_BLOCKING] = 0;
}

static void test_document(void)
{
	char path[] = "/tmp/test_stats_json.XXXXXX";
	struct json_object *doc, *vcpus, *v, *t, *k;
	struct vm_stats st;
	uint64_t sum = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(vm_stats_alloc(&st, 2), 0);
	fill(&st);
	CHECK_EQ(stats_json_write(path, &st), 0);
	doc = json_object_from_file(path);
	CHECK(doc != NULL);
	CHECK_EQ(json_object_get_uint64(get(doc, "time_ns")), 10000);
	vcpus = get(doc, "vcpus");
	CHECK_EQ(json_object_array_length(vcpus), 2);

	v = json_object_array_get_idx(vcpus, 0);
	CHECK(!strcmp(json_object_get_string(get(v, "state")), "offline"));
	CHECK(json_object_get_boolean(get(v, "down")));
	CHECK(!json_object_get_boolean(get(v, "paused")));
	CHECK_EQ(json_object_object_length(get(v, "kvm")), 0);

	v = json_object_array_get_idx(vcpus, 1);
	CHECK_EQ(json_object_get_int(get(v, "tid")), 777);
	CHECK(!strcmp(json_object_get_string(get(v, "state")), "running"));
	t = get(v, "time_ns");
	CHECK_EQ(json_object_get_uint64(get(t, "running")), 2000);
	CHECK_EQ(json_object_get_uint64(get(t, "blocked")), 5500);
	for (unsigned int i = 0; i < RUNSTATE_NR; i++)
		sum += json_object_get_uint64(get(t, runstate_name(i)));
	CHECK_EQ(json_object_object_length(t), RUNSTATE_NR);
	CHECK_EQ(sum, 10000 - json_object_get_uint64(get(v, "created_ns")));
	t = get(v, "transitions");
	CHECK_EQ(json_object_get_int(get(t, "offline->runnable")), 1);
	CHECK_EQ(json_object_get_int(get(t, "blocked->runnable")), 9);
	CHECK(!json_object_object_get_ex(t, "blocked->running", NULL));
	CHECK_EQ(json_object_get_int(json_object_array_get_idx(
		     get(v, "wake_latency_log2_ns"), 31)),
		 9);
	k = get(v, "kvm");
	CHECK_EQ(json_object_object_length(k), KVM_STAT_NR);
	CHECK_EQ(json_object_get_int(get(k, "halt_wait_ns")), 5500);
	/* No devices: no device keys. */
	CHECK(!json_object_object_get_ex(doc, "disks", NULL));
	CHECK(!json_object_object_get_ex(doc, "rng", NULL));
	json_object_put(doc);

	/* A disk and the rng. */
	st.nr_disks = 1;
	st.disk_paths[0] = "/img/a.raw";
	st.disks[0] = (struct vblk_stats){.reads = 3,
					  .writes = 4,
					  .read_bytes = 1536,
					  .io_errors = 2,
					  .bad_requests = 1};
	st.rng = true;
	st.rng_bytes = 4096;
	doc = json_object_new_object();
	CHECK_EQ(stats_json_fill(doc, &st, false), 0);
	CHECK_EQ(json_object_array_length(get(doc, "disks")), 1);
	v = json_object_array_get_idx(get(doc, "disks"), 0);
	CHECK(!strcmp(json_object_get_string(get(v, "path")), "/img/a.raw"));
	CHECK_EQ(json_object_get_uint64(get(v, "reads")), 3);
	CHECK_EQ(json_object_get_uint64(get(v, "read_bytes")), 1536);
	CHECK_EQ(json_object_get_uint64(get(v, "io_errors")), 2);
	CHECK_EQ(json_object_get_uint64(get(v, "bad_requests")), 1);
	CHECK_EQ(json_object_get_uint64(get(get(doc, "rng"), "bytes")), 4096);
	json_object_put(doc);
	st.nr_disks = 0;
	st.rng = false;

	/* A shared directory: its ops by count and by time, the unsent
	 * ones left out. */
	st.nr_fs = 1;
	st.fs_tags[0] = "share";
	st.fs[0] = (struct vfs_stats){.requests = 5, .serve_ns = 900};
	st.fs[0].ops[FUSE_LOOKUP] = 3;
	st.fs[0].op_ns[FUSE_LOOKUP] = 600;
	st.fs[0].ops[FUSE_GETATTR] = 2;
	st.fs[0].op_ns[FUSE_GETATTR] = 300;
	doc = json_object_new_object();
	CHECK_EQ(stats_json_fill(doc, &st, false), 0);
	v = json_object_array_get_idx(get(doc, "fs"), 0);
	CHECK(!strcmp(json_object_get_string(get(v, "tag")), "share"));
	CHECK_EQ(json_object_get_uint64(get(v, "serve_ns")), 900);
	CHECK_EQ(json_object_get_uint64(get(get(v, "ops"), "LOOKUP")), 3);
	CHECK_EQ(json_object_get_uint64(get(get(v, "op_ns"), "LOOKUP")), 600);
	CHECK_EQ(json_object_get_uint64(get(get(v, "op_ns"), "GETATTR")), 300);
	CHECK_EQ(json_object_object_length(get(v, "op_ns")), 2);
	CHECK(!json_object_object_get_ex(get(v, "ops"), "READ", NULL));
	json_object_put(doc);
	st.nr_fs = 0;

	/* A transport: one ready queue, one not. */
	st.nr_virtio = 1;
	st.virtio[0] = (struct virtio_mmio_state){.device_id = 19,
						  .gsi = 17,
						  .status = 15,
						  .int_status = 1,
						  .nr_queues = 2};
	st.virtio[0].q[0] = (struct vq_state){.ready = true,
					      .event_idx = true,
					      .size = 128,
					      .avail_idx = 70,
					      .last_avail = 66,
					      .used_idx = 65,
					      .used_event = 60};
	doc = json_object_new_object();
	CHECK_EQ(stats_json_fill(doc, &st, false), 0);
	v = json_object_array_get_idx(get(doc, "virtio"), 0);
	CHECK_EQ(json_object_get_uint64(get(v, "device_id")), 19);
	CHECK_EQ(json_object_get_uint64(get(v, "int_status")), 1);
	CHECK_EQ(json_object_array_length(get(v, "queues")), 2);
	k = json_object_array_get_idx(get(v, "queues"), 0);
	CHECK(json_object_get_boolean(get(k, "ready")));
	CHECK_EQ(json_object_get_uint64(get(k, "avail")), 70);
	CHECK_EQ(json_object_get_uint64(get(k, "last_avail")), 66);
	CHECK_EQ(json_object_get_uint64(get(k, "used")), 65);
	CHECK_EQ(json_object_get_uint64(get(k, "used_event")), 60);
	k = json_object_array_get_idx(get(v, "queues"), 1);
	CHECK(!json_object_get_boolean(get(k, "ready")));
	CHECK(!json_object_object_get_ex(k, "avail", NULL));
	json_object_put(doc);
	st.nr_virtio = 0;

	/* The brief list for "vcpus". */
	doc = json_object_new_object();
	CHECK_EQ(stats_json_fill(doc, &st, true), 0);
	CHECK(!json_object_object_get_ex(doc, "time_ns", NULL));
	v = json_object_array_get_idx(get(doc, "vcpus"), 1);
	CHECK_EQ(json_object_object_length(v), 5);
	json_object_put(doc);

	CHECK_EQ(stats_json_write("/nonexistent/dir/x.json", &st), -ENOENT);
	vm_stats_free(&st);
	vm_stats_free(&st);
	unlink(path);
}

int main(void)
{
	test_document();
	return check_done("test_stats_json");
}
