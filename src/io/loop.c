/* SPDX-License-Identifier: MIT */
/*
 * The io loop's common part: which kind of loop to make (io_uring, or
 * epoll where the kernel refuses io_uring), the run and drain loops both
 * kinds share, the calls other threads post through the wake eventfd,
 * the end of a batch (io_loop_after_batch()) and the one-shot API, which
 * turns each io_loop_writev() and sibling into a struct loop_op for the
 * back end (loop_uring.c, loop_epoll.c). Adaptive polling is in
 * loop_poll.c, the file-system calls in loop_fs.c.
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

#include "base/clock.h"
#include "base/log.h"
#include "base/util.h"
#include "loop_int.h"

struct io_call {
	void (*fn)(void *arg);
	void *arg;
	struct io_call *next;
};

struct io_watch *loop_watch_link(struct io_loop *l, struct io_source *src,
				 int *err)
{
	struct io_watch *w;

	if (src->watch) {
		*err = -EBUSY;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->src = src;
	src->watch = w;
	w->all_next = l->all;
	if (l->all)
		l->all->all_prev = w;
	l->all = w;
	return w;
}

void loop_watch_unlink(struct io_loop *l, struct io_watch *w)
{
	if (w->all_prev)
		w->all_prev->all_next = w->all_next;
	else
		l->all = w->all_next;
	if (w->all_next)
		w->all_next->all_prev = w->all_prev;
	w->all_prev = w->all_next = NULL;
}

void loop_wake(struct io_loop *l)
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

enum io_loop_kind io_loop_kind(const struct io_loop *l)
{
	return l->ops->kind;
}

int io_loop_watch(struct io_loop *l, struct io_source *src)
{
	if (src->fd < 0 || !src->ready)
		return -EINVAL;
	return l->ops->watch(l, src);
}

int io_loop_unwatch(struct io_loop *l, struct io_source *src)
{
	return l->ops->unwatch(l, src);
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

/*
 * The back end: io_uring unless told otherwise; with IO_LOOP_AUTO, epoll
 * where the kernel refuses io_uring outright (ENOSYS: not built or a
 * seccomp filter such as podman's default; EPERM/EACCES:
 * kernel.io_uring_disabled, an LSM). Other failures stay failures.
 */
static int loop_backend_init(struct io_loop *l, enum io_loop_kind kind)
{
	int r;

	if (kind != IO_LOOP_EPOLL) {
		l->ops = &loop_uring_ops;
		r = l->ops->init(l);
		if (!r)
			return 0;
		if (kind == IO_LOOP_URING ||
		    (r != -ENOSYS && r != -EPERM && r != -EACCES)) {
			pr_err("io_uring_queue_init: %s", strerror(-r));
			return r;
		}
		pr_info("io_uring refused (%s): running on epoll, with "
			"synchronous backend I/O",
			strerror(-r));
	}
	l->ops = &loop_epoll_ops;
	r = l->ops->init(l);
	if (r)
		pr_err("epoll loop: %s", strerror(-r));
	return r;
}

int io_loop_create(struct io_loop **out, enum io_loop_kind kind)
{
	struct io_loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return -ENOMEM;
	pthread_mutex_init(&l->lock, NULL);
	l->calls_tail = &l->calls;
	l->epfd = -1;
	l->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->wake_fd < 0) {
		r = -errno;
		goto err_free;
	}
	r = loop_backend_init(l, kind);
	if (r)
		goto err_close_wake;
	l->wake_src = (struct io_source){
	    .fd = l->wake_fd,
	    .events = POLLIN,
	    .ready = loop_wake_ready,
	};
	r = io_loop_watch(l, &l->wake_src);
	if (r)
		goto err_fini;
	*out = l;
	return 0;

err_fini:
	l->ops->fini(l);
err_close_wake:
	close(l->wake_fd);
err_free:
	pthread_mutex_destroy(&l->lock);
	free(l);
	return r;
}

