/* SPDX-License-Identifier: MIT */
/*
 * virtio-fs, the device (virtio_fs.h): chains off the high-priority and
 * request queues go to the FUSE server; what it prepares as file I/O
 * (READ, WRITE, FSYNC, FALLOCATE, and the steps of metadata ops whose
 * opcodes the ring has: openat2, statx, mkdirat, getxattr, ...) is
 * submitted to the io loop's io_uring and answered when it completes (a
 * completion may hand back the op's next step), many requests at once.
 * Each queue takes a bounded number of chains per wakeup, and at most
 * VFS_MAX_INFLIGHT requests wait for I/O, so a guest flooding requests
 * leaves the loop to the other devices in between. A reset drops the
 * FUSE session: the next driver starts from a fresh server (its INIT).
 */
#define pr_fmt(fmt) "virtio-fs: " fmt

#include "virtio_fs.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/fuse.h>
#include <linux/virtio_fs.h>
#include <linux/virtio_ids.h>

#include "base/clock.h"
#include "base/cond.h"
#include "base/iov.h"
#include "base/log.h"
#include "fuse_server.h"
#include "fuse_submit.h"
#include "io/loop.h"
#include "virtio/device.h"

#define VFS_HIPRIO     0
#define VFS_REQUESTS   1
#define VFS_NUM_QUEUES 2
/* Segments of one chain: a 1 MiB transfer in pages, its headers, slack. */
#define VFS_MAX_SEGS 512
/* Requests waiting for their I/O at once. */
#define VFS_MAX_INFLIGHT 64
/* Chains taken off one queue per wakeup before the rest is deferred. */
#define VFS_BUDGET 64
/* How long a reset waits for the I/O in flight. */
#define VFS_RESET_WAIT_S 10

struct vfs_req {
	struct io_request io;
	struct vfs *f;
	struct vfs_req *next; /* the free list */
	unsigned int gen;     /* f->gen when taken: older ones were reset */
	unsigned int q;
	uint32_t op;	   /* the FUSE opcode if served, else 0 */
	uint64_t taken_ns; /* CLOCK_MONOTONIC when popped */
	struct vq_chain chain;
	struct iovec iov[VFS_MAX_SEGS];
	struct fuse_io fio;
};

/* Per queue: deferred work and what is owed to the driver. */
struct vfs_queue {
	struct vfs *f;
	unsigned int index;
	bool waiting;		/* stopped for want of a free request */
	bool notify;		/* chains returned, no interrupt yet */
	struct io_request more; /* the rest of a budget-limited wakeup */
	bool more_queued;
};

struct vfs {
	struct virtio_dev vd;
	struct io_loop *loop;
	struct fuse_server *srv;
	char *dir;
	unsigned int srv_flags;
	struct virtio_fs_config config;
	struct vfs_req *free_reqs;
	unsigned int nreqs;    /* allocated, at most VFS_MAX_INFLIGHT */
	unsigned int inflight; /* requests with I/O submitted */
	pthread_cond_t idle;   /* inflight reached 0 */
	unsigned int gen;      /* bumped by every reset */
	struct vfs_queue q[VFS_NUM_QUEUES];
	struct io_request batch; /* one interrupt per batch of completions */
	bool batch_queued;
	struct vfs_stats st; /* atomics */
};

static struct vfs *to_vfs(struct virtio_dev *vd)
{
	return container_of(vd, struct vfs, vd);
}

#define VFS_COUNT(f, field)                                                    \
	__atomic_fetch_add(&(f)->st.field, 1, __ATOMIC_RELAXED)

/* ---- requests ------------------------------------------------------- */

static struct vfs_req *req_get(struct vfs *f)
{
	struct vfs_req *r = f->free_reqs;

	if (r) {
		f->free_reqs = r->next;
		return r;
	}
	if (f->nreqs == VFS_MAX_INFLIGHT)
		return NULL;
	r = malloc(sizeof(*r));
	if (!r)
		return NULL;
	r->f = f;
	f->nreqs++;
	return r;
}

