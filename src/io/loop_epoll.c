/* SPDX-License-Identifier: MIT */
/*
 * The epoll back end of the io loop (loop_int.h, struct loop_ops), for
 * hosts that refuse io_uring. Each watched source is a duplicate of its
 * fd in one epoll set, edge-triggered: a multishot poll reports wake-ups
 * too, not levels, so devices see the same events on both loops, and the
 * duplicate lets several sources (and one-shot polls) watch one file, as
 * the ring allows. One-shot requests are performed at once with plain
 * syscalls (loop_sync.c) and their done() runs at the next iteration,
 * never inside the submission: callers hold their device's lock. A read
 * or write that would block waits for the fd (EPOLLONESHOT) and is tried
 * again, as the ring does. An unwatched source's wrapper is freed only
 * before the next epoll_wait(), so an event still in the returned array
 * lands on the wrapper, which says it is dead.
 */
#define pr_fmt(fmt) "io-loop: " fmt

#include "loop_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "loop_fs.h"

#define EP_EVENTS   64
#define EP_WAIT_TAG 1ULL /* epoll data bit 0: a struct ep_wait */
/* What poll reports for a file without a poll method (a regular file). */
#define EP_FILE_MASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

/* A one-shot poll, or a read or write waiting for its fd. */
struct ep_wait {
	struct io_request *req;
	struct loop_op op; /* the retry; LOOP_OP_POLL: none */
	uint32_t events;
	int fd; /* a duplicate of op.fd, in the epoll set */
	struct ep_wait *prev, *next;
};

/* Loop thread: report @res to @req at the next iteration. */
static void ep_queue_done(struct io_loop *l, struct io_request *req, int res)
{
	req->res = res;
	req->next = NULL;
	*l->done_tail = req;
	l->done_tail = &req->next;
}

/* Lock held. */
static void ep_list_remove(struct io_watch **head, struct io_watch *w)
{
	for (struct io_watch **p = head; *p; p = &(*p)->soon) {
		if (*p == w) {
			*p = w->soon;
			return;
		}
	}
}

/* Lock held: @w is unwatched; freed at the next ep_prepare(). */
static void ep_watch_kill(struct io_loop *l, struct io_watch *w)
{
	if (w->src)
		w->src->watch = NULL;
	w->src = NULL;
	w->dead = true;
	if (w->fd >= 0) {
		/* Our duplicate: the file stays open until we close it. */
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
		close(w->fd);
		w->fd = -1;
	}
	ep_list_remove(&l->failed, w);
	ep_list_remove(&l->always, w);
	loop_watch_unlink(l, w);
	w->next = l->dead;
	l->dead = w;
}

/* Lock held: into the epoll set, or onto the failed or always lists. */
static bool ep_watch_arm(struct io_loop *l, struct io_watch *w)
{
	uint32_t events = w->src->events ? w->src->events : POLLIN;
	struct epoll_event ev = {.events = events | EPOLLET, .data.ptr = w};
	int r = 0;

	w->fd = fcntl(w->src->fd, F_DUPFD_CLOEXEC, 0);
	if (w->fd < 0)
		r = -errno;
	else if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
		r = -errno;
	if (!r)
		return false;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (r == -EPERM) {
		/* epoll refuses regular files; a poll finds them ready. */
		if (events & EP_FILE_MASK) {
			w->soon = l->always;
			l->always = w;
		}
		return true;
	}
	/* As the ring's poll would fail: ready() gets the error. */
	w->err = r;
	w->soon = l->failed;
	l->failed = w;
	return true;
}

static int ep_watch(struct io_loop *l, struct io_source *src)
{
	struct io_watch *w;
	bool soon;
	int err;

	pthread_mutex_lock(&l->lock);
	w = loop_watch_link(l, src, &err);
	if (!w) {
		pthread_mutex_unlock(&l->lock);
		return err;
	}
	soon = ep_watch_arm(l, w);
	pthread_mutex_unlock(&l->lock);
	/* Reported at the loop's next iteration: make there be one. */
	if (soon && !io_loop_on_thread(l))
		loop_wake(l);
	return 0;
}

