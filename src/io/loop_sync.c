/* SPDX-License-Identifier: MIT */
/*
 * The epoll loop's one-shot requests (loop_int.h, struct loop_op): each
 * opcode the ring has, as the plain syscall the ring would make, on the
 * loop thread. A result is what the ring's completion would hold. Reads
 * and writes of disk images and shared files block the loop meanwhile:
 * that is the price of running where io_uring is refused. Pipes, ttys
 * and sockets never do: where the ring would wait for its peer, these
 * say -EAGAIN and the epoll loop waits for the fd (loop_epoll.c).
 */
#include "loop_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "base/util.h"

#define SYNC_PART_IOVS 16 /* iovecs of a PIPE_BUF-bounded write */

/* Plain readv/writev, or their p- forms at an offset (-1: none). */
static ssize_t sync_rw_plain(const struct loop_op *op, const struct iovec *iov,
			     int iovcnt)
{
	if (op->code == LOOP_OP_READV)
		return op->offset < 0
			   ? readv(op->fd, iov, iovcnt)
			   : preadv(op->fd, iov, iovcnt, (off_t)op->offset);
	return op->offset < 0 ? writev(op->fd, iov, iovcnt)
			      : pwritev(op->fd, iov, iovcnt, (off_t)op->offset);
}

/*
 * Could a read or write of @fd sleep until a peer acts: a blocking pipe,
 * tty or socket? Files and disks only wait for the device, which is the
 * synchronous I/O this loop accepts; nonblocking fds say EAGAIN.
 */
static bool sync_may_sleep(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_NONBLOCK) || fstat(fd, &st) < 0)
		return false;
	return !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
}

/*
 * A read or write that must not sleep on a peer (the ring would park it
 * in a worker and poll; a blocked loop thread stalls every device).
 * RWF_NOWAIT where the file has it; else poll first and, once writable,
 * write at most PIPE_BUF bytes, which a pipe then takes without waiting.
 * EAGAIN: not ready, the caller waits for the fd and tries again.
 */
static ssize_t sync_rw(const struct loop_op *op)
{
	bool rd = op->code == LOOP_OP_READV;
	struct pollfd pfd = {.fd = op->fd, .events = rd ? POLLIN : POLLOUT};
	struct iovec part[SYNC_PART_IOVS];
	int cnt = (int)op->iovcnt;
	size_t len = 0;
	ssize_t n;

	if (!sync_may_sleep(op->fd))
		return sync_rw_plain(op, op->iov, cnt);
	n = rd ? preadv2(op->fd, op->iov, cnt, (off_t)op->offset, RWF_NOWAIT)
	       : pwritev2(op->fd, op->iov, cnt, (off_t)op->offset, RWF_NOWAIT);
	if (n >= 0 || errno != EOPNOTSUPP)
		return n;
	if (poll(&pfd, 1, 0) == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (rd)
		return sync_rw_plain(op, op->iov,
				     cnt); /* takes what is there */
	for (cnt = 0;
	     cnt < (int)op->iovcnt && cnt < SYNC_PART_IOVS && len < PIPE_BUF;
	     cnt++) {
		part[cnt] = op->iov[cnt];
		part[cnt].iov_len = MIN(part[cnt].iov_len, PIPE_BUF - len);
		len += part[cnt].iov_len;
	}
	return sync_rw_plain(op, part, cnt); /* a short count, maybe */
}

static ssize_t sync_once(const struct loop_op *op)
{
	switch (op->code) {
	case LOOP_OP_READV:
	case LOOP_OP_WRITEV: return sync_rw(op);
	case LOOP_OP_FSYNC:
		return op->flags ? fdatasync(op->fd) : fsync(op->fd);
	case LOOP_OP_FALLOCATE:
		return fallocate(op->fd, op->flags, (off_t)op->offset,
				 (off_t)op->len);
	case LOOP_OP_SENDMSG:
		/* Full: EAGAIN and a wait, as the ring polls, never a sleep. */
		return sendmsg(op->fd, op->msg, op->flags | MSG_DONTWAIT);
	case LOOP_OP_POLL:
	case LOOP_OP_NOP: return 0;
	case LOOP_OP_OPENAT2:
		/* glibc 2.36 has no wrapper. */
		return syscall(SYS_openat2, op->fd, op->path, op->buf,
			       sizeof(struct open_how));
	case LOOP_OP_STATX:
		return statx(op->fd, op->path, op->flags, op->mask, op->buf);
	case LOOP_OP_UNLINKAT: return unlinkat(op->fd, op->path, op->flags);
	case LOOP_OP_MKDIRAT: return mkdirat(op->fd, op->path, op->mode);
	case LOOP_OP_RENAMEAT:
		return renameat2(op->fd, op->path, op->fd2, op->path2,
				 (unsigned int)op->flags);
	case LOOP_OP_SYMLINKAT: return symlinkat(op->path2, op->fd, op->path);
	case LOOP_OP_LINKAT:
		return linkat(op->fd, op->path, op->fd2, op->path2, op->flags);
	case LOOP_OP_CLOSE: return close(op->fd);
	case LOOP_OP_GETXATTR:
		return getxattr(op->path, op->path2, op->buf, (size_t)op->len);
	case LOOP_OP_SETXATTR:
		return setxattr(op->path, op->path2, op->value, (size_t)op->len,
				op->flags);
	}
	errno = EINVAL;
	return -1;
}

int loop_sync_perform(const struct loop_op *op)
{
	ssize_t n;

	do {
		n = sync_once(op);
		/* close() is never retried: the fd is gone either way. */
	} while (n < 0 && errno == EINTR && op->code != LOOP_OP_CLOSE);
	return n < 0 ? -errno : (int)n;
}

bool loop_sync_may_wait(const struct loop_op *op)
{
	switch (op->code) {
	case LOOP_OP_READV:
	case LOOP_OP_WRITEV: return true;
	case LOOP_OP_SENDMSG: return !(op->flags & MSG_DONTWAIT);
	default: return false;
	}
}
