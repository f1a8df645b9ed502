/* SPDX-License-Identifier: MIT */
/*
 * Transport-independent virtio device state (virtio 1.2, 2.1 status, 2.2
 * features, 2.5 configuration generation, 3.1 initialisation). Everything
 * here runs under the device mutex; interrupts leave through the hook the
 * transport installed.
 */
#define pr_fmt(fmt) "virtio: " fmt

#include "device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "base/log.h"

int virtio_dev_init(struct virtio_dev *vd, const struct virtio_dev_ops *ops,
		    const struct mem *mem, struct io_loop *loop)
{
	memset(vd, 0, sizeof(*vd));
	vd->vqs =
	    calloc(ops->num_queues ? ops->num_queues : 1, sizeof(*vd->vqs));
	if (!vd->vqs)
		return -ENOMEM;
	vd->ops = ops;
	vd->mem = mem;
	vd->loop = loop;
	log_ratelimit_init(&vd->warn_rl, LOG_RATELIMIT_BURST,
			   LOG_RATELIMIT_INTERVAL_NS);
	pthread_mutex_init(&vd->lock, NULL);
	for (unsigned int i = 0; i < ops->num_queues; i++) {
		vd->vqs[i].max_size = ops->queue_size;
		vd->vqs[i].index = i;
		vq_reset(&vd->vqs[i]);
	}
	return 0;
}

void virtio_dev_uninit(struct virtio_dev *vd)
{
	if (!vd->vqs)
		return;
	free(vd->vqs);
	vd->vqs = NULL;
	pthread_mutex_destroy(&vd->lock);
}

uint64_t virtio_dev_features(const struct virtio_dev *vd)
{
	return vd->ops->features | VIRTIO_DEV_RING_FEATURES;
}

bool virtio_dev_has(const struct virtio_dev *vd, unsigned int bit)
{
	return (vd->status & VIRTIO_CONFIG_S_FEATURES_OK) && bit < 64 &&
	       (vd->driver_features & (1ULL << bit));
}

void virtio_dev_write_features(struct virtio_dev *vd, uint32_t sel,
			       uint32_t val)
{
	unsigned int shift = sel ? 32 : 0;

	if (vd->status & VIRTIO_CONFIG_S_FEATURES_OK) {
		pr_warn_ratelimited(&vd->warn_rl,
				    "%s: feature write after FEATURES_OK "
				    "ignored",
				    vd->ops->name);
		return;
	}
	if (sel > 1)
		return; /* no feature bits beyond 63: nothing to accept */
	vd->driver_features &= ~(0xffffffffULL << shift);
	vd->driver_features |= (uint64_t)val << shift;
}

