/* SPDX-License-Identifier: MIT */
/*
 * The io_uring event loop. One thread runs io_loop_run() and is the only
 * submitter; each watched fd is one multishot POLL_ADD whose user_data is a
 * loop-owned struct io_watch, re-armed when a completion arrives without
 * IORING_CQE_F_MORE. One-shot requests (writev, sendmsg, poll, nop) carry
 * their struct io_request pointer with bit 0 set. Other threads talk to
 * the loop through a wake eventfd plus a small queue under a mutex.
 * Adaptive polling (the pollers, before each sleep) is at the end.
 */
#define pr_fmt(fmt) "io-loop: " fmt

#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "base/log.h"
#include "base/util.h"
#include "loop_int.h"

#define IO_LOOP_ENTRIES 256
#define UD_REQUEST	1ULL /* user_data bit 0: a struct io_request */

static void loop_batch_end(struct io_loop *l);

/*
 * Lifetime of a watch: it is "armed" while a multishot poll is in the
 * kernel, "queued" while on the pending list (to be armed, re-armed or
 * cancelled), "busy" while its source's ready() runs, and "dead" once
 * unwatched. It is freed when dead and none of the other three holds it,
 * so a late completion always finds valid memory.
 */
struct io_watch {
	struct io_source *src; /* NULL once dead */
	struct io_watch *next; /* pending list */
	struct io_watch *all_prev, *all_next;
	bool armed, queued, busy, dead, cancel_sent;
};

struct io_call {
	void (*fn)(void *arg);
	void *arg;
	struct io_call *next;
};

static void loop_wake(struct io_loop *l)
{
	uint64_t one = 1;

	/* Only fails if the counter would overflow: it is drained anyway. */
	(void)!write(l->wake_fd, &one, sizeof(one));
}

bool io_loop_on_thread(const struct io_loop *l)
{
	return __atomic_load_n(&l->running, __ATOMIC_ACQUIRE) &&
	       pthread_equal(l->owner, pthread_self());
}

static struct io_uring_sqe *loop_sqe(struct io_loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	/* SQ full: flush it, which is only possible once enabled. */
	if (!sqe && l->enabled && io_loop_on_thread(l)) {
		(void)io_uring_submit(&l->ring); /* retried below */
		sqe = io_uring_get_sqe(&l->ring);
	}
	return sqe;
}

/* Lock held. */
static void watch_enqueue(struct io_loop *l, struct io_watch *w)
{
	w->queued = true;
	w->next = NULL;
	*l->pending_tail = w;
	l->pending_tail = &w->next;
}

/* Lock held. */
static void watch_free(struct io_loop *l, struct io_watch *w)
{
	if (w->all_prev)
		w->all_prev->all_next = w->all_next;
	else
		l->all = w->all_next;
	if (w->all_next)
		w->all_next->all_prev = w->all_prev;
	free(w);
}

/*
 * Lock held. Decide what a watch needs after any state change: nothing
 * while queued or busy (whoever holds it calls this again), else free,
 * cancel or re-arm.
 */
static void watch_settle(struct io_loop *l, struct io_watch *w)
{
	if (w->busy || w->queued)
		return;
	if (w->dead) {
		if (!w->armed)
			watch_free(l, w);
		else if (!w->cancel_sent)
			watch_enqueue(l, w);
		return;
	}
	if (!w->armed)
		watch_enqueue(l, w);
}

int io_loop_watch(struct io_loop *l, struct io_source *src)
{
	struct io_watch *w;

	if (src->fd < 0 || !src->ready)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	pthread_mutex_lock(&l->lock);
	if (src->watch) {
		pthread_mutex_unlock(&l->lock);
		free(w);
		return -EBUSY;
	}
	w->src = src;
	src->watch = w;
	w->all_next = l->all;
	if (l->all)
		l->all->all_prev = w;
	l->all = w;
	watch_enqueue(l, w);
	pthread_mutex_unlock(&l->lock);
	if (!io_loop_on_thread(l))
		loop_wake(l);
	return 0;
}

int io_loop_unwatch(struct io_loop *l, struct io_source *src)
{
	struct io_watch *w;

	pthread_mutex_lock(&l->lock);
	w = src->watch;
	if (!w) {
		pthread_mutex_unlock(&l->lock);
		return -ENOENT;
	}
	src->watch = NULL;
	w->src = NULL;
	w->dead = true;
	watch_settle(l, w);
	pthread_mutex_unlock(&l->lock);
	if (!io_loop_on_thread(l))
		loop_wake(l);
	return 0;
}

