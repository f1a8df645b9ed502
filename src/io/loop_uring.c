/* SPDX-License-Identifier: MIT */
/*
 * The io_uring back end of the io loop (loop_int.h, struct loop_ops). One
 * thread runs the loop and is the only submitter; each watched fd is one
 * multishot POLL_ADD whose user_data is a loop-owned struct io_watch,
 * re-armed when a completion arrives without IORING_CQE_F_MORE. One-shot
 * requests (writev, sendmsg, poll, nop, file-system calls) carry their
 * struct io_request pointer with bit 0 set.
 */
#define pr_fmt(fmt) "io-loop: " fmt

#include "loop_int.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>

#include "base/log.h"
#include "base/util.h"

#define IO_LOOP_ENTRIES 256
#define UD_REQUEST	1ULL /* user_data bit 0: a struct io_request */

/*
 * Lifetime of a watch: it is "armed" while a multishot poll is in the
 * kernel, "queued" while on the pending list (to be armed, re-armed or
 * cancelled), "busy" while its source's ready() runs, and "dead" once
 * unwatched. It is freed when dead and none of the other three holds it,
 * so a late completion always finds valid memory.
 */

static struct io_uring_sqe *uring_sqe(struct io_loop *l)
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
	loop_watch_unlink(l, w);
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

static int uring_watch(struct io_loop *l, struct io_source *src)
{
	struct io_watch *w;
	int err;

	pthread_mutex_lock(&l->lock);
	w = loop_watch_link(l, src, &err);
	if (!w) {
		pthread_mutex_unlock(&l->lock);
		return err;
	}
	watch_enqueue(l, w);
	pthread_mutex_unlock(&l->lock);
	if (!io_loop_on_thread(l))
		loop_wake(l);
	return 0;
}

static int uring_unwatch(struct io_loop *l, struct io_source *src)
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
static void uring_prepare(struct io_loop *l)
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
		sqe = uring_sqe(l);
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

static void uring_watch_cqe(struct io_loop *l, struct io_watch *w, int res,
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

static void uring_dispatch_cqe(struct io_loop *l,
			       const struct io_uring_cqe *cqe)
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
		l->inflight--;
		loop_complete(l, (void *)(uintptr_t)(ud & ~UD_REQUEST),
			      cqe->res);
		return;
	}
	uring_watch_cqe(l, (struct io_watch *)(uintptr_t)ud, cqe->res,
			cqe->flags);
}

/* IORING_SQ_TASKRUN: the kernel holds completions until we enter it. */
static bool uring_taskrun_flag(const struct io_loop *l)
{
	return IO_URING_READ_ONCE(*l->ring.sq.kflags) & IORING_SQ_TASKRUN;
}

static void uring_dispatch(struct io_loop *l)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&l->ring, head, cqe)
	{
		uring_dispatch_cqe(l, cqe);
		n++;
	}
	io_uring_cq_advance(&l->ring, n);
	/*
	 * The kernel can leave IORING_SQ_TASKRUN set with no task work
	 * queued (set by a wake-up on another CPU just after our entry ran
	 * the work), and clears it only when it next runs some: a polling
	 * loop would take it for events forever. Queue work of our own (the
	 * wake eventfd) to clear it.
	 */
	if (!n && uring_taskrun_flag(l))
		loop_wake(l);
}

static int uring_wait(struct io_loop *l, unsigned int min, uint64_t timeout_ns)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int r;

	if (timeout_ns == UINT64_MAX) {
		r = io_uring_submit_and_wait(&l->ring, min);
	} else {
		ts.tv_sec = (long long)(timeout_ns / 1000000000ULL);
		ts.tv_nsec = (long long)(timeout_ns % 1000000000ULL);
		r = io_uring_submit_and_wait_timeout(&l->ring, &cqe, min, &ts,
						     NULL);
	}
	/* -EINTR: a signal; -EBUSY/-EAGAIN: reap first, then retry. */
	if (r >= 0 || r == -ETIME || r == -EINTR || r == -EBUSY || r == -EAGAIN)
		return 0;
	pr_err("io_uring_submit_and_wait: %s", strerror(-r));
	return r;
}

