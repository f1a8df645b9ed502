/* SPDX-License-Identifier: MIT */
/*
 * FUSE ops on names and attributes: LOOKUP, FORGET, BATCH_FORGET,
 * GETATTR, SETATTR, READLINK, STATFS and ACCESS. Each acts on a node's
 * O_PATH fd, or on a checked name under it (fuse_path.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fuse_int.h"
#include "fuse_path.h"

/* OPENAT2 (as fuse_child_open()), STATX, then the entry (fuse_meta.c). */
int fuse_op_lookup(struct fuse_req *r)
{
	struct fuse_node *parent = fuse_req_node(r);
	struct fuse_meta *m;
	size_t off = 0;
	const char *name;
	int err;

	if (!parent)
		return -ENOENT;
	name = fuse_req_name(r, &off, &err);
	if (!name)
		return err;
	m = fuse_meta_new(r, parent);
	if (!m)
		return -ENOMEM;
	fuse_meta_name(m->name, name, sizeof(m->name));
	fuse_meta_child(r, m);
	return fuse_meta_start(r, m);
}

int fuse_op_forget(struct fuse_req *r)
{
	struct fuse_forget_in f;

	memcpy(&f, r->arg, sizeof(f));
	fuse_nodes_forget(&r->s->nodes, r->h.nodeid, f.nlookup);
	return FUSE_SERVER_NOREPLY;
}

int fuse_op_batch_forget(struct fuse_req *r)
{
	struct fuse_batch_forget_in b;
	struct fuse_forget_one one;
	size_t off = sizeof(b);

	memcpy(&b, r->arg, sizeof(b));
	/* A count beyond the entries sent: the whole batch is ignored. */
	if (b.count > (r->arg_len - off) / sizeof(one))
		return FUSE_SERVER_NOREPLY;
	for (uint32_t i = 0; i < b.count; i++, off += sizeof(one)) {
		memcpy(&one, r->arg + off, sizeof(one));
		fuse_nodes_forget(&r->s->nodes, one.nodeid, one.nlookup);
	}
	return FUSE_SERVER_NOREPLY;
}

static int reply_attr(struct fuse_req *r, const struct stat *st)
{
	struct fuse_attr_out o = {.attr_valid = FUSE_TIMEOUT_S};

	fuse_attr_fill(&o.attr, st);
	return fuse_reply(r, &o, sizeof(o));
}

static int getattr_stated(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	struct stat st;

	if (res < 0)
		return (int)res;
	fuse_statx_to_stat(&m->stx, &st);
	return reply_attr(r, &st);
}

int fuse_op_getattr(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_meta *m;

	/* The node's fd answers as well as the handle would (same inode). */
	if (!n)
		return -ENOENT;
	m = fuse_meta_new(r, n);
	if (!m)
		return -ENOMEM;
	fuse_meta_statx(r, m, n->fd, getattr_stated);
	return fuse_meta_start(r, m);
}

int fuse_kill_suidgid(const struct fuse_server *s, int fd)
{
	struct stat st;
	mode_t mode;

	if (fstat(fd, &st) < 0)
		return -errno;
	mode = st.st_mode & 07777 & ~(mode_t)S_ISUID;
	if (st.st_mode & S_IXGRP)
		mode &= ~(mode_t)S_ISGID;
	if (!S_ISREG(st.st_mode) || mode == (st.st_mode & 07777))
		return 0;
	return fuse_fd_chmod(s, fd, mode);
}

int fuse_fd_chmod(const struct fuse_server *s, int fd, mode_t mode)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", fd);
	return fchmodat(s->proc_fd, name, mode, 0) < 0 ? -errno : 0;
}

/* chmod or utimensat a node through /proc/self/fd (fuse_path.h). */
static int node_chmod(struct fuse_req *r, struct fuse_node *n, mode_t mode)
{
	if (S_ISLNK(n->type))
		return -EOPNOTSUPP; /* symlinks have no mode of their own */
	return fuse_fd_chmod(r->s, n->fd, mode);
}

