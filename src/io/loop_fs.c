/* SPDX-License-Identifier: MIT */
/*
 * File-system submissions of the io loop (loop_fs.h): the probe of the
 * ring's opcodes at creation, and one small function per syscall, each
 * an SQE from loop.c's common head, a liburing prep call and the tag
 * that routes its completion to the request's done().
 */
#include "loop_fs.h"

#include <errno.h>
#include <stdint.h>

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

/* An SQE for opcode @bit, if the ring has it. */
static struct io_uring_sqe *fs_sqe(struct io_loop *l, unsigned int bit,
				   int *err)
{
	if (!(l->fs_ops & bit)) {
		*err = -EOPNOTSUPP;
		return NULL;
	}
	return loop_request_sqe(l, err);
}

int io_loop_openat2(struct io_loop *l, struct io_request *req, int dirfd,
		    const char *path, struct open_how *how)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_OPENAT2, &r);
	if (!sqe)
		return r;
	io_uring_prep_openat2(sqe, dirfd, path, how);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_statx(struct io_loop *l, struct io_request *req, int dirfd,
		  const char *path, int flags, unsigned int mask,
		  struct statx *buf)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_STATX, &r);
	if (!sqe)
		return r;
	io_uring_prep_statx(sqe, dirfd, path, flags, mask, buf);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_unlinkat(struct io_loop *l, struct io_request *req, int dirfd,
		     const char *path, int flags)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_UNLINKAT, &r);
	if (!sqe)
		return r;
	io_uring_prep_unlinkat(sqe, dirfd, path, flags);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_mkdirat(struct io_loop *l, struct io_request *req, int dirfd,
		    const char *path, mode_t mode)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_MKDIRAT, &r);
	if (!sqe)
		return r;
	io_uring_prep_mkdirat(sqe, dirfd, path, mode);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_renameat(struct io_loop *l, struct io_request *req, int olddirfd,
		     const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_RENAMEAT, &r);
	if (!sqe)
		return r;
	io_uring_prep_renameat(sqe, olddirfd, oldpath, newdirfd, newpath,
			       flags);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_symlinkat(struct io_loop *l, struct io_request *req,
		      const char *target, int newdirfd, const char *linkpath)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_SYMLINKAT, &r);
	if (!sqe)
		return r;
	io_uring_prep_symlinkat(sqe, target, newdirfd, linkpath);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_linkat(struct io_loop *l, struct io_request *req, int olddirfd,
		   const char *oldpath, int newdirfd, const char *newpath,
		   int flags)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_LINKAT, &r);
	if (!sqe)
		return r;
	io_uring_prep_linkat(sqe, olddirfd, oldpath, newdirfd, newpath, flags);
	loop_request_tag(l, sqe, req);
	return 0;
}

int io_loop_close(struct io_loop *l, struct io_request *req, int fd)
{
	struct io_uring_sqe *sqe;
	int r;

	sqe = fs_sqe(l, IO_LOOP_FS_CLOSE, &r);
	if (!sqe)
		return r;
	io_uring_prep_close(sqe, fd);
	loop_request_tag(l, sqe, req);
	return 0;
}