static void req_put(struct vfs *f, struct vfs_req *r)
{
	r->next = f->free_reqs;
	f->free_reqs = r;
}

/* Return @r's chain with @len reply bytes; its interrupt comes later. */
static void req_return(struct vfs *f, struct vfs_req *r, size_t len)
{
	uint64_t ns = clock_mono_ns() - r->taken_ns;

	vq_push(&f->vd.vqs[r->q], r->chain.head, (uint32_t)len);
	f->q[r->q].notify = true;
	VFS_COUNT(f, requests);
	__atomic_fetch_add(&f->st.serve_ns, ns, __ATOMIC_RELAXED);
	__atomic_fetch_add(&f->st.op_ns[r->op], ns, __ATOMIC_RELAXED);
}

static void vfs_send_interrupts(struct vfs *f)
{
	for (unsigned int q = 0; q < VFS_NUM_QUEUES; q++) {
		if (f->q[q].notify && virtio_dev_live(&f->vd))
			virtio_dev_notify(&f->vd, q);
		f->q[q].notify = false;
	}
}

/* ---- prepared I/O through the io_uring ------------------------------- */

static void vfs_serve(struct vfs *f, unsigned int q);
static int vfs_start_io(struct vfs *f, struct vfs_req *r, size_t *written);

static void vfs_io_done(struct io_request *io, int res)
{
	struct vfs_req *r = container_of(io, struct vfs_req, io);
	struct vfs *f = r->f;
	const struct vq_chain *c = &r->chain;
	size_t written = 0;
	int ret;

	pthread_mutex_lock(&f->vd.lock);
	if (r->gen == f->gen && virtio_dev_live(&f->vd)) {
		ret = fuse_server_complete(f->srv, &r->fio, res,
					   c->iov + c->n_out, c->n_in,
					   c->in_len, &written);
		if (ret == FUSE_SERVER_IO)
			ret = vfs_start_io(f, r, &written);
		if (ret == FUSE_SERVER_IO) {
			/* The op's next step is in flight, still counted. */
			pthread_mutex_unlock(&f->vd.lock);
			return;
		}
		req_return(f, r, ret < 0 ? 0 : written);
		if (!f->batch_queued &&
		    !io_loop_after_batch(f->loop, &f->batch))
			f->batch_queued = true;
	} else {
		/* Reset meanwhile: the chain is gone; drop the file hold. */
		(void)fuse_server_complete(f->srv, &r->fio, res, NULL, 0, 0,
					   &written);
	}
	req_put(f, r);
	if (!--f->inflight)
		pthread_cond_broadcast(&f->idle);
	/* A queue that ran out of requests goes on now. */
	for (unsigned int q = 0; q < VFS_NUM_QUEUES; q++) {
		if (f->q[q].waiting && virtio_dev_live(&f->vd)) {
			f->q[q].waiting = false;
			vfs_serve(f, q);
		}
	}
	if (!f->batch_queued)
		vfs_send_interrupts(f);
	pthread_mutex_unlock(&f->vd.lock);
}

static void vfs_batch_end(struct io_request *req, int res)
{
	struct vfs *f = container_of(req, struct vfs, batch);

	(void)res;
	pthread_mutex_lock(&f->vd.lock);
	f->batch_queued = false;
	vfs_send_interrupts(f);
	pthread_mutex_unlock(&f->vd.lock);
}

/*
 * Submit @r's prepared I/O. A data op the ring refuses fails (the guest
 * hears the error); a metadata step runs here instead, so that a chain
 * never stops holding something (a CLOSE refused would leak its fd),
 * and its next step is submitted in turn. Returns FUSE_SERVER_IO while
 * in flight, else what fuse_server_complete() returned.
 */
