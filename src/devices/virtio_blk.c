/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk: configuration space, queues and the parsing of requests
 * (virtio 1.2, 5.2.6). A request is a header (type, sector) the device
 * reads, data, and one status byte the device writes last; the spec
 * forbids assuming how the driver splits that into descriptors, so the
 * header, the data and the status are cut out of the chain's bytes, not
 * out of its descriptors. The I/O itself is virtio_blk_io.c's.
 */
#define pr_fmt(fmt) "virtio-blk: " fmt

#include "virtio_blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_ids.h>

#include "base/cond.h"
#include "base/iov.h"
#include "base/log.h"
#include "virtio_blk_int.h"

#define VBLK_HDR_LEN sizeof(struct virtio_blk_outhdr)

static struct vblk *to_vblk(struct virtio_dev *vd)
{
	return container_of(vd, struct vblk, vd);
}

/* ---- chains as byte ranges -------------------------------------------- */

/* The chain's last device-writable byte (the status), or NULL. */
static uint8_t *chain_status(const struct vq_chain *c)
{
	for (unsigned int i = c->n_out + c->n_in; i > c->n_out; i--)
		if (c->iov[i - 1].iov_len)
			return (uint8_t *)c->iov[i - 1].iov_base +
			       c->iov[i - 1].iov_len - 1;
	return NULL;
}

/* ---- requests --------------------------------------------------------- */

static struct vblk_req *vblk_req_get(struct vblk *b)
{
	struct vblk_req *r = b->free_reqs;

	if (r)
		b->free_reqs = r->next;
	else
		r = malloc(sizeof(*r));
	return r;
}

static void vblk_req_put(struct vblk_req *r)
{
	struct vblk *b = r->b;

	r->next = b->free_reqs;
	b->free_reqs = r;
}

void vblk_complete(struct vblk_req *r, uint8_t status)
{
	struct vblk *b = r->b;
	struct virtio_dev *vd = &b->vd;

	/* Chains of a queue reset meanwhile are not the driver's any more. */
	if (r->gen == b->gen && virtio_dev_live(vd)) {
		*r->status = status;
		vq_push(&vd->vqs[r->queue], r->head, r->used_len);
		if (b->processing == r->queue + 1u) {
			b->notify_pending = true;
		} else {
			b->batch_queues |= 1u << r->queue;
			if (!b->batch_queued &&
			    !io_loop_after_batch(b->loop, &b->batch))
				b->batch_queued = true;
			else if (!b->batch_queued)
				virtio_dev_notify(vd, r->queue);
		}
	}
	vblk_req_put(r);
}

/* The end of a batch of completions: one interrupt per queue. */
static void vblk_batch_end(struct io_request *req, int res)
{
	struct vblk *b = container_of(req, struct vblk, batch);

	(void)res;
	pthread_mutex_lock(&b->vd.lock);
	b->batch_queued = false;
	for (unsigned int q = 0; q < b->num_queues; q++)
		if (b->batch_queues & (1u << q) && virtio_dev_live(&b->vd))
			virtio_dev_notify(&b->vd, q);
	b->batch_queues = 0;
	pthread_mutex_unlock(&b->vd.lock);
}

/* A request the guest got wrong: the protocol's answer, counted. */
static void vblk_refuse(struct vblk_req *r, uint8_t status, const char *why)
{
	struct vblk *b = r->b;

	vblk_count(b, bad_requests, 1);
	pr_warn_ratelimited(&b->vd.warn_rl, "%s: request type %u: %s", b->name,
			    r->type, why);
	vblk_complete(r, status);
}

/* Is the byte range [@off, @off + @len) inside the disk? */
static bool vblk_in_range(const struct vblk *b, uint64_t sector, uint64_t len)
{
	uint64_t size = b->disk.size;

	return sector <= size / DISK_SECTOR &&
	       len <= size - sector * DISK_SECTOR;
}

