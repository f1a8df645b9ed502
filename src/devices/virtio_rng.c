/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng: buffers filled from getrandom(2), optionally rate limited
 * by a token bucket (virtio_rng.h).
 */
#define pr_fmt(fmt) "virtio-rng: " fmt

#include "virtio_rng.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_ids.h>

#include "base/log.h"
#include "io/loop.h"
#include "virtio/device.h"

#define NSEC_PER_SEC 1000000000ULL
/* Bytes given away per doorbell before the rest is deferred. */
#define VRNG_MAX_PER_KICK (1024 * 1024)

struct vrng {
	struct virtio_dev vd;
	struct io_loop *loop;
	uint64_t rate;		/* bytes per second; 0: no limit */
	uint64_t tokens;	/* bytes that may be given now */
	uint64_t refilled_ns;	/* when tokens were last topped up */
	struct io_source timer; /* rate limited: wakes a held buffer */
	bool timer_armed;
	struct io_request more; /* a deferred continuation */
	bool more_queued;
	bool held; /* chain popped, waiting for tokens */
	struct vq_chain chain;
	struct iovec iov[VRNG_QUEUE_SIZE];
	uint64_t bytes; /* atomic */
};

static struct vrng *to_vrng(struct virtio_dev *vd)
{
	return container_of(vd, struct vrng, vd);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* The bucket holds one second's worth (at least one page). */
static uint64_t vrng_capacity(const struct vrng *r)
{
	return MAX(r->rate, 4096);
}

static void vrng_refill(struct vrng *r)
{
	uint64_t now = mono_ns(), cap = vrng_capacity(r);
	uint64_t elapsed = now - r->refilled_ns;

	/* Past a full bucket's time the bucket is full: no overflow. */
	if (elapsed >= NSEC_PER_SEC * (cap / r->rate + 1))
		r->tokens = cap;
	else
		r->tokens =
		    MIN(cap, r->tokens + (uint64_t)((unsigned __int128)elapsed *
						    r->rate / NSEC_PER_SEC));
	r->refilled_ns = now;
}

/* Wake up when @want bytes' worth of tokens will be there. */
static void vrng_arm_timer(struct vrng *r, uint64_t want)
{
	uint64_t ns = (want - r->tokens) * NSEC_PER_SEC / r->rate + 1;
	struct itimerspec its = {
	    .it_value = {.tv_sec = (time_t)(ns / NSEC_PER_SEC),
			 .tv_nsec = (long)(ns % NSEC_PER_SEC)},
	};

	if (timerfd_settime(r->timer.fd, 0, &its, NULL))
		pr_warn_ratelimited(&r->vd.warn_rl, "timerfd: %s",
				    strerror(errno));
	r->timer_armed = true;
}

/* Fill the held chain with up to @n random bytes. Returns bytes given. */
static uint32_t vrng_fill_chain(struct vrng *r, uint32_t n)
{
	uint32_t given = 0;

	for (unsigned int i = r->chain.n_out;
	     i < r->chain.n_out + r->chain.n_in && given < n; i++) {
		uint8_t *p = r->chain.iov[i].iov_base;
		size_t want = MIN(r->chain.iov[i].iov_len, (size_t)(n - given));

		while (want) {
			ssize_t got = getrandom(p, want, 0);

			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				pr_warn_ratelimited(&r->vd.warn_rl,
						    "getrandom: %s",
						    strerror(errno));
				return given;
			}
			p += got;
			want -= (size_t)got;
			given += (uint32_t)got;
		}
	}
	return given;
}

static void vrng_more(struct io_request *req, int res);