static int vfs_start_io(struct vfs *f, struct vfs_req *r, size_t *written)
{
	const struct vq_chain *c = &r->chain;
	int ret = FUSE_SERVER_IO, err;
	ssize_t res;

	while (ret == FUSE_SERVER_IO) {
		r->io.done = vfs_io_done;
		err = fuse_io_submit(f->loop, &r->io, &r->fio);
		if (!err)
			return FUSE_SERVER_IO;
		res = r->fio.op >= FUSE_IO_STATX ? fuse_io_run(&r->fio) : err;
		ret = fuse_server_complete(f->srv, &r->fio, res,
					   c->iov + c->n_out, c->n_in,
					   c->in_len, written);
	}
	return ret;
}

/* A fresh server for f->dir that prepares what the ring can run. */
static int vfs_server_create(struct vfs *f, char *err, size_t err_len)
{
	int ret =
	    fuse_server_create(&f->srv, f->dir, f->srv_flags, err, err_len);

	if (!ret) {
		fuse_server_set_async(f->srv, fuse_io_async_ops(f->loop));
		fuse_server_set_inline_stat(f->srv, true);
	}
	return ret;
}

/* ---- the queues ----------------------------------------------------- */

/* The request's opcode, counted if the server serves it (else 0). */
static uint32_t count_op(struct vfs *f, const struct vq_chain *c)
{
	uint32_t op;

	if (iov_to_buf(c->iov, c->n_out,
		       offsetof(struct fuse_in_header, opcode), &op,
		       sizeof(op)) != sizeof(op) ||
	    !fuse_server_op_name(op))
		return 0;
	__atomic_fetch_add(&f->st.ops[op], 1, __ATOMIC_RELAXED);
	return op;
}

/*
 * Loop thread, lock held, the driver live: the session's server, opened
 * here after a reset (the vCPU threads' seccomp filter has no openat) by
 * whichever comes first, vfs_activated() or a doorbell: the driver may
 * post and ring before the loop runs the activation. Returns whether
 * there is one.
 */
static bool vfs_has_server(struct vfs *f)
{
	char err[256];

	if (!f->srv && vfs_server_create(f, err, sizeof(err)))
		pr_warn_ratelimited(&f->vd.warn_rl,
				    "after a reset: %s (requests fail)", err);
	return f->srv != NULL;
}

/* One popped chain: answer it now, or start its I/O. */
static void vfs_handle(struct vfs *f, struct vfs_req *r)
{
	const struct vq_chain *c = &r->chain;
	size_t written = 0;
	int ret;

	r->taken_ns = clock_mono_ns();
	r->op = 0;
	if (!vfs_has_server(f)) {
		VFS_COUNT(f, bad_requests);
		req_return(f, r, 0);
		req_put(f, r);
		return;
	}
	r->op = count_op(f, c);
	ret = fuse_server_prepare(f->srv, c->iov, c->n_out, c->out_len,
				  c->iov + c->n_out, c->n_in, c->in_len,
				  &written, &r->fio);
	if (ret == FUSE_SERVER_IO) {
		r->gen = f->gen;
		ret = vfs_start_io(f, r, &written);
		if (ret == FUSE_SERVER_IO) {
			f->inflight++;
			VFS_COUNT(f, io_requests);
			return;
		}
	}
	if (ret < 0) {
		/* Not even room for a reply header: the driver's mistake. */
		VFS_COUNT(f, bad_requests);
		pr_warn_ratelimited(&f->vd.warn_rl,
				    "queue %u: request without room for a "
				    "reply: %s",
				    r->q, strerror(-ret));
		written = 0;
	}
	req_return(f, r, ret == FUSE_SERVER_REPLY ? written : 0);
	req_put(f, r);
}

static void vfs_more(struct io_request *req, int res);

