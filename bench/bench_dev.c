/* SPDX-License-Identifier: MIT */
/*
 * The bench echo device (see bench_dev.h). Serving a queue pops every
 * available chain, writes the host TSC into its writable part and pushes
 * it back, then lets virtio_dev_notify() decide about the interrupt.
 * ADAPTIVE is the product's polling (the io loop polls the transport's
 * poller; the caller turned it on), so the device serves it as URING. BUSY
 * and EPOLL keep the io thread waiting somewhere else than in
 * io_uring_enter() without touching the loop: a deferred loop request
 * (io_loop_defer) whose completion runs the poll or epoll wait on the io
 * thread, then hands the thread back to the loop.
 */
#define pr_fmt(fmt) "bench-dev: " fmt

#include "bench_dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/kvm.h>

#include "arch/x86/layout.h"
#include "kvm/eventfd.h"
#include "io/loop.h"
#include "bench_abi.h"
#include "base/log.h"
#include "base/mem.h"
#include "virtio/device.h"
#include "virtio/mmio.h"

#define BENCH_QUEUE_SIZE 64
/* BUSY hands the thread back to the loop this often. */
#define BENCH_BUSY_SLICE_NS 1000000ULL
/* EPOLL blocks at most this long before the loop gets a turn. */
#define BENCH_EPOLL_SLICE_MS 10

struct bench_dev {
	struct virtio_dev vd;
	struct virtio_mmio *mmio;
	struct io_loop *loop;
	struct bench_dev_config cfg;
	int epfd;

	/* Loop thread only. */
	struct io_request wait_req; /* BUSY, EPOLL waits */
	bool wait_armed;

	/*
	 * Queue 0's avail->idx in guest RAM, for peeking without the lock
	 * (atomic; NULL while the queue is not live), and the index the
	 * last serve started from. A stale pointer is harmless: guest RAM
	 * stays mapped while the VM lives.
	 */
	uint16_t *avail_idx;
	uint16_t seen_avail;

	/* irq_line: the transport's interrupt hook, wrapped. */
	int vm_fd;
	void (*transport_interrupt)(struct virtio_dev *vd, uint32_t bits);