bool virtio_dev_live(const struct virtio_dev *vd)
{
	return (vd->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vd->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

bool virtio_dev_ever_started(struct virtio_dev *vd)
{
	bool started;

	pthread_mutex_lock(&vd->lock);
	started = vd->started;
	pthread_mutex_unlock(&vd->lock);
	return started;
}

void virtio_dev_set_needs_reset(struct virtio_dev *vd)
{
	if (vd->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vd->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	/* A guest can do this in a loop: rate-limited per device. */
	pr_warn_ratelimited(&vd->warn_rl, "%s: device needs reset",
			    vd->ops->name);
	/* virtio 1.2, 2.1.2: notify a running driver by a config change. */
	if (vd->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_dev_config_changed(vd);
	else if (vd->changed)
		vd->changed(vd);
}

/* FEATURES_OK: the driver may only accept what we offered, and 1.0+. */
static bool virtio_dev_features_ok(struct virtio_dev *vd)
{
	uint64_t extra = vd->driver_features & ~virtio_dev_features(vd);

	if (extra || !(vd->driver_features & (1ULL << VIRTIO_F_VERSION_1))) {
		pr_warn_ratelimited(
		    &vd->warn_rl,
		    "%s: driver features 0x%llx refused (offered 0x%llx)",
		    vd->ops->name, (unsigned long long)vd->driver_features,
		    (unsigned long long)virtio_dev_features(vd));
		return false;
	}
	return true;
}

static bool virtio_dev_activate(struct virtio_dev *vd)
{
	bool ev = virtio_dev_has(vd, VIRTIO_RING_F_EVENT_IDX);
	bool ind = virtio_dev_has(vd, VIRTIO_RING_F_INDIRECT_DESC);
	int r;

	for (unsigned int i = 0; i < vd->ops->num_queues; i++)
		if (vd->vqs[i].ready)
			vq_set_features(&vd->vqs[i], ev, ind);
	r = vd->ops->activate ? vd->ops->activate(vd) : 0;
	if (r) {
		pr_warn_ratelimited(&vd->warn_rl, "%s: activation failed: %s",
				    vd->ops->name, strerror(-r));
		return false;
	}
	return true;
}

bool virtio_dev_write_status(struct virtio_dev *vd, uint8_t status)
{
	uint8_t old = vd->status, set = status & ~old;

	/* Only a reset (0) clears bits (virtio 1.2, 2.1.1). */
	if (old & ~status & ~VIRTIO_CONFIG_S_NEEDS_RESET) {
		pr_warn_ratelimited(&vd->warn_rl,
				    "%s: status 0x%x -> 0x%x clears bits: "
				    "ignored",
				    vd->ops->name, old, status);
		return false;
	}
	if ((set & VIRTIO_CONFIG_S_FEATURES_OK) && !virtio_dev_features_ok(vd))
		set &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((set & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !((old | set) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		pr_warn_ratelimited(&vd->warn_rl,
				    "%s: DRIVER_OK without FEATURES_OK",
				    vd->ops->name);
		set &= ~VIRTIO_CONFIG_S_DRIVER_OK;
		vd->status |= set;
		virtio_dev_set_needs_reset(vd);
		return false;
	}
	vd->status |= set & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if (!(set & VIRTIO_CONFIG_S_DRIVER_OK))
		return false;
	vd->started = true;
	if (!virtio_dev_activate(vd))
		virtio_dev_set_needs_reset(vd);
	return true;
}

void virtio_dev_reset(struct virtio_dev *vd)
{
	if (vd->ops->reset)
		vd->ops->reset(vd);
	for (unsigned int i = 0; i < vd->ops->num_queues; i++)
		vq_reset(&vd->vqs[i]);
	vd->driver_features = 0;
	vd->status = 0;
}

int virtio_dev_queue_enable(struct virtio_dev *vd, unsigned int q)
{
	struct virtqueue *vq = &vd->vqs[q];
	int r;

	r = vq_enable(vq, vd->mem, virtio_dev_has(vd, VIRTIO_RING_F_EVENT_IDX),
		      virtio_dev_has(vd, VIRTIO_RING_F_INDIRECT_DESC));
	if (r)
		virtio_dev_set_needs_reset(vd);
	return r;
}

void virtio_dev_notify(struct virtio_dev *vd, unsigned int q)
{
	if (q >= vd->ops->num_queues || !vd->interrupt)
		return;
	if (vq_should_notify(&vd->vqs[q]))
		vd->interrupt(vd, VIRTIO_DEV_INT_VRING);
}

void virtio_dev_config_changed(struct virtio_dev *vd)
{
	vd->config_generation++;
	if (vd->changed)
		vd->changed(vd);
	if ((vd->status & VIRTIO_CONFIG_S_DRIVER_OK) && vd->interrupt)
		vd->interrupt(vd, VIRTIO_DEV_INT_CONFIG);
}

void virtio_dev_kick(struct virtio_dev *vd, unsigned int q)
{
	pthread_mutex_lock(&vd->lock);
	if (q < vd->ops->num_queues && virtio_dev_live(vd) &&
	    vd->vqs[q].ready && vd->ops->queue_notify)
		vd->ops->queue_notify(vd, q);
	pthread_mutex_unlock(&vd->lock);
}

int virtio_dev_pop(struct virtio_dev *vd, unsigned int q,
		   struct vq_chain *chain)
{
	int r;

	if (!virtio_dev_live(vd))
		return -EIO;
	r = vq_pop(&vd->vqs[q], chain);
	if (r == -EINVAL)
		virtio_dev_set_needs_reset(vd);
	return r;
}
