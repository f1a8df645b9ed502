/* SPDX-License-Identifier: MIT */
/*
 * Inside the FUSE server: the server struct, one parsed request, the
 * reply and argument helpers (fuse_req.c), node and attribute helpers
 * (fuse_server.c) and the op handlers, one file per group
 * (fuse_ops_meta.c, fuse_ops_ns.c, fuse_ops_data.c, fuse_ops_dir.c,
 * fuse_ops_xattr.c). Only the fuse_* files include it.
 */
#ifndef DEVICES_FUSE_INT_H
#define DEVICES_FUSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <limits.h>

#include <linux/fuse.h>
#include <linux/openat2.h>

#include "fuse_handles.h"
#include "fuse_nodes.h"
#include "fuse_server.h"
#include "base/iov.h"

/* Entry and attribute timeouts given to the guest, in seconds. */
#define FUSE_TIMEOUT_S 1

/* The largest request other than WRITE we copy in (SETXATTR: 64 KiB). */
#define FUSE_MAX_ARGS (128u * 1024u)

struct fuse_server {
	struct fuse_nodes nodes;
	struct fuse_handles handles;
	int proc_fd; /* /proc/self/fd, O_PATH|O_DIRECTORY */
	bool readonly;
	bool as_root;	    /* chown created files to the guest's uid/gid */
	bool initialized;   /* INIT seen (and no DESTROY since) */
	uint32_t minor;	    /* the negotiated protocol minor */
	unsigned int async; /* FUSE_IO_BIT()s the caller runs (set_async) */
	bool root_local;    /* the root's file system: fuse_dev_is_local() */
	bool root_memory;   /* ... and fuse_dev_in_memory() */
	bool inline_stat;   /* fuse_server_set_inline_stat() */
	dev_t root_dev;
};

/* One request being handled. */
struct fuse_req {
	struct fuse_server *s;
	struct fuse_in_header h;
	const uint8_t *arg; /* the op's arguments, copied out of the chain */
	size_t arg_len;
	const struct iovec *in; /* the chain, for WRITE data */
	unsigned int n_in;
	size_t in_len;
	const struct iovec *out;
	unsigned int n_out;
	size_t out_len;
	size_t written;
	struct fuse_io *io; /* where data ops are prepared */
};

/*
 * An op handler returns FUSE_SERVER_REPLY after writing its reply (with
 * fuse_reply()), FUSE_SERVER_NOREPLY, FUSE_SERVER_IO after filling
 * r->io, or -errno for the dispatcher to send as an error reply.
 */
typedef int fuse_op_fn(struct fuse_req *r);

/*
 * Whether a file of device @dev is on the shared directory's own file
 * system and that is a local one (not another mount below the root):
 * closing it needs no FLUSH, and a stat of it copies an in-memory inode.
 */
bool fuse_dev_is_local(const struct fuse_server *s, dev_t dev);

/*
 * Whether a file of device @dev is on the shared directory's own file
 * system and that one keeps everything in memory (tmpfs, ramfs): no
 * syscall on it waits for a device.
 */
bool fuse_dev_in_memory(const struct fuse_server *s, dev_t dev);

/* fuse_open_out.open_flags for a file handle on a file of device @dev. */
uint32_t fuse_open_flags(const struct fuse_server *s, dev_t dev);

/* Reply with @len bytes of @body (error 0). */
int fuse_reply(struct fuse_req *r, const void *body, size_t len);
/* Reply with an error (@err is -errno). */
int fuse_reply_err(struct fuse_req *r, int err);
/* Room for a reply body after the header. */
size_t fuse_reply_room(const struct fuse_req *r);

/* The request's node (h.nodeid), or NULL. */
struct fuse_node *fuse_req_node(struct fuse_req *r);

/*
 * The NUL-terminated string at *off in the arguments, *off moved past
 * it; NULL if there is no NUL before the end of the request.
 */
const char *fuse_req_str(struct fuse_req *r, size_t *off);

/* As fuse_req_str(), checked as one path component; -errno in *err. */
const char *fuse_req_name(struct fuse_req *r, size_t *off, int *err);

/*
 * FUSE_HANDLE_KILLPRIV_V2: when the guest's writer lacks CAP_FSETID it
 * asks us (FUSE_WRITE_KILL_SUIDGID, FATTR_KILL_SUIDGID,
 * FUSE_OPEN_KILL_SUIDGID) to clear what Linux's VFS would on a write or
 * a truncate: set-user-ID always, set-group-ID on a group-executable
 * file. The host kernel removes security.capability itself on every
 * write, truncate and chown we make. @fd: the file's, O_PATH too.
 * 0 or -errno.
 */
int fuse_kill_suidgid(const struct fuse_server *s, int fd);

/*
 * chmod the file behind @fd (O_PATH too) through /proc/self/fd, which
 * reaches only that inode (fuse_path.h). 0 or -errno.
 */
int fuse_fd_chmod(const struct fuse_server *s, int fd, mode_t mode);

/* stat a node's inode (not following a symlink). 0 or -errno. */
int fuse_node_stat(const struct fuse_node *n, struct stat *st);

void fuse_attr_fill(struct fuse_attr *a, const struct stat *st);

/*
 * Make the O_PATH fd @fd (consumed) a node with one more lookup and fill
 * @e for it. Returns 0 or -errno (no lookup count taken then).
 */
int fuse_entry_make(struct fuse_server *s, int fd, struct fuse_entry_out *e);

/*
 * A file the guest just created through its O_PATH fd @fd: give it the
 * requester's uid/gid when we run as root (the gid only if @parent is
 * not setgid, whose group the kernel already applied), and the guest's
 * @mode exactly (the host process umask must not apply twice).
 */
