/* SPDX-License-Identifier: MIT */
/*
 * Metadata ops as chains of syscalls (fuse_int.h, struct fuse_meta):
 * the state of one op, the steps every "make an entry" op shares (open
 * the new name O_PATH, statx it, add the node, reply), and running a
 * chain: each step goes to the caller's io_uring when the caller has
 * its opcode, or runs here at once. The state holds the nodes whose fds
 * the syscalls name, so a FORGET meanwhile cannot close them, and every
 * fd the chain opened, so that ending it anywhere (an error, a device
 * reset) closes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fuse_int.h"

struct fuse_meta *fuse_meta_new(struct fuse_req *r, struct fuse_node *node)
{
	struct fuse_meta *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	m->step = NULL;
	m->node = node;
	m->node2 = NULL;
	m->fd = -1;
	m->fd2 = -1;
	m->uid = r->h.uid;
	m->gid = r->h.gid;
	m->flags = 0;
	m->mode = 0;
	m->fix = false;
	m->dir = false;
	m->value = NULL;
	m->size = 0;
	m->name[0] = '\0';
	m->name2[0] = '\0';
	if (node)
		fuse_node_hold(node);
	return m;
}

void fuse_meta_name(char *dst, const char *name, size_t size)
{
	size_t len = strnlen(name, size - 1);

	memcpy(dst, name, len);
	dst[len] = '\0';
}

static void meta_free(struct fuse_server *s, struct fuse_meta *m)
{
	if (m->fd >= 0)
		close(m->fd);
	if (m->fd2 >= 0)
		close(m->fd2);
	if (m->node)
		fuse_nodes_put(&s->nodes, m->node);
	if (m->node2)
		fuse_nodes_put(&s->nodes, m->node2);
	free(m->value);
	free(m);
}

void fuse_meta_io(struct fuse_req *r, struct fuse_meta *m, enum fuse_io_op op,
		  fuse_step_fn *step)
{
	struct fuse_io *io = r->io;

	io->op = op;
	io->fd = -1;
	io->dirfd = -1;
	io->dirfd2 = -1;
	io->name = m->name;
	io->name2 = m->name2;
	io->flags = 0;
	io->mask = 0;
	io->mode = 0;
	io->how = &m->how;
	io->stx = &m->stx;
	io->value = m->value;
	io->size = m->size;
	io->niov = 0;
	io->unique = r->h.unique;
	io->handle = NULL;
	io->meta = m;
	m->step = step;
}

void fuse_meta_statx(struct fuse_req *r, struct fuse_meta *m, int fd,
		     fuse_step_fn *step)
{
	fuse_meta_io(r, m, FUSE_IO_STATX, step);
	r->io->dirfd = fd;
	r->io->name = "";
	r->io->flags = AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW;
	r->io->mask = STATX_BASIC_STATS;
}

void fuse_statx_to_stat(const struct statx *x, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(x->stx_dev_major, x->stx_dev_minor);
	st->st_ino = x->stx_ino;
	st->st_mode = x->stx_mode;
	st->st_nlink = x->stx_nlink;
	st->st_uid = x->stx_uid;
	st->st_gid = x->stx_gid;
	st->st_rdev = makedev(x->stx_rdev_major, x->stx_rdev_minor);
	st->st_size = (off_t)x->stx_size;
	st->st_blksize = x->stx_blksize;
	st->st_blocks = (blkcnt_t)x->stx_blocks;
	st->st_atim.tv_sec = x->stx_atime.tv_sec;
	st->st_atim.tv_nsec = x->stx_atime.tv_nsec;
	st->st_mtim.tv_sec = x->stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = x->stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = x->stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = x->stx_ctime.tv_nsec;
}

int fuse_entry_make_st(struct fuse_server *s, int fd, const struct stat *st,
		       struct fuse_entry_out *e)
{
	struct fuse_node *n;
	int r = fuse_nodes_lookup_st(&s->nodes, fd, st, &n);

	if (r)
		return r;
	*e = (struct fuse_entry_out){
	    .nodeid = n->id,
	    .entry_valid = FUSE_TIMEOUT_S,
	    .attr_valid = FUSE_TIMEOUT_S,
	};
	fuse_attr_fill(&e->attr, st);
	return 0;
}

/* The new entry's stat is in: a node for m->fd, and the reply. */
static int child_stated(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	struct fuse_entry_out e;
	struct stat st;
	int err;

	if (res < 0)
		return (int)res;
	fuse_statx_to_stat(&m->stx, &st);
	err = fuse_entry_make_st(r->s, m->fd, &st, &e);
	m->fd = -1; /* consumed either way */
	return err ? err : fuse_reply(r, &e, sizeof(e));
}