static int uring_init(struct io_loop *l)
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

	l->pending_tail = &l->pending;
	for (size_t i = 0; i < ARRAY_SIZE(tries); i++) {
		struct io_uring_params p = {.flags = tries[i]};

		r = io_uring_queue_init_params(IO_LOOP_ENTRIES, &l->ring, &p);
		if (r == 0) {
			l->ring_disabled = tries[i] & IORING_SETUP_R_DISABLED;
			pr_debug("ring flags 0x%x", tries[i]);
			loop_fs_probe(l);
			return 0;
		}
		if (r != -EINVAL)
			break;
	}
	return r; /* the caller says what happens next */
}

static void uring_fini(struct io_loop *l)
{
	struct io_watch *w, *wn;

	/* Exiting the ring cancels every request still in the kernel. */
	io_uring_queue_exit(&l->ring);
	for (w = l->all; w; w = wn) {
		wn = w->all_next;
		if (w->src)
			w->src->watch = NULL;
		free(w);
	}
	l->all = NULL;
}

/*
 * The opcodes uring_prep() and the watches submit, and nothing else: no
 * registered files or buffers, no SQE flags, no later io_uring_register().
 * A guest that took over the io thread gets no new kind of I/O from the
 * ring (IORING_REGISTER_RESTRICTIONS, Linux 5.10).
 */
static const unsigned char uring_allowed_ops[] = {
    IORING_OP_NOP,	IORING_OP_READV,	IORING_OP_WRITEV,
    IORING_OP_FSYNC,	IORING_OP_FALLOCATE,	IORING_OP_SENDMSG,
    IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL, IORING_OP_OPENAT2,
    IORING_OP_STATX,	IORING_OP_UNLINKAT,	IORING_OP_MKDIRAT,
    IORING_OP_RENAMEAT, IORING_OP_SYMLINKAT,	IORING_OP_LINKAT,
    IORING_OP_CLOSE,	IORING_OP_GETXATTR,	IORING_OP_SETXATTR,
};

static int uring_restrict(struct io_loop *l)
{
	struct io_uring_restriction res[ARRAY_SIZE(uring_allowed_ops)];

	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < ARRAY_SIZE(res); i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = uring_allowed_ops[i];
	}
	/* As below: liburing 2.3's shared library lacks the wrapper. */
	return io_uring_register(l->ring.ring_fd, IORING_REGISTER_RESTRICTIONS,
				 res, ARRAY_SIZE(res));
}

static int uring_enable(struct io_loop *l)
{
	int r;

	if (!l->ring_disabled) {
		pr_info("ring without restrictions (the kernel lacks "
			"IORING_SETUP_R_DISABLED)");
		return 0;
	}
	r = uring_restrict(l);
	if (r < 0) {
		pr_err("IORING_REGISTER_RESTRICTIONS: %s", strerror(-r));
		return r;
	}
	/* liburing 2.3 declares io_uring_enable_rings() but lacks it. */
	r = io_uring_register(l->ring.ring_fd, IORING_REGISTER_ENABLE_RINGS,
			      NULL, 0);
	if (r < 0)
		pr_err("IORING_REGISTER_ENABLE_RINGS: %s", strerror(-r));
	return r < 0 ? r : 0;
}