static void vblk_parse_rw(struct vblk_req *r, const struct vq_chain *c,
			  uint64_t sector)
{
	struct vblk *b = r->b;
	bool write = r->type == VIRTIO_BLK_T_OUT;

	if (write)
		r->niov = iov_slice(c->iov, c->n_out, VBLK_HDR_LEN,
				    c->out_len - VBLK_HDR_LEN, r->iov, c->n_out,
				    NULL);
	else
		r->niov = iov_slice(c->iov + c->n_out, c->n_in, 0,
				    c->in_len - 1, r->iov, c->n_in, NULL);
	r->len = write ? c->out_len - VBLK_HDR_LEN : c->in_len - 1u;
	r->offset = sector * DISK_SECTOR;
	if (write && b->disk.readonly)
		return vblk_refuse(r, VIRTIO_BLK_S_IOERR, "read-only disk");
	if (r->len % DISK_SECTOR)
		return vblk_refuse(r, VIRTIO_BLK_S_IOERR,
				   "data not a multiple of 512 bytes");
	if (r->len > VBLK_MAX_DATA)
		return vblk_refuse(r, VIRTIO_BLK_S_IOERR, "data too long");
	if (!vblk_in_range(b, sector, r->len))
		return vblk_refuse(r, VIRTIO_BLK_S_IOERR,
				   "past the end of the disk");
	if (!r->len)
		return vblk_complete(r, VIRTIO_BLK_S_OK);
	if (!write)
		r->used_len = (uint32_t)r->len + 1;
	vblk_io_start(r);
}

static void vblk_parse_dwz(struct vblk_req *r, const struct vq_chain *c)
{
	struct vblk *b = r->b;
	bool zero = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint64_t bytes = c->out_len - VBLK_HDR_LEN;

	if (!virtio_dev_has(&b->vd, zero ? VIRTIO_BLK_F_WRITE_ZEROES
					 : VIRTIO_BLK_F_DISCARD))
		return vblk_refuse(r, VIRTIO_BLK_S_UNSUPP, "not negotiated");
	if (b->disk.readonly)
		return vblk_refuse(r, VIRTIO_BLK_S_IOERR, "read-only disk");
	if (!bytes || bytes % sizeof(r->seg[0]) ||
	    bytes / sizeof(r->seg[0]) > VBLK_MAX_DWZ_SEG)
		return vblk_refuse(r, VIRTIO_BLK_S_UNSUPP,
				   "bad number of segments");
	r->nseg = (unsigned int)(bytes / sizeof(r->seg[0]));
	/* The bytes are there: out_len was checked against them. */
	(void)iov_to_buf(c->iov, c->n_out, VBLK_HDR_LEN, r->seg, bytes);
	for (unsigned int i = 0; i < r->nseg; i++) {
		const struct virtio_blk_discard_write_zeroes *s = &r->seg[i];
		uint32_t allowed =
		    zero ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

		if (s->flags & ~allowed)
			return vblk_refuse(r, VIRTIO_BLK_S_UNSUPP,
					   "unsupported flags");
		if (s->num_sectors > VBLK_MAX_DWZ_SECTORS ||
		    !vblk_in_range(b, s->sector,
				   (uint64_t)s->num_sectors * DISK_SECTOR))
			return vblk_refuse(r, VIRTIO_BLK_S_IOERR,
					   "range past the end or too long");
	}
	r->seg_done = 0;
	vblk_io_start(r);
}

static void vblk_get_id(struct vblk_req *r, const struct vq_chain *c)
{
	struct iovec data[VBLK_QUEUE_SIZE];
	size_t len = MIN(c->in_len - 1u, (size_t)VBLK_SERIAL_MAX), left = len;
	unsigned int n =
	    iov_slice(c->iov + c->n_out, c->n_in, 0, len, data, c->n_in, NULL);
	const char *src = r->b->serial;

	for (unsigned int i = 0; i < n; i++) {
		memcpy(data[i].iov_base, src, data[i].iov_len);
		src += data[i].iov_len;
		left -= data[i].iov_len;
	}
	r->used_len = (uint32_t)(len - left) + 1;
	vblk_complete(r, VIRTIO_BLK_S_OK);
}

/*
 * One popped chain. Returns 0, or -EINVAL when it has no header or no
 * status byte: the driver broke the protocol and the device stops.
 */
