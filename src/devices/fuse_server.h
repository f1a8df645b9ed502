/* SPDX-License-Identifier: MIT */
/*
 * The FUSE file-system server behind virtio-fs: it answers the FUSE
 * requests a guest's virtiofs driver sends (protocol 7.x, <linux/fuse.h>)
 * by acting on one host directory, and nothing outside it. No virtio
 * and no KVM here: the device hands over the two halves of each chain,
 * the server parses the request, does the work and writes the reply.
 *
 * Confinement: every guest name is one path component, checked, and
 * resolved with openat2() from its parent's O_PATH fd without following
 * symlinks; host path strings are never built from guest names.
 * Symlinks are data for the guest (READLINK) and never followed on the
 * host (fuse_path.h has the details).
 *
 * Credentials: every syscall runs as the vmm process. When that is root,
 * a file the guest creates is chowned to the request's uid/gid (the gid
 * only outside setgid directories), so ownership looks right in the
 * guest; otherwise files belong to the vmm user. Permission checks are
 * the guest kernel's (virtiofs mounts with default_permissions), the
 * host only adds its own as the vmm user. Set-id bits are not cleared
 * on WRITE by a non-owner (no FUSE_HANDLE_KILLPRIV), and only user.*
 * xattrs may be set.
 *
 * Threads: a server is used by one thread at a time (the device's io
 * thread); calls are not serialized inside.
 */
#ifndef DEVICES_FUSE_SERVER_H
#define DEVICES_FUSE_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct fuse_server;
struct open_how;
struct statx;

/* fuse_server_create() flags */
#define FUSE_SERVER_READONLY (1u << 0) /* every modifying op: EROFS */

/* What fuse_server_handle() and fuse_server_prepare() return. */
#define FUSE_SERVER_REPLY   0 /* a reply is in @out: *written bytes */
#define FUSE_SERVER_NOREPLY 1 /* FORGET, BATCH_FORGET: nothing written */
#define FUSE_SERVER_IO	    2 /* prepared I/O for the caller to run */

/* The largest WRITE (and READ) the server announces in INIT. */
#define FUSE_SERVER_MAX_WRITE (1024u * 1024u)

/*
 * Serve the directory @dir. Opens it O_PATH|O_DIRECTORY|O_CLOEXEC (a
 * symlink as @dir itself is followed: it is the host's choice) and
 * /proc/self/fd for reopening nodes. On success *out is the server.
 * Returns 0, or -errno with a sentence in @err (@err_len bytes) naming
 * the directory and the reason.
 */
int fuse_server_create(struct fuse_server **out, const char *dir,
		       unsigned int flags, char *err, size_t err_len);

/*
 * Close every fd and free @s (NULL is fine). No prepared I/O may be
 * outstanding: complete it first.
 */
void fuse_server_destroy(struct fuse_server *s);

/*
 * Handle one request and do any file I/O synchronously.
 * @in/@n_in/@in_len: the device-readable part of the chain: struct
 * fuse_in_header, the op's arguments, for WRITE the data; split across
 * the iovecs in any way. @out/@n_out/@out_len: the device-writable part:
 * the reply (struct fuse_out_header, then the op's reply; READ data goes
 * straight into it). The iovecs are read and written only during the
 * call. A malformed request gets an error reply.
 * Returns FUSE_SERVER_REPLY with *written set, FUSE_SERVER_NOREPLY
 * (*written = 0), or -errno if not even an error header could be
 * written (@out shorter than a fuse_out_header, @in shorter than a
 * fuse_in_header): return the chain with 0 bytes.
 */
int fuse_server_handle(struct fuse_server *s, const struct iovec *in,
		       unsigned int n_in, size_t in_len,
		       const struct iovec *out, unsigned int n_out,
		       size_t out_len, size_t *written);

/*
 * Prepared I/O: READ, WRITE, FSYNC and FALLOCATE, and the syscalls of
 * metadata ops whose kind the caller enabled (fuse_server_set_async()),
 * handed to the caller (io_uring) instead of being done by the server.
 */
enum fuse_io_op {
	FUSE_IO_READ,	   /* preadv(fd, iov, niov, off) */
	FUSE_IO_WRITE,	   /* pwritev(fd, iov, niov, off) */
	FUSE_IO_FSYNC,	   /* fsync(fd) */
	FUSE_IO_FDATASYNC, /* fdatasync(fd) */
	FUSE_IO_FALLOCATE, /* fallocate(fd, mode, off, len) */
	FUSE_IO_STATX,	   /* statx(dirfd, name, flags, mask, stx) */
	FUSE_IO_OPENAT2,   /* openat2(dirfd, name, how): res is the fd */
	FUSE_IO_UNLINKAT,  /* unlinkat(dirfd, name, flags) */
	FUSE_IO_MKDIRAT,   /* mkdirat(dirfd, name, mode) */
	FUSE_IO_RENAMEAT,  /* renameat2(dirfd, name, dirfd2, name2, flags) */
	FUSE_IO_SYMLINKAT, /* symlinkat(name2, dirfd, name) */
	FUSE_IO_LINKAT,	   /* linkat(dirfd, name, dirfd2, name2, flags) */
	FUSE_IO_CLOSE,	   /* close(fd) */
	FUSE_IO_GETXATTR,  /* getxattr(name, name2, value, size) */
	FUSE_IO_SETXATTR,  /* setxattr(name, name2, value, size, flags) */
	FUSE_IO_NR_OPS
};