static int ep_unwatch(struct io_loop *l, struct io_source *src)
{
	pthread_mutex_lock(&l->lock);
	if (!src->watch) {
		pthread_mutex_unlock(&l->lock);
		return -ENOENT;
	}
	ep_watch_kill(l, src->watch);
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* Loop thread, nothing dispatched: free the unwatched wrappers. */
static void ep_prepare(struct io_loop *l)
{
	struct io_watch *w, *next;

	pthread_mutex_lock(&l->lock);
	w = l->dead;
	l->dead = NULL;
	pthread_mutex_unlock(&l->lock);
	for (; w; w = next) {
		next = w->next;
		free(w);
	}
}

static void ep_watch_ready(struct io_loop *l, struct io_watch *w,
			   uint32_t events)
{
	struct io_source *src;

	pthread_mutex_lock(&l->lock);
	src = w->src; /* NULL: unwatched since the wait returned */
	pthread_mutex_unlock(&l->lock);
	if (src)
		src->ready(src, (int)events);
}

/*
 * The failed and always-ready watches, taken off their lists so ready()
 * may watch and unwatch anything; an always-ready one goes back unless
 * it was unwatched meanwhile.
 */
static void ep_dispatch_soon(struct io_loop *l)
{
	struct io_watch *w, *next, *failed, *always;
	struct io_source *src;
	int res;

	pthread_mutex_lock(&l->lock);
	failed = l->failed;
	always = l->always;
	l->failed = l->always = NULL;
	pthread_mutex_unlock(&l->lock);
	for (w = failed; w; w = next) {
		pthread_mutex_lock(&l->lock);
		next = w->soon;
		src = w->src;
		res = w->err;
		if (src)
			ep_watch_kill(l, w);
		pthread_mutex_unlock(&l->lock);
		if (src)
			src->ready(src, res);
	}
	for (w = always; w; w = next) {
		pthread_mutex_lock(&l->lock);
		next = w->soon;
		src = w->src;
		pthread_mutex_unlock(&l->lock);
		if (!src)
			continue;
		src->ready(src, (int)((src->events ? src->events : POLLIN) &
				      EP_FILE_MASK));
		pthread_mutex_lock(&l->lock);
		if (w->src) {
			w->soon = l->always;
			l->always = w;
		}
		pthread_mutex_unlock(&l->lock);
	}
}

/* The end of a wait: out of the set and the list. */
static void ep_wait_end(struct io_loop *l, struct ep_wait *wt)
{
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, wt->fd, NULL);
	close(wt->fd);
	if (wt->prev)
		wt->prev->next = wt->next;
	else
		l->waits = wt->next;
	if (wt->next)
		wt->next->prev = wt->prev;
	l->inflight--;
	free(wt);
}

static void ep_wait_ready(struct io_loop *l, struct ep_wait *wt,
			  uint32_t events)
{
	struct epoll_event ev = {
	    .events = wt->events | EPOLLONESHOT,
	    .data.u64 = (uintptr_t)wt | EP_WAIT_TAG,
	};
	struct io_request *req = wt->req;
	int res = (int)events;

	if (wt->op.code != LOOP_OP_POLL) {
		res = loop_sync_perform(&wt->op);
		/* Room went to someone else first: wait again. */
		if (res == -EAGAIN &&
		    !epoll_ctl(l->epfd, EPOLL_CTL_MOD, wt->fd, &ev))
			return;
	}
	ep_wait_end(l, wt);
	loop_complete(l, req, res);
}

/*
 * Wait for @events on @op->fd, then complete @req: with the mask (a
 * poll), or by performing @op again. What keeps it from waiting goes to
 * done() as the ring's poll would report it.
 */
static int ep_wait_start(struct io_loop *l, struct io_request *req,
			 const struct loop_op *op, uint32_t events, int res)
{
	struct ep_wait *wt = calloc(1, sizeof(*wt));
	struct epoll_event ev = {
	    .events = events | EPOLLONESHOT,
	    .data.u64 = (uintptr_t)wt | EP_WAIT_TAG,
	};
	int r = 0;

	if (!wt)
		return -ENOMEM;
	wt->fd = fcntl(op->fd, F_DUPFD_CLOEXEC, 0);
	if (wt->fd < 0)
		r = -errno;
	else if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, wt->fd, &ev) < 0)
		r = -errno;
	if (r) {
		if (wt->fd >= 0)
			close(wt->fd);
		free(wt);
		/* A regular file (epoll refuses it) is ready at once. */
		if (op->code == LOOP_OP_POLL)
			res = r == -EPERM ? (int)(events & EP_FILE_MASK) : r;
		ep_queue_done(l, req, res);
		return 0;
	}
	wt->req = req;
	wt->op = *op;
	wt->events = events;
	wt->next = l->waits;
	if (l->waits)
		l->waits->prev = wt;
	l->waits = wt;
	l->inflight++;
	return 0;
}

