/* SPDX-License-Identifier: MIT */
/*
 * File-system syscalls through the io loop's ring (io/loop.h): open,
 * stat, unlink, mkdir, rename, symlink, link, close, getxattr and
 * setxattr, each a one-shot struct io_request whose done() gets what
 * the syscall would return (a new fd for io_loop_openat2(), a length
 * for io_loop_getxattr(), 0, or -errno). Kernels add these
 * opcodes one release at a time, so the loop probes its ring once at
 * creation and io_loop_fs_ops() says which it has; submitting one it
 * lacks fails with -EOPNOTSUPP. Loop thread only (or before the first
 * io_loop_run()), as every submission. Paths and names, and @how, @buf
 * and @value, must stay valid until done() has run.
 */
#ifndef IO_LOOP_FS_H
#define IO_LOOP_FS_H

#include <sys/types.h>

struct io_loop;
struct io_request;
struct open_how;
struct statx;

/* io_loop_fs_ops() bits, one per opcode. */
#define IO_LOOP_FS_OPENAT2   (1u << 0)
#define IO_LOOP_FS_STATX     (1u << 1)
#define IO_LOOP_FS_UNLINKAT  (1u << 2)
#define IO_LOOP_FS_MKDIRAT   (1u << 3)
#define IO_LOOP_FS_RENAMEAT  (1u << 4)
#define IO_LOOP_FS_SYMLINKAT (1u << 5)
#define IO_LOOP_FS_LINKAT    (1u << 6)
#define IO_LOOP_FS_CLOSE     (1u << 7)
#define IO_LOOP_FS_GETXATTR  (1u << 8)
#define IO_LOOP_FS_SETXATTR  (1u << 9)

/* The IO_LOOP_FS_* opcodes the ring's kernel supports. Any thread. */
unsigned int io_loop_fs_ops(const struct io_loop *l);

/* openat2(2): done() gets the new fd (its owner the caller) or -errno. */
int io_loop_openat2(struct io_loop *l, struct io_request *req, int dirfd,
		    const char *path, struct open_how *how);

/* statx(2) into @buf. */
int io_loop_statx(struct io_loop *l, struct io_request *req, int dirfd,
		  const char *path, int flags, unsigned int mask,
		  struct statx *buf);

/* unlinkat(2) (@flags: 0 or AT_REMOVEDIR). */
int io_loop_unlinkat(struct io_loop *l, struct io_request *req, int dirfd,
		     const char *path, int flags);

/* mkdirat(2). */
int io_loop_mkdirat(struct io_loop *l, struct io_request *req, int dirfd,
		    const char *path, mode_t mode);

/* renameat2(2) (@flags: RENAME_NOREPLACE, RENAME_EXCHANGE). */
int io_loop_renameat(struct io_loop *l, struct io_request *req, int olddirfd,
		     const char *oldpath, int newdirfd, const char *newpath,
		     unsigned int flags);

/* symlinkat(2): a link at @linkpath in @newdirfd whose text is @target. */
int io_loop_symlinkat(struct io_loop *l, struct io_request *req,
		      const char *target, int newdirfd, const char *linkpath);

/* linkat(2). */
int io_loop_linkat(struct io_loop *l, struct io_request *req, int olddirfd,
		   const char *oldpath, int newdirfd, const char *newpath,
		   int flags);

/* close(2) of @fd, which is gone once submitted (whatever done() gets). */
int io_loop_close(struct io_loop *l, struct io_request *req, int fd);

/*
 * getxattr(2) of @name on @path (a final symlink followed) into @value,
 * @size bytes: done() gets the value's length (its size alone if @size
 * is 0), or -errno. IORING_OP_GETXATTR (5.19): the ring has no form
 * taking an O_PATH fd, so a node's fd goes as "/proc/self/fd/N".
 */
int io_loop_getxattr(struct io_loop *l, struct io_request *req,
		     const char *path, const char *name, void *value,
		     size_t size);

/* setxattr(2) (@flags: XATTR_CREATE, XATTR_REPLACE), as getxattr. */
int io_loop_setxattr(struct io_loop *l, struct io_request *req,
		     const char *path, const char *name, const void *value,
		     size_t size, int flags);

#endif /* IO_LOOP_FS_H */