/* Loop thread: turn the pending list into SQEs. */
static void loop_process_pending(struct io_loop *l)
{
	struct io_uring_sqe *sqe;
	struct io_watch *w;

	pthread_mutex_lock(&l->lock);
	while ((w = l->pending)) {
		l->pending = w->next;
		if (!l->pending)
			l->pending_tail = &l->pending;
		w->queued = false;
		if (w->dead && !w->armed) {
			watch_free(l, w);
			continue;
		}
		if ((w->dead && w->cancel_sent) || (!w->dead && w->armed))
			continue;
		sqe = loop_sqe(l);
		if (!sqe) {
			/* Try again at the next iteration. */
			watch_enqueue(l, w);
			break;
		}
		if (w->dead) {
			/*
			 * ASYNC_CANCEL, not POLL_REMOVE: while a wake-up of
			 * the poll is being handled (its task work not run
			 * yet, which with DEFER_TASKRUN waits for our next
			 * wait), POLL_REMOVE fails with -EALREADY and the
			 * poll stays armed, holding the file open after the
			 * owner closed the fd. A cancel marks the poll, which
			 * then ends with -ECANCELED either way.
			 */
			io_uring_prep_cancel64(sqe, (uintptr_t)w, 0);
			io_uring_sqe_set_data64(sqe, 0);
			w->cancel_sent = true;
		} else {
			io_uring_prep_poll_multishot(
			    sqe, w->src->fd,
			    w->src->events ? w->src->events : POLLIN);
			io_uring_sqe_set_data64(sqe, (uintptr_t)w);
			w->armed = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
}

static void loop_watch_cqe(struct io_loop *l, struct io_watch *w, int res,
			   unsigned int flags)
{
	struct io_source *src;

	pthread_mutex_lock(&l->lock);
	if (!(flags & IORING_CQE_F_MORE))
		w->armed = false;
	if (w->dead) {
		/* A late completion of an unwatched source. */
		watch_settle(l, w);
		pthread_mutex_unlock(&l->lock);
		return;
	}
	src = w->src;
	if (res < 0) {
		/* The poll itself failed (bad fd...): the watch ends here. */
		src->watch = NULL;
		w->src = NULL;
		w->dead = true;
		watch_settle(l, w);
		pthread_mutex_unlock(&l->lock);
		src->ready(src, res);
		return;
	}
	w->busy = true;
	pthread_mutex_unlock(&l->lock);

	src->ready(src, res);

	pthread_mutex_lock(&l->lock);
	w->busy = false;
	watch_settle(l, w);
	pthread_mutex_unlock(&l->lock);
}

static void loop_dispatch(struct io_loop *l, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);

	if (!ud) {
		/*
		 * A watch's cancel: 0, or -ENOENT when the poll is ending
		 * anyway; either way its last completion follows.
		 */
		if (cqe->res < 0 && cqe->res != -ENOENT)
			pr_err("poll cancel: %s", strerror(-cqe->res));
		return;
	}
	if (ud & UD_REQUEST) {
		struct io_request *req = (void *)(uintptr_t)(ud & ~UD_REQUEST);

		int res = cqe->res;

		l->inflight--;
		if (l->fault)
			res = l->fault(l->fault_arg, req, res);
		req->done(req, res);
		return;
	}
	loop_watch_cqe(l, (struct io_watch *)(uintptr_t)ud, cqe->res,
		       cqe->flags);
}

/* The wake eventfd: drain it, then run the calls posted so far. */
static void loop_wake_ready(struct io_source *src, int res)
{
	struct io_loop *l = container_of(src, struct io_loop, wake_src);
	struct io_call *c, *next;
	uint64_t v;

	if (res < 0) {
		pr_err("wake eventfd poll: %s", strerror(-res));
		return;
	}
	/* Nonblocking: EAGAIN just means another wake-up drained it. */
	(void)!read(l->wake_fd, &v, sizeof(v));
	pthread_mutex_lock(&l->lock);
	c = l->calls;
	l->calls = NULL;
	l->calls_tail = &l->calls;
	pthread_mutex_unlock(&l->lock);
	for (; c; c = next) {
		next = c->next;
		c->fn(c->arg);
		free(c);
	}
}

static int loop_ring_init(struct io_loop *l)
{
	/*
	 * TASKRUN_FLAG: with deferred task work a completion is posted only
	 * when we enter the kernel; the flag (IORING_SQ_TASKRUN) tells a
	 * polling loop that there is one to collect.
	 */
	static const unsigned int tries[] = {
	    IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
		IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL |
		IORING_SETUP_R_DISABLED,
	    IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
		IORING_SETUP_SUBMIT_ALL | IORING_SETUP_R_DISABLED,
	    IORING_SETUP_R_DISABLED,
	    0,
	};
	int r = -EINVAL;

	for (size_t i = 0; i < ARRAY_SIZE(tries); i++) {
		struct io_uring_params p = {.flags = tries[i]};

		r = io_uring_queue_init_params(IO_LOOP_ENTRIES, &l->ring, &p);
		if (r == 0) {
			l->ring_disabled = tries[i] & IORING_SETUP_R_DISABLED;
			pr_debug("ring flags 0x%x", tries[i]);
			return 0;
		}
		if (r != -EINVAL)
			break;
	}
	pr_err("io_uring_queue_init: %s", strerror(-r));
	return r;
}

int io_loop_create(struct io_loop **out)
{
	struct io_loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	l->pending_tail = &l->pending;
	l->calls_tail = &l->calls;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0) {
		r = -errno;
		goto err_free;
	}
	r = loop_ring_init(l);
	if (r)
		goto err_close_wake;
	loop_fs_probe(l);
	l->wake_src = (struct io_source){
	    .fd = l->wake_fd,
	    .events = POLLIN,
	    .ready = loop_wake_ready,
	};
	r = io_loop_watch(l, &l->wake_src);
	if (r)
		goto err_exit_ring;
	*out = l;
	return 0;

err_exit_ring:
	io_uring_queue_exit(&l->ring);
err_close_wake:
	close(l->wake_fd);
err_free:
	pthread_mutex_destroy(&l->lock);
	free(l);
	return r;
}

