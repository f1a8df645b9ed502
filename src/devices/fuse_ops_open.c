/* SPDX-License-Identifier: MIT */
/*
 * FUSE ops that open and close files: OPEN, CREATE, RELEASE (and
 * RELEASEDIR's close). Each is a chain (fuse_meta.c): OPEN is an
 * OPENAT2 of the node through /proc/self/fd (fuse_path.h); CREATE an
 * OPENAT2 with O_CREAT|O_EXCL beneath the parent, then the new entry's
 * STATX; RELEASE a CLOSE of the handle's fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/openat2.h>

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

static int opened(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	struct fuse_open_out o = {0};
	struct fuse_handle *h;
	int err;

	if (res < 0)
		return (int)res;
	if (m->kill_suidgid) {
		err = fuse_kill_suidgid(r->s, (int)res);
		if (err) {
			close((int)res);
			return err;
		}
	}
	err = fuse_handles_add(&r->s->handles, (int)res, false, &h);
	if (err)
		return err;
	o.fh = h->fh;
	o.open_flags = fuse_open_flags(r->s, m->node->dev);
	return fuse_reply(r, &o, sizeof(o));
}

int fuse_op_open(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_open_in a;
	struct fuse_meta *m;
	struct open_how how;
	char name[16];
	int err;

	if (!n)
		return -ENOENT;
	memcpy(&a, r->arg, sizeof(a));
	if ((a.flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (r->s->readonly && open_writes(a.flags))
		return -EROFS;
	err = check_type(n->type);
	if (!err)
		err = fuse_node_reopen_how(n->fd, n->type, open_flags(a.flags),
					   name, sizeof(name), &how);
	if (err)
		return err;
	/* Held: the node's fd number is the name opened. */
	m = fuse_meta_new(r, n);
	if (!m)
		return -ENOMEM;
	fuse_meta_name(m->name, name, sizeof(m->name));
	m->how = how;
	m->kill_suidgid =
	    (a.flags & O_TRUNC) && (a.open_flags & FUSE_OPEN_KILL_SUIDGID);
	fuse_meta_io(r, m, FUSE_IO_OPENAT2, opened);
	r->io->dirfd = r->s->proc_fd;
	return fuse_meta_start(r, m);
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
	if (err) {
		close(*path_fd);
		*path_fd = -1;
	}
	return err;
}

/* The new file's stat is in: its handle, its node, the reply. */
static int create_stated(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out = {0};
	struct fuse_handle *h;
	struct stat st;
	int err;

	if (res < 0)
		return (int)res;
	err = fuse_handles_add(&r->s->handles, m->fd2, false, &h);
	m->fd2 = -1; /* consumed either way */
	if (err)
		return err;
	fuse_statx_to_stat(&m->stx, &st);
	err = fuse_entry_make_st(r->s, m->fd, &st, &out.e);
	m->fd = -1;
	if (err) {
		(void)fuse_handles_release(&r->s->handles, h->fh, false);
		return err;
	}
	out.o.fh = h->fh;
	out.o.open_flags = fuse_open_flags(r->s, m->node->dev);
	return fuse_reply(r, &out, sizeof(out));
}

/*
 * The O_CREAT|O_EXCL open is done. A new file: its O_PATH fd from the
 * open file (no second lookup), owner and mode. An existing one, unless
 * the guest said O_EXCL: opened as OPEN would, here.
 */
static int create_opened(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	char num[16];
	int err;

	if (res >= 0) {
		m->fd2 = (int)res;
		snprintf(num, sizeof(num), "%d", m->fd2);
		m->fd = openat(r->s->proc_fd, num, O_PATH | O_CLOEXEC);
		if (m->fd < 0)
			return -errno;
		fuse_created(r, m->fd, m->node, m->mode);
	} else if (res == -EEXIST && !(m->flags & O_EXCL)) {
		err = open_existing(r, m->node->fd, m->name,
				    open_flags(m->flags), &m->fd2, &m->fd);
		if (!err && m->kill_suidgid)
			err = fuse_kill_suidgid(r->s, m->fd2);
		if (err)
			return err;
	} else {
		return (int)res;
	}
	fuse_meta_statx(r, m, m->fd, create_stated);
	return FUSE_SERVER_IO;
}

int fuse_op_create(struct fuse_req *r)
{
	struct fuse_node *parent = fuse_req_node(r);
	struct fuse_create_in c;
	struct fuse_meta *m;
	size_t off = sizeof(c);
	const char *name;
	int err;

	if (!parent)
		return -ENOENT;
	memcpy(&c, r->arg, sizeof(c));
	name = fuse_req_name(r, &off, &err);
	if (!name)
		return err;
	if ((c.flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	m = fuse_meta_new(r, parent);
	if (!m)
		return -ENOMEM;
	fuse_meta_name(m->name, name, sizeof(m->name));
	m->flags = c.flags;
	m->mode = c.mode;
	m->kill_suidgid =
	    (c.flags & O_TRUNC) && (c.open_flags & FUSE_OPEN_KILL_SUIDGID);
	/* Create @name, not following a symlink there (fuse_path.h). */
	m->how = (struct open_how){
	    .flags = (uint64_t)open_flags(c.flags) | O_CREAT | O_EXCL |
		     O_NOFOLLOW | O_CLOEXEC,
	    .mode = c.mode & 07777,
	    .resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	fuse_meta_io(r, m, FUSE_IO_OPENAT2, create_opened);
	r->io->dirfd = parent->fd;
	return fuse_meta_start(r, m);
}

static int closed(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	/*
	 * As close(): the fd is gone whatever it reports (one the ring
	 * cancelled, fuse_server_complete() has closed).
	 */
	(void)m;
	(void)res;
	return fuse_reply(r, NULL, 0);
}

int fuse_release_fh(struct fuse_req *r, uint64_t fh, bool dir)
{
	struct fuse_meta *m;
	int fd, err = fuse_handles_take(&r->s->handles, fh, dir, &fd);

	if (err)
		return err;
	/* I/O still holds the handle: its last put closes the fd. */
	if (fd < 0)
		return fuse_reply(r, NULL, 0);
	m = fuse_meta_new(r, NULL);
	if (!m) {
		close(fd);
		return fuse_reply(r, NULL, 0);
	}
	fuse_meta_io(r, m, FUSE_IO_CLOSE, closed);
	r->io->fd = fd;
	return fuse_meta_start(r, m);
}

int fuse_op_release(struct fuse_req *r)
{
	struct fuse_release_in a;

	memcpy(&a, r->arg, sizeof(a));
	return fuse_release_fh(r, a.fh, false);
}
