/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's front (fuse_server.h): creating it, taking a
 * request apart (header, fixed arguments), refusing what is malformed,
 * dispatching by opcode, and finishing prepared I/O. Also the shared
 * attribute and new-entry helpers. INIT and DESTROY live here; every
 * other op is in a fuse_ops_*.c file.
 */
#include "fuse_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/magic.h>

#include "base/util.h"
#include "fuse_int.h"
#include "fuse_path.h"

/*
 * Whether closing a file on a file system of type @fs_type does nothing a FUSE
 * FLUSH should wait for: a local file system, where every WRITE already reached
 * the host's page cache and reported its error, and the server holds no
 * POSIX locks of the guest's (it offers none). Network and FUSE file
 * systems write back or report errors on close: their files keep FLUSH.
 */
static bool is_local(unsigned long fs_type)
{
	static const unsigned long local[] = {
	    EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC,	BTRFS_SUPER_MAGIC,
	    TMPFS_MAGIC,      F2FS_SUPER_MAGIC, OVERLAYFS_SUPER_MAGIC,
	};

	for (size_t i = 0; i < ARRAY_SIZE(local); i++)
		if (fs_type == local[i])
			return true;
	return false;
}

/* Whether a file system of type @fs_type has no backing device at all. */
static bool is_memory(unsigned long fs_type)
{
	return fs_type == TMPFS_MAGIC || fs_type == RAMFS_MAGIC;
}

bool fuse_dev_is_local(const struct fuse_server *s, dev_t dev)
{
	return s->root_local && dev == s->root_dev;
}

bool fuse_dev_in_memory(const struct fuse_server *s, dev_t dev)
{
	return s->root_memory && dev == s->root_dev;
}

uint32_t fuse_open_flags(const struct fuse_server *s, dev_t dev)
{
	return fuse_dev_is_local(s, dev) ? FOPEN_NOFLUSH : 0;
}

int fuse_server_create(struct fuse_server **out, const char *dir,
		       unsigned int flags, char *err, size_t err_len)
{
	struct fuse_server *s;
	struct statfs sfs;
	struct stat st;
	int root, r;

	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		r = -errno;
		snprintf(err, err_len, "%s: %s", dir,
			 r == -ENOTDIR ? "not a directory" : strerror(-r));
		return r;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(root);
		snprintf(err, err_len, "%s: out of memory", dir);
		return -ENOMEM;
	}
	s->proc_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->proc_fd < 0) {
		r = -errno;
		snprintf(err, err_len, "/proc/self/fd: %s (is /proc mounted?)",
			 strerror(-r));
		goto err_free;
	}
	if (fstat(root, &st) == 0 && fstatfs(root, &sfs) == 0) {
		s->root_dev = st.st_dev;
		s->root_local = is_local((unsigned long)sfs.f_type);
		s->root_memory = is_memory((unsigned long)sfs.f_type);
	}
	r = fuse_nodes_init(&s->nodes, root); /* takes root, even on error */
	root = -1;
	if (r) {
		snprintf(err, err_len, "%s: %s", dir, strerror(-r));
		goto err_close_proc;
	}
	fuse_handles_init(&s->handles);
	s->readonly = flags & FUSE_SERVER_READONLY;
	s->as_root = geteuid() == 0;
	*out = s;
	return 0;

err_close_proc:
	close(s->proc_fd);
err_free:
	if (root >= 0)
		close(root);
	free(s);
	return r;
}

void fuse_server_destroy(struct fuse_server *s)
{
	if (!s)
		return;
	fuse_handles_destroy(&s->handles);
	fuse_nodes_destroy(&s->nodes);
	close(s->proc_fd);
	free(s);
}