static void uring_prep(struct io_uring_sqe *sqe, const struct loop_op *op)
{
	switch (op->code) {
	case LOOP_OP_READV:
		io_uring_prep_readv(sqe, op->fd, op->iov, op->iovcnt,
				    (uint64_t)op->offset);
		break;
	case LOOP_OP_WRITEV:
		io_uring_prep_writev(sqe, op->fd, op->iov, op->iovcnt,
				     (uint64_t)op->offset);
		break;
	case LOOP_OP_FSYNC:
		io_uring_prep_fsync(sqe, op->fd,
				    op->flags ? IORING_FSYNC_DATASYNC : 0);
		break;
	case LOOP_OP_FALLOCATE:
		io_uring_prep_fallocate(sqe, op->fd, op->flags,
					(off_t)op->offset, (off_t)op->len);
		break;
	case LOOP_OP_SENDMSG:
		io_uring_prep_sendmsg(sqe, op->fd, op->msg,
				      (unsigned int)op->flags);
		break;
	case LOOP_OP_POLL: io_uring_prep_poll_add(sqe, op->fd, op->mask); break;
	case LOOP_OP_NOP: io_uring_prep_nop(sqe); break;
	case LOOP_OP_OPENAT2:
		io_uring_prep_openat2(sqe, op->fd, op->path, op->buf);
		break;
	case LOOP_OP_STATX:
		io_uring_prep_statx(sqe, op->fd, op->path, op->flags, op->mask,
				    op->buf);
		break;
	case LOOP_OP_UNLINKAT:
		io_uring_prep_unlinkat(sqe, op->fd, op->path, op->flags);
		break;
	case LOOP_OP_MKDIRAT:
		io_uring_prep_mkdirat(sqe, op->fd, op->path, op->mode);
		break;
	case LOOP_OP_RENAMEAT:
		io_uring_prep_renameat(sqe, op->fd, op->path, op->fd2,
				       op->path2, (unsigned int)op->flags);
		break;
	case LOOP_OP_SYMLINKAT:
		io_uring_prep_symlinkat(sqe, op->path2, op->fd, op->path);
		break;
	case LOOP_OP_LINKAT:
		io_uring_prep_linkat(sqe, op->fd, op->path, op->fd2, op->path2,
				     op->flags);
		break;
	case LOOP_OP_CLOSE: io_uring_prep_close(sqe, op->fd); break;
	/*
	 * The SQE's length is 32 bits. Values stop at 64 KiB anyway: a
	 * longer buffer is clamped as by getxattr(2), a longer value is
	 * E2BIG as by setxattr(2).
	 */
	case LOOP_OP_GETXATTR:
		io_uring_prep_getxattr(sqe, op->path2, op->buf, op->path,
				       (unsigned int)MIN(op->len, UINT_MAX));
		break;
	case LOOP_OP_SETXATTR:
		io_uring_prep_setxattr(sqe, op->path2, op->value, op->path,
				       op->flags,
				       (unsigned int)MIN(op->len, UINT_MAX));
		break;
	}
}

static int uring_submit(struct io_loop *l, struct io_request *req,
			const struct loop_op *op)
{
	struct io_uring_sqe *sqe = uring_sqe(l);

	if (!sqe)
		return -EBUSY;
	uring_prep(sqe, op);
	io_uring_sqe_set_data64(sqe, (uintptr_t)req | UD_REQUEST);
	l->inflight++;
	return 0;
}

static bool uring_queued(struct io_loop *l)
{
	return io_uring_sq_ready(&l->ring);
}

static bool uring_has_events(struct io_loop *l)
{
	/*
	 * Posted completions, or (DEFER_TASKRUN) completions the kernel
	 * holds until we enter it, announced by IORING_SQ_TASKRUN
	 * (TASKRUN_FLAG at setup), or an overflow to flush. Memory reads.
	 */
	return io_uring_cq_ready(&l->ring) || uring_taskrun_flag(l) ||
	       io_uring_cq_has_overflow(&l->ring);
}

const struct loop_ops loop_uring_ops = {
    .kind = IO_LOOP_URING,
    .name = "io_uring",
    .init = uring_init,
    .fini = uring_fini,
    .enable = uring_enable,
    .watch = uring_watch,
    .unwatch = uring_unwatch,
    .submit = uring_submit,
    .prepare = uring_prepare,
    .queued = uring_queued,
    .has_events = uring_has_events,
    .wait = uring_wait,
    .dispatch = uring_dispatch,
};
