/* SPDX-License-Identifier: MIT */
/*
 * The io thread's event loop: one io_uring, owned and submitted to by one
 * thread. Sources (doorbell eventfds, backend fds, timerfds) are watched
 * with multishot POLL_ADD; each completion calls the source's ready().
 * Where io_uring is refused (a seccomp profile, kernel.io_uring_disabled)
 * the same API runs on epoll instead (enum io_loop_kind): sources are
 * watched edge-triggered, which is what multishot polls report too, and
 * one-shot requests are performed at once with plain syscalls, their
 * done() still called later, at the loop's next iteration.
 * Other threads reach the loop only through io_loop_stop(),
 * io_loop_call() and io_loop_watch() (all post to an eventfd the loop
 * watches). Optionally the loop polls registered pollers for a while
 * before it sleeps (io_loop_set_polling(), below).
 *
 * A watched source is represented in the ring by a small wrapper the loop
 * allocates (its address is the SQE's user_data), so a completion that is
 * still in flight after io_loop_unwatch() lands on the wrapper, never on
 * the source, which the owner may free right after unwatching.
 */
#ifndef IO_LOOP_H
#define IO_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io_loop;
struct io_watch;
struct iovec;
struct msghdr;

struct io_source {
	int fd;
	uint32_t events; /* poll mask to watch, POLLIN if 0 */
	/*
	 * Loop thread. @res: the poll mask that fired, or -errno. After a
	 * negative @res the source is no longer watched (watch it again to
	 * resume). ready() may call io_loop_watch/unwatch on any source,
	 * including its own.
	 */
	void (*ready)(struct io_source *src, int res);
	/* Private to the loop: NULL while not watched. */
	struct io_watch *watch;
};

/*
 * A one-shot operation submitted through the ring (writes for backends
 * that must never block the loop thread, one-shot polls, no-ops used to
 * defer a completion). done() runs on the loop thread with the result
 * (byte count, poll mask, 0) or -errno. The request, and any iovec or
 * msghdr it refers to, must stay valid until done() has run.
 */
struct io_request {
	void (*done)(struct io_request *req, int res);
	struct io_request *next; /* private to the loop */
	int res;		 /* private to the loop (epoll) */
};

/* Which loop io_loop_create() makes. */
enum io_loop_kind {
	IO_LOOP_AUTO,  /* io_uring; epoll if the kernel refuses io_uring */
	IO_LOOP_URING, /* io_uring or nothing */
	IO_LOOP_EPOLL, /* epoll, synchronous I/O */
};

/*
 * Create a loop of @kind. The ring tries IORING_SETUP_SINGLE_ISSUER and
 * DEFER_TASKRUN and falls back where the kernel lacks them. It is
 * created disabled and enabled by the first io_loop_run(): the thread that
 * runs the loop first is its only submitter for good, whichever thread
 * created it. IO_LOOP_AUTO makes an epoll loop instead when io_uring
 * setup fails with -ENOSYS, -EPERM or -EACCES, and says so once (info
 * level). Returns 0 or -errno (IO_LOOP_URING: the kernel's refusal).
 */
int io_loop_create(struct io_loop **out, enum io_loop_kind kind);

/* IO_LOOP_URING or IO_LOOP_EPOLL: what @l runs on. Any thread. */
enum io_loop_kind io_loop_kind(const struct io_loop *l);

/*
 * Free the loop. Sources stay owned by their owners (their watch pointers
 * are cleared); requests still in flight are cancelled without done()
 * being called. Not while running. NULL is a no-op.
 */
void io_loop_destroy(struct io_loop *l);

/*
 * Start watching @src->fd for @src->events. Any thread (off the loop
 * thread the arming happens at the loop's next iteration). Returns 0,
 * -EBUSY if @src is already watched, -EINVAL or -ENOMEM.
 */
int io_loop_watch(struct io_loop *l, struct io_source *src);

