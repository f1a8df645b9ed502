/* SPDX-License-Identifier: MIT */
/*
 * FUSE ops that change the namespace: MKNOD, MKDIR, SYMLINK, UNLINK,
 * RMDIR, RENAME, RENAME2 and LINK. Every one takes a parent node and a
 * checked single-component name, and acts with the *at() call on the
 * parent's fd, which never follows a final symlink: the guest can only
 * add or remove entries inside directories it already holds. The *at()
 * calls io_uring has, and the lookup of a new entry, are steps of a
 * chain (fuse_meta.c); mknodat, which it has not, runs here first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse_int.h"
#include "fuse_path.h"

/*
 * After MKNOD made @name in @parent: open it, apply owner and @mode, and
 * reply with its entry, as a chain (fuse_meta_child()). If it vanished
 * in between (a host process), the guest gets that error; the file is
 * not ours to remove.
 */
static int reply_created(struct fuse_req *r, struct fuse_node *parent,
			 const char *name, mode_t mode)
{
	struct fuse_meta *m = fuse_meta_new(r, parent);

	if (!m)
		return -ENOMEM;
	fuse_meta_name(m->name, name, sizeof(m->name));
	m->mode = mode;
	m->fix = true;
	fuse_meta_child(r, m);
	return fuse_meta_start(r, m);
}

/* MKDIRAT, SYMLINKAT or LINKAT is done: on to the new entry, if made. */
static int made(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	if (res < 0)
		return (int)res;
	fuse_meta_child(r, m);
	return FUSE_SERVER_IO;
}

/* A reply with no body once the syscall succeeded. */
static int done(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	(void)m;
	return res < 0 ? (int)res : fuse_reply(r, NULL, 0);
}

/* The parent node and the first name in the arguments (from @off). */
static const char *parent_and_name(struct fuse_req *r, size_t *off,
				   struct fuse_node **parent, int *err)
{
	*parent = fuse_req_node(r);
	if (!*parent) {
		*err = -ENOENT;
		return NULL;
	}
	return fuse_req_name(r, off, err);
}

int fuse_op_mknod(struct fuse_req *r)
{
	struct fuse_mknod_in m;
	struct fuse_node *parent;
	size_t off = sizeof(m);
	const char *name;
	int err;

	memcpy(&m, r->arg, sizeof(m));
	name = parent_and_name(r, &off, &parent, &err);
	if (!name)
		return err;
	/*
	 * No device nodes: one made here would be a door to host hardware
	 * for whoever on the host opens it. The guest's own special files
	 * are handled by the guest kernel, so FIFOs and sockets only need
	 * to exist.
	 */
	switch (m.mode & S_IFMT) {
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK: break;
	case S_IFCHR:
	case S_IFBLK: return -EPERM;
	default: return -EINVAL;
	}
	if (mknodat(parent->fd, name, m.mode & (S_IFMT | 07777), 0) < 0)
		return -errno;
	return reply_created(r, parent, name, m.mode);
}

int fuse_op_mkdir(struct fuse_req *r)
{
	struct fuse_mkdir_in m;
	struct fuse_meta *meta;
	struct fuse_node *parent;
	size_t off = sizeof(m);
	const char *name;
	int err;

	memcpy(&m, r->arg, sizeof(m));
	name = parent_and_name(r, &off, &parent, &err);
	if (!name)
		return err;
	meta = fuse_meta_new(r, parent);
	if (!meta)
		return -ENOMEM;
	fuse_meta_name(meta->name, name, sizeof(meta->name));
	meta->mode = m.mode;
	meta->fix = true;
	fuse_meta_io(r, meta, FUSE_IO_MKDIRAT, made);
	r->io->dirfd = parent->fd;
	r->io->mode = (int)(m.mode & 07777);
	return fuse_meta_start(r, meta);
}

int fuse_op_symlink(struct fuse_req *r)
{
	struct fuse_node *parent;
	struct fuse_meta *m;
	const char *name, *target;
	size_t off = 0;
	int err;

	/* The entry's name comes first, then the link's text. */
	name = parent_and_name(r, &off, &parent, &err);
	if (!name)
		return err;
	target = fuse_req_str(r, &off);
	if (!target || !*target)
		return -EINVAL;
	if (strlen(target) >= PATH_MAX)
		return -ENAMETOOLONG;
	m = fuse_meta_new(r, parent);
	if (!m)
		return -ENOMEM;
	fuse_meta_name(m->name, name, sizeof(m->name));
	/* Only text: it may point anywhere, the host never follows it. */
	fuse_meta_name(m->name2, target, sizeof(m->name2));
	m->fix = true;
	fuse_meta_io(r, m, FUSE_IO_SYMLINKAT, made);
	r->io->dirfd = parent->fd;
	return fuse_meta_start(r, m);
}

