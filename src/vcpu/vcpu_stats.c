/* SPDX-License-Identifier: MIT */
/*
 * Runstate accounting of a vCPU: maps the vCPU thread's events onto the
 * runstate model (vcpu/runstate.c) and feeds the sampler's folds from the
 * vCPU's KVM binary stats and its thread's schedstat. The KVM stats fd is
 * read with pread() only, so nothing here ever waits for KVM_RUN.
 */
#define pr_fmt(fmt) "vcpu-stats: " fmt
#include "vcpu_stats.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "kvm_stats.h"
#include "runstate.h"
#include "schedstat.h"
#include "vcpu.h"
#include "base/log.h"

struct vcpu_runtime {
	struct runstate rs;
	struct kvm_stats ks;
	_Atomic int tid;   /* published at START for the sampler */
	int sched_fd;	   /* sampler thread only; -1 until opened */
	bool sched_failed; /* do not retry a failed open */
};

/* Is this vCPU waiting for INIT/SIPI? Its own thread, or before it runs. */
static bool vcpu_is_down(const struct vcpu *v)
{
	struct kvm_mp_state mp;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) < 0)
		return false;
	return mp.mp_state == KVM_MP_STATE_UNINITIALIZED ||
	       mp.mp_state == KVM_MP_STATE_INIT_RECEIVED;
}

int vcpu_stats_create(struct vcpu *v)
{
	struct vcpu_runtime *rt = calloc(1, sizeof(*rt));
	int r;

	if (!rt)
		return -ENOMEM;
	r = runstate_init(&rt->rs, runstate_clock_ns(), vcpu_is_down(v));
	if (r) {
		free(rt);
		return r;
	}
	rt->sched_fd = -1;
	r = kvm_stats_open(&rt->ks, v->fd);
	if (r)
		pr_info("vcpu %u: no KVM binary stats (%s): halt time unseen",
			v->id, strerror(-r));
	v->rt = rt;
	return 0;
}

void vcpu_stats_event(struct vcpu *v, enum vcpu_event event)
{
	struct runstate *rs = &v->rt->rs;

	switch (event) {
	case VCPU_EVENT_START:
		atomic_store(&v->rt->tid, (int)v->tid);
		runstate_set_tid(rs, (int)v->tid);
		runstate_unpause(rs, runstate_clock_ns());
		break;
	case VCPU_EVENT_ENTER:
		/*
		 * Before every KVM_RUN: only the first after a start,
		 * resume or up changes anything (exit handling counts as
		 * running, as Xen counts its own emulation).
		 */
		if (runstate_state(rs) == RUNSTATE_RUNNABLE)
			runstate_enter(rs, runstate_clock_ns());
		break;
	case VCPU_EVENT_EXIT:
		/* Down and not paused: did the guest start us meanwhile? */
		if (runstate_flags(rs) == RUNSTATE_F_DOWN && !vcpu_is_down(v))
			runstate_up(rs, runstate_clock_ns());
		break;
	case VCPU_EVENT_PAUSE:
	case VCPU_EVENT_STOP: runstate_pause(rs, runstate_clock_ns()); break;
	case VCPU_EVENT_RESUME:
		runstate_unpause(rs, runstate_clock_ns());
		break;
	}
}

/* The kernel's counters for runstate_fold(); absent ones stay 0. */
static void read_kernel(struct vcpu_runtime *rt, struct runstate_kernel *k)
{
	struct kvm_stats_values kv;
	struct schedstat ss;
	int tid;

	memset(k, 0, sizeof(*k));
	if (!kvm_stats_read(&rt->ks, &kv)) {
		k->halt_wait_ns = kv.v[KVM_STAT_HALT_WAIT_NS];
		k->halt_wakeup = kv.v[KVM_STAT_HALT_WAKEUP];
		/* Older kernels lack the histogram; wakeups are close. */
		k->halt_waits = kv.present & (1u << KVM_STAT_HALT_WAITS)
				    ? kv.v[KVM_STAT_HALT_WAITS]
				    : kv.v[KVM_STAT_HALT_WAKEUP];
		k->exits = kv.v[KVM_STAT_EXITS];
		k->blocking = kv.v[KVM_STAT_BLOCKING] != 0;
	}
	tid = atomic_load(&rt->tid);
	if (rt->sched_fd < 0 && tid && !rt->sched_failed) {
		rt->sched_fd = schedstat_open(tid);
		if (rt->sched_fd < 0) {
			pr_info(
			    "tid %d: no schedstat (%s): host preemption unseen",
			    tid, strerror(-rt->sched_fd));
			rt->sched_failed = true;
		}
	}
	if (rt->sched_fd >= 0 && !schedstat_read(rt->sched_fd, &ss)) {
		k->run_ns = ss.run_ns;
		k->run_delay_ns = ss.run_delay_ns;
	}
}

/*
 * The generation is taken before the counters are read: if the vCPU
 * thread reports an event in between, the counters may describe the
 * state before it, and runstate_fold() refuses them.
 */
void vcpu_stats_sample(struct vcpu *v)
{
	struct vcpu_runtime *rt = v->rt;
	struct runstate_kernel k;
	uint64_t gen = runstate_generation(&rt->rs);

	read_kernel(rt, &k);
	/* -EAGAIN: the thread had an event meanwhile; the next tick folds. */
	(void)runstate_fold(&rt->rs, runstate_clock_ns(), &k, gen);
}

void vcpu_stats_snapshot(struct vcpu *v, struct vcpu_snapshot *out)
{
	out->id = v->id;
	runstate_read(&v->rt->rs, &out->rs);
	/* On failure present is 0: the counters are reported absent. */
	(void)kvm_stats_read(&v->rt->ks, &out->kvm);
}

void vcpu_stats_collect(struct vcpu *vcpus, unsigned int nr,
			struct vm_stats *st)
{
	for (unsigned int i = 0; i < nr; i++)
		vcpu_stats_snapshot(&vcpus[i], &st->vcpus[i]);
	st->nr_vcpus = nr;
	st->time_ns = runstate_clock_ns();
}

void vcpu_stats_destroy(struct vcpu *v)
{
	struct vcpu_runtime *rt = v->rt;

	if (!rt)
		return;
	if (rt->sched_fd >= 0)
		close(rt->sched_fd);
	kvm_stats_close(&rt->ks);
	runstate_destroy(&rt->rs);
	free(rt);
	v->rt = NULL;
}

int vm_stats_alloc(struct vm_stats *st, unsigned int nr)
{
	memset(st, 0, sizeof(*st));
	st->vcpus = calloc(nr ? nr : 1, sizeof(*st->vcpus));
	if (!st->vcpus)
		return -ENOMEM;
	st->nr_vcpus = nr;
	return 0;
}

void vm_stats_free(struct vm_stats *st)
{
	free(st->vcpus);
	st->vcpus = NULL;
	st->nr_vcpus = 0;
}