static int vblk_handle(struct vblk *b, unsigned int q, const struct vq_chain *c)
{
	struct virtio_blk_outhdr hdr;
	uint8_t *status = chain_status(c);
	struct vblk_req *r;

	if (!status || c->out_len < VBLK_HDR_LEN ||
	    iov_to_buf(c->iov, c->n_out, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		pr_warn_ratelimited(&b->vd.warn_rl,
				    "queue %u: a request without a header or "
				    "status byte: the device needs a reset",
				    q);
		return -EINVAL;
	}
	r = vblk_req_get(b);
	if (!r) {
		*status = VIRTIO_BLK_S_IOERR;
		vq_push(&b->vd.vqs[q], c->head, 1);
		b->notify_pending = true;
		return 0;
	}
	*r = (struct vblk_req){
	    .b = b,
	    .gen = b->gen,
	    .queue = (uint16_t)q,
	    .head = c->head,
	    .type = hdr.type,
	    .status = status,
	    .used_len = 1,
	};
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: vblk_parse_rw(r, c, hdr.sector); break;
	case VIRTIO_BLK_T_FLUSH:
		if (!virtio_dev_has(&b->vd, VIRTIO_BLK_F_FLUSH))
			vblk_refuse(r, VIRTIO_BLK_S_UNSUPP, "not negotiated");
		else
			vblk_io_start(r);
		break;
	case VIRTIO_BLK_T_GET_ID: vblk_get_id(r, c); break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: vblk_parse_dwz(r, c); break;
	default: vblk_refuse(r, VIRTIO_BLK_S_UNSUPP, "unknown type");
	}
	return 0;
}

/* A doorbell (or the poller): take every available request. */
static void vblk_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct vblk *b = to_vblk(vd);
	struct virtqueue *vq = &vd->vqs[q];
	int n;

	b->processing = q + 1;
	do {
		for (;;) {
			b->chain = (struct vq_chain){.iov = b->chain_iov,
						     .max = VBLK_QUEUE_SIZE};
			n = virtio_dev_pop(vd, q, &b->chain);
			if (n != 1)
				break;
			if (vblk_handle(b, q, &b->chain)) {
				virtio_dev_set_needs_reset(vd);
				n = -EINVAL;
				break;
			}
		}
	} while (n == 0 && vq_enable_notify(vq) && virtio_dev_live(vd));
	b->processing = 0;
	if (b->notify_pending && virtio_dev_live(vd))
		virtio_dev_notify(vd, q);
	b->notify_pending = false;
}

/* ---- device ops ------------------------------------------------------- */

static void vblk_read_config(struct virtio_dev *vd, size_t off, void *buf,
			     size_t len)
{
	memcpy(buf, (const uint8_t *)&to_vblk(vd)->config + off, len);
}

static void vblk_reset(struct virtio_dev *vd)
{
	struct vblk *b = to_vblk(vd);
	struct vblk_req *r;

	b->gen++;
	b->batch_queues = 0;
	/* Requests waiting for bounce memory never reached the ring. */
	while ((r = b->bounce_wait)) {
		b->bounce_wait = r->next;
		vblk_req_put(r);
	}
	b->bounce_wait_tail = &b->bounce_wait;
}

/* How long a reset waits for the disk's requests in flight. */
#define VBLK_RESET_WAIT_S 10

void vblk_inflight_dec(struct vblk *b)
{
	if (!--b->inflight)
		pthread_cond_broadcast(&b->idle);
}

/*
 * vCPU thread, after a reset: the reads still in flight write into guest
 * buffers the driver owns again once it sees the reset done; wait.
 */
static void vblk_reset_wait(struct virtio_dev *vd)
{
	struct vblk *b = to_vblk(vd);
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += VBLK_RESET_WAIT_S;
	pthread_mutex_lock(&vd->lock);
	while (b->inflight &&
	       pthread_cond_timedwait(&b->idle, &vd->lock, &until) != ETIMEDOUT)
		;
	if (b->inflight)
		pr_warn_ratelimited(&vd->warn_rl,
				    "%s: reset: %u requests still in flight "
				    "after %d s",
				    b->name, b->inflight, VBLK_RESET_WAIT_S);
	pthread_mutex_unlock(&vd->lock);
}

static const struct virtio_dev_ops vblk_ops_template = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .features = (1ULL << VIRTIO_BLK_F_SIZE_MAX) |
		(1ULL << VIRTIO_BLK_F_SEG_MAX) |
		(1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
		(1ULL << VIRTIO_BLK_F_TOPOLOGY) | (1ULL << VIRTIO_BLK_F_MQ),
    .queue_size = VBLK_QUEUE_SIZE,
    .config_size = sizeof(struct virtio_blk_config),
    .read_config = vblk_read_config,
    .reset = vblk_reset,
    .reset_wait = vblk_reset_wait,
    .queue_notify = vblk_queue_notify,
};