void io_loop_destroy(struct io_loop *l)
{
	struct io_watch *w, *wn;
	struct io_call *c, *cn;

	if (!l)
		return;
	/* Exiting the ring cancels every request still in the kernel. */
	io_uring_queue_exit(&l->ring);
	for (w = l->all; w; w = wn) {
		wn = w->all_next;
		if (w->src)
			w->src->watch = NULL;
		free(w);
	}
	for (c = l->calls; c; c = cn) {
		cn = c->next;
		free(c);
	}
	close(l->wake_fd);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static int loop_enable(struct io_loop *l)
{
	int r;

	if (l->enabled)
		return 0;
	if (l->ring_disabled) {
		/* liburing 2.3 declares io_uring_enable_rings() but lacks it.
		 */
		r = io_uring_register(l->ring.ring_fd,
				      IORING_REGISTER_ENABLE_RINGS, NULL, 0);
		if (r < 0) {
			pr_err("IORING_REGISTER_ENABLE_RINGS: %s",
			       strerror(-r));
			return r;
		}
	}
	l->enabled = true;
	return 0;
}

int io_loop_run(struct io_loop *l)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n, wait;
	int r = 0;

	if (__atomic_load_n(&l->running, __ATOMIC_ACQUIRE))
		return -EBUSY;
	l->owner = pthread_self();
	__atomic_store_n(&l->running, 1, __ATOMIC_RELEASE);
	r = loop_enable(l);
	while (!r) {
		loop_process_pending(l);
		if (__atomic_exchange_n(&l->stop, 0, __ATOMIC_ACQ_REL))
			break;
		wait = loop_poll_idle(l);
		/* Polling found work and did it all: no syscall needed. */
		if (!wait && !io_uring_sq_ready(&l->ring) &&
		    !loop_has_events(l))
			continue;
		r = io_uring_submit_and_wait(&l->ring, wait);
		/* -EINTR: a signal; -EBUSY/-EAGAIN: reap first, then retry. */
		if (r == -EINTR || r == -EBUSY || r == -EAGAIN || r >= 0) {
			r = 0;
		} else {
			pr_err("io_uring_submit_and_wait: %s", strerror(-r));
			break;
		}
		if (wait)
			loop_poll_woke(l);
		n = 0;
		io_uring_for_each_cqe(&l->ring, head, cqe)
		{
			loop_dispatch(l, cqe);
			n++;
		}
		io_uring_cq_advance(&l->ring, n);
		loop_batch_end(l);
		/*
		 * The kernel can leave IORING_SQ_TASKRUN set with no task work
		 * queued (set by a wake-up on another CPU just after our
		 * entry ran the work), and clears it only when it next runs
		 * some: a polling loop would take it for events forever.
		 * Queue work of our own (the wake eventfd) to clear it.
		 */
		if (!n && loop_taskrun_flag(l))
			loop_wake(l);
	}
	loop_poll_end(l);
	__atomic_store_n(&l->running, 0, __ATOMIC_RELEASE);
	return r;
}

