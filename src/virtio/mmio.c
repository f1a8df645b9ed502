/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio register file (virtio 1.2, 4.2.2) and its wiring to KVM:
 * per-queue ioeventfd doorbells watched on the io loop from DRIVER_OK to
 * reset, and the interrupt (mmio_irq.c: the irqfd, and InterruptACKs KVM
 * takes without an exit while wired). Register accesses come from vCPU
 * threads through bus.c and run under the device mutex; every write is
 * validated before it reaches the device or a queue. The
 * transport's io loop poller (end of file) finds work on the avail rings
 * without doorbells while the loop polls.
 */
#define pr_fmt(fmt) "virtio-mmio: " fmt

#include "mmio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "kvm/eventfd.h"
#include "io/loop.h"
#include "base/bus.h"
#include "base/log.h"
#include "device.h"
#include "mmio_irq.h"

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */

struct mmio_queue {
	struct io_source src; /* the doorbell eventfd */
	struct virtio_mmio *m;
	unsigned int index;
	bool ioeventfd; /* KVM_IOEVENTFD assigned */
	/*
	 * Polling. Set under the device mutex at wiring: avail->idx in guest
	 * RAM while wired and polled, else NULL, and a generation bumped at
	 * every wiring (atomics). The loop thread's own: the generation and
	 * the avail->idx it last handed to the device.
	 */
	const uint16_t *avail_idx;
	unsigned int gen;
	unsigned int seen_gen;
	uint16_t seen;
};

struct virtio_mmio {
	struct virtio_dev *vd;
	int vm_fd;
	struct io_loop *loop;
	gpa_t base;
	unsigned int gsi;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	struct mmio_irq irq;
	bool wired; /* doorbells set up (DRIVER_OK) */
	struct mmio_queue *q;
	struct io_poller poller;
	bool polling; /* under the mutex: between poller start and stop */
	uint64_t poll_kicks; /* atomic: queue work found by polling */
	uint64_t unpolled;   /* queues the poller leaves alone */
	uint8_t *regs;	     /* the register page (mmio.h) */
	int regs_slot;	     /* its KVM memslot, or -1: reads exit */
};

static bool mmio_queue_news(struct mmio_queue *mq);

static const struct bus_ops mmio_bus_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

/* Any thread: raise @bits; an edge only for bits not in flight. */
static void mmio_interrupt(struct virtio_dev *vd, uint32_t bits)
{
	struct virtio_mmio *m = vd->transport;
	int r = mmio_irq_raise(&m->irq, bits);

	if (r)
		pr_warn_ratelimited(&vd->warn_rl, "irqfd write: %s",
				    strerror(-r));
}

/* Loop thread: a doorbell. Drain the eventfd before doing the work. */
static void mmio_doorbell(struct io_source *src, int res)
{
	struct mmio_queue *mq = container_of(src, struct mmio_queue, src);

	if (res < 0) {
		pr_warn_ratelimited(&mq->m->vd->warn_rl,
				    "queue %u doorbell: %s", mq->index,
				    strerror(-res));
		return;
	}
	(void)io_eventfd_drain(src->fd); /* EAGAIN: drained already */
	/* What the device is about to see is not news for the poller. */
	(void)mmio_queue_news(mq);
	virtio_dev_kick(mq->m->vd, mq->index);
}

static struct ioeventfd_spec mmio_notify_spec(const struct virtio_mmio *m,
					      unsigned int q)
{
	return (struct ioeventfd_spec){
	    .addr = m->base + VIRTIO_MMIO_QUEUE_NOTIFY,
	    .len = 4,
	    .datamatch = true,
	    .data = q,
	};
}

/* Lock held: undo mmio_wire(). */
static void mmio_unwire(struct virtio_mmio *m)
{
	for (unsigned int i = 0; i < m->vd->ops->num_queues; i++) {
		struct mmio_queue *mq = &m->q[i];
		struct ioeventfd_spec spec = mmio_notify_spec(m, i);
		int r;

		if (mq->ioeventfd) {
			r = io_ioeventfd_set(m->vm_fd, mq->src.fd, &spec,
					     false);
			if (r)
				pr_warn("KVM_IOEVENTFD deassign: %s",
					strerror(-r));
			mq->ioeventfd = false;
		}
		if (io_source_watched(&mq->src))
			(void)io_loop_unwatch(m->loop, &mq->src); /* watched */
		(void)io_eventfd_drain(mq->src.fd); /* stale kicks */
		__atomic_store_n(&mq->avail_idx, NULL, __ATOMIC_RELEASE);
	}
	mmio_irq_unwire_acks(&m->irq);
	m->wired = false;
}

