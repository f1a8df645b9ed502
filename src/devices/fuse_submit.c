/* SPDX-License-Identifier: MIT */
/*
 * A prepared FUSE step (struct fuse_io, from fuse_server_prepare() or
 * fuse_server_complete()) handed to the io loop as the matching request,
 * and which steps the loop's ring can take at all.
 */
#include "fuse_submit.h"

#include <errno.h>

#include "base/util.h"
#include "io/loop.h"
#include "io/loop_fs.h"

int fuse_io_submit(struct io_loop *l, struct io_request *req,
		   const struct fuse_io *io)
{
	switch (io->op) {
	case FUSE_IO_READ:
		return io_loop_readv(l, req, io->fd, io->iov, io->niov,
				     io->off);
	case FUSE_IO_WRITE:
		return io_loop_writev(l, req, io->fd, io->iov, io->niov,
				      io->off);
	case FUSE_IO_FSYNC:
	case FUSE_IO_FDATASYNC:
		return io_loop_fsync(l, req, io->fd,
				     io->op == FUSE_IO_FDATASYNC);
	case FUSE_IO_FALLOCATE:
		return io_loop_fallocate(l, req, io->fd, io->mode,
					 (uint64_t)io->off, (uint64_t)io->len);
	case FUSE_IO_STATX:
		return io_loop_statx(l, req, io->dirfd, io->name, io->flags,
				     io->mask, io->stx);
	case FUSE_IO_OPENAT2:
		return io_loop_openat2(l, req, io->dirfd, io->name, io->how);
	case FUSE_IO_UNLINKAT:
		return io_loop_unlinkat(l, req, io->dirfd, io->name, io->flags);
	case FUSE_IO_MKDIRAT:
		return io_loop_mkdirat(l, req, io->dirfd, io->name,
				       (mode_t)io->mode);
	case FUSE_IO_RENAMEAT:
		return io_loop_renameat(l, req, io->dirfd, io->name, io->dirfd2,
					io->name2, (unsigned int)io->flags);
	case FUSE_IO_SYMLINKAT:
		return io_loop_symlinkat(l, req, io->name2, io->dirfd,
					 io->name);
	case FUSE_IO_LINKAT:
		return io_loop_linkat(l, req, io->dirfd, io->name, io->dirfd2,
				      io->name2, io->flags);
	case FUSE_IO_CLOSE: return io_loop_close(l, req, io->fd);
	case FUSE_IO_GETXATTR:
		return io_loop_getxattr(l, req, io->name, io->name2, io->value,
					io->size);
	case FUSE_IO_SETXATTR:
		return io_loop_setxattr(l, req, io->name, io->name2, io->value,
					io->size, io->flags);
	case FUSE_IO_NR_OPS: break;
	}
	return -EINVAL;
}

unsigned int fuse_io_async_ops(struct io_loop *l)
{
	static const struct {
		unsigned int loop_bit;
		enum fuse_io_op op;
	} map[] = {
	    {IO_LOOP_FS_STATX, FUSE_IO_STATX},
	    {IO_LOOP_FS_OPENAT2, FUSE_IO_OPENAT2},
	    {IO_LOOP_FS_UNLINKAT, FUSE_IO_UNLINKAT},
	    {IO_LOOP_FS_MKDIRAT, FUSE_IO_MKDIRAT},
	    {IO_LOOP_FS_RENAMEAT, FUSE_IO_RENAMEAT},
	    {IO_LOOP_FS_SYMLINKAT, FUSE_IO_SYMLINKAT},
	    {IO_LOOP_FS_LINKAT, FUSE_IO_LINKAT},
	    {IO_LOOP_FS_CLOSE, FUSE_IO_CLOSE},
	    {IO_LOOP_FS_GETXATTR, FUSE_IO_GETXATTR},
	    {IO_LOOP_FS_SETXATTR, FUSE_IO_SETXATTR},
	};
	unsigned int have = io_loop_fs_ops(l), mask = 0;

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (have & map[i].loop_bit)
			mask |= FUSE_IO_BIT(map[i].op);
	return mask;
}