/* Lock held, loop thread: take chains off queue @q while allowed. */
static void vfs_serve(struct vfs *f, unsigned int q)
{
	struct virtqueue *vq = &f->vd.vqs[q];
	unsigned int budget = VFS_BUDGET;
	struct vfs_req *r;
	int n;

	while (virtio_dev_live(&f->vd) && vq->ready) {
		if (!budget--) {
			/* Let the other sources in; go on next iteration. */
			if (!f->q[q].more_queued &&
			    !io_loop_defer(f->loop, &f->q[q].more))
				f->q[q].more_queued = true;
			break;
		}
		r = req_get(f);
		if (!r) {
			/* Every request waits for I/O: a completion resumes. */
			f->q[q].waiting = true;
			break;
		}
		r->q = q;
		r->chain =
		    (struct vq_chain){.iov = r->iov, .max = VFS_MAX_SEGS};
		n = virtio_dev_pop(&f->vd, q, &r->chain);
		if (n == 0 && vq_enable_notify(vq)) {
			req_put(f, r);
			continue; /* posted after we looked */
		}
		if (n != 1) {
			req_put(f, r);
			break;
		}
		vfs_handle(f, r);
	}
	if (!f->batch_queued)
		vfs_send_interrupts(f);
}

static void vfs_more(struct io_request *req, int res)
{
	struct vfs_queue *vq = container_of(req, struct vfs_queue, more);
	struct vfs *f = vq->f;

	(void)res;
	pthread_mutex_lock(&f->vd.lock);
	vq->more_queued = false;
	if (virtio_dev_live(&f->vd))
		vfs_serve(f, vq->index);
	pthread_mutex_unlock(&f->vd.lock);
}

/* ---- device ops ------------------------------------------------------ */

static void vfs_read_config(struct virtio_dev *vd, size_t off, void *buf,
			    size_t len)
{
	memcpy(buf, (const uint8_t *)&to_vfs(vd)->config + off, len);
}

static void vfs_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	vfs_serve(to_vfs(vd), q);
}

/* Loop thread: a driver starts (DRIVER_OK); serve what it posted. */
static void vfs_activated(void *arg)
{
	struct vfs *f = arg;

	pthread_mutex_lock(&f->vd.lock);
	if (virtio_dev_live(&f->vd))
		(void)vfs_has_server(f);
	for (unsigned int q = 0; q < VFS_NUM_QUEUES; q++)
		if (virtio_dev_live(&f->vd))
			vfs_serve(f, q);
	pthread_mutex_unlock(&f->vd.lock);
}

static int vfs_activate(struct virtio_dev *vd)
{
	return io_loop_call(to_vfs(vd)->loop, vfs_activated, vd);
}

/* vCPU thread, lock held: chains in flight are forgotten (gen). */
static void vfs_reset(struct virtio_dev *vd)
{
	struct vfs *f = to_vfs(vd);

	f->gen++;
	for (unsigned int q = 0; q < VFS_NUM_QUEUES; q++) {
		f->q[q].waiting = false;
		f->q[q].notify = false;
	}
}

/*
 * vCPU thread, no lock: no READ may land in a buffer after the reset, and
 * the next driver gets a fresh FUSE session (nodes and handles of the
 * last one go with the old server, the next one is opened when the
 * driver is back: vfs_activated()), before the reset is seen done. If
 * I/O is still out after the wait, it holds the old server's files:
 * that server stays (the driver's INIT starts over on it).
 */
static void vfs_reset_wait(struct virtio_dev *vd)
{
	struct vfs *f = to_vfs(vd);
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += VFS_RESET_WAIT_S;
	pthread_mutex_lock(&vd->lock);
	while (f->inflight &&
	       pthread_cond_timedwait(&f->idle, &vd->lock, &until) != ETIMEDOUT)
		;
	if (f->inflight) {
		pr_warn_ratelimited(&vd->warn_rl,
				    "reset: %u requests still in flight after "
				    "%d s",
				    f->inflight, VFS_RESET_WAIT_S);
	} else if (vd->started) {
		fuse_server_destroy(f->srv);
		f->srv = NULL;
	}
	pthread_mutex_unlock(&vd->lock);
}

static const struct virtio_dev_ops vfs_ops = {
    .name = "virtio-fs",
    .device_id = VIRTIO_ID_FS,
    .features = 0, /* no notification queue, no DAX window */
    .num_queues = VFS_NUM_QUEUES,
    .queue_size = VFS_QUEUE_SIZE,
    .config_size = sizeof(struct virtio_fs_config),
    .read_config = vfs_read_config,
    .activate = vfs_activate,
    .reset = vfs_reset,
    .reset_wait = vfs_reset_wait,
    .queue_notify = vfs_queue_notify,
};