/*
 * Stop watching @src. On the loop thread (or before io_loop_run()) no
 * ready() call for @src follows, and @src may be freed at once. From any
 * other thread a ready() already running on the loop thread may still
 * finish: owners that free @src must unwatch on the loop thread (use
 * io_loop_call()). The owner may close @src->fd right after: the ring's
 * poll holds its own reference to the file until the loop cancels it at
 * its next iteration, even if the poll had just fired, so a peer sees the
 * close then. Returns 0, or -ENOENT if @src was not watched.
 */
int io_loop_unwatch(struct io_loop *l, struct io_source *src);

/* True while @src is watched. */
static inline bool io_source_watched(const struct io_source *src)
{
	return src->watch != NULL;
}

/*
 * Submit a writev of @iov on @fd at @offset (-1: current position). Loop
 * thread only (or before the first io_loop_run()). The result may be a
 * short count: the caller resubmits the rest. Returns 0 or -errno.
 */
int io_loop_writev(struct io_loop *l, struct io_request *req, int fd,
		   const struct iovec *iov, unsigned int iovcnt,
		   int64_t offset);

/* As io_loop_writev(), reading into @iov (a short count at EOF). */
int io_loop_readv(struct io_loop *l, struct io_request *req, int fd,
		  const struct iovec *iov, unsigned int iovcnt, int64_t offset);

/* fsync(2) of @fd, or fdatasync(2) if @datasync. Loop thread. */
int io_loop_fsync(struct io_loop *l, struct io_request *req, int fd,
		  bool datasync);

/* fallocate(2) of @fd (@mode: FALLOC_FL_*). Loop thread. */
int io_loop_fallocate(struct io_loop *l, struct io_request *req, int fd,
		      int mode, uint64_t offset, uint64_t len);

/* As io_loop_writev() with sendmsg(2) (e.g. MSG_NOSIGNAL on sockets). */
int io_loop_sendmsg(struct io_loop *l, struct io_request *req, int fd,
		    const struct msghdr *msg, unsigned int flags);

/* One-shot poll of @fd for @events; done() gets the mask. Loop thread. */
int io_loop_poll_once(struct io_loop *l, struct io_request *req, int fd,
		      uint32_t events);

/*
 * Complete @req (done() gets 0) at the loop's next iteration, without any
 * I/O: for owners whose work finished at once but who promised an
 * asynchronous completion. Loop thread.
 */
int io_loop_defer(struct io_loop *l, struct io_request *req);

/*
 * Call @req->done(@req, 0) once the loop has dispatched every completion
 * it reaped together with the current one: for work done once per batch,
 * such as one interrupt for many requests completed at once. Loop thread;
 * @req must not be queued twice. Returns 0 or -EPERM.
 */
int io_loop_after_batch(struct io_loop *l, struct io_request *req);

/*
 * Make the calling thread the loop's own and enable the ring (io_uring's
 * single issuer is the thread that enables it), as io_loop_run() does
 * first; for a thread that must do so before its seccomp filter. 0 or
 * -errno.
 */
int io_loop_prepare(struct io_loop *l);

/*
 * Run until io_loop_stop(). A stop requested before the call makes it
 * return at once; the request is consumed either way. Returns 0 or
 * -errno (a ring failure).
 */
int io_loop_run(struct io_loop *l);

/*
 * After io_loop_run() returned, on the thread that ran it: keep reaping
 * completions (calling done() and ready() as the loop would) while
 * busy(arg) is true, for at most @timeout_ms. For devices whose requests
 * point at memory that is freed with the VM (guest RAM, bounce buffers):
 * they wait for their I/O before they go. Returns 0, -ETIMEDOUT or -errno.
 */
int io_loop_drain(struct io_loop *l, bool (*busy)(void *arg), void *arg,
		  unsigned int timeout_ms);

/*
 * For tests of the code above the loop: every one-shot request's result
 * passes through fault(arg, req, res), which may return another (a short
 * count, -EIO, -ENOSPC) before done() sees it. NULL removes it. Before
 * io_loop_run() or on the loop thread.
 */