void fuse_created(struct fuse_req *r, int fd, const struct fuse_node *parent,
		  mode_t mode);

/*
 * A metadata op as a chain of syscalls (fuse_meta.c): the op's handler
 * makes the state, fills r->io with the first syscall and a step; each
 * step gets the syscall's result and either fills r->io with the next
 * one (returning FUSE_SERVER_IO), replies (FUSE_SERVER_REPLY), or fails
 * (-errno, sent as the error reply). What a step has opened is kept in
 * the state, so that ending the chain anywhere closes it.
 */
typedef int fuse_step_fn(struct fuse_req *r, struct fuse_meta *m, ssize_t res);

struct fuse_meta {
	fuse_step_fn *step;	 /* gets the result of r->io */
	struct fuse_node *node;	 /* held: the request's node or parent */
	struct fuse_node *node2; /* held: RENAME's new dir, LINK's old node */
	int fd;			 /* O_PATH fd opened so far, owned, or -1 */
	int fd2;		 /* CREATE: the open file, owned, or -1 */
	uint32_t uid, gid;	 /* the requester's, for fuse_created() */
	uint32_t flags;		 /* the op's: CREATE's open flags */
	mode_t mode;		 /* the guest's mode for fuse_created() */
	bool fix;		 /* new entry: apply owner and mode */
	bool kill_suidgid;	 /* O_TRUNC open: fuse_kill_suidgid() */
	bool dir;		 /* RELEASEDIR */
	void *value;		 /* xattr value, malloc'd, or NULL */
	size_t size;		 /* its length */
	struct open_how how;
	struct statx stx;
	/* The entry's name; the xattr ops' "/proc/self/fd/N" path. */
	char name[NAME_MAX + 1];
	/*
	 * RENAME's new name, SYMLINK's target, LINK's old node as a
	 * "/proc/self/fd/N" path, the xattr's name.
	 */
	char name2[PATH_MAX];
};

/*
 * New state for a metadata op of @r on @node (held until the end, may
 * be NULL), fd -1, r->io->meta set. NULL if out of memory.
 */
struct fuse_meta *fuse_meta_new(struct fuse_req *r, struct fuse_node *node);

/* Copy @name (already checked) to @dst, at most @size bytes with NUL. */
void fuse_meta_name(char *dst, const char *name, size_t size);

/* Set r->io to the syscall @op of @m, whose result goes to @step. */
void fuse_meta_io(struct fuse_req *r, struct fuse_meta *m, enum fuse_io_op op,
		  fuse_step_fn *step);

/* Set r->io to statx(@fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW). */
void fuse_meta_statx(struct fuse_req *r, struct fuse_meta *m, int fd,
		     fuse_step_fn *step);

/*
 * Set r->io to open m->name in m->node as an O_PATH fd, as
 * fuse_child_open() does; then (fuse_created() if m->fix) statx and
 * reply with the new entry.
 */
void fuse_meta_child(struct fuse_req *r, struct fuse_meta *m);

/*
 * Run the chain r->io describes: prepared (FUSE_SERVER_IO) while its
 * syscall is one the caller runs, else here and on to the next step.
 * Frees @m when the chain ends. Returns as an op handler does.
 */
int fuse_meta_start(struct fuse_req *r, struct fuse_meta *m);

/* fuse_server_complete() for a metadata op: its next step or reply. */
int fuse_meta_complete(struct fuse_req *r, struct fuse_io *io, ssize_t res);

/*
 * End a metadata op without a reply (the device was reset): close what
 * it opened, @res too if it is OPENAT2's fd, and drop its holds.
 */
void fuse_meta_abort(struct fuse_server *s, struct fuse_io *io, ssize_t res);

/* A statx result as struct stat (for fuse_attr_fill()). */
void fuse_statx_to_stat(const struct statx *x, struct stat *st);

/*
 * As fuse_entry_make() with the new O_PATH fd's stat known (@st): a
 * node for @fd (consumed) and @e filled from @st.
 */
int fuse_entry_make_st(struct fuse_server *s, int fd, const struct stat *st,
		       struct fuse_entry_out *e);

/* fuse_ops_meta.c */
fuse_op_fn fuse_op_lookup, fuse_op_forget, fuse_op_batch_forget,
    fuse_op_getattr, fuse_op_setattr, fuse_op_readlink, fuse_op_statfs,
    fuse_op_access;
/* fuse_ops_ns.c */
fuse_op_fn fuse_op_mknod, fuse_op_mkdir, fuse_op_symlink, fuse_op_unlink,
    fuse_op_rmdir, fuse_op_rename, fuse_op_rename2, fuse_op_link;
/* fuse_ops_data.c */
fuse_op_fn fuse_op_read, fuse_op_write, fuse_op_flush, fuse_op_fsync,
    fuse_op_fallocate, fuse_op_lseek;
/* fuse_ops_open.c */
fuse_op_fn fuse_op_open, fuse_op_create, fuse_op_release;
/* RELEASE or RELEASEDIR (@dir) of @fh: the fd closed by a CLOSE step. */
int fuse_release_fh(struct fuse_req *r, uint64_t fh, bool dir);
/* fuse_ops_dir.c */
fuse_op_fn fuse_op_opendir, fuse_op_readdir, fuse_op_readdirplus,
    fuse_op_releasedir, fuse_op_fsyncdir;
/* fuse_ops_xattr.c */
fuse_op_fn fuse_op_getxattr, fuse_op_setxattr, fuse_op_listxattr,
    fuse_op_removexattr;

/* fuse_ops_data.c: the reply to a prepared I/O that gave @res. */
int fuse_io_reply(struct fuse_req *r, const struct fuse_io *io, ssize_t res);

#endif /* DEVICES_FUSE_INT_H */
