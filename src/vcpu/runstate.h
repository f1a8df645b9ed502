/* SPDX-License-Identifier: MIT */
/*
 * The runstate of one vCPU, after Xen's model (xen/include/public/vcpu.h,
 * struct vcpu_runstate_info; xen/common/sched/core.c,
 * vcpu_runstate_change()): a state, the time it was entered, and the
 * nanoseconds spent in each of the four states, which always add up to the
 * time since the vCPU was created. On top of Xen's fields we keep a count
 * per transition edge, a count of rejected transitions, and the wake-ups
 * (blocked -> runnable, Xen's vcpu_wake) with a log2 histogram of their
 * wake-to-run latency.
 *
 * The module is pure: it never reads a clock or a file; every function
 * takes "now" in nanoseconds from the caller (runstate_clock_ns() below is
 * the clock the VMM uses). Two kinds of writers report to it:
 *   - the vCPU thread, with the VMM-side events exactly when they happen
 *     (start, entering KVM_RUN, pause, resume, stop);
 *   - the sampler on the io thread, which folds in what only the kernel
 *     knows (halt time, run-queue delay, wake-ups; see runstate_fold()).
 * Writers are serialised by a mutex. Readers on any thread never take it:
 * they copy a published snapshot under a sequence count, as Xen guests read
 * their runstate area while XEN_RUNSTATE_UPDATE is set.
 */
#ifndef VCPU_RUNSTATE_H
#define VCPU_RUNSTATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* The values are Xen's RUNSTATE_* numbers. */
enum runstate_state {
	RUNSTATE_RUNNING = 0,  /* the thread runs the guest (or its exits) */
	RUNSTATE_RUNNABLE = 1, /* ready to run, waiting for a host CPU */
	RUNSTATE_BLOCKED = 2,  /* guest halted: HLT waiting in the kernel */
	RUNSTATE_OFFLINE = 3,  /* not started, down, paused or stopped */
	RUNSTATE_NR = 4,
};

/* Wake latency bucket i counts latencies in [2^i, 2^(i+1)) ns; 0 has 0..1. */
#define RUNSTATE_HIST_BUCKETS 32

/* Why an offline vCPU is offline (Xen's pause flags). */
#define RUNSTATE_F_PAUSED (1u << 0) /* not started, paused or stopped */
#define RUNSTATE_F_DOWN	  (1u << 1) /* AP waiting for INIT/SIPI (_VPF_down) */

/*
 * What readers get. Only uint64_t members: it is published word by word.
 * time[] covers [created, state_entry_time); the current state's share
 * since state_entry_time is added by runstate_times_at().
 */
struct runstate_snapshot {
	uint64_t state;		    /* enum runstate_state */
	uint64_t state_entry_time;  /* ns */
	uint64_t time[RUNSTATE_NR]; /* ns, indexed by state */
	uint64_t created;	    /* ns */
	uint64_t flags;		    /* RUNSTATE_F_* */
	uint64_t tid;		    /* host thread id, 0 until started */
	uint64_t transitions[RUNSTATE_NR][RUNSTATE_NR]; /* [from][to] */
	uint64_t invalid; /* transitions rejected by the table */
	uint64_t wakeups; /* blocked -> runnable */
	uint64_t wake_hist[RUNSTATE_HIST_BUCKETS];
	uint64_t unattributed_ns; /* kernel time runstate_fold() dropped */
};

#define RUNSTATE_WORDS (sizeof(struct runstate_snapshot) / sizeof(uint64_t))

/*
 * Cumulative kernel-side counters of one vCPU, as read by the sampler.
 * Counters that the host lacks are passed as 0 (and blocking as false).
 */