static int remove_entry(struct fuse_req *r, int flags)
{
	struct fuse_node *parent;
	struct fuse_meta *m;
	size_t off = 0;
	const char *name;
	int err;

	name = parent_and_name(r, &off, &parent, &err);
	if (!name)
		return err;
	m = fuse_meta_new(r, parent);
	if (!m)
		return -ENOMEM;
	fuse_meta_name(m->name, name, sizeof(m->name));
	fuse_meta_io(r, m, FUSE_IO_UNLINKAT, done);
	r->io->dirfd = parent->fd;
	r->io->flags = flags;
	return fuse_meta_start(r, m);
}

int fuse_op_unlink(struct fuse_req *r)
{
	return remove_entry(r, 0);
}

int fuse_op_rmdir(struct fuse_req *r)
{
	return remove_entry(r, AT_REMOVEDIR);
}

static int do_rename(struct fuse_req *r, uint64_t newdir, uint32_t flags,
		     size_t off)
{
	struct fuse_node *parent, *nparent;
	const char *name, *newname;
	struct fuse_meta *m;
	int err;

	if (flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL; /* RENAME_WHITEOUT is for overlayfs */
	name = parent_and_name(r, &off, &parent, &err);
	if (!name)
		return err;
	newname = fuse_req_name(r, &off, &err);
	if (!newname)
		return err;
	nparent = fuse_nodes_get(&r->s->nodes, newdir);
	if (!nparent)
		return -ENOENT;
	m = fuse_meta_new(r, parent);
	if (!m)
		return -ENOMEM;
	m->node2 = nparent;
	fuse_node_hold(nparent);
	fuse_meta_name(m->name, name, sizeof(m->name));
	fuse_meta_name(m->name2, newname, sizeof(m->name2));
	fuse_meta_io(r, m, FUSE_IO_RENAMEAT, done);
	r->io->dirfd = parent->fd;
	r->io->dirfd2 = nparent->fd;
	r->io->flags = (int)flags;
	return fuse_meta_start(r, m);
}

int fuse_op_rename(struct fuse_req *r)
{
	struct fuse_rename_in a;

	memcpy(&a, r->arg, sizeof(a));
	return do_rename(r, a.newdir, 0, sizeof(a));
}

int fuse_op_rename2(struct fuse_req *r)
{
	struct fuse_rename2_in a;

	memcpy(&a, r->arg, sizeof(a));
	return do_rename(r, a.newdir, a.flags, sizeof(a));
}

/*
 * LINK's linkat(AT_EMPTY_PATH) of the old node's inode is done. That
 * needs CAP_DAC_READ_SEARCH; without it (ENOENT), link /proc/self/fd/N
 * (our fd, not a guest path) following it, as linkat(2) suggests,
 * except for a symlink, which that would follow.
 */
static int link_tried(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	if (res != -ENOENT)
		return made(r, m, res);
	if (S_ISLNK(m->node2->type)) {
		/*
		 * Rings before Linux 6.7 (without its stable fix) refuse the
		 * empty path itself with ENOENT: the syscall says for sure
		 * (a repeat, where the step ran here).
		 */
		if (linkat(m->node2->fd, "", m->node->fd, m->name,
			   AT_EMPTY_PATH) < 0)
			return -errno;
		return made(r, m, 0);
	}
	fuse_meta_io(r, m, FUSE_IO_LINKAT, made);
	r->io->dirfd = AT_FDCWD;
	r->io->name = m->name2;
	r->io->dirfd2 = m->node->fd;
	r->io->name2 = m->name;
	r->io->flags = AT_SYMLINK_FOLLOW;
	return FUSE_SERVER_IO;
}

int fuse_op_link(struct fuse_req *r)
{
	struct fuse_node *parent, *old;
	struct fuse_link_in a;
	struct fuse_meta *m;
	size_t off = sizeof(a);
	const char *name;
	int err;

	memcpy(&a, r->arg, sizeof(a));
	name = parent_and_name(r, &off, &parent, &err);
	if (!name)
		return err;
	old = fuse_nodes_get(&r->s->nodes, a.oldnodeid);
	if (!old)
		return -ENOENT;
	if (S_ISDIR(old->type))
		return -EPERM;
	m = fuse_meta_new(r, parent);
	if (!m)
		return -ENOMEM;
	/* Held: its fd is linked, by number in the /proc path too. */
	m->node2 = old;
	fuse_node_hold(old);
	fuse_meta_name(m->name, name, sizeof(m->name));
	fuse_fd_path(old->fd, m->name2, sizeof(m->name2));
	/* Then the new entry, as MKDIR's (made()), without owner or mode. */
	fuse_meta_io(r, m, FUSE_IO_LINKAT, link_tried);
	r->io->dirfd = old->fd;
	r->io->name = "";
	r->io->dirfd2 = parent->fd;
	r->io->name2 = m->name;
	r->io->flags = AT_EMPTY_PATH;
	return fuse_meta_start(r, m);
}