/* Lock held, DRIVER_OK: show the poller the ready queues it may poll. */
static void mmio_wire_polling(struct virtio_mmio *m)
{
	const struct virtio_dev_ops *ops = m->vd->ops;

	for (unsigned int i = 0; i < ops->num_queues; i++) {
		struct virtqueue *vq = &m->vd->vqs[i];
		struct mmio_queue *mq = &m->q[i];

		if (i < 64 && (m->unpolled & (1ULL << i)))
			continue;
		if (m->polling)
			vq_poll_start(vq);
		/* The generation first: a new one makes the poller look. */
		__atomic_fetch_add(&mq->gen, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&mq->avail_idx, vq_avail_idx_ptr(vq),
				 __ATOMIC_RELEASE);
	}
}

/* Lock held, DRIVER_OK: a doorbell per queue, watched on the loop. */
static int mmio_wire(struct virtio_mmio *m)
{
	int r = 0;

	for (unsigned int i = 0; i < m->vd->ops->num_queues && !r; i++) {
		struct mmio_queue *mq = &m->q[i];
		struct ioeventfd_spec spec = mmio_notify_spec(m, i);

		if (m->vm_fd >= 0) {
			r = io_ioeventfd_set(m->vm_fd, mq->src.fd, &spec, true);
			if (r) {
				pr_err("KVM_IOEVENTFD: %s", strerror(-r));
				break;
			}
			mq->ioeventfd = true;
		}
		r = io_loop_watch(m->loop, &mq->src);
	}
	m->wired = true;
	if (r) {
		mmio_unwire(m);
		return r;
	}
	mmio_wire_polling(m);
	/* Without it, ACKs exit as they always may. */
	r = mmio_irq_wire_acks(&m->irq, m->base + VIRTIO_MMIO_INTERRUPT_ACK);
	if (r)
		pr_warn_ratelimited(&m->vd->warn_rl,
				    "KVM_IOEVENTFD on InterruptACK: %s",
				    strerror(-r));
	return 0;
}

/* Lock held: the queue QueueSel names, or NULL. */
static struct virtqueue *mmio_sel_vq(struct virtio_mmio *m)
{
	if (m->queue_sel >= m->vd->ops->num_queues)
		return NULL;
	return &m->vd->vqs[m->queue_sel];
}

static uint32_t mmio_read_reg(struct virtio_mmio *m, uint64_t off)
{
	struct virtio_dev *vd = m->vd;
	struct virtqueue *vq = mmio_sel_vq(m);
	uint64_t f = virtio_dev_features(vd);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return 2;
	case VIRTIO_MMIO_DEVICE_ID: return vd->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (m->dev_features_sel > 1)
			return 0;
		return (uint32_t)(f >> (32 * m->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq ? vq->max_size : 0;
	case VIRTIO_MMIO_QUEUE_READY: return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return mmio_irq_status(&m->irq);
	case VIRTIO_MMIO_STATUS: return vd->status;
	case VIRTIO_MMIO_CONFIG_GENERATION: return vd->config_generation;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff; /* no shared memory regions */
	default: return 0;	   /* write-only or reserved */
	}
}

/* The registers a read can return something other than 0 from. */
static const uint16_t mmio_readable[] = {
    VIRTIO_MMIO_MAGIC_VALUE,	 VIRTIO_MMIO_VERSION,
    VIRTIO_MMIO_DEVICE_ID,	 VIRTIO_MMIO_VENDOR_ID,
    VIRTIO_MMIO_DEVICE_FEATURES, VIRTIO_MMIO_QUEUE_NUM_MAX,
    VIRTIO_MMIO_QUEUE_READY,	 VIRTIO_MMIO_STATUS,
    VIRTIO_MMIO_SHM_LEN_LOW,	 VIRTIO_MMIO_SHM_LEN_HIGH,
    VIRTIO_MMIO_SHM_BASE_LOW,	 VIRTIO_MMIO_SHM_BASE_HIGH,
};

static void regs_put(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)(m->regs + off), v,
			 __ATOMIC_RELEASE);
}