int fuse_node_stat(const struct fuse_node *n, struct stat *st)
{
	if (fstatat(n->fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

void fuse_attr_fill(struct fuse_attr *a, const struct stat *st)
{
	unsigned int maj = major(st->st_rdev), min = minor(st->st_rdev);

	*a = (struct fuse_attr){
	    .ino = st->st_ino,
	    .size = (uint64_t)st->st_size,
	    .blocks = (uint64_t)st->st_blocks,
	    .atime = (uint64_t)st->st_atim.tv_sec,
	    .mtime = (uint64_t)st->st_mtim.tv_sec,
	    .ctime = (uint64_t)st->st_ctim.tv_sec,
	    .atimensec = (uint32_t)st->st_atim.tv_nsec,
	    .mtimensec = (uint32_t)st->st_mtim.tv_nsec,
	    .ctimensec = (uint32_t)st->st_ctim.tv_nsec,
	    .mode = st->st_mode,
	    .nlink = (uint32_t)st->st_nlink,
	    .uid = st->st_uid,
	    .gid = st->st_gid,
	    /* The kernel's new_encode_dev(), which the guest decodes. */
	    .rdev = (min & 0xff) | (maj << 8) | ((min & ~0xffu) << 12),
	    .blksize = (uint32_t)st->st_blksize,
	};
}

int fuse_entry_make(struct fuse_server *s, int fd, struct fuse_entry_out *e)
{
	struct fuse_node *n;
	struct stat st;
	int r = fuse_nodes_lookup(&s->nodes, fd, &n);

	if (r)
		return r;
	r = fuse_node_stat(n, &st);
	if (r) {
		fuse_nodes_forget(&s->nodes, n->id, 1);
		return r;
	}
	*e = (struct fuse_entry_out){
	    .nodeid = n->id,
	    .entry_valid = FUSE_TIMEOUT_S,
	    .attr_valid = FUSE_TIMEOUT_S,
	};
	fuse_attr_fill(&e->attr, &st);
	return 0;
}

void fuse_created(struct fuse_req *r, int fd, const struct fuse_node *parent,
		  mode_t mode)
{
	struct stat pst, st;

	if (fuse_node_stat(parent, &pst) || fstat(fd, &st) < 0)
		return;
	if (r->s->as_root) {
		gid_t gid = pst.st_mode & S_ISGID ? (gid_t)-1 : r->h.gid;

		/*
		 * Failing leaves the file ours; the guest sees that in its
		 * attributes, which is better than failing a create that
		 * already happened.
		 */
		(void)fchownat(fd, "", r->h.uid, gid,
			       AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	}
	if (S_ISLNK(st.st_mode))
		return;
	mode &= 07777;
	if (S_ISDIR(st.st_mode) && (pst.st_mode & S_ISGID))
		mode |= S_ISGID; /* a setgid directory passes it down */
	/* chown cleared set-id bits, and our umask may have masked more. */
	if (fstat(fd, &st) == 0 && (st.st_mode & 07777) != mode)
		(void)fuse_fd_chmod(r->s, fd, mode); /* as chown */
}

static int op_init(struct fuse_req *r)
{
	/*
	 * What we offer, if the guest does: no writeback cache, no DAX,
	 * no POSIX ACLs or locks; O_TRUNC is handled in OPEN; set-id bits
	 * are cleared here when the guest asks (KILLPRIV_V2, which lets it
	 * skip asking for security.capability before each write(2)).
	 */
	const uint32_t offer = FUSE_ASYNC_READ | FUSE_ATOMIC_O_TRUNC |
			       FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS |
			       FUSE_READDIRPLUS_AUTO | FUSE_PARALLEL_DIROPS |
			       FUSE_MAX_PAGES | FUSE_HANDLE_KILLPRIV_V2;
	struct fuse_init_in in = {0};
	struct fuse_init_out o = {.major = FUSE_KERNEL_VERSION,
				  .minor = FUSE_KERNEL_MINOR_VERSION};
	size_t len = sizeof(o);

	memcpy(&in, r->arg, MIN(r->arg_len, sizeof(in)));
	if (in.major < FUSE_KERNEL_VERSION)
		return -EPROTO;
	/* A newer major: answer ours, and the kernel retries with it. */
	if (in.major > FUSE_KERNEL_VERSION)
		return fuse_reply(r, &o, FUSE_COMPAT_22_INIT_OUT_SIZE);
	o.minor = MIN(in.minor, (uint32_t)FUSE_KERNEL_MINOR_VERSION);
	o.max_readahead = in.max_readahead;
	o.flags = in.flags & offer;
	o.max_background = 64;
	o.congestion_threshold = 48;
	o.max_write = FUSE_SERVER_MAX_WRITE;
	o.time_gran = 1;
	o.max_pages = FUSE_SERVER_MAX_WRITE / 4096;
	if (o.minor < 23)
		len = FUSE_COMPAT_22_INIT_OUT_SIZE;
	if (len > fuse_reply_room(r))
		return -EINVAL;
	r->s->minor = o.minor;
	r->s->initialized = true;
	return fuse_reply(r, &o, len);
}

/* The guest unmounted: forget its nodes and handles, await a new INIT. */
static int op_destroy(struct fuse_req *r)
{
	fuse_handles_reset(&r->s->handles);
	fuse_nodes_reset(&r->s->nodes);
	r->s->initialized = false;
	return fuse_reply(r, NULL, 0);
}

struct fuse_op {
	fuse_op_fn *fn;
	const char *name;  /* without FUSE_ */
	uint16_t in_size;  /* the op's fixed arguments */
	uint16_t out_size; /* the smallest reply body it needs */
	bool modifies;	   /* refused with EROFS when read-only */
};

#define OP(code, f, in, out, m)                                                \
	[code] = {.fn = f,                                                     \
		  .name = &#code[sizeof("FUSE_") - 1],                         \
		  .in_size = in,                                               \
		  .out_size = out,                                             \
		  .modifies = m}

static const struct fuse_op fuse_ops[] = {
    OP(FUSE_INIT, op_init, 16, 0, false), /* the 7.6 fields */
    OP(FUSE_DESTROY, op_destroy, 0, 0, false),
    OP(FUSE_LOOKUP, fuse_op_lookup, 0, sizeof(struct fuse_entry_out), false),
    OP(FUSE_FORGET, fuse_op_forget, sizeof(struct fuse_forget_in), 0, false),
    OP(FUSE_BATCH_FORGET, fuse_op_batch_forget,
       sizeof(struct fuse_batch_forget_in), 0, false),
    OP(FUSE_GETATTR, fuse_op_getattr, sizeof(struct fuse_getattr_in),
       sizeof(struct fuse_attr_out), false),
    OP(FUSE_SETATTR, fuse_op_setattr, sizeof(struct fuse_setattr_in),
       sizeof(struct fuse_attr_out), true),
    OP(FUSE_READLINK, fuse_op_readlink, 0, 0, false),
    OP(FUSE_SYMLINK, fuse_op_symlink, 0, sizeof(struct fuse_entry_out), true),
    OP(FUSE_MKNOD, fuse_op_mknod, sizeof(struct fuse_mknod_in),
       sizeof(struct fuse_entry_out), true),
    OP(FUSE_MKDIR, fuse_op_mkdir, sizeof(struct fuse_mkdir_in),
       sizeof(struct fuse_entry_out), true),
    OP(FUSE_UNLINK, fuse_op_unlink, 0, 0, true),
    OP(FUSE_RMDIR, fuse_op_rmdir, 0, 0, true),
    OP(FUSE_RENAME, fuse_op_rename, sizeof(struct fuse_rename_in), 0, true),
    OP(FUSE_RENAME2, fuse_op_rename2, sizeof(struct fuse_rename2_in), 0, true),
    OP(FUSE_LINK, fuse_op_link, sizeof(struct fuse_link_in),
       sizeof(struct fuse_entry_out), true),
    OP(FUSE_OPEN, fuse_op_open, sizeof(struct fuse_open_in),
       sizeof(struct fuse_open_out), false), /* checks its flags */
    OP(FUSE_CREATE, fuse_op_create, sizeof(struct fuse_create_in),
       sizeof(struct fuse_entry_out) + sizeof(struct fuse_open_out), true),
    OP(FUSE_READ, fuse_op_read, sizeof(struct fuse_read_in), 0, false),
    OP(FUSE_WRITE, fuse_op_write, sizeof(struct fuse_write_in),
       sizeof(struct fuse_write_out), true),
    OP(FUSE_FLUSH, fuse_op_flush, sizeof(struct fuse_flush_in), 0, false),
    OP(FUSE_RELEASE, fuse_op_release, sizeof(struct fuse_release_in), 0, false),
    OP(FUSE_FSYNC, fuse_op_fsync, sizeof(struct fuse_fsync_in), 0, false),
    OP(FUSE_STATFS, fuse_op_statfs, 0, sizeof(struct fuse_statfs_out), false),
    OP(FUSE_GETXATTR, fuse_op_getxattr, sizeof(struct fuse_getxattr_in), 0,
       false),
    OP(FUSE_SETXATTR, fuse_op_setxattr, FUSE_COMPAT_SETXATTR_IN_SIZE, 0, true),
    OP(FUSE_LISTXATTR, fuse_op_listxattr, sizeof(struct fuse_getxattr_in), 0,
       false),
    OP(FUSE_REMOVEXATTR, fuse_op_removexattr, 0, 0, true),
    OP(FUSE_OPENDIR, fuse_op_opendir, sizeof(struct fuse_open_in),
       sizeof(struct fuse_open_out), false),
    OP(FUSE_READDIR, fuse_op_readdir, sizeof(struct fuse_read_in), 0, false),
    OP(FUSE_READDIRPLUS, fuse_op_readdirplus, sizeof(struct fuse_read_in), 0,
       false),
    OP(FUSE_RELEASEDIR, fuse_op_releasedir, sizeof(struct fuse_release_in), 0,
       false),
    OP(FUSE_FSYNCDIR, fuse_op_fsyncdir, sizeof(struct fuse_fsync_in), 0, false),
    OP(FUSE_ACCESS, fuse_op_access, sizeof(struct fuse_access_in), 0, false),
    OP(FUSE_FALLOCATE, fuse_op_fallocate, sizeof(struct fuse_fallocate_in), 0,
       true),
    OP(FUSE_LSEEK, fuse_op_lseek, sizeof(struct fuse_lseek_in),
       sizeof(struct fuse_lseek_out), false),
};

_Static_assert(ARRAY_SIZE(fuse_ops) <= FUSE_SERVER_NOPS,
	       "every served op has a counter");

const char *fuse_server_op_name(uint32_t opcode)
{
	return opcode < ARRAY_SIZE(fuse_ops) ? fuse_ops[opcode].name : NULL;
}

static int dispatch(struct fuse_req *r)
{
	const struct fuse_op *op = NULL;
	bool forget =
	    r->h.opcode == FUSE_FORGET || r->h.opcode == FUSE_BATCH_FORGET;

	if (r->h.opcode < ARRAY_SIZE(fuse_ops) && fuse_ops[r->h.opcode].fn)
		op = &fuse_ops[r->h.opcode];
	if (r->h.len != r->in_len)
		return -EINVAL;
	if (!op)
		return -ENOSYS;
	if (!r->s->initialized && r->h.opcode != FUSE_INIT)
		return -EIO;
	if (r->arg_len < op->in_size)
		return -EINVAL;
	if (!forget && fuse_reply_room(r) < op->out_size)
		return -EINVAL;
	if (op->modifies && r->s->readonly)
		return -EROFS;
	return op->fn(r);
}

/*
 * Parse and handle one request. The op's arguments are copied out of
 * the chain (the guest may still be writing to it; a copy is read
 * once), except WRITE's data, which is only described.
 */
static int handle(struct fuse_server *s, const struct iovec *in,
		  unsigned int n_in, size_t in_len, const struct iovec *out,
		  unsigned int n_out, size_t out_len, size_t *written,
		  struct fuse_io *io)
{
	struct fuse_req r = {.s = s,
			     .in = in,
			     .n_in = n_in,
			     .in_len = in_len,
			     .out = out,
			     .n_out = n_out,
			     .out_len = out_len,
			     .io = io};
	const size_t hl = sizeof(r.h);
	uint8_t small[512], *buf = small;
	size_t copy;
	bool forget;
	int ret;

	*written = 0;
	if (in_len < hl || iov_to_buf(in, n_in, 0, &r.h, hl) != hl)
		return -EINVAL;
	forget = r.h.opcode == FUSE_FORGET || r.h.opcode == FUSE_BATCH_FORGET;
	if (!forget && out_len < sizeof(struct fuse_out_header))
		return -ENOBUFS;
	copy = in_len - hl;
	if (r.h.opcode == FUSE_WRITE)
		copy = MIN(copy, sizeof(struct fuse_write_in));
	if (copy > FUSE_MAX_ARGS) {
		ret = -EINVAL;
		goto reply;
	}
	if (copy > sizeof(small)) {
		buf = malloc(copy);
		if (!buf) {
			ret = -ENOMEM;
			goto reply;
		}
	}
	r.arg = buf;
	r.arg_len = iov_to_buf(in, n_in, hl, buf, copy);
	/* The iovecs hold less than the caller said: a broken chain. */
	ret = r.arg_len == copy ? dispatch(&r) : -EINVAL;
	if (buf != small)
		free(buf);
reply:
	if (forget)
		return FUSE_SERVER_NOREPLY; /* never answered, even if bad */
	if (ret < 0)
		ret = fuse_reply_err(&r, ret);
	*written = r.written;
	return ret;
}

int fuse_server_prepare(struct fuse_server *s, const struct iovec *in,
			unsigned int n_in, size_t in_len,
			const struct iovec *out, unsigned int n_out,
			size_t out_len, size_t *written, struct fuse_io *io)
{
	return handle(s, in, n_in, in_len, out, n_out, out_len, written, io);
}

int fuse_server_complete(struct fuse_server *s, struct fuse_io *io, ssize_t res,
			 const struct iovec *out, unsigned int n_out,
			 size_t out_len, size_t *written)
{
	struct fuse_req r = {.s = s,
			     .out = out,
			     .n_out = n_out,
			     .out_len = out_len,
			     .h = {.unique = io->unique}};
	int ret;

	*written = 0;
	/* A close the ring cancelled before it ran still owns its fd. */
	if (io->op == FUSE_IO_CLOSE && res == -ECANCELED)
		close(io->fd);
	if (out_len < sizeof(struct fuse_out_header)) {
		if (io->meta)
			fuse_meta_abort(s, io, res);
		else
			fuse_handle_put(io->handle);
		return -ENOBUFS;
	}
	if (io->meta) {
		ret = fuse_meta_complete(&r, io, res);
		if (ret < 0)
			ret = fuse_reply_err(&r, ret);
	} else {
		ret = fuse_io_reply(&r, io, res);
	}
	*written = r.written;
	return ret;
}

void fuse_server_set_inline_stat(struct fuse_server *s, bool on)
{
	s->inline_stat = on;
}

void fuse_server_set_async(struct fuse_server *s, unsigned int mask)
{
	s->async = mask;
}

int fuse_server_handle(struct fuse_server *s, const struct iovec *in,
		       unsigned int n_in, size_t in_len,
		       const struct iovec *out, unsigned int n_out,
		       size_t out_len, size_t *written)
{
	/* 16 KiB: fine on the io thread's stack, no allocation per I/O. */
	struct fuse_io io;
	int ret =
	    handle(s, in, n_in, in_len, out, n_out, out_len, written, &io);

	while (ret == FUSE_SERVER_IO)
		ret = fuse_server_complete(s, &io, fuse_io_run(&io), out, n_out,
					   out_len, written);
	return ret;
}
