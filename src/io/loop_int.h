/* SPDX-License-Identifier: MIT */
/*
 * io loop internals shared by loop.c (what both kinds of loop have in
 * common: calls, the run and drain loops, the one-shot API), its two
 * back ends, loop_uring.c (one io_uring) and loop_epoll.c (epoll with
 * synchronous I/O, where io_uring is refused), loop_fs.c and loop_poll.c
 * (adaptive polling before the loop sleeps). Not for other modules: they
 * see struct io_loop only through io/loop.h.
 */
#ifndef IO_LOOP_INT_H
#define IO_LOOP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <liburing.h>

#include "loop.h"
#include "poll_policy.h"

struct io_call;
struct ep_wait;
struct epoll_event;
struct io_loop;

/*
 * A one-shot operation, as io_loop_writev() and its siblings describe it
 * to the back end: one opcode and the arguments it uses.
 */
enum loop_opcode {
	LOOP_OP_READV,
	LOOP_OP_WRITEV,
	LOOP_OP_FSYNC,
	LOOP_OP_FALLOCATE,
	LOOP_OP_SENDMSG,
	LOOP_OP_POLL,
	LOOP_OP_NOP,
	LOOP_OP_OPENAT2,
	LOOP_OP_STATX,
	LOOP_OP_UNLINKAT,
	LOOP_OP_MKDIRAT,
	LOOP_OP_RENAMEAT,
	LOOP_OP_SYMLINKAT,
	LOOP_OP_LINKAT,
	LOOP_OP_CLOSE,
	LOOP_OP_GETXATTR,
	LOOP_OP_SETXATTR,
};

struct loop_op {
	enum loop_opcode code;
	int fd;	 /* the file, or the (old) directory fd */
	int fd2; /* renameat/linkat: the new directory fd */
	/* path2: rename/link target, symlink's text, an xattr's name */
	const char *path, *path2;
	const struct iovec *iov;
	unsigned int iovcnt;
	const struct msghdr *msg;
	int64_t offset;	   /* -1: the current position */
	uint64_t len;	   /* fallocate, xattr value */
	int flags;	   /* datasync, fallocate mode, flags of the syscall */
	unsigned int mask; /* poll events, statx mask */
	mode_t mode;	   /* mkdirat */
	void *buf;	   /* statx's, openat2's open_how, getxattr's value */
	const void *value; /* setxattr's */
};

/*
 * What one kind of loop supplies. Every member is called with the rules
 * of the io_loop_* function that calls it (loop.c).
 */
struct loop_ops {
	enum io_loop_kind kind;
	const char *name;
	/* The back end's part of io_loop_create() / io_loop_destroy(). */
	int (*init)(struct io_loop *l);
	void (*fini)(struct io_loop *l);
	/* The first io_loop_run(), on the thread that runs it. */
	int (*enable)(struct io_loop *l);
	/* @src checked (fd, ready); -EBUSY, -ENOMEM... */
	int (*watch)(struct io_loop *l, struct io_source *src);
	int (*unwatch)(struct io_loop *l, struct io_source *src);
	int (*submit)(struct io_loop *l, struct io_request *req,
		      const struct loop_op *op);
	/* Loop thread, top of an iteration: arm, free what is unwatched. */
	void (*prepare)(struct io_loop *l);
	/* Work queued for the next wait that no wake-up will announce. */
	bool (*queued)(struct io_loop *l);
	/* Completions or events to reap, without blocking (cheap). */
	bool (*has_events)(struct io_loop *l);
	/*
	 * Submit and wait for @min (0 or 1) events for at most @timeout_ns
	 * (UINT64_MAX: no limit). Returns 0 (a timeout, a signal included)
	 * or -errno.
	 */
	int (*wait)(struct io_loop *l, unsigned int min, uint64_t timeout_ns);
	/* Run what the last wait collected: ready() and done() calls. */
	void (*dispatch)(struct io_loop *l);
};

extern const struct loop_ops loop_uring_ops;
extern const struct loop_ops loop_epoll_ops;

/*
 * A watched source's wrapper. The io_uring loop keeps a state machine
 * (loop_uring.c); the epoll loop the fd it registered and two lists.
 */