/*
 * Lock held: the page shows what reads through the bus return now. The
 * config bytes change between two different generation values: a driver
 * reading the generation before and after its config reads (Linux's
 * vp_generation loop) sees them differ when its reads overlap the copy.
 * InterruptStatus lives in the page already (mmio_irq_use_word()).
 */
static void mmio_regs_sync(struct virtio_mmio *m)
{
	const struct virtio_dev_ops *ops = m->vd->ops;
	uint8_t *cfg = m->regs + VIRTIO_MMIO_CONFIG;
	uint8_t now[VIRTIO_MMIO_WINDOW_SIZE - VIRTIO_MMIO_CONFIG];
	size_t n = MIN((size_t)ops->config_size, sizeof(now));

	for (size_t i = 0; i < ARRAY_SIZE(mmio_readable); i++)
		regs_put(m, mmio_readable[i],
			 mmio_read_reg(m, mmio_readable[i]));
	if (n && ops->read_config) {
		memset(now, 0, n);
		ops->read_config(m->vd, 0, now, n);
		if (memcmp(now, cfg, n)) {
			/* Release stores: the marker, the bytes, then the
			 * generation, in that order. */
			regs_put(m, VIRTIO_MMIO_CONFIG_GENERATION,
				 ~m->vd->config_generation);
			for (size_t i = 0; i < n; i++)
				__atomic_store_n(&cfg[i], now[i],
						 __ATOMIC_RELEASE);
		}
	}
	regs_put(m, VIRTIO_MMIO_CONFIG_GENERATION, m->vd->config_generation);
}

/* Lock held: the device changed something the driver reads. */
static void mmio_changed(struct virtio_dev *vd)
{
	mmio_regs_sync(vd->transport);
}

/* Lock held: a queue address half; only while the queue is not ready. */
static void mmio_write_addr(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
	struct virtqueue *vq = mmio_sel_vq(m);
	gpa_t *a;
	unsigned int shift;

	if (!vq || vq->ready) {
		pr_warn_ratelimited(&m->vd->warn_rl,
				    "queue address write to %s queue ignored",
				    vq ? "a ready" : "a nonexistent");
		return;
	}
	switch (off & ~0xfULL) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW: a = &vq->desc_gpa; break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: a = &vq->avail_gpa; break;
	default: a = &vq->used_gpa; break;
	}
	shift = (off & 4) ? 32 : 0;
	*a = (*a & ~(0xffffffffULL << shift)) | ((uint64_t)val << shift);
}

/* Lock held. */
static void mmio_write_queue_num(struct virtio_mmio *m, uint32_t val)
{
	struct virtqueue *vq = mmio_sel_vq(m);

	if (!vq || vq->ready)
		return;
	if (!val || (val & (val - 1)) || val > vq->max_size) {
		pr_warn_ratelimited(&m->vd->warn_rl,
				    "queue size %u refused (max %u)", val,
				    vq->max_size);
		virtio_dev_set_needs_reset(m->vd);
		return;
	}
	vq->size = (uint16_t)val;
}

/* Lock held. */
static void mmio_write_queue_ready(struct virtio_mmio *m, uint32_t val)
{
	struct virtqueue *vq = mmio_sel_vq(m);

	if (!vq)
		return;
	if (!val) {
		vq->ready = false;
		return;
	}
	if (!vq->ready)
		(void)virtio_dev_queue_enable(m->vd, m->queue_sel);
}

/* Lock held. */
static void mmio_write_status(struct virtio_mmio *m, uint32_t val)
{
	if (!val) {
		if (m->wired)
			mmio_unwire(m);
		virtio_dev_reset(m->vd);
		mmio_irq_reset(&m->irq);
		return;
	}
	if (virtio_dev_write_status(m->vd, (uint8_t)val) && !m->wired &&
	    mmio_wire(m))
		virtio_dev_set_needs_reset(m->vd);
}

/* A QueueNotify that reached us instead of an ioeventfd. */
static void mmio_write_notify(struct virtio_mmio *m, uint32_t q)
{
	if (q >= m->vd->ops->num_queues || !virtio_dev_live(m->vd))
		return;
	/* Hand it to the loop like any doorbell. */
	(void)io_eventfd_signal(m->q[q].src.fd);
}