void io_loop_destroy(struct io_loop *l)
{
	struct io_call *c, *cn;

	if (!l)
		return;
	l->ops->fini(l);
	for (c = l->calls; c; c = cn) {
		cn = c->next;
		free(c);
	}
	close(l->wake_fd);
	pthread_mutex_destroy(&l->lock);
	free(l);
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

int io_loop_prepare(struct io_loop *l)
{
	int r;

	l->owner = pthread_self();
	if (l->enabled)
		return 0;
	r = l->ops->enable(l);
	if (!r)
		l->enabled = true;
	return r;
}

int io_loop_run(struct io_loop *l)
{
	unsigned int wait;
	int r;

	if (__atomic_load_n(&l->running, __ATOMIC_ACQUIRE))
		return -EBUSY;
	r = io_loop_prepare(l);
	__atomic_store_n(&l->running, 1, __ATOMIC_RELEASE);
	while (!r) {
		l->ops->prepare(l);
		if (__atomic_exchange_n(&l->stop, 0, __ATOMIC_ACQ_REL))
			break;
		wait = loop_poll_idle(l);
		/* Polling found work and did it all: no syscall needed. */
		if (!wait && !l->ops->queued(l) && !loop_has_events(l))
			continue;
		r = l->ops->wait(l, wait, UINT64_MAX);
		if (r)
			break;
		if (wait)
			loop_poll_woke(l);
		l->ops->dispatch(l);
		loop_batch_end(l);
	}
	loop_poll_end(l);
	__atomic_store_n(&l->running, 0, __ATOMIC_RELEASE);
	return r;
}

int io_loop_drain(struct io_loop *l, bool (*busy)(void *arg), void *arg,
		  unsigned int timeout_ms)
{
	uint64_t t = clock_mono_ns(), deadline = t + timeout_ms * 1000000ULL;
	int r;

	if (__atomic_load_n(&l->running, __ATOMIC_ACQUIRE) ||
	    (l->enabled && !pthread_equal(l->owner, pthread_self())))
		return -EPERM;
	while (l->enabled && busy(arg)) {
		if (t >= deadline)
			return -ETIMEDOUT;
		r = l->ops->wait(l, 1, deadline - t);
		if (r)
			return r;
		l->ops->dispatch(l);
		loop_batch_end(l);
		t = clock_mono_ns();
	}
	return 0;
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

void io_loop_set_fault(struct io_loop *l,
		       int (*fault)(void *arg, struct io_request *req, int res),
		       void *arg)
{
	l->fault = fault;
	l->fault_arg = arg;
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

int loop_submit(struct io_loop *l, struct io_request *req,
		const struct loop_op *op)
{
	if (!loop_may_submit(l))
		return -EPERM;
	return l->ops->submit(l, req, op);
}

void loop_complete(struct io_loop *l, struct io_request *req, int res)
{
	if (l->fault)
		res = l->fault(l->fault_arg, req, res);
	req->done(req, res);
}

int io_loop_writev(struct io_loop *l, struct io_request *req, int fd,
		   const struct iovec *iov, unsigned int iovcnt, int64_t offset)
{
	return loop_submit(l, req,
			   &(struct loop_op){.code = LOOP_OP_WRITEV,
					     .fd = fd,
					     .iov = iov,
					     .iovcnt = iovcnt,
					     .offset = offset});
}

int io_loop_readv(struct io_loop *l, struct io_request *req, int fd,
		  const struct iovec *iov, unsigned int iovcnt, int64_t offset)
{
	return loop_submit(l, req,
			   &(struct loop_op){.code = LOOP_OP_READV,
					     .fd = fd,
					     .iov = iov,
					     .iovcnt = iovcnt,
					     .offset = offset});
}

int io_loop_fsync(struct io_loop *l, struct io_request *req, int fd,
		  bool datasync)
{
	return loop_submit(l, req,
			   &(struct loop_op){.code = LOOP_OP_FSYNC,
					     .fd = fd,
					     .flags = datasync});
}

int io_loop_fallocate(struct io_loop *l, struct io_request *req, int fd,
		      int mode, uint64_t offset, uint64_t len)
{
	return loop_submit(l, req,
			   &(struct loop_op){.code = LOOP_OP_FALLOCATE,
					     .fd = fd,
					     .flags = mode,
					     .offset = (int64_t)offset,
					     .len = len});
}

int io_loop_sendmsg(struct io_loop *l, struct io_request *req, int fd,
		    const struct msghdr *msg, unsigned int flags)
{
	return loop_submit(l, req,
			   &(struct loop_op){.code = LOOP_OP_SENDMSG,
					     .fd = fd,
					     .msg = msg,
					     .flags = (int)flags});
}

int io_loop_poll_once(struct io_loop *l, struct io_request *req, int fd,
		      uint32_t events)
{
	return loop_submit(
	    l, req,
	    &(struct loop_op){.code = LOOP_OP_POLL, .fd = fd, .mask = events});
}

int io_loop_defer(struct io_loop *l, struct io_request *req)
{
	return loop_submit(l, req, &(struct loop_op){.code = LOOP_OP_NOP});
}
