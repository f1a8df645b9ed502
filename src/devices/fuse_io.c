/* SPDX-License-Identifier: MIT */
/*
 * fuse_io_run() (fuse_server.h): a prepared I/O done with the plain
 * syscall io_uring would have made, for fuse_server_handle(), for the
 * steps of metadata ops the caller's ring lacks, and for tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "fuse_int.h"

static ssize_t run_meta(const struct fuse_io *io)
{
	switch (io->op) {
	case FUSE_IO_STATX:
		return statx(io->dirfd, io->name, io->flags, io->mask, io->stx);
	case FUSE_IO_OPENAT2:
		return syscall(SYS_openat2, io->dirfd, io->name, io->how,
			       sizeof(*io->how));
	case FUSE_IO_UNLINKAT: return unlinkat(io->dirfd, io->name, io->flags);
	case FUSE_IO_MKDIRAT:
		return mkdirat(io->dirfd, io->name, (mode_t)io->mode);
	case FUSE_IO_RENAMEAT:
		return renameat2(io->dirfd, io->name, io->dirfd2, io->name2,
				 (unsigned int)io->flags);
	case FUSE_IO_SYMLINKAT:
		return symlinkat(io->name2, io->dirfd, io->name);
	case FUSE_IO_LINKAT:
		return linkat(io->dirfd, io->name, io->dirfd2, io->name2,
			      io->flags);
	/* io_uring's close: the fd is gone even when close() reports. */
	case FUSE_IO_CLOSE: return close(io->fd);
	case FUSE_IO_GETXATTR:
		return getxattr(io->name, io->name2, io->value, io->size);
	case FUSE_IO_SETXATTR:
		return setxattr(io->name, io->name2, io->value, io->size,
				io->flags);
	default: errno = EINVAL; return -1;
	}
}

ssize_t fuse_io_run(const struct fuse_io *io)
{
	ssize_t res;

	switch (io->op) {
	case FUSE_IO_READ:
		res = preadv(io->fd, io->iov, (int)io->niov, io->off);
		break;
	case FUSE_IO_WRITE:
		res = pwritev(io->fd, io->iov, (int)io->niov, io->off);
		break;
	case FUSE_IO_FSYNC: res = fsync(io->fd); break;
	case FUSE_IO_FDATASYNC: res = fdatasync(io->fd); break;
	case FUSE_IO_FALLOCATE:
		res = fallocate(io->fd, io->mode, io->off, io->len);
		break;
	default: res = run_meta(io); break;
	}
	return res < 0 ? -errno : res;
}