static void mmio_write_reg(struct virtio_mmio *m, uint64_t off, uint32_t val)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_features_sel = val; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_dev_write_features(m->vd, m->drv_features_sel, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_features_sel = val; break;
	case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = val; break;
	case VIRTIO_MMIO_QUEUE_NUM: mmio_write_queue_num(m, val); break;
	case VIRTIO_MMIO_QUEUE_READY: mmio_write_queue_ready(m, val); break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: mmio_write_notify(m, val); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: mmio_irq_ack(&m->irq, val); break;
	case VIRTIO_MMIO_STATUS: mmio_write_status(m, val); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH: mmio_write_addr(m, off, val); break;
	default:
		pr_warn_ratelimited(&m->vd->warn_rl,
				    "write of 0x%x to register 0x%llx ignored",
				    val, (unsigned long long)off);
		break;
	}
}

/* Config space: [off, off + len) must lie inside ops->config_size. */
static bool mmio_config_ok(const struct virtio_mmio *m, uint64_t off,
			   uint32_t len)
{
	uint64_t c = off - VIRTIO_MMIO_CONFIG;

	return off >= VIRTIO_MMIO_CONFIG && c < m->vd->ops->config_size &&
	       len <= m->vd->ops->config_size - c;
}

void virtio_mmio_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *vd = m->vd;
	uint32_t v;

	memset(data, 0, len);
	pthread_mutex_lock(&vd->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (mmio_config_ok(m, off, len) && vd->ops->read_config)
			vd->ops->read_config(vd, off - VIRTIO_MMIO_CONFIG, data,
					     len);
	} else if (len == 4 && !(off & 3)) {
		v = mmio_read_reg(m, off);
		memcpy(data, &v, 4);
	} else {
		pr_warn_ratelimited(&vd->warn_rl,
				    "%u-byte read of register 0x%llx", len,
				    (unsigned long long)off);
	}
	pthread_mutex_unlock(&vd->lock);
}

void virtio_mmio_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct virtio_mmio *m = opaque;
	struct virtio_dev *vd = m->vd;
	bool config_written = false, reset = false;
	uint32_t v;

	pthread_mutex_lock(&vd->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (mmio_config_ok(m, off, len) && vd->ops->write_config) {
			vd->ops->write_config(vd, off - VIRTIO_MMIO_CONFIG,
					      data, len);
			config_written = true;
		}
	} else if (len == 4 && !(off & 3)) {
		memcpy(&v, data, 4);
		mmio_write_reg(m, off, v);
		reset = off == VIRTIO_MMIO_STATUS && v == 0;
	} else {
		pr_warn_ratelimited(&vd->warn_rl,
				    "%u-byte write to register 0x%llx ignored",
				    len, (unsigned long long)off);
	}
	mmio_regs_sync(m);
	pthread_mutex_unlock(&vd->lock);
	if (config_written && vd->ops->config_written)
		vd->ops->config_written(vd);
	if (reset && vd->ops->reset_wait)
		vd->ops->reset_wait(vd);
}

int virtio_mmio_irq_fd(const struct virtio_mmio *m)
{
	return m->irq.irq_fd;
}

const uint8_t *virtio_mmio_regs(const struct virtio_mmio *m)
{
	return m->regs;
}

bool virtio_mmio_regs_mapped(const struct virtio_mmio *m)
{
	return m->regs_slot >= 0;
}

/*
 * The page as a read-only memslot over the window: reads come from it,
 * writes still exit (KVM emulates them as MMIO: ioeventfds first).
 * -errno where KVM has no read-only memslots (KVM_CAP_READONLY_MEM).
 */