int io_loop_after_batch(struct io_loop *l, struct io_request *req)
{
	if (__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) &&
	    !io_loop_on_thread(l))
		return -EPERM;
	req->next = l->after_batch;
	l->after_batch = req;
	return 0;
}

/* The end of a batch of completions: what io_loop_after_batch() queued. */
static void loop_batch_end(struct io_loop *l)
{
	struct io_request *req;

	while ((req = l->after_batch)) {
		l->after_batch = req->next;
		req->next = NULL;
		req->done(req, 0);
	}
}

void io_loop_set_fault(struct io_loop *l,
		       int (*fault)(void *arg, struct io_request *req, int res),
		       void *arg)
{
	l->fault = fault;
	l->fault_arg = arg;
}

int io_loop_drain(struct io_loop *l, bool (*busy)(void *arg), void *arg,
		  unsigned int timeout_ms)
{
	struct timespec now;
	uint64_t t, deadline;
	struct io_uring_cqe *cqe;
	unsigned int head, n;
	int r;

	if (__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) ||
	    (l->enabled && !pthread_equal(l->owner, pthread_self())))
		return -EPERM;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	deadline = t + timeout_ms * 1000000ULL;
	while (l->enabled && busy(arg)) {
		struct __kernel_timespec ts;

		if (t >= deadline)
			return -ETIMEDOUT;
		ts.tv_sec = (long long)((deadline - t) / 1000000000ULL);
		ts.tv_nsec = (long long)((deadline - t) % 1000000000ULL);
		r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, &ts,
						     NULL);
		if (r < 0 && r != -ETIME && r != -EINTR && r != -EBUSY &&
		    r != -EAGAIN)
			return r;
		n = 0;
		io_uring_for_each_cqe(&l->ring, head, cqe)
		{
			loop_dispatch(l, cqe);
			n++;
		}
		io_uring_cq_advance(&l->ring, n);
		loop_batch_end(l);
		clock_gettime(CLOCK_MONOTONIC, &now);
		t = (uint64_t)now.tv_sec * 1000000000ULL +
		    (uint64_t)now.tv_nsec;
	}
	return 0;
}

void io_loop_stop(struct io_loop *l)
{
	__atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
	loop_wake(l);
}

int io_loop_call(struct io_loop *l, void (*fn)(void *arg), void *arg)
{
	struct io_call *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->arg = arg;
	c->next = NULL;
	pthread_mutex_lock(&l->lock);
	*l->calls_tail = c;
	l->calls_tail = &c->next;
	pthread_mutex_unlock(&l->lock);
	loop_wake(l);
	return 0;
}

/* Common head of the one-shot submissions. */
struct io_uring_sqe *loop_request_sqe(struct io_loop *l, int *err)
{
	struct io_uring_sqe *sqe;

	*err = 0;
	if (!loop_may_submit(l)) {
		*err = -EPERM;
		return NULL;
	}
	sqe = loop_sqe(l);
	if (!sqe) {
		*err = -EBUSY;
		return NULL;
	}
	return sqe;
}

void loop_request_tag(struct io_loop *l, struct io_uring_sqe *sqe,
		      struct io_request *req)
{
	io_uring_sqe_set_data64(sqe, (uintptr_t)req | UD_REQUEST);
	l->inflight++;
}

int io_loop_writev(struct io_loop *l, struct io_request *req, int fd,
		   const struct iovec *iov, unsigned int iovcnt, int64_t offset)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_writev(sqe, fd, iov, iovcnt, (uint64_t)offset);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_readv(struct io_loop *l, struct io_request *req, int fd,
		  const struct iovec *iov, unsigned int iovcnt, int64_t offset)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_readv(sqe, fd, iov, iovcnt, (uint64_t)offset);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_fsync(struct io_loop *l, struct io_request *req, int fd,
		  bool datasync)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_fsync(sqe, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_fallocate(struct io_loop *l, struct io_request *req, int fd,
		      int mode, uint64_t offset, uint64_t len)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_fallocate(sqe, fd, mode, (off_t)offset, (off_t)len);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_sendmsg(struct io_loop *l, struct io_request *req, int fd,
		    const struct msghdr *msg, unsigned int flags)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_sendmsg(sqe, fd, msg, flags);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_poll_once(struct io_loop *l, struct io_request *req, int fd,
		      uint32_t events)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_poll_add(sqe, fd, events);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_defer(struct io_loop *l, struct io_request *req)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = loop_request_sqe(l, &r);
	if (!sqe)
		return r;
	io_uring_prep_nop(sqe);
	loop_request_tag(l, sqe, req);
	return 0;
}