/* ---- life cycle ------------------------------------------------------ */

int vfs_create(struct vfs **out, const char *tag, const char *dir,
	       unsigned int flags, const struct mem *mem, struct io_loop *loop,
	       char *err, size_t err_len)
{
	size_t tag_len = tag ? strlen(tag) : 0;
	char why[256];
	struct vfs *f;
	int ret;

	if (!tag_len || tag_len > VFS_TAG_MAX) {
		snprintf(err, err_len, "fs tag '%s': 1 to %d bytes",
			 tag ? tag : "", VFS_TAG_MAX);
		return -EINVAL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->dir = strdup(dir))) {
		free(f);
		snprintf(err, err_len, "fs: out of memory");
		return -ENOMEM;
	}
	f->loop = loop;
	f->srv_flags = flags & VFS_READONLY ? FUSE_SERVER_READONLY : 0;
	memcpy(f->config.tag, tag, tag_len);
	f->config.num_request_queues = htole32(VFS_NUM_QUEUES - 1);
	f->batch.done = vfs_batch_end;
	for (unsigned int q = 0; q < VFS_NUM_QUEUES; q++)
		f->q[q] = (struct vfs_queue){
		    .f = f, .index = q, .more = {.done = vfs_more}};
	ret = cond_init_monotonic(&f->idle);
	if (ret) {
		snprintf(err, err_len, "fs: %s", strerror(-ret));
		free(f->dir);
		free(f);
		return ret;
	}
	ret = vfs_server_create(f, why, sizeof(why));
	if (ret) {
		snprintf(err, err_len, "fs %s: %s", tag, why);
		goto fail;
	}
	ret = virtio_dev_init(&f->vd, &vfs_ops, mem, loop);
	if (ret) {
		snprintf(err, err_len, "fs %s: %s", tag, strerror(-ret));
		goto fail;
	}
	*out = f;
	return 0;
fail:
	fuse_server_destroy(f->srv);
	pthread_cond_destroy(&f->idle);
	free(f->dir);
	free(f);
	return ret;
}

struct virtio_dev *vfs_dev(struct vfs *f)
{
	return &f->vd;
}

void vfs_stats(struct vfs *f, struct vfs_stats *st)
{
	st->requests = __atomic_load_n(&f->st.requests, __ATOMIC_RELAXED);
	st->io_requests = __atomic_load_n(&f->st.io_requests, __ATOMIC_RELAXED);
	st->bad_requests =
	    __atomic_load_n(&f->st.bad_requests, __ATOMIC_RELAXED);
	st->serve_ns = __atomic_load_n(&f->st.serve_ns, __ATOMIC_RELAXED);
	for (size_t op = 0; op < FUSE_SERVER_NOPS; op++) {
		st->ops[op] = __atomic_load_n(&f->st.ops[op], __ATOMIC_RELAXED);
		st->op_ns[op] =
		    __atomic_load_n(&f->st.op_ns[op], __ATOMIC_RELAXED);
	}
}

bool vfs_busy(void *arg)
{
	struct vfs *f = arg;
	bool busy;

	pthread_mutex_lock(&f->vd.lock);
	busy = f->inflight > 0;
	pthread_mutex_unlock(&f->vd.lock);
	return busy;
}

void vfs_destroy(struct vfs *f)
{
	struct vfs_req *r;

	if (!f)
		return;
	if (f->inflight) {
		/* The kernel may still write into them: leave them be. */
		pr_warn("%u requests still in flight at exit: their memory "
			"is not freed",
			f->inflight);
		return;
	}
	while ((r = f->free_reqs)) {
		f->free_reqs = r->next;
		free(r);
	}
	fuse_server_destroy(f->srv);
	virtio_dev_uninit(&f->vd);
	pthread_cond_destroy(&f->idle);
	free(f->dir);
	free(f);
}