void io_loop_set_fault(struct io_loop *l,
		       int (*fault)(void *arg, struct io_request *req, int res),
		       void *arg);

/* Ask the loop to return from io_loop_run(). Any thread, async-signal-safe. */
void io_loop_stop(struct io_loop *l);

/*
 * Run fn(arg) on the loop thread at its next iteration (any thread). Used
 * to hand work such as "watch this fd again" from a vCPU thread to the
 * loop. Calls run in the order they were posted; calls still queued when
 * the loop is destroyed never run. Returns 0 or -ENOMEM.
 */
int io_loop_call(struct io_loop *l, void (*fn)(void *arg), void *arg);

/* True when called on the thread currently inside io_loop_run(). */
bool io_loop_on_thread(const struct io_loop *l);

/*
 * Adaptive polling (io/poll_policy.h). With polling on, a loop that runs
 * out of work does not go to sleep in io_uring at once: it first calls
 * every registered poller's poll() in a tight loop, up to a bound that
 * adapts like KVM's halt polling (0 while the loop only wakes up rarely,
 * up to the ceiling while wake-ups come in short succession), then stops
 * the pollers and sleeps. Completions that arrive meanwhile end the poll
 * too (the ring's task-run flag and CQ are read, no syscall), so polling
 * never delays the loop's other sources, and io_loop_stop() ends it.
 * The loop does not poll while a one-shot request (io_loop_writev()...)
 * is in flight: that work often needs a CPU (an io-wq worker), and its
 * completion wakes the loop anyway.
 *
 * A poller must be cheap: poll() reads memory (a guest ring's index), no
 * syscalls, and does the work it finds. Callbacks run on the loop thread.
 */
struct io_poller {
	/*
	 * Polling begins (optional): e.g. ask the guest not to ring
	 * doorbells while someone is watching its rings anyway.
	 */
	void (*start)(struct io_poller *p);
	/* Look for work and do it. True if there was some. */
	bool (*poll)(struct io_poller *p);
	/*
	 * Polling ends and the loop is about to sleep (optional): undo
	 * start(), then look once more, since work published before the
	 * guest saw the doorbell request rings no doorbell. True if work
	 * was found (and done): the loop then does not sleep.
	 */
	bool (*stop)(struct io_poller *p);
	/* Private to the loop. */
	struct io_poller *next;
	bool added;
};

/*
 * Register @p (caller-owned, until io_loop_remove_poller()). Before
 * io_loop_run() or on the loop thread. Returns 0, -EBUSY (already added),
 * -EINVAL (no poll()) or -EPERM (called from another thread while the loop
 * runs).
 */
int io_loop_add_poller(struct io_loop *l, struct io_poller *p);

/*
 * Unregister @p; if polling was on, its stop() is not called. Same thread
 * rules as io_loop_add_poller(). Returns 0 or -ENOENT / -EPERM.
 */
int io_loop_remove_poller(struct io_loop *l, struct io_poller *p);

/*
 * Poll for at most @max_ns (the ceiling of the adaptive bound; 0 turns
 * polling off, the default). Restarts the bound from 0. Before
 * io_loop_run() or on the loop thread. Returns 0 or -EPERM.
 */
int io_loop_set_polling(struct io_loop *l, uint64_t max_ns);

/* Polling counters and state. */
struct io_loop_poll_stats {
	uint64_t max_ns;	 /* the ceiling; 0: polling is off */
	uint64_t ns;		 /* the current bound */
	uint64_t grows, shrinks; /* changes of the bound */
	uint64_t futile;	 /* ... to 0: polling only kept the guest out */
	uint64_t windows;	 /* times the loop began to poll */
	uint64_t hits;		 /* ... and found work (no sleep) */
	uint64_t expired;	 /* ... and reached the bound */
	uint64_t sleeps;	 /* waits in io_uring that blocked */
};

/* Copy the polling counters of @l into @st (a snapshot). Any thread. */
void io_loop_poll_stats(const struct io_loop *l, struct io_loop_poll_stats *st);

#endif /* IO_LOOP_H */