	/* Under vd.lock. */
	struct bench_dev_stats st;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Lock held: return every available buffer of @q; how many. */
static unsigned int bench_serve(struct bench_dev *d, unsigned int q, bool vcpu)
{
	struct virtqueue *vq = &d->vd.vqs[q];
	struct iovec iov[BENCH_QUEUE_SIZE];
	struct vq_chain c = {.iov = iov, .max = BENCH_QUEUE_SIZE};
	uint16_t *avail_idx = __atomic_load_n(&d->avail_idx, __ATOMIC_RELAXED);
	uint64_t tsc = __rdtsc();
	unsigned int n = 0;

	if (q == BENCH_QUEUE_IO && avail_idx)
		__atomic_store_n(&d->seen_avail,
				 __atomic_load_n(avail_idx, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELAXED);
	while (virtio_dev_pop(&d->vd, q, &c) == 1) {
		uint32_t len = 0;

		/* The echo: the host's TSC when it took the request. */
		if (c.n_in && iov[c.n_out].iov_len >= sizeof(tsc)) {
			memcpy(iov[c.n_out].iov_base, &tsc, sizeof(tsc));
			len = sizeof(tsc);
		}
		vq_push(vq, c.head, len);
		n++;
	}
	if (!n)
		return 0;
	virtio_dev_notify(&d->vd, q);
	if (vcpu)
		d->st.served_vcpu += n;
	else
		d->st.served_loop += n;
	return n;
}

/*
 * Lock held: serve @q, then ask for the next doorbell; buffers that
 * arrived before the request took effect are served too (vq.h).
 */
static void bench_serve_all(struct bench_dev *d, unsigned int q, bool vcpu)
{
	struct virtqueue *vq = &d->vd.vqs[q];

	do {
		bench_serve(d, q, vcpu);
	} while (vq_enable_notify(vq));
}

/* Loop thread: queue the wait request unless it is queued already. */
static void bench_arm(struct bench_dev *d)
{
	int r;

	if (d->wait_armed)
		return;
	r = io_loop_defer(d->loop, &d->wait_req);
	if (r) {
		pr_warn_ratelimited(&d->vd.warn_rl,
				    "cannot queue the io thread's wait: %s",
				    strerror(-r));
		return;
	}
	d->wait_armed = true;
}

static void bench_arm_call(void *arg)
{
	bench_arm(arg);
}

/* Lock NOT held: has the guest published buffers we have not seen? */
static bool bench_peek(struct bench_dev *d)
{
	uint16_t *p = __atomic_load_n(&d->avail_idx, __ATOMIC_ACQUIRE);

	return p && __atomic_load_n(p, __ATOMIC_ACQUIRE) !=
			__atomic_load_n(&d->seen_avail, __ATOMIC_RELAXED);
}

/* Loop thread, lock NOT held: one BUSY slice, then back to the loop. */
static void bench_busy_poll(struct bench_dev *d)
{
	uint64_t start = now_ns();

	while (now_ns() - start < BENCH_BUSY_SLICE_NS) {
		if (!bench_peek(d)) {
			__builtin_ia32_pause();
			continue;
		}
		pthread_mutex_lock(&d->vd.lock);
		if (virtio_dev_live(&d->vd))
			d->st.poll_hits +=
			    bench_serve(d, BENCH_QUEUE_IO, false);
		pthread_mutex_unlock(&d->vd.lock);
	}
	bench_arm(d);
}

/* Loop thread, lock NOT held: wait for the epoll doorbell, one slice. */
static void bench_epoll_wait(struct bench_dev *d)
{
	struct epoll_event ev;
	int n = epoll_wait(d->epfd, &ev, 1, BENCH_EPOLL_SLICE_MS);

	if (n == 1) {
		(void)io_eventfd_drain(d->cfg.epoll_bell_fd); /* 0 is fine */
		virtio_dev_kick(&d->vd, BENCH_QUEUE_IO);
	} else if (n < 0 && errno != EINTR) {
		pr_warn_ratelimited(&d->vd.warn_rl, "epoll_wait: %s",
				    strerror(errno));
	}
	bench_arm(d);
}

static void bench_wait_done(struct io_request *req, int res)
{
	struct bench_dev *d = container_of(req, struct bench_dev, wait_req);

	d->wait_armed = false;
	if (res < 0)
		return; /* cancelled */
	switch (d->cfg.notify) {
	case BENCH_NOTIFY_BUSY: bench_busy_poll(d); break;
	case BENCH_NOTIFY_EPOLL: bench_epoll_wait(d); break;
	default: break;
	}
}

/*
 * Lock held, loop thread: a doorbell for @q, or (ADAPTIVE) chains the
 * transport's poller found (virtio_dev_kick).
 */
static void bench_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct bench_dev *d = container_of(vd, struct bench_dev, vd);

	d->st.wakeups++;
	if (q == BENCH_QUEUE_IO && d->cfg.notify == BENCH_NOTIFY_BUSY)
		bench_serve(d, q, false);
	else
		bench_serve_all(d, q, false);
}

/* Lock held, vCPU thread (DRIVER_OK): start whatever waits for queue 0. */
static int bench_activate(struct virtio_dev *vd)
{
	struct bench_dev *d = container_of(vd, struct bench_dev, vd);
	struct virtqueue *vq = &vd->vqs[BENCH_QUEUE_IO];
	uint16_t *idx = NULL;

	if (vq->ready)
		idx = gpa_ptr(vd->mem, vq->avail_gpa + 2, sizeof(*idx));
	__atomic_store_n(&d->seen_avail, idx ? *idx : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&d->avail_idx, idx, __ATOMIC_RELEASE);
	if (d->cfg.notify == BENCH_NOTIFY_BUSY)
		vq_disable_notify(vq);
	if (d->cfg.notify == BENCH_NOTIFY_BUSY ||
	    d->cfg.notify == BENCH_NOTIFY_EPOLL)
		return io_loop_call(d->loop, bench_arm_call, d);
	return 0;
}

/* Lock held: the driver reset the device. */
static void bench_reset(struct virtio_dev *vd)
{
	struct bench_dev *d = container_of(vd, struct bench_dev, vd);

	__atomic_store_n(&d->avail_idx, NULL, __ATOMIC_RELEASE);
}

/*
 * irq_line: the transport keeps InterruptStatus (its eventfd is no longer
 * an irqfd), then we pulse the edge-triggered GSI ourselves, synchronously.
 * Every call pulses: in the benchmark the driver acknowledges each
 * interrupt before the next request, so each call sets a new bit.
 */
static void bench_interrupt_line(struct virtio_dev *vd, uint32_t bits)
{
	struct bench_dev *d = container_of(vd, struct bench_dev, vd);
	struct kvm_irq_level line = {.irq = LAYOUT_BENCH_VIRTIO_GSI};

	d->transport_interrupt(vd, bits);
	line.level = 1;
	if (ioctl(d->vm_fd, KVM_IRQ_LINE, &line) < 0)
		pr_warn_ratelimited(&d->vd.warn_rl, "KVM_IRQ_LINE: %s",
				    strerror(errno));
	line.level = 0;
	(void)ioctl(d->vm_fd, KVM_IRQ_LINE, &line); /* as the first */
}

/* Swap the transport's irqfd for bench_interrupt_line(). */
static int bench_use_irq_line(struct bench_dev *d, int vm_fd)
{
	int r;

	if (vm_fd < 0)
		return -EINVAL;
	r = io_irqfd_set(vm_fd, virtio_mmio_irq_fd(d->mmio),
			 LAYOUT_BENCH_VIRTIO_GSI, false);
	if (r)
		return r;
	d->vm_fd = vm_fd;
	d->transport_interrupt = d->vd.interrupt;
	d->vd.interrupt = bench_interrupt_line;
	return 0;
}

static const struct virtio_dev_ops bench_dev_ops = {
    .name = "bench-echo",
    .device_id = BENCH_VIRTIO_ID,
    .features = 0,
    .num_queues = BENCH_NR_QUEUES,
    .queue_size = BENCH_QUEUE_SIZE,
    .config_size = 0,
    .activate = bench_activate,
    .reset = bench_reset,
    .queue_notify = bench_queue_notify,
};

void bench_dev_kick(struct bench_dev *d, unsigned int q)
{
	if (q >= BENCH_NR_QUEUES)
		return;
	pthread_mutex_lock(&d->vd.lock);
	if (virtio_dev_live(&d->vd) && d->vd.vqs[q].ready)
		bench_serve_all(d, q, true);
	pthread_mutex_unlock(&d->vd.lock);
}

void bench_dev_stats(struct bench_dev *d, struct bench_dev_stats *st)
{
	struct io_loop_poll_stats lp;
	uint64_t kicks;

	pthread_mutex_lock(&d->vd.lock);
	*st = d->st;
	/*
	 * Read under the mutex: the poller counts a kick after its
	 * queue_notify() returned, so kicks <= the calls it made.
	 */
	kicks = virtio_mmio_poll_kicks(d->mmio);
	pthread_mutex_unlock(&d->vd.lock);
	if (d->cfg.notify != BENCH_NOTIFY_ADAPTIVE)
		return;
	io_loop_poll_stats(d->loop, &lp);
	st->poll_hits = kicks;
	st->wakeups -= kicks < st->wakeups ? kicks : st->wakeups;
	st->polls = lp.expired;
	st->poll_ns = lp.ns;
	st->poll_grows = lp.grows;
	st->poll_shrinks = lp.shrinks;
}

int bench_dev_create(struct bench_dev **out, const struct virtio_mmio_env *env,
		     const struct bench_dev_config *cfg)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct bench_dev *d;
	int r;