/* Lock held, loop thread: serve buffers while tokens and budget last. */
static void vrng_serve(struct vrng *r)
{
	struct virtio_dev *vd = &r->vd;
	uint64_t budget = VRNG_MAX_PER_KICK;
	bool pushed = false;
	int n;

	while (virtio_dev_live(vd) && !r->timer_armed) {
		uint32_t want, given;

		if (!r->held) {
			r->chain = (struct vq_chain){.iov = r->iov,
						     .max = VRNG_QUEUE_SIZE};
			n = virtio_dev_pop(vd, 0, &r->chain);
			if (n == 0 && vq_enable_notify(&vd->vqs[0]))
				continue;
			if (n != 1)
				break;
			r->held = true;
		}
		if (!budget) {
			/* Let the other devices in; go on next iteration. */
			if (!r->more_queued &&
			    !io_loop_defer(r->loop, &r->more))
				r->more_queued = true;
			break;
		}
		want = (uint32_t)MIN(
		    (uint64_t)MIN(r->chain.in_len, VRNG_MAX_FILL), budget);
		if (r->rate && want) {
			vrng_refill(r);
			if (!r->tokens) {
				vrng_arm_timer(
				    r, MIN((uint64_t)want, vrng_capacity(r)));
				break;
			}
			want = (uint32_t)MIN((uint64_t)want, r->tokens);
		}
		given = want ? vrng_fill_chain(r, want) : 0;
		if (r->rate)
			r->tokens -= given;
		budget -= MIN(budget, (uint64_t)given);
		__atomic_fetch_add(&r->bytes, given, __ATOMIC_RELAXED);
		vq_push(&vd->vqs[0], r->chain.head, given);
		r->held = false;
		pushed = true;
		if (want && !given)
			break; /* getrandom failed: try again at the next kick
				*/
	}
	if (pushed)
		virtio_dev_notify(vd, 0);
}

static void vrng_more(struct io_request *req, int res)
{
	struct vrng *r = container_of(req, struct vrng, more);

	(void)res;
	pthread_mutex_lock(&r->vd.lock);
	r->more_queued = false;
	vrng_serve(r);
	pthread_mutex_unlock(&r->vd.lock);
}

static void vrng_timer_ready(struct io_source *src, int res)
{
	struct vrng *r = container_of(src, struct vrng, timer);
	uint64_t expirations;

	if (res < 0) {
		pr_warn_ratelimited(&r->vd.warn_rl, "timerfd poll: %s",
				    strerror(-res));
		return;
	}
	if (read(src->fd, &expirations, sizeof(expirations)) < 0)
		return; /* EAGAIN: not expired after all */
	pthread_mutex_lock(&r->vd.lock);
	r->timer_armed = false;
	vrng_serve(r);
	pthread_mutex_unlock(&r->vd.lock);
}

static void vrng_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	(void)q;
	vrng_serve(to_vrng(vd));
}

static void vrng_reset(struct virtio_dev *vd)
{
	struct vrng *r = to_vrng(vd);

	/* The held chain is not the driver's any more; a pending timer
	 * only finds nothing to do. */
	r->held = false;
}

static const struct virtio_dev_ops vrng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .num_queues = 1,
    .queue_size = VRNG_QUEUE_SIZE,
    .reset = vrng_reset,
    .queue_notify = vrng_queue_notify,
};

int vrng_create(struct vrng **out, uint64_t rate, const struct mem *mem,
		struct io_loop *loop, char *err, size_t err_len)
{
	struct vrng *r = calloc(1, sizeof(*r));
	int ret = 0;

	if (!r)
		return -ENOMEM;
	r->loop = loop;
	r->rate = rate;
	r->more.done = vrng_more;
	r->timer.fd = -1;
	if (rate) {
		r->tokens = vrng_capacity(r);
		r->refilled_ns = mono_ns();
		r->timer.fd =
		    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		r->timer.events = POLLIN;
		r->timer.ready = vrng_timer_ready;
		if (r->timer.fd < 0)
			ret = -errno;
		else
			ret = io_loop_watch(loop, &r->timer);
		if (ret) {
			snprintf(err, err_len, "virtio-rng: timer: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	ret = virtio_dev_init(&r->vd, &vrng_ops, mem, loop);
	if (ret)
		goto fail;
	*out = r;
	return 0;
fail:
	if (io_source_watched(&r->timer))
		(void)io_loop_unwatch(loop, &r->timer);
	if (r->timer.fd >= 0)
		close(r->timer.fd);
	free(r);
	return ret;
}

struct virtio_dev *vrng_dev(struct vrng *r)
{
	return &r->vd;
}

uint64_t vrng_bytes(const struct vrng *r)
{
	return __atomic_load_n(&r->bytes, __ATOMIC_RELAXED);
}

void vrng_destroy(struct vrng *r)
{
	if (!r)
		return;
	if (io_source_watched(&r->timer))
		(void)io_loop_unwatch(r->loop, &r->timer);
	if (r->timer.fd >= 0)
		close(r->timer.fd);
	virtio_dev_uninit(&r->vd);
	free(r);
}