static int child_opened(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	if (res < 0)
		return (int)res;
	m->fd = (int)res;
	if (m->fix)
		fuse_created(r, m->fd, m->node, m->mode);
	fuse_meta_statx(r, m, m->fd, child_stated);
	return FUSE_SERVER_IO;
}

void fuse_meta_child(struct fuse_req *r, struct fuse_meta *m)
{
	/* As fuse_child_open(), whose comment says why (fuse_path.h). */
	m->how = (struct open_how){
	    .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
	    .resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	fuse_meta_io(r, m, FUSE_IO_OPENAT2, child_opened);
	r->io->dirfd = m->node->fd;
}

/*
 * Whether the caller's loop takes this step. A STATX or GETXATTR under a
 * node on the local root file system (fuse_dev_is_local()) reads an inode
 * already in memory (a GETXATTR now and then an xattr block), while
 * io_uring hands every STATX and GETXATTR to a worker thread, a hand-off
 * that costs far more than the call (README, "Shared directories"): it
 * runs here. The guest's kernel asks for security.capability before
 * every write(2), so GETXATTR is as frequent as WRITE. Elsewhere (NFS,
 * FUSE below the root) either may wait on the network, and the ring
 * takes it. On a root file system with no device below it (tmpfs,
 * fuse_dev_in_memory()) no step can wait for anything but a lock, and
 * the kernel (6.1) hands OPENAT2 that creates or misses the dentry
 * cache, UNLINKAT, MKDIRAT, RENAMEAT and the rest to a worker as well:
 * every step runs here. (A LOOKUP of a name where another file system is
 * mounted reaches that one's root from here too: the one step that may
 * wait; mount points below a shared tmpfs are for the host to avoid.)
 */
static bool caller_runs(const struct fuse_server *s, const struct fuse_meta *m,
			enum fuse_io_op op)
{
	if (s->inline_stat && m->node &&
	    (fuse_dev_in_memory(s, m->node->dev) ||
	     ((op == FUSE_IO_STATX || op == FUSE_IO_GETXATTR) &&
	      fuse_dev_is_local(s, m->node->dev))))
		return false;
	return s->async & FUSE_IO_BIT(op);
}

static int meta_go(struct fuse_req *r, struct fuse_meta *m, int ret)
{
	while (ret == FUSE_SERVER_IO && !caller_runs(r->s, m, r->io->op))
		ret = m->step(r, m, fuse_io_run(r->io));
	if (ret != FUSE_SERVER_IO) {
		r->io->meta = NULL;
		meta_free(r->s, m);
	}
	return ret;
}

int fuse_meta_start(struct fuse_req *r, struct fuse_meta *m)
{
	return meta_go(r, m, FUSE_SERVER_IO);
}

void fuse_meta_abort(struct fuse_server *s, struct fuse_io *io, ssize_t res)
{
	/* The step's own result may be an fd nobody will take now. */
	if (io->op == FUSE_IO_OPENAT2 && res >= 0)
		close((int)res);
	meta_free(s, io->meta);
	io->meta = NULL;
}

int fuse_meta_complete(struct fuse_req *r, struct fuse_io *io, ssize_t res)
{
	struct fuse_meta *m = io->meta;

	r->io = io;
	r->h.uid = m->uid;
	r->h.gid = m->gid;
	return meta_go(r, m, m->step(r, m, res));
}