static int mmio_regs_slot(struct virtio_mmio *m, int slot, bool on)
{
	struct kvm_userspace_memory_region r = {
	    .slot = (uint32_t)slot,
	    .flags = KVM_MEM_READONLY,
	    .guest_phys_addr = m->base,
	    .memory_size = on ? VIRTIO_MMIO_WINDOW_SIZE : 0,
	    .userspace_addr = (uintptr_t)m->regs,
	};

	if (ioctl(m->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	return 0;
}

int virtio_mmio_ack_fd(const struct virtio_mmio *m, uint32_t value)
{
	if (value < 1 || value > MMIO_IRQ_ACK_VALUES)
		return -1;
	return m->irq.ack_fd[value - 1];
}

uint64_t virtio_mmio_poll_kicks(const struct virtio_mmio *m)
{
	return __atomic_load_n(&m->poll_kicks, __ATOMIC_RELAXED);
}

void virtio_mmio_get_state(struct virtio_mmio *m, struct virtio_mmio_state *s)
{
	struct virtio_dev *vd = m->vd;

	memset(s, 0, sizeof(*s));
	s->device_id = vd->ops->device_id;
	s->base = m->base;
	s->gsi = m->gsi;
	pthread_mutex_lock(&vd->lock);
	s->status = vd->status;
	s->int_status = mmio_irq_status(&m->irq);
	s->nr_queues = vd->ops->num_queues;
	if (s->nr_queues > VIRTIO_MMIO_STATE_QUEUES)
		s->nr_queues = VIRTIO_MMIO_STATE_QUEUES;
	for (unsigned int i = 0; i < s->nr_queues; i++)
		vq_get_state(&vd->vqs[i], &s->q[i]);
	pthread_mutex_unlock(&vd->lock);
}

/* ---- polling (io loop poller, loop thread) -------------------------- */

/*
 * Has the driver published chains the device was not shown yet (or was
 * the queue wired again)? Records what it saw: the device is about to be
 * shown it. Memory reads only, no lock: a stale pointer reads guest RAM,
 * which stays mapped while the VM lives.
 */
static bool mmio_queue_news(struct mmio_queue *mq)
{
	const uint16_t *p = __atomic_load_n(&mq->avail_idx, __ATOMIC_ACQUIRE);
	unsigned int gen;
	uint16_t idx;

	if (!p)
		return false;
	gen = __atomic_load_n(&mq->gen, __ATOMIC_ACQUIRE);
	idx = __atomic_load_n(p, __ATOMIC_ACQUIRE);
	if (idx == mq->seen && gen == mq->seen_gen)
		return false;
	mq->seen = idx;
	mq->seen_gen = gen;
	return true;
}

/* Hand every queue with news to the device, as a doorbell would. */
static bool mmio_poll(struct io_poller *p)
{
	struct virtio_mmio *m = container_of(p, struct virtio_mmio, poller);
	bool found = false;

	for (unsigned int i = 0; i < m->vd->ops->num_queues; i++) {
		if (!mmio_queue_news(&m->q[i]))
			continue;
		virtio_dev_kick(m->vd, i);
		__atomic_fetch_add(&m->poll_kicks, 1, __ATOMIC_RELAXED);
		found = true;
	}
	return found;
}

/* Polling begins: the driver need not ring (virtqueue.h). */
static void mmio_poll_start(struct io_poller *p)
{
	struct virtio_mmio *m = container_of(p, struct virtio_mmio, poller);

	pthread_mutex_lock(&m->vd->lock);
	m->polling = true;
	for (unsigned int i = 0; i < m->vd->ops->num_queues; i++)
		if (__atomic_load_n(&m->q[i].avail_idx, __ATOMIC_RELAXED))
			vq_poll_start(&m->vd->vqs[i]);
	pthread_mutex_unlock(&m->vd->lock);
}

/*
 * Polling ends: ask for doorbells again, then look once more. A chain
 * published before the driver could see the request rang no doorbell; it
 * is found here (vq_poll_stop() orders its stores before these loads).
 */
static bool mmio_poll_stop(struct io_poller *p)
{
	struct virtio_mmio *m = container_of(p, struct virtio_mmio, poller);

	pthread_mutex_lock(&m->vd->lock);
	m->polling = false;
	for (unsigned int i = 0; i < m->vd->ops->num_queues; i++)
		vq_poll_stop(&m->vd->vqs[i]);
	pthread_mutex_unlock(&m->vd->lock);
	return mmio_poll(p);
}

int virtio_mmio_create(struct virtio_mmio **out,
		       const struct virtio_mmio_env *env,
		       struct virtio_dev *dev, gpa_t base, unsigned int gsi)
{
	unsigned int nq = dev->ops->num_queues;
	struct virtio_mmio *m = calloc(1, sizeof(*m));
	int r = -ENOMEM;

	if (!m)
		return -ENOMEM;
	m->vd = dev;
	m->vm_fd = env->vm_fd;
	m->loop = env->loop;
	m->base = base;
	m->gsi = gsi;
	m->regs_slot = -1;
	m->regs = mmap(NULL, VIRTIO_MMIO_WINDOW_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m->regs == MAP_FAILED) {
		m->regs = NULL;
		goto err_free;
	}
	m->q = calloc(nq ? nq : 1, sizeof(*m->q));
	if (!m->q)
		goto err_free;
	for (unsigned int i = 0; i < nq; i++)
		m->q[i].src.fd = -1;
	for (unsigned int i = 0; i < nq; i++) {
		r = io_eventfd_new();
		if (r < 0)
			goto err_close;
		m->q[i] = (struct mmio_queue){
		    .src = {.fd = r, .events = 0, .ready = mmio_doorbell},
		    .m = m,
		    .index = i,
		};
	}
	r = mmio_irq_init(&m->irq, m->vm_fd, gsi);
	if (r)
		goto err_close;
	pthread_mutex_lock(&dev->lock);
	dev->transport = m;
	mmio_regs_sync(m);
	pthread_mutex_unlock(&dev->lock);
	if (m->vm_fd >= 0 && env->regs_slot) {
		r = mmio_regs_slot(m, (int)env->regs_slot, true);
		if (!r)
			m->regs_slot = (int)env->regs_slot;
		else
			pr_debug("%s: no read-only memslot (%s): register "
				 "reads exit",
				 dev->ops->name, strerror(-r));
	}
	mmio_irq_use_word(
	    &m->irq,
	    (uint32_t *)(void *)(m->regs + VIRTIO_MMIO_INTERRUPT_STATUS),
	    m->regs_slot >= 0);
	r = bus_register(env->mmio_bus, base, VIRTIO_MMIO_WINDOW_SIZE,
			 dev->ops->name, &mmio_bus_ops, m);
	if (r) {
		pr_err("%s at 0x%llx: %s", dev->ops->name,
		       (unsigned long long)base, strerror(-r));
		goto err_irqfd;
	}
	m->poller = (struct io_poller){
	    .start = mmio_poll_start,
	    .poll = mmio_poll,
	    .stop = mmio_poll_stop,
	};
	r = io_loop_add_poller(m->loop, &m->poller);
	if (r) {
		pr_err("%s: io loop poller: %s", dev->ops->name, strerror(-r));
		goto err_irqfd;
	}
	pthread_mutex_lock(&dev->lock);
	dev->interrupt = mmio_interrupt;
	dev->changed = mmio_changed;
	pthread_mutex_unlock(&dev->lock);
	*out = m;
	return 0;

err_irqfd:
	if (m->regs_slot >= 0)
		(void)mmio_regs_slot(m, m->regs_slot, false);
	dev->transport = NULL;
	mmio_irq_destroy(&m->irq);
err_close:
	for (unsigned int i = 0; i < nq; i++)
		if (m->q[i].src.fd >= 0)
			close(m->q[i].src.fd);
	free(m->q);
err_free:
	if (m->regs)
		munmap(m->regs, VIRTIO_MMIO_WINDOW_SIZE);
	free(m);
	return r;
}

void virtio_mmio_destroy(struct virtio_mmio *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->vd->lock);
	if (m->wired)
		mmio_unwire(m);
	m->vd->interrupt = NULL;
	m->vd->changed = NULL;
	pthread_mutex_unlock(&m->vd->lock);
	(void)io_loop_remove_poller(m->loop, &m->poller); /* it was added */
	if (m->regs_slot >= 0) {
		int r = mmio_regs_slot(m, m->regs_slot, false);

		if (r) {
			/* KVM may still map it: leave the page be. */
			pr_warn("%s: register page memslot: %s",
				m->vd->ops->name, strerror(-r));
			m->regs = NULL;
		}
	}
	mmio_irq_destroy(&m->irq);
	for (unsigned int i = 0; i < m->vd->ops->num_queues; i++)
		close(m->q[i].src.fd);
	free(m->q);
	if (m->regs)
		munmap(m->regs, VIRTIO_MMIO_WINDOW_SIZE);
	free(m);
}

void virtio_mmio_set_unpolled(struct virtio_mmio *m, uint64_t queues)
{
	m->unpolled = queues;
}