struct runstate_kernel {
	uint64_t halt_wait_ns; /* KVM "halt_wait_ns": time halted */
	uint64_t halt_waits;   /* halts that blocked and ended (the sum of
				* KVM's "halt_wait_hist"; "halt_wakeup" also
				* counts spurious wake-ups) */
	uint64_t halt_wakeup;  /* KVM "halt_wakeup": wake-ups of a halted
				* vCPU, by the waker (not by a signal) */
	uint64_t exits;	       /* KVM "exits": moves only while in the guest */
	uint64_t run_ns;       /* schedstat field 1: time on a CPU */
	uint64_t run_delay_ns; /* schedstat field 2: time on a run queue */
	bool blocking;	       /* KVM "blocking": halted right now */
};

/*
 * One vCPU's runstate. Embedded in the caller's vCPU structure; all
 * members are private to runstate.c.
 */
struct runstate {
	pthread_mutex_t lock;	    /* serialises writers */
	struct runstate_snapshot w; /* the writers' copy */
	bool wake_pending;	    /* blocked -> runnable not yet run */
	uint64_t wake_time;
	struct runstate_kernel last; /* kernel counters at the last fold */
	uint64_t mark[RUNSTATE_NR];  /* w.time[] after the last fold */
	uint64_t blk_live;	     /* modelled halt time not yet confirmed */
	uint64_t ends_live;	     /* modelled halt ends not yet confirmed */
	uint64_t wakeup_mark;	     /* halt_wakeup when BLOCKED began */
	bool left_blocked;	     /* left BLOCKED since the last fold */
	_Atomic uint64_t gen;	     /* bumped by every vCPU-thread event */
	_Atomic unsigned int seq;    /* odd while publishing */
	_Atomic uint64_t pub[RUNSTATE_WORDS];
};

/*
 * The VMM's clock for runstates: CLOCK_MONOTONIC in ns, the clock KVM's
 * halt_wait_ns is measured with.
 */
static inline uint64_t runstate_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "running", "runnable", "blocked", "offline"; "?" out of range. */
const char *runstate_name(unsigned int state);

/* Parse a name from runstate_name(). Returns the state or -EINVAL. */
int runstate_from_name(const char *name);

/* True when the transition table allows @from -> @to. */
bool runstate_edge_allowed(unsigned int from, unsigned int to);

/* The wake_hist bucket for a latency of @ns (last bucket is open). */
unsigned int runstate_hist_bucket(uint64_t ns);

/*
 * Initialise @rs at @now: offline and paused (not started yet), and down
 * as well when @down (an AP that waits for INIT/SIPI). Before any other
 * call; single-threaded. Returns 0 or -errno.
 */
int runstate_init(struct runstate *rs, uint64_t now, bool down);

/* Release @rs. No other call may be running or follow. */
void runstate_destroy(struct runstate *rs);

/*
 * Move to @to at @now if the table allows the edge (Xen's
 * vcpu_runstate_change()): the time since state_entry_time goes to the
 * old state, the edge is counted, and a blocked -> runnable edge starts a
 * wake whose latency is recorded at the following runnable -> running.
 * A @now earlier than state_entry_time (two threads racing for the lock)
 * accounts 0 ns and keeps the entry time. Any writer thread. Returns 0,
 * or -EINVAL (counted in invalid, nothing else changes).
 */
int runstate_change(struct runstate *rs, enum runstate_state to, uint64_t now);

/* Publish the host thread id of the vCPU thread. Any thread. */
void runstate_set_tid(struct runstate *rs, int tid);

/*
 * The vCPU thread's events. Each bumps the generation (see
 * runstate_fold()). pause: set PAUSED and go offline (Xen's
 * vcpu_sleep_nosync()); used for pause and stop. unpause: clear PAUSED and
 * become runnable unless down (start, resume). up: clear DOWN and become
 * runnable unless paused (the AP got its SIPI). enter: runnable ->
 * running, about to enter KVM_RUN; a no-op in any other state, so it may
 * be called before every KVM_RUN (see runstate_state() for a cheap check).
 */