/* A set of enum fuse_io_op values, for fuse_server_set_async(). */
#define FUSE_IO_BIT(op) (1u << (op))

/* Enough for a 1 MiB transfer in single pages, and then some. */
#define FUSE_IO_MAX_IOV 1024

struct fuse_meta;

struct fuse_io {
	enum fuse_io_op op;
	int fd; /* borrowed: valid until fuse_server_complete() */
	off_t off;
	off_t len; /* FALLOCATE */
	int mode;  /* FALLOCATE, MKDIRAT */
	/*
	 * Metadata ops: the fds are borrowed and stay open until completion
	 * (the server holds their nodes); the names are NUL-terminated
	 * copies the server owns until completion, checked where they come
	 * from the guest (one path component; an xattr's name: its length);
	 * @how, @stx and @value point to server memory as well. The xattr
	 * ops' path is "/proc/self/fd/N" of a node's fd.
	 */
	int dirfd, dirfd2;
	const char *name, *name2;
	int flags;	      /* AT_*, RENAME_*, XATTR_* */
	unsigned int mask;    /* STATX */
	struct open_how *how; /* OPENAT2 */
	struct statx *stx;    /* STATX: the result */
	void *value;	      /* GETXATTR: the result; SETXATTR */
	size_t size;	      /* of @value (GETXATTR: 0 asks the length) */
	unsigned int niov;
	/*
	 * READ: the part of @out after the reply header (so the data lands
	 * in the guest's buffers). WRITE: the data in @in. Both point into
	 * the chain: keep it until completion.
	 */
	struct iovec iov[FUSE_IO_MAX_IOV];
	/* The server's own: */
	uint64_t unique;
	void *handle;
	struct fuse_meta *meta; /* a metadata op's state, or NULL */
};

/*
 * Which metadata syscalls the caller will run asynchronously
 * (FUSE_IO_BIT()s of FUSE_IO_STATX and later; 0 at creation). A
 * metadata op prepares only those: a step whose syscall is not in
 * @mask runs inside prepare or complete. READ, WRITE, FSYNC and
 * FALLOCATE are always prepared. Not while I/O is outstanding.
 */
void fuse_server_set_async(struct fuse_server *s, unsigned int mask);

/*
 * With @on, a STATX or GETXATTR step under a node on the shared
 * directory's own file system, when that is a local one, runs inside
 * prepare or complete even if its bit is in the async mask: it reads an
 * inode already in memory, and io_uring hands every STATX and GETXATTR
 * to a worker thread. When that file system has no device at all
 * (tmpfs, ramfs), every metadata step under its nodes runs there. Off
 * at creation.
 */
void fuse_server_set_inline_stat(struct fuse_server *s, bool on);

/*
 * As fuse_server_handle(), except that READ, WRITE, FSYNC and FALLOCATE
 * on a valid handle, and metadata ops whose next syscall is enabled
 * (fuse_server_set_async()), return FUSE_SERVER_IO with @io filled in
 * and nothing written: the caller performs @io and then calls
 * fuse_server_complete(). Every other request is handled at once, as by
 * fuse_server_handle(). The chain must stay until the last completion.
 */
int fuse_server_prepare(struct fuse_server *s, const struct iovec *in,
			unsigned int n_in, size_t in_len,
			const struct iovec *out, unsigned int n_out,
			size_t out_len, size_t *written, struct fuse_io *io);

/*
 * Do @io with plain syscalls (any op); returns what io_uring's cqe->res
 * would: bytes moved or 0, a new fd, or -errno. fuse_server_handle()
 * uses it.
 */
ssize_t fuse_io_run(const struct fuse_io *io);

/*
 * Finish a prepared I/O whose result is @res (bytes or 0, an fd for
 * OPENAT2, or -errno): write its reply to @out (the same chain as the
 * request's) and drop the server's holds on files and nodes. Must be
 * called exactly once per FUSE_SERVER_IO, on the thread that uses @s.
 * Returns FUSE_SERVER_REPLY with *written set, FUSE_SERVER_IO when a
 * metadata op has a next step (@io is filled in again: run it and call
 * this once more), or -errno if @out cannot hold a reply header. An
 * @out of NULL (0 bytes: the device was reset) ends the request without
 * a reply and without further steps, closing what it had opened (an
 * fd in @res from OPENAT2 too).
 */
int fuse_server_complete(struct fuse_server *s, struct fuse_io *io, ssize_t res,
			 const struct iovec *out, unsigned int n_out,
			 size_t out_len, size_t *written);

/* Opcodes below this are counted by name in the device's stats. */
#define FUSE_SERVER_NOPS 64

/* "LOOKUP" for FUSE_LOOKUP: an op the server serves; NULL otherwise. */
const char *fuse_server_op_name(uint32_t opcode);

#endif /* DEVICES_FUSE_SERVER_H */