	if ((unsigned int)cfg->notify >= BENCH_NR_NOTIFY ||
	    (cfg->notify == BENCH_NOTIFY_EPOLL && cfg->epoll_bell_fd < 0))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->cfg = *cfg;
	d->loop = env->loop;
	d->epfd = -1;
	d->wait_req.done = bench_wait_done;
	if (cfg->notify == BENCH_NOTIFY_EPOLL) {
		d->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (d->epfd < 0 || epoll_ctl(d->epfd, EPOLL_CTL_ADD,
					     cfg->epoll_bell_fd, &ev)) {
			r = -errno;
			goto err_free;
		}
	}
	r = virtio_dev_init(&d->vd, &bench_dev_ops, env->mem, env->loop);
	if (r)
		goto err_free;
	r = virtio_mmio_create(&d->mmio, env, &d->vd, LAYOUT_BENCH_VIRTIO_BASE,
			       LAYOUT_BENCH_VIRTIO_GSI);
	/* The exit queue is the vCPU thread's (bench_dev_kick). */
	if (!r)
		virtio_mmio_set_unpolled(d->mmio, 1ULL << BENCH_QUEUE_EXIT);
	if (r)
		goto err_uninit;
	if (cfg->irq_line) {
		r = bench_use_irq_line(d, env->vm_fd);
		if (r)
			goto err_mmio;
	}
	*out = d;
	return 0;

err_mmio:
	virtio_mmio_destroy(d->mmio);
err_uninit:
	virtio_dev_uninit(&d->vd);
err_free:
	if (d->epfd >= 0)
		close(d->epfd);
	free(d);
	return r;
}

void bench_dev_destroy(struct bench_dev *d)
{
	if (!d)
		return;
	virtio_mmio_destroy(d->mmio);
	virtio_dev_uninit(&d->vd);
	if (d->epfd >= 0)
		close(d->epfd);
	free(d);
}