void runstate_pause(struct runstate *rs, uint64_t now);
void runstate_unpause(struct runstate *rs, uint64_t now);
void runstate_up(struct runstate *rs, uint64_t now);
void runstate_enter(struct runstate *rs, uint64_t now);

/*
 * The published state and flags, one atomic load each (no snapshot). Any
 * thread. The vCPU thread uses them to skip runstate_enter() and the
 * INIT/SIPI check on the fast path.
 */
enum runstate_state runstate_state(const struct runstate *rs);
unsigned int runstate_flags(const struct runstate *rs);

/* The event generation. Sampler: read it before reading the counters. */
uint64_t runstate_generation(const struct runstate *rs);

/*
 * Fold the kernel counters @k (cumulative, read by the sampler after it
 * took @gen from runstate_generation()) into the model at @now. Returns
 * -EAGAIN and changes nothing if a vCPU-thread event happened since @gen
 * (the counters may predate it; the next fold covers the same interval).
 * Sampler thread only. Returns 0 or -EAGAIN.
 *
 * With d* the counter deltas since the previous fold and a[] the time the
 * model put in each state over the same interval:
 *  1. Live state. RUNNING with blocking set: the guest halted, RUNNING ->
 *     BLOCKED at now. BLOCKED with blocking clear and halt_wakeup moved
 *     since: it was woken (Xen's vcpu_unblock()), BLOCKED -> RUNNABLE ->
 *     RUNNING at now. A halt that ended without a wake-up was ended by a
 *     signal (a pause or stop kick): the vCPU is still halted, and stays
 *     BLOCKED until the thread reports the pause. Offline and down, not paused,
 * with dexits > 0: the AP was started by the guest, up and running at now.
 *     While down, the kernel's halt and run-queue figures are ignored (an
 *     AP waiting for SIPI is offline, as in Xen).
 *  2. Run delay not already modelled as runnable, q = max(0, drun_delay -
 *     a[RUNNABLE]), moves from RUNNING to RUNNABLE (host preemption).
 *  3. Wake latency. KVM counts the run-queue wait after a wake-up in both
 *     halt_wait_ns and run_delay; if dhalt_waits > 0 the overlap is taken
 *     as wl = min(q, dhalt_wait) and removed from the halt time, so it is
 *     runnable (Xen: vcpu_wake() makes a blocked vCPU runnable at once).
 *     Each halt end of the interval is binned at wl / dhalt_waits.
 *  4. Halt time kb = dhalt_wait - wl is first matched against blocked time
 *     the model already has from step 1 (halt_wait_ns is only credited
 *     when a halt ends); the rest moves from RUNNING to BLOCKED. Once the
 *     modelled halt has ended (the model left BLOCKED since the previous
 *     fold), modelled blocked time the kernel never confirmed moves back
 *     to RUNNING. If the model stayed BLOCKED but dhalt_waits > 0, the
 *     vCPU ran between those halts while every sample found it halted:
 *     up to drun + q of the unconfirmed blocked time moves back.
 *  5. Halt ends the kernel counted beyond those the model saw (every edge
 *     out of BLOCKED) are added as complete episodes (running -> blocked
 *     -> runnable -> running) to the transition counts and to wakeups.
 * Every move takes at most what the source state holds, so no time is
 * negative and sum(time) == state_entry_time - created still holds; what
 * could not be moved is added to unattributed_ns.
 */
int runstate_fold(struct runstate *rs, uint64_t now,
		  const struct runstate_kernel *k, uint64_t gen);

/*
 * Copy a consistent snapshot into @out. Any thread, lock-free; retries
 * while a writer is publishing.
 */
void runstate_read(const struct runstate *rs, struct runstate_snapshot *out);

/*
 * Times per state at @now: time[] plus now - state_entry_time for the
 * current state. Their sum is now - created (for now >= state_entry_time).
 */
void runstate_times_at(const struct runstate_snapshot *s, uint64_t now,
		       uint64_t out[RUNSTATE_NR]);

#endif /* VCPU_RUNSTATE_H */
