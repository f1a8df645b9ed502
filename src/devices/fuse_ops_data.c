/* SPDX-License-Identifier: MIT */
/*
 * FUSE ops on open files: READ, WRITE, FLUSH, FSYNC, FALLOCATE and
 * LSEEK (OPEN, CREATE and RELEASE are in fuse_ops_open.c). READ, WRITE,
 * FSYNC and FALLOCATE are not done here but described in a struct
 * fuse_io, which the caller runs (io_uring) or fuse_server_handle()
 * runs with fuse_io_run(); the reply is written by fuse_io_reply() once
 * the result is known.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "base/util.h"
#include "fuse_int.h"
#include "fuse_path.h"

/* The open file handle @fh, held for a prepared I/O in r->io. */
static int io_start(struct fuse_req *r, uint64_t fh, enum fuse_io_op op)
{
	struct fuse_handle *h = fuse_handles_get(&r->s->handles, fh, false);

	if (!h)
		return -EBADF;
	*r->io = (struct fuse_io){
	    .op = op, .fd = h->fd, .unique = r->h.unique, .handle = h};
	fuse_handle_hold(h);
	return FUSE_SERVER_IO;
}

/* READ or WRITE of @iov (@niov segments) at @off on handle @fh, prepared. */
static int io_data(struct fuse_req *r, uint64_t fh, enum fuse_io_op op,
		   uint64_t off, const struct iovec *iov, unsigned int niov)
{
	int ret = io_start(r, fh, op);

	if (ret < 0)
		return ret;
	r->io->off = (off_t)off;
	r->io->niov = niov;
	memcpy(r->io->iov, iov, niov * sizeof(iov[0]));
	return ret;
}

int fuse_op_read(struct fuse_req *r)
{
	const size_t hl = sizeof(struct fuse_out_header);
	struct fuse_read_in a;
	size_t size, sliced;
	struct iovec iov[FUSE_IO_MAX_IOV];
	unsigned int niov;

	memcpy(&a, r->arg, sizeof(a));
	if (a.offset > INT64_MAX)
		return -EINVAL;
	/* Never more than the guest gave room for. */
	size = MIN((size_t)a.size, fuse_reply_room(r));
	size = MIN(size, (size_t)FUSE_SERVER_MAX_WRITE);
	niov = iov_slice(r->out, r->n_out, hl, size, iov, FUSE_IO_MAX_IOV,
			 &sliced);
	/* A short read would read as EOF: refuse a chain we cannot fill. */
	if (sliced != size)
		return -EINVAL;
	return io_data(r, a.fh, FUSE_IO_READ, a.offset, iov, niov);
}

int fuse_op_write(struct fuse_req *r)
{
	const size_t data =
	    sizeof(struct fuse_in_header) + sizeof(struct fuse_write_in);
	struct fuse_write_in a;
	struct iovec iov[FUSE_IO_MAX_IOV];
	unsigned int niov;
	size_t sliced;

	memcpy(&a, r->arg, sizeof(a));
	if (a.offset > INT64_MAX || a.size > FUSE_SERVER_MAX_WRITE ||
	    a.size > r->in_len - data)
		return -EINVAL;
	niov = iov_slice(r->in, r->n_in, data, a.size, iov, FUSE_IO_MAX_IOV,
			 &sliced);
	if (sliced != a.size)
		return -EINVAL;
	if (a.write_flags & FUSE_WRITE_KILL_SUIDGID) {
		struct fuse_handle *h =
		    fuse_handles_get(&r->s->handles, a.fh, false);
		int err = h ? fuse_kill_suidgid(r->s, h->fd) : -EBADF;

		if (err)
			return err;
	}
	return io_data(r, a.fh, FUSE_IO_WRITE, a.offset, iov, niov);
}

int fuse_op_fsync(struct fuse_req *r)
{
	struct fuse_fsync_in a;

	memcpy(&a, r->arg, sizeof(a));
	return io_start(r, a.fh,
			a.fsync_flags & FUSE_FSYNC_FDATASYNC ? FUSE_IO_FDATASYNC
							     : FUSE_IO_FSYNC);
}

int fuse_op_fallocate(struct fuse_req *r)
{
	struct fuse_fallocate_in a;
	int ret;

	memcpy(&a, r->arg, sizeof(a));
	if (a.offset > INT64_MAX || a.length > INT64_MAX || a.mode > INT32_MAX)
		return -EINVAL;
	ret = io_start(r, a.fh, FUSE_IO_FALLOCATE);
	if (ret < 0)
		return ret;
	r->io->off = (off_t)a.offset;
	r->io->len = (off_t)a.length;
	r->io->mode = (int)a.mode;
	return ret;
}

int fuse_io_reply(struct fuse_req *r, const struct fuse_io *io, ssize_t res)
{
	size_t total = 0;
	int ret;

	for (unsigned int i = 0; i < io->niov; i++)
		total += io->iov[i].iov_len;
	if (res >= 0 && (size_t)res > total && io->op <= FUSE_IO_WRITE)
		res = -EIO; /* the caller reported more than it was given */
	if (res < 0) {
		ret = fuse_reply_err(r, (int)res);
	} else if (io->op == FUSE_IO_READ) {
		struct fuse_out_header oh = {
		    .len = (uint32_t)(sizeof(oh) + (size_t)res),
		    .unique = io->unique,
		};

		/* The data is in place already; only the header is left. */
		iov_from_buf(r->out, r->n_out, 0, &oh, sizeof(oh));
		r->written = oh.len;
		ret = FUSE_SERVER_REPLY;
	} else if (io->op == FUSE_IO_WRITE) {
		struct fuse_write_out w = {.size = (uint32_t)res};

		ret = fuse_reply(r, &w, sizeof(w));
	} else {
		ret = fuse_reply(r, NULL, 0);
	}
	fuse_handle_put(io->handle);
	return ret;
}

int fuse_op_flush(struct fuse_req *r)
{
	struct fuse_flush_in a;
	struct fuse_handle *h;
	int fd;

	memcpy(&a, r->arg, sizeof(a));
	h = fuse_handles_get(&r->s->handles, a.fh, false);
	if (!h)
		return -EBADF;
	/*
	 * The guest closed one of its descriptors: close a duplicate of
	 * ours so that what the host does on close (NFS writes back, POSIX
	 * locks drop) happens now, and report what close() says.
	 */
	fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	return close(fd) < 0 ? -errno : fuse_reply(r, NULL, 0);
}

int fuse_op_lseek(struct fuse_req *r)
{
	struct fuse_lseek_out o;
	struct fuse_lseek_in a;
	struct fuse_handle *h;
	off_t pos;

	memcpy(&a, r->arg, sizeof(a));
	h = fuse_handles_get(&r->s->handles, a.fh, false);
	if (!h)
		return -EBADF;
	if (a.whence != SEEK_DATA && a.whence != SEEK_HOLE &&
	    a.whence != SEEK_SET && a.whence != SEEK_END)
		return -EINVAL;
	if (a.offset > INT64_MAX)
		return -ENXIO;
	/* The fd's position is not used for I/O (pread/pwrite), so moving
	 * it is harmless. */
	pos = lseek(h->fd, (off_t)a.offset, (int)a.whence);
	if (pos < 0)
		return -errno;
	o.offset = (uint64_t)pos;
	return fuse_reply(r, &o, sizeof(o));
}