static int node_utimens(struct fuse_req *r, struct fuse_node *n,
			const struct timespec ts[2])
{
	char name[16];

	/* A symlink's own times: the empty path names the link itself. */
	if (S_ISLNK(n->type))
		return utimensat(n->fd, "", ts,
				 AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0
			   ? -errno
			   : 0;
	snprintf(name, sizeof(name), "%d", n->fd);
	return utimensat(r->s->proc_fd, name, ts, 0) < 0 ? -errno : 0;
}

static int node_truncate(struct fuse_req *r, struct fuse_node *n,
			 const struct fuse_setattr_in *a)
{
	struct fuse_handle *h = NULL;
	int fd, err;

	if (a->valid & FATTR_FH)
		h = fuse_handles_get(&r->s->handles, a->fh, false);
	if (h)
		return ftruncate(h->fd, (off_t)a->size) < 0 ? -errno : 0;
	if (a->valid & FATTR_FH)
		return -EBADF;
	if (S_ISDIR(n->type))
		return -EISDIR;
	if (!S_ISREG(n->type))
		return -EINVAL;
	err = fuse_node_reopen(r->s->proc_fd, n->fd, n->type, O_WRONLY, &fd);
	if (err)
		return err;
	err = ftruncate(fd, (off_t)a->size) < 0 ? -errno : 0;
	close(fd);
	return err;
}

static struct timespec set_time(uint32_t valid, uint32_t set, uint32_t now,
				uint64_t sec, uint32_t nsec)
{
	if (valid & now)
		return (struct timespec){.tv_nsec = UTIME_NOW};
	if (!(valid & set))
		return (struct timespec){.tv_nsec = UTIME_OMIT};
	return (struct timespec){.tv_sec = (time_t)sec, .tv_nsec = nsec};
}

int fuse_op_setattr(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_setattr_in a;
	struct stat st;
	int err = 0;

	if (!n)
		return -ENOENT;
	memcpy(&a, r->arg, sizeof(a));
	if (a.valid & FATTR_MODE)
		err = node_chmod(r, n, a.mode & 07777);
	if (!err && (a.valid & (FATTR_UID | FATTR_GID))) {
		uid_t uid = a.valid & FATTR_UID ? a.uid : (uid_t)-1;
		gid_t gid = a.valid & FATTR_GID ? a.gid : (gid_t)-1;

		if (fchownat(n->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			err = -errno;
	}
	if (!err && (a.valid & FATTR_SIZE))
		err = node_truncate(r, n, &a);
	if (!err && (a.valid & FATTR_SIZE) && (a.valid & FATTR_KILL_SUIDGID))
		err = fuse_kill_suidgid(r->s, n->fd);
	if (!err && (a.valid & (FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW |
				FATTR_MTIME_NOW))) {
		struct timespec ts[2] = {
		    set_time(a.valid, FATTR_ATIME, FATTR_ATIME_NOW, a.atime,
			     a.atimensec),
		    set_time(a.valid, FATTR_MTIME, FATTR_MTIME_NOW, a.mtime,
			     a.mtimensec),
		};

		err = node_utimens(r, n, ts);
	}
	if (!err)
		err = fuse_node_stat(n, &st);
	return err ? err : reply_attr(r, &st);
}

int fuse_op_readlink(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	char buf[PATH_MAX];
	ssize_t len;

	if (!n)
		return -ENOENT;
	if (!S_ISLNK(n->type))
		return -EINVAL;
	/* The link's text goes to the guest; the host never follows it. */
	len = readlinkat(n->fd, "", buf, sizeof(buf));
	if (len < 0)
		return -errno;
	if ((size_t)len > fuse_reply_room(r))
		return -ERANGE;
	return fuse_reply(r, buf, (size_t)len);
}

int fuse_op_statfs(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_statfs_out o = {0};
	struct statfs sf;

	if (!n)
		return -ENOENT;
	if (fstatfs(n->fd, &sf) < 0)
		return -errno;
	o.st = (struct fuse_kstatfs){
	    .blocks = sf.f_blocks,
	    .bfree = sf.f_bfree,
	    .bavail = sf.f_bavail,
	    .files = sf.f_files,
	    .ffree = sf.f_ffree,
	    .bsize = (uint32_t)sf.f_bsize,
	    .namelen = (uint32_t)sf.f_namelen,
	    .frsize = (uint32_t)sf.f_frsize,
	};
	return fuse_reply(r, &o, sizeof(o));
}

int fuse_op_access(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_access_in a;
	char name[16];

	if (!n)
		return -ENOENT;
	memcpy(&a, r->arg, sizeof(a));
	if (a.mask & ~(unsigned int)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if ((a.mask & W_OK) && r->s->readonly)
		return -EROFS;
	if (S_ISLNK(n->type))
		return fuse_reply(r, NULL, 0); /* never checked for a link */
	/*
	 * Checked as the vmm process, not as the guest's uid: the guest
	 * kernel does its own permission checks (virtiofs mounts with
	 * default_permissions).
	 */
	snprintf(name, sizeof(name), "%d", n->fd);
	return faccessat(r->s->proc_fd, name, (int)a.mask, AT_EACCESS) < 0
		   ? -errno
		   : fuse_reply(r, NULL, 0);
}
