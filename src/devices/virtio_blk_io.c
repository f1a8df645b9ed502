/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk requests through the io loop's io_uring: readv/writev until
 * every byte is transferred (a short count is resubmitted for the rest,
 * never taken for success), fdatasync for FLUSH, fallocate for DISCARD
 * and WRITE_ZEROES on files (BLKDISCARD / BLKZEROOUT on block devices,
 * which io_uring cannot issue). direct=on: guest buffers that are not
 * aligned to the image's logical block go through a bounce buffer, within
 * a budget per disk; requests beyond it wait for one to come back.
 */
#define pr_fmt(fmt) "virtio-blk: " fmt

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "virtio_blk_int.h"

static struct vblk_req *to_req(struct io_request *io)
{
	return container_of(io, struct vblk_req, io);
}

static void vblk_bounce_release(struct vblk_req *r);

/* The request is over: status, chain back, bounce memory returned. */
static void vblk_finish(struct vblk_req *r, uint8_t status)
{
	if (status != VIRTIO_BLK_S_OK)
		r->used_len = 1;
	vblk_bounce_release(r);
	vblk_complete(r, status);
}

static void vblk_host_error(struct vblk_req *r, int err)
{
	struct vblk *b = r->b;

	vblk_count(b, io_errors, 1);
	pr_warn_ratelimited(
	    &b->vd.warn_rl, "%s: request type %u at byte %llu: %s (IOERR)",
	    b->name, r->type, (unsigned long long)(r->offset + r->done),
	    strerror(err));
	vblk_finish(r, VIRTIO_BLK_S_IOERR);
}

/* ---- direct=on bounce buffers ---------------------------------------- */

static bool vblk_iov_aligned(const struct vblk_req *r, uint32_t align)
{
	for (unsigned int i = 0; i < r->niov; i++)
		if (((uintptr_t)r->iov[i].iov_base | r->iov[i].iov_len) &
		    (align - 1))
			return false;
	return true;
}

static void vblk_iov_copy(struct vblk_req *r, bool to_bounce)
{
	uint8_t *p = r->bounce;

	for (unsigned int i = 0; i < r->niov; i++) {
		if (to_bounce)
			memcpy(p, r->iov[i].iov_base, r->iov[i].iov_len);
		else
			memcpy(r->iov[i].iov_base, p, r->iov[i].iov_len);
		p += r->iov[i].iov_len;
	}
}

/*
 * Give @r a bounce buffer. Returns 0, 1 if @r must wait for budget (it is
 * queued and restarted by vblk_bounce_release()) or -ENOMEM.
 */
static int vblk_bounce_get(struct vblk_req *r)
{
	struct vblk *b = r->b;
	uint64_t len = ALIGN_UP(r->len, (uint64_t)b->disk.logical_block);

	if (b->bounce_bytes && b->bounce_bytes + len > VBLK_BOUNCE_BUDGET) {
		r->next = NULL;
		*b->bounce_wait_tail = r;
		b->bounce_wait_tail = &r->next;
		return 1;
	}
	if (posix_memalign(&r->bounce, b->disk.logical_block, len))
		return -ENOMEM;
	r->bounce_len = len;
	b->bounce_bytes += len;
	vblk_count(b, bounced, 1);
	if (r->type == VIRTIO_BLK_T_OUT)
		vblk_iov_copy(r, true);
	r->biov = (struct iovec){.iov_base = r->bounce, .iov_len = r->len};
	return 0;
}

static void vblk_bounce_release(struct vblk_req *r)
{
	struct vblk *b = r->b;
	struct vblk_req *w;

	if (!r->bounce)
		return;
	free(r->bounce);
	r->bounce = NULL;
	b->bounce_bytes -= r->bounce_len;
	/* Waiters in order, while the budget lasts (they restart here). */
	while ((w = b->bounce_wait) &&
	       (!b->bounce_bytes ||
		b->bounce_bytes +
			ALIGN_UP(w->len, (uint64_t)b->disk.logical_block) <=
		    VBLK_BOUNCE_BUDGET)) {
		b->bounce_wait = w->next;
		if (!b->bounce_wait)
			b->bounce_wait_tail = &b->bounce_wait;
		vblk_io_start(w);
	}
}

/* ---- reads and writes ------------------------------------------------- */

static void vblk_rw_submit(struct vblk_req *r);

/* @n more bytes were transferred: move the data's segments past them. */
static void vblk_advance(struct vblk_req *r, uint64_t n)
{
	r->done += n;
	if (r->bounce) {
		r->biov.iov_base = (uint8_t *)r->biov.iov_base + n;
		r->biov.iov_len -= n;
		return;
	}
	while (n && r->iov_at < r->niov) {
		struct iovec *v = &r->iov[r->iov_at];
		uint64_t l = MIN(n, (uint64_t)v->iov_len);

		v->iov_base = (uint8_t *)v->iov_base + l;
		v->iov_len -= l;
		n -= l;
		if (!v->iov_len)
			r->iov_at++;
	}
}

static void vblk_rw_done(struct io_request *io, int res)
{
	struct vblk_req *r = to_req(io);
	struct vblk *b = r->b;

	pthread_mutex_lock(&b->vd.lock);
	vblk_inflight_dec(b);
	if (res == -EINTR || res == -EAGAIN) {
		vblk_rw_submit(r); /* nothing was transferred: again */
	} else if (res < 0) {
		vblk_host_error(r, -res);
	} else if (res == 0) {
		vblk_host_error(r, EIO); /* the image shrank under us */
	} else {
		vblk_advance(r, (uint64_t)res);
		if (r->done < r->len) {
			vblk_rw_submit(r);
		} else {
			if (r->bounce && r->type == VIRTIO_BLK_T_IN)
				vblk_iov_copy(r, false);
			vblk_finish(r, VIRTIO_BLK_S_OK);
		}
	}
	pthread_mutex_unlock(&b->vd.lock);
}

