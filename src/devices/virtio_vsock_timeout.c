/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock timeouts, as Firecracker has them (CONN_REQUEST_TIMEOUT_MS
 * and CONN_SHUTDOWN_TIMEOUT_MS, 2 s): a host client must send its CONNECT
 * line, the guest must answer a REQUEST, and a shutdown must finish,
 * each within v->timeout_ns, or the connection is closed. Deadlines live
 * in the connections (CLOCK_MONOTONIC ns, 0: none); one timerfd per
 * device, watched by the loop, is armed for the earliest, and on expiry
 * a scan of the table (at most VVSOCK_MAX_CONNS) closes what is due and
 * re-arms for the next (virtio_vsock_int.h).
 */
#define pr_fmt(fmt) "virtio-vsock: " fmt

#include "virtio_vsock_int.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

#define NSEC_PER_SEC 1000000000ull

/* Have the timer fire at @at unless it fires earlier already. */
static void timer_arm(struct vvsock *v, uint64_t at)
{
	struct itimerspec its = {
	    .it_value = {.tv_sec = (time_t)(at / NSEC_PER_SEC),
			 .tv_nsec = (long)(at % NSEC_PER_SEC)},
	};

	if (v->timer_at && v->timer_at <= at)
		return;
	/* An absolute time already past fires at once. */
	if (timerfd_settime(v->timer.fd, TFD_TIMER_ABSTIME, &its, NULL)) {
		pr_warn_ratelimited(&v->vd.warn_rl, "timerfd: %s",
				    strerror(errno));
		return;
	}
	v->timer_at = at;
}

void vvsock_conn_deadline(struct vvsock_conn *c)
{
	c->deadline_ns = clock_mono_ns() + c->v->timeout_ns;
	timer_arm(c->v, c->deadline_ns);
}

/* @c's deadline passed: close it the way its state calls for. */
static void conn_expire(struct vvsock_conn *c)
{
	struct vvsock *v = c->v;

	c->deadline_ns = 0;
	switch (c->state) {
	case VVSOCK_LINE:
		pr_warn_ratelimited(&v->vd.warn_rl,
				    "%s: no CONNECT line in time: client "
				    "closed",
				    v->path);
		vvsock_conn_free(c); /* the guest never heard of it */
		break;
	case VVSOCK_REQUESTED:
		pr_warn_ratelimited(&v->vd.warn_rl,
				    "port %u: guest did not answer the "
				    "connection to its port %u: reset",
				    c->local_port, c->peer_port);
		vvsock_conn_reset(c); /* client closed; RST if it was sent */
		break;
	case VVSOCK_OPEN:
		pr_warn_ratelimited(&v->vd.warn_rl,
				    "port %u: shutdown not finished in time: "
				    "reset",
				    c->local_port);
		vvsock_conn_reset(c);
		break;
	case VVSOCK_DYING: break; /* the RST is owed already */
	}
}

static void timer_ready(struct io_source *src, int res)
{
	struct vvsock *v = container_of(src, struct vvsock, timer);
	struct vvsock_link *l, *next;
	uint64_t expirations, now, earliest = 0;

	if (res < 0) {
		pr_warn_ratelimited(&v->vd.warn_rl, "timerfd poll: %s",
				    strerror(-res));
		return;
	}
	if (read(src->fd, &expirations, sizeof(expirations)) < 0)
		return; /* EAGAIN: re-armed since it fired */
	pthread_mutex_lock(&v->vd.lock);
	vvsock_reap(v, false);
	v->timer_at = 0;
	now = clock_mono_ns();
	for (l = v->all.next; l != &v->all; l = next) {
		struct vvsock_conn *c =
		    container_of(l, struct vvsock_conn, all);

		/* conn_expire() frees at most @c. */
		next = l->next;
		if (!c->deadline_ns)
			continue;
		if (c->deadline_ns <= now)
			conn_expire(c);
		else if (!earliest || c->deadline_ns < earliest)
			earliest = c->deadline_ns;
	}
	if (earliest)
		timer_arm(v, earliest);
	if (virtio_dev_live(&v->vd))
		vvsock_rx_run(v); /* the RSTs */
	pthread_mutex_unlock(&v->vd.lock);
}

void vvsock_set_timeout(struct vvsock *v, unsigned int ms)
{
	pthread_mutex_lock(&v->vd.lock);
	v->timeout_ns = (uint64_t)ms * 1000000;
	pthread_mutex_unlock(&v->vd.lock);
}

int vvsock_timer_init(struct vvsock *v)
{
	int ret;

	v->timeout_ns = (uint64_t)VVSOCK_TIMEOUT_MS * 1000000;
	v->timer.fd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (v->timer.fd < 0)
		return -errno;
	v->timer.events = POLLIN;
	v->timer.ready = timer_ready;
	ret = io_loop_watch(v->loop, &v->timer);
	if (ret) {
		close(v->timer.fd);
		v->timer.fd = -1;
	}
	return ret;
}

void vvsock_timer_uninit(struct vvsock *v)
{
	if (io_source_watched(&v->timer))
		(void)io_loop_unwatch(v->loop, &v->timer); /* loop stopped */
	if (v->timer.fd >= 0)
		close(v->timer.fd);
	v->timer.fd = -1;
}