struct io_watch {
	struct io_source *src; /* NULL once dead */
	struct io_watch *next; /* uring: pending list; epoll: dead list */
	struct io_watch *all_prev, *all_next;
	/* uring */
	bool armed, queued, busy, dead, cancel_sent;
	/* epoll */
	int fd;		       /* in the epoll set: src->fd or a dup, or -1 */
	int err;	       /* epoll_ctl failed: ready() gets this */
	struct io_watch *soon; /* on the failed or always-ready list */
};

struct io_loop {
	const struct loop_ops *ops;
	bool enabled;
	int wake_fd;
	struct io_source wake_src;
	/* Guards every io_watch, src->watch, the pending and call lists. */
	pthread_mutex_t lock;
	struct io_watch *all;
	struct io_call *calls, **calls_tail;
	int stop;    /* atomic: io_loop_stop() requested */
	int running; /* atomic: a thread is inside io_loop_run() */
	pthread_t owner;

	/* The io_uring loop (loop_uring.c). */
	struct io_uring ring;
	bool ring_disabled; /* created with IORING_SETUP_R_DISABLED */
	struct io_watch *pending, **pending_tail;

	/* The epoll loop (loop_epoll.c). */
	int epfd;
	struct epoll_event *events; /* the last epoll_wait()'s */
	int nevents;
	struct io_watch *dead;	 /* unwatched, freed before a wait */
	struct io_watch *failed; /* epoll_ctl failed: report it */
	struct io_watch *always; /* regular files: always ready */
	struct io_request *done_head, **done_tail; /* results to report */
	struct ep_wait *waits; /* one-shot polls, writes waiting for room */

	/* Polling: the loop thread's (or set up before io_loop_run()). */
	struct io_poller *pollers;
	struct io_poll_policy policy;
	bool polling;	       /* the pollers were started */
	uint64_t idle_since;   /* when the loop last ran out of work, or 0 */
	unsigned int inflight; /* one-shot requests not completed yet */
	struct io_loop_poll_stats stats; /* written here, read anywhere */
	/* io_loop_after_batch(): run when the current batch is done. */
	struct io_request *after_batch;
	/* Tests: rewrite one-shot results (io_loop_set_fault()). */
	int (*fault)(void *arg, struct io_request *req, int res);
	void *fault_arg;
	unsigned int fs_ops; /* IO_LOOP_FS_* the loop has (loop_fs.c) */
};

/* Calls on other threads than the running loop's may not touch the SQ. */
static inline bool loop_may_submit(const struct io_loop *l)
{
	return !__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) ||
	       io_loop_on_thread(l);
}

/* Any thread: wake the loop (a write to its eventfd). */
void loop_wake(struct io_loop *l);

/*
 * Lock held: a new watch of @src, first on the list of all watches; NULL
 * with -EBUSY (@src has one) or -ENOMEM in *@err.
 */
struct io_watch *loop_watch_link(struct io_loop *l, struct io_source *src,
				 int *err);
/* Lock held: @w off the list of all watches. */
void loop_watch_unlink(struct io_loop *l, struct io_watch *w);

/* Submit @op for @req: the thread check, then the back end. */
int loop_submit(struct io_loop *l, struct io_request *req,
		const struct loop_op *op);

/* Loop thread: report @res (through the fault hook) to @req->done(). */
void loop_complete(struct io_loop *l, struct io_request *req, int res);

/*
 * The epoll loop's one-shot requests (loop_sync.c): perform @op with a
 * plain syscall (not LOOP_OP_POLL); returns what the ring's completion
 * would hold (a count, a new fd, 0 or -errno).
 */
int loop_sync_perform(const struct loop_op *op);

/* May @op, refused with -EAGAIN, wait for its fd and be tried again? */
bool loop_sync_may_wait(const struct loop_op *op);

/*
 * Loop thread, out of work (loop_poll.c): poll the pollers within the
 * adaptive bound, then stop them. Returns the number of completions to
 * wait for: 1 to sleep, 0 when polling found work.
 */
unsigned int loop_poll_idle(struct io_loop *l);

/* Loop thread: true if events wait to be reaped, or a stop. */
bool loop_has_events(struct io_loop *l);

/* At creation, io_uring loop: which file-system opcodes the ring has. */
void loop_fs_probe(struct io_loop *l);

/* Loop thread: the loop slept (loop_poll_idle() said 1) and woke up. */
void loop_poll_woke(struct io_loop *l);

/* Loop thread: io_loop_run() returns; stop the pollers if started. */
void loop_poll_end(struct io_loop *l);

#endif /* IO_LOOP_INT_H */
