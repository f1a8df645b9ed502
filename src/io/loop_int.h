/* SPDX-License-Identifier: MIT */
/*
 * io loop internals shared by loop.c (the ring, watches, requests, calls)
 * and loop_poll.c (adaptive polling before the loop sleeps). Not for
 * other modules: they see struct io_loop only through io/loop.h.
 */
#ifndef IO_LOOP_INT_H
#define IO_LOOP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <liburing.h>

#include "loop.h"
#include "poll_policy.h"

struct io_watch;
struct io_call;

struct io_loop {
	struct io_uring ring;
	bool ring_disabled; /* created with IORING_SETUP_R_DISABLED */
	bool enabled;
	int wake_fd;
	struct io_source wake_src;
	/* Guards every io_watch, src->watch, the pending and call lists. */
	pthread_mutex_t lock;
	struct io_watch *pending, **pending_tail;
	struct io_watch *all;
	struct io_call *calls, **calls_tail;
	int stop;    /* atomic: io_loop_stop() requested */
	int running; /* atomic: a thread is inside io_loop_run() */
	pthread_t owner;

	/* Polling: the loop thread's (or set up before io_loop_run()). */
	struct io_poller *pollers;
	struct io_poll_policy policy;
	bool polling;	       /* the pollers were started */
	uint64_t idle_since;   /* when the loop last ran out of work, or 0 */
	unsigned int inflight; /* one-shot requests not completed yet */
	struct io_loop_poll_stats stats; /* written here, read anywhere */
	/* io_loop_after_batch(): run when the current CQE batch is done. */
	struct io_request *after_batch;
	/* Tests: rewrite one-shot results (io_loop_set_fault()). */
	int (*fault)(void *arg, struct io_request *req, int res);
	void *fault_arg;
	unsigned int fs_ops; /* IO_LOOP_FS_* the kernel has (loop_fs.c) */
};

/* Calls on other threads than the running loop's may not touch the SQ. */
static inline bool loop_may_submit(const struct io_loop *l)
{
	return !__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) ||
	       io_loop_on_thread(l);
}

/*
 * Loop thread, out of work (loop_poll.c): poll the pollers within the
 * adaptive bound, then stop them. Returns the number of completions to
 * wait for: 1 to sleep in io_uring, 0 when polling found work.
 */
unsigned int loop_poll_idle(struct io_loop *l);

/* Loop thread: true if completions wait to be reaped, or a stop. */
bool loop_has_events(struct io_loop *l);

/* IORING_SQ_TASKRUN: the kernel holds completions until we enter it. */
static inline bool loop_taskrun_flag(const struct io_loop *l)
{
	return IO_URING_READ_ONCE(*l->ring.sq.kflags) & IORING_SQ_TASKRUN;
}

/*
 * Common head and tail of a one-shot submission: an SQE (NULL with
 * -EPERM off the loop thread, -EBUSY with the SQ full), and tagging it
 * as @req's (counted in flight).
 */
struct io_uring_sqe *loop_request_sqe(struct io_loop *l, int *err);
void loop_request_tag(struct io_loop *l, struct io_uring_sqe *sqe,
		      struct io_request *req);

/* At creation: which file-system opcodes the ring has (l->fs_ops). */
void loop_fs_probe(struct io_loop *l);

/* Loop thread: the loop slept (loop_poll_idle() said 1) and woke up. */
void loop_poll_woke(struct io_loop *l);

/* Loop thread: io_loop_run() returns; stop the pollers if started. */
void loop_poll_end(struct io_loop *l);

#endif /* IO_LOOP_INT_H */
