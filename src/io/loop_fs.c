/* SPDX-License-Identifier: MIT */
/*
 * File-system submissions of the io loop (loop_fs.h): the probe of the
 * ring's opcodes at creation (the epoll loop has them all: it makes the
 * syscalls itself), and one small function per syscall, each a struct
 * loop_op for the back end (loop_uring.c, loop_epoll.c).
 */
#include "loop_fs.h"

#include <errno.h>
#include <stdint.h>
#include <sys/types.h>

#include <liburing.h>

#include "base/log.h"
#include "base/util.h"
#include "loop_int.h"

static const struct {
	unsigned int bit;
	int opcode;
} fs_opcodes[] = {
    {IO_LOOP_FS_OPENAT2, IORING_OP_OPENAT2},
    {IO_LOOP_FS_STATX, IORING_OP_STATX},
    {IO_LOOP_FS_UNLINKAT, IORING_OP_UNLINKAT},
    {IO_LOOP_FS_MKDIRAT, IORING_OP_MKDIRAT},
    {IO_LOOP_FS_RENAMEAT, IORING_OP_RENAMEAT},
    {IO_LOOP_FS_SYMLINKAT, IORING_OP_SYMLINKAT},
    {IO_LOOP_FS_LINKAT, IORING_OP_LINKAT},
    {IO_LOOP_FS_CLOSE, IORING_OP_CLOSE},
    {IO_LOOP_FS_GETXATTR, IORING_OP_GETXATTR},
    {IO_LOOP_FS_SETXATTR, IORING_OP_SETXATTR},
};

void loop_fs_probe(struct io_loop *l)
{
	struct io_uring_probe *p = io_uring_get_probe_ring(&l->ring);

	l->fs_ops = 0;
	if (!p)
		return; /* no probe (before 5.6): none of them either */
	for (size_t i = 0; i < ARRAY_SIZE(fs_opcodes); i++)
		if (io_uring_opcode_supported(p, fs_opcodes[i].opcode))
			l->fs_ops |= fs_opcodes[i].bit;
	io_uring_free_probe(p);
	pr_debug("file-system opcodes 0x%x", l->fs_ops);
}

unsigned int io_loop_fs_ops(const struct io_loop *l)
{
	return l->fs_ops;
}

/* Submit @op, opcode @bit, if the loop has it. */
static int fs_submit(struct io_loop *l, unsigned int bit,
		     struct io_request *req, const struct loop_op *op)
{
	if (!(l->fs_ops & bit))
		return -EOPNOTSUPP;
	return loop_submit(l, req, op);
}

int io_loop_openat2(struct io_loop *l, struct io_request *req, int dirfd,
		    const char *path, struct open_how *how)
{
	return fs_submit(l, IO_LOOP_FS_OPENAT2, req,
			 &(struct loop_op){.code = LOOP_OP_OPENAT2,
					   .fd = dirfd,
					   .path = path,
					   .buf = how});
}

int io_loop_statx(struct io_loop *l, struct io_request *req, int dirfd,
		  const char *path, int flags, unsigned int mask,
		  struct statx *buf)
{
	return fs_submit(l, IO_LOOP_FS_STATX, req,
			 &(struct loop_op){.code = LOOP_OP_STATX,
					   .fd = dirfd,
					   .path = path,
					   .flags = flags,
					   .mask = mask,
					   .buf = buf});
}

int io_loop_unlinkat(struct io_loop *l, struct io_request *req, int dirfd,
		     const char *path, int flags)
{
	return fs_submit(l, IO_LOOP_FS_UNLINKAT, req,
			 &(struct loop_op){.code = LOOP_OP_UNLINKAT,
					   .fd = dirfd,
					   .path = path,
					   .flags = flags});
}

int io_loop_mkdirat(struct io_loop *l, struct io_request *req, int dirfd,
		    const char *path, mode_t mode)
{
	return fs_submit(l, IO_LOOP_FS_MKDIRAT, req,
			 &(struct loop_op){.code = LOOP_OP_MKDIRAT,
					   .fd = dirfd,
					   .path = path,
					   .mode = mode});
}

int io_loop_renameat(struct io_loop *l, struct io_request *req, int olddirfd,
		     const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags)
{
	return fs_submit(l, IO_LOOP_FS_RENAMEAT, req,
			 &(struct loop_op){.code = LOOP_OP_RENAMEAT,
					   .fd = olddirfd,
					   .path = oldpath,
					   .fd2 = newdirfd,
					   .path2 = newpath,
					   .flags = (int)flags});
}

int io_loop_symlinkat(struct io_loop *l, struct io_request *req,
		      const char *target, int newdirfd, const char *linkpath)
{
	return fs_submit(l, IO_LOOP_FS_SYMLINKAT, req,
			 &(struct loop_op){.code = LOOP_OP_SYMLINKAT,
					   .fd = newdirfd,
					   .path = linkpath,
					   .path2 = target});
}

int io_loop_linkat(struct io_loop *l, struct io_request *req, int olddirfd,
		   const char *oldpath, int newdirfd, const char *newpath,
		   int flags)
{
	return fs_submit(l, IO_LOOP_FS_LINKAT, req,
			 &(struct loop_op){.code = LOOP_OP_LINKAT,
					   .fd = olddirfd,
					   .path = oldpath,
					   .fd2 = newdirfd,
					   .path2 = newpath,
					   .flags = flags});
}

int io_loop_close(struct io_loop *l, struct io_request *req, int fd)
{
	return fs_submit(l, IO_LOOP_FS_CLOSE, req,
			 &(struct loop_op){.code = LOOP_OP_CLOSE, .fd = fd});
}

int io_loop_getxattr(struct io_loop *l, struct io_request *req,
		     const char *path, const char *name, void *value,
		     size_t size)
{
	return fs_submit(l, IO_LOOP_FS_GETXATTR, req,
			 &(struct loop_op){.code = LOOP_OP_GETXATTR,
					   .path = path,
					   .path2 = name,
					   .buf = value,
					   .len = size});
}

int io_loop_setxattr(struct io_loop *l, struct io_request *req,
		     const char *path, const char *name, const void *value,
		     size_t size, int flags)
{
	return fs_submit(l, IO_LOOP_FS_SETXATTR, req,
			 &(struct loop_op){.code = LOOP_OP_SETXATTR,
					   .path = path,
					   .path2 = name,
					   .value = value,
					   .len = size,
					   .flags = flags});
}