static unsigned int log2u(uint32_t v)
{
	unsigned int n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

static void vblk_fill_config(struct vblk *b)
{
	const struct disk *d = &b->disk;
	struct virtio_blk_config *c = &b->config;

	*c = (struct virtio_blk_config){
	    .capacity = d->size / DISK_SECTOR,
	    .size_max = VBLK_SIZE_MAX,
	    .seg_max = VBLK_SEG_MAX,
	    .blk_size = d->logical_block,
	    .physical_block_exp =
		(uint8_t)log2u(d->physical_block / d->logical_block),
	    .min_io_size = (uint16_t)(d->physical_block / d->logical_block),
	    .num_queues = (uint16_t)b->num_queues,
	    .max_discard_sectors = VBLK_MAX_DWZ_SECTORS,
	    .max_discard_seg = VBLK_MAX_DWZ_SEG,
	    .discard_sector_alignment = d->logical_block / DISK_SECTOR,
	    .max_write_zeroes_sectors = VBLK_MAX_DWZ_SECTORS,
	    .max_write_zeroes_seg = VBLK_MAX_DWZ_SEG,
	    .write_zeroes_may_unmap = 1,
	};
}

int vblk_create(struct vblk **out, const struct vblk_config *cfg,
		const struct mem *mem, struct io_loop *loop, char *err,
		size_t err_len)
{
	struct vblk *b;
	int r;

	if (!cfg->num_queues || cfg->num_queues > VBLK_MAX_QUEUES) {
		snprintf(err, err_len, "virtio-blk: %u queues (1..%u)",
			 cfg->num_queues, VBLK_MAX_QUEUES);
		return -EINVAL;
	}
	if (cfg->serial && strlen(cfg->serial) > VBLK_SERIAL_MAX) {
		snprintf(err, err_len, "disk serial '%s': longer than %u bytes",
			 cfg->serial, VBLK_SERIAL_MAX);
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->loop = loop;
	b->num_queues = cfg->num_queues;
	b->batch.done = vblk_batch_end;
	if (cond_init_monotonic(&b->idle)) {
		free(b);
		return -ENOMEM;
	}
	b->bounce_wait_tail = &b->bounce_wait;
	if (cfg->serial)
		memcpy(b->serial, cfg->serial, strlen(cfg->serial));
	snprintf(b->name, sizeof(b->name), "%s", cfg->path ? cfg->path : "");
	r = disk_open(&b->disk, cfg->path, cfg->readonly, cfg->direct, err,
		      err_len);
	if (r) {
		pthread_cond_destroy(&b->idle);
		free(b);
		return r;
	}
	b->ops = vblk_ops_template;
	b->ops.num_queues = cfg->num_queues;
	if (cfg->readonly)
		b->ops.features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		b->ops.features |= (1ULL << VIRTIO_BLK_F_DISCARD) |
				   (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	vblk_fill_config(b);
	r = virtio_dev_init(&b->vd, &b->ops, mem, loop);
	if (r) {
		disk_close(&b->disk);
		pthread_cond_destroy(&b->idle);
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

struct virtio_dev *vblk_dev(struct vblk *b)
{
	return &b->vd;
}

bool vblk_busy(void *arg)
{
	struct vblk *b = arg;
	bool busy;

	pthread_mutex_lock(&b->vd.lock);
	busy = b->inflight > 0;
	pthread_mutex_unlock(&b->vd.lock);
	return busy;
}

void vblk_stats(struct vblk *b, struct vblk_stats *st)
{
	const uint64_t *src = (const uint64_t *)&b->stats;
	uint64_t *dst = (uint64_t *)st;

	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void vblk_destroy(struct vblk *b)
{
	struct vblk_req *r;

	if (!b)
		return;
	if (b->inflight) {
		/* The kernel may still write into them: leave them be. */
		pr_warn("%s: %u requests still in flight at exit: their "
			"memory is not freed",
			b->name, b->inflight);
		return;
	}
	vblk_reset(&b->vd);
	while ((r = b->free_reqs)) {
		b->free_reqs = r->next;
		free(r);
	}
	virtio_dev_uninit(&b->vd);
	disk_close(&b->disk);
	pthread_cond_destroy(&b->idle);
	free(b);
}