static void vblk_rw_submit(struct vblk_req *r)
{
	struct vblk *b = r->b;
	const struct iovec *iov = r->bounce ? &r->biov : r->iov + r->iov_at;
	unsigned int n = r->bounce ? 1 : r->niov - r->iov_at;
	int64_t off = (int64_t)(r->offset + r->done);
	int err;

	r->io.done = vblk_rw_done;
	if (r->type == VIRTIO_BLK_T_IN)
		err = io_loop_readv(b->loop, &r->io, b->disk.fd, iov, n, off);
	else
		err = io_loop_writev(b->loop, &r->io, b->disk.fd, iov, n, off);
	if (err)
		return vblk_host_error(r, -err);
	b->inflight++;
}

static void vblk_rw_start(struct vblk_req *r)
{
	struct vblk *b = r->b;
	uint32_t align = b->disk.logical_block;

	if (r->type == VIRTIO_BLK_T_IN) {
		vblk_count(b, reads, 1);
		vblk_count(b, read_bytes, r->len);
	} else {
		vblk_count(b, writes, 1);
		vblk_count(b, write_bytes, r->len);
	}
	if (b->disk.direct && (r->offset | r->len) & (align - 1)) {
		vblk_count(b, bad_requests, 1);
		return vblk_finish(r, VIRTIO_BLK_S_IOERR);
	}
	if (b->disk.direct && !r->bounce && !vblk_iov_aligned(r, align)) {
		int w = vblk_bounce_get(r);

		if (w > 0)
			return; /* restarted when budget comes back */
		if (w < 0)
			return vblk_host_error(r, ENOMEM);
	}
	vblk_rw_submit(r);
}

/* ---- flush, discard, write zeroes ------------------------------------ */

static void vblk_flush_done(struct io_request *io, int res)
{
	struct vblk_req *r = to_req(io);
	struct vblk *b = r->b;

	pthread_mutex_lock(&b->vd.lock);
	vblk_inflight_dec(b);
	if (res < 0)
		vblk_host_error(r, -res);
	else
		vblk_finish(r, VIRTIO_BLK_S_OK);
	pthread_mutex_unlock(&b->vd.lock);
}

static void vblk_dwz_next(struct vblk_req *r);

static void vblk_dwz_done(struct io_request *io, int res)
{
	struct vblk_req *r = to_req(io);
	struct vblk *b = r->b;
	bool zero = r->type == VIRTIO_BLK_T_WRITE_ZEROES;

	pthread_mutex_lock(&b->vd.lock);
	vblk_inflight_dec(b);
	if (res == -EOPNOTSUPP && !zero) {
		res = 0; /* a discard is a hint: not punching is fine */
	} else if (res == -EOPNOTSUPP && !r->zero_fallback) {
		/* No ZERO_RANGE here (tmpfs): a punched hole reads zeros. */
		r->zero_fallback = true;
		r->seg_done--;
		res = 0;
	}
	if (res < 0)
		vblk_host_error(r, -res);
	else
		vblk_dwz_next(r);
	pthread_mutex_unlock(&b->vd.lock);
}

/* The next segment of a DISCARD / WRITE_ZEROES, or the end of it. */
static void vblk_dwz_next(struct vblk_req *r)
{
	struct vblk *b = r->b;
	bool zero = r->type == VIRTIO_BLK_T_WRITE_ZEROES;

	while (r->seg_done < r->nseg) {
		const struct virtio_blk_discard_write_zeroes *s =
		    &r->seg[r->seg_done++];
		bool unmap = s->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
		uint64_t off = s->sector * DISK_SECTOR;
		uint64_t len = (uint64_t)s->num_sectors * DISK_SECTOR;
		int err;

		r->offset = off;
		if (!len)
			continue;
		if (b->disk.blockdev) {
			err = disk_blk_discard(&b->disk, off, len, zero);
			if (err == -EOPNOTSUPP && !zero)
				continue;
			if (err)
				return vblk_host_error(r, -err);
			continue;
		}
		r->io.done = vblk_dwz_done;
		err = io_loop_fallocate(
		    b->loop, &r->io, b->disk.fd,
		    disk_file_mode(zero, unmap || r->zero_fallback), off, len);
		if (err)
			return vblk_host_error(r, -err);
		b->inflight++;
		return;
	}
	vblk_finish(r, VIRTIO_BLK_S_OK);
}

void vblk_io_start(struct vblk_req *r)
{
	struct vblk *b = r->b;
	int err;

	if (r->gen != b->gen)
		return vblk_finish(r, VIRTIO_BLK_S_IOERR); /* stale: dropped */
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: return vblk_rw_start(r);
	case VIRTIO_BLK_T_FLUSH:
		vblk_count(b, flushes, 1);
		if (b->disk.readonly)
			return vblk_finish(r, VIRTIO_BLK_S_OK);
		r->io.done = vblk_flush_done;
		err = io_loop_fsync(b->loop, &r->io, b->disk.fd, true);
		if (err)
			return vblk_host_error(r, -err);
		b->inflight++;
		return;
	default: /* DISCARD, WRITE_ZEROES (the parser let nothing else by) */
		if (r->type == VIRTIO_BLK_T_DISCARD)
			vblk_count(b, discards, 1);
		else
			vblk_count(b, write_zeroes, 1);
		return vblk_dwz_next(r);
	}
}