static int ep_submit(struct io_loop *l, struct io_request *req,
		     const struct loop_op *op)
{
	int res;

	if (op->code == LOOP_OP_POLL)
		return ep_wait_start(l, req, op, op->mask, 0);
	res = loop_sync_perform(op);
	/*
	 * A full socket or pipe, an empty one: the ring polls the fd and
	 * tries again (unless told MSG_DONTWAIT), and so do we.
	 */
	if (res == -EAGAIN && loop_sync_may_wait(op))
		return ep_wait_start(
		    l, req, op, op->code == LOOP_OP_READV ? POLLIN : POLLOUT,
		    res);
	ep_queue_done(l, req, res);
	return 0;
}

static void ep_dispatch(struct io_loop *l)
{
	struct io_request *req = l->done_head, *next;
	int n = l->nevents;

	/* Results queued until now; what this dispatch queues waits. */
	l->done_head = NULL;
	l->done_tail = &l->done_head;
	l->nevents = 0;
	for (int i = 0; i < n; i++) {
		uint64_t data = l->events[i].data.u64;

		if (data & EP_WAIT_TAG)
			ep_wait_ready(l,
				      (void *)(uintptr_t)(data & ~EP_WAIT_TAG),
				      l->events[i].events);
		else
			ep_watch_ready(l, l->events[i].data.ptr,
				       l->events[i].events);
	}
	ep_dispatch_soon(l);
	for (; req; req = next) {
		next = req->next;
		req->next = NULL;
		loop_complete(l, req, req->res);
	}
}

static bool ep_queued(struct io_loop *l)
{
	bool soon;

	pthread_mutex_lock(&l->lock);
	soon = l->failed || l->always;
	pthread_mutex_unlock(&l->lock);
	return soon || l->done_head;
}

static bool ep_has_events(struct io_loop *l)
{
	struct pollfd pfd = {.fd = l->epfd, .events = POLLIN};

	/* An epoll fd is readable while events wait: one cheap syscall. */
	return l->done_head || poll(&pfd, 1, 0) > 0;
}

static int ep_wait(struct io_loop *l, unsigned int min, uint64_t timeout_ns)
{
	int ms = -1, n;

	if (!min || ep_queued(l))
		ms = 0;
	else if (timeout_ns != UINT64_MAX)
		ms = (int)MIN((timeout_ns + 999999) / 1000000, INT_MAX);
	n = epoll_wait(l->epfd, l->events, EP_EVENTS, ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0; /* a signal: dispatch what is queued */
		n = -errno;
		pr_err("epoll_wait: %s", strerror(-n));
		return n;
	}
	l->nevents = n;
	return 0;
}

static int ep_init(struct io_loop *l)
{
	l->done_tail = &l->done_head;
	l->events = calloc(EP_EVENTS, sizeof(*l->events));
	if (!l->events)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;

		free(l->events);
		return r;
	}
	/* Performed by the loop itself: every one is there. */
	l->fs_ops = IO_LOOP_FS_OPENAT2 | IO_LOOP_FS_STATX |
		    IO_LOOP_FS_UNLINKAT | IO_LOOP_FS_MKDIRAT |
		    IO_LOOP_FS_RENAMEAT | IO_LOOP_FS_SYMLINKAT |
		    IO_LOOP_FS_LINKAT | IO_LOOP_FS_CLOSE | IO_LOOP_FS_GETXATTR |
		    IO_LOOP_FS_SETXATTR;
	return 0;
}

static void ep_fini(struct io_loop *l)
{
	pthread_mutex_lock(&l->lock);
	while (l->all)
		ep_watch_kill(l, l->all);
	pthread_mutex_unlock(&l->lock);
	ep_prepare(l);
	/* Requests still waiting or queued: cancelled, done() not called. */
	while (l->waits)
		ep_wait_end(l, l->waits);
	close(l->epfd);
	free(l->events);
}

static int ep_enable(struct io_loop *l)
{
	(void)l;
	return 0;
}

const struct loop_ops loop_epoll_ops = {
    .kind = IO_LOOP_EPOLL,
    .name = "epoll",
    .init = ep_init,
    .fini = ep_fini,
    .enable = ep_enable,
    .watch = ep_watch,
    .unwatch = ep_unwatch,
    .submit = ep_submit,
    .prepare = ep_prepare,
    .queued = ep_queued,
    .has_events = ep_has_events,
    .wait = ep_wait,
    .dispatch = ep_dispatch,
};
