/* SPDX-License-Identifier: MIT */
/*
 * FUSE ops on open files: OPEN, CREATE, READ, WRITE, FLUSH, RELEASE,
 * FSYNC, FALLOCATE and LSEEK. READ, WRITE, FSYNC and FALLOCATE are not
 * done here but described in a struct fuse_io, which the caller runs
 * (io_uring) or fuse_server_handle() runs with fuse_io_run(); the reply
 * is written by fuse_io_reply() once the result is known.
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

/*
 * The open flags we pass on. O_DIRECT is dropped (the guest's buffers
 * need not be aligned for the host's device), as is O_NOATIME (it
 * needs ownership) and anything that changes how the open resolves.
 */
static int open_flags(uint32_t guest)
{
	return (int)guest & (O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC);
}

static bool open_writes(uint32_t guest)
{
	return (guest & O_ACCMODE) != O_RDONLY || (guest & O_TRUNC);
}

/*
 * Only regular files are opened on the host: the guest kernel serves
 * its own FIFOs, sockets and device nodes, and opening those here could
 * block the io thread (a FIFO) or reach host hardware (a device).
 */
static int check_type(mode_t type)
{
	if (S_ISREG(type))
		return 0;
	if (S_ISDIR(type))
		return -EISDIR;
	return S_ISLNK(type) ? -ELOOP : -ENXIO;
}

static int reply_open(struct fuse_req *r, int fd)
{
	struct fuse_open_out o = {0};
	struct fuse_handle *h;
	int err = fuse_handles_add(&r->s->handles, fd, false, &h);

	if (err)
		return err;
	o.fh = h->fh;
	return fuse_reply(r, &o, sizeof(o));
}

int fuse_op_open(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_open_in a;
	int fd, err;

	if (!n)
		return -ENOENT;
	memcpy(&a, r->arg, sizeof(a));
	if ((a.flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (r->s->readonly && open_writes(a.flags))
		return -EROFS;
	err = check_type(n->type);
	if (!err)
		err = fuse_node_reopen(r->s->proc_fd, n->fd, n->type,
				       open_flags(a.flags), &fd);
	return err ? err : reply_open(r, fd);
}

/*
 * CREATE of an existing file without O_EXCL: an OPEN of it, through an
 * O_PATH lookup first so that its type is known before it is opened.
 */
static int open_existing(struct fuse_req *r, int parent_fd, const char *name,
			 int flags, int *fd, int *path_fd)
{
	struct stat st;
	int err = fuse_child_open(parent_fd, name, path_fd);

	if (err)
		return err;
	err = fstat(*path_fd, &st) < 0 ? -errno : check_type(st.st_mode);
	if (!err)
		err = fuse_node_reopen(r->s->proc_fd, *path_fd, st.st_mode,
				       flags, fd);
	if (err)
		close(*path_fd);
	return err;
}

/* Create @name, not following a symlink there; *path_fd is O_PATH. */
static int create_new(struct fuse_req *r, int parent_fd, const char *name,
		      int flags, mode_t mode, int *fd, int *path_fd)
{
	struct open_how how = {
	    .flags =
		(uint64_t)flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    .mode = mode & 07777,
	    .resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	char num[16];
	long f;

	f = syscall(SYS_openat2, parent_fd, name, &how, sizeof(how));
	if (f < 0)
		return -errno;
	*fd = (int)f;
	/* The node's O_PATH fd, from the open file: no second lookup. */
	snprintf(num, sizeof(num), "%d", *fd);
	*path_fd = openat(r->s->proc_fd, num, O_PATH | O_CLOEXEC);
	if (*path_fd < 0) {
		int err = -errno;

		close(*fd);
		return err;
	}
	return 0;
}

int fuse_op_create(struct fuse_req *r)
{
	struct fuse_node *parent = fuse_req_node(r);
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out = {0};
	struct fuse_handle *h;
	struct fuse_create_in c;
	size_t off = sizeof(c);
	const char *name;
	int fd, path_fd, err;

	if (!parent)
		return -ENOENT;
	memcpy(&c, r->arg, sizeof(c));
	name = fuse_req_name(r, &off, &err);
	if (!name)
		return err;
	if ((c.flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	err = create_new(r, parent->fd, name, open_flags(c.flags), c.mode, &fd,
			 &path_fd);
	if (!err)
		fuse_created(r, path_fd, parent, c.mode);
	else if (err == -EEXIST && !(c.flags & O_EXCL))
		err = open_existing(r, parent->fd, name, open_flags(c.flags),
				    &fd, &path_fd);
	if (err)
		return err;
	err = fuse_handles_add(&r->s->handles, fd, false, &h);
	if (err) {
		close(path_fd);
		return err;
	}
	err = fuse_entry_make(r->s, path_fd, &out.e);
	if (err) {
		(void)fuse_handles_release(&r->s->handles, h->fh, false);
		return err;
	}
	out.o.fh = h->fh;
	return fuse_reply(r, &out, sizeof(out));
}

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
	default: return -EINVAL;
	}
	return res < 0 ? -errno : res;
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

int fuse_op_release(struct fuse_req *r)
{
	struct fuse_release_in a;
	int err;

	memcpy(&a, r->arg, sizeof(a));
	err = fuse_handles_release(&r->s->handles, a.fh, false);
	return err ? err : fuse_reply(r, NULL, 0);
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
