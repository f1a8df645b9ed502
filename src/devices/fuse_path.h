/* SPDX-License-Identifier: MIT */
/*
 * How the FUSE server turns guest names into host files without leaving
 * the shared directory. The rules, and why they hold:
 *
 * - A node is an O_PATH fd on an inode. It names the inode, not a path,
 *   so renames on the host or by the guest cannot retarget it.
 * - A guest name is exactly one component: not empty, not "." or "..",
 *   no '/', at most NAME_MAX bytes (fuse_name_check()). So ".." can
 *   never climb out of the root: the guest's VFS handles ".." itself.
 * - A child is opened with openat2() from the parent node's fd with
 *   O_PATH|O_NOFOLLOW and RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS: a
 *   symlink as the name gives the link itself, never its target, and a
 *   symlink node used as a parent fails with ENOTDIR. A directory
 *   swapped for a symlink between two lookups therefore yields the
 *   link, which leads nowhere.
 * - A node is opened for I/O by reopening its O_PATH fd through
 *   /proc/self/fd/N (openat on a /proc/self/fd dirfd taken at create
 *   time), as virtiofsd does. That magic link resolves straight to the
 *   inode the fd holds, with no path walk a rename could redirect, and
 *   permissions are checked as for a fresh open. A symlink node is
 *   refused (ELOOP) before that, as O_NOFOLLOW would: reopening it
 *   would follow the link on the host.
 *
 * What cannot be prevented here: a hard link or bind mount made on the
 * host to something outside the directory is visible to the guest; the
 * guest itself can only LINK nodes it already has.
 */
#ifndef DEVICES_FUSE_PATH_H
#define DEVICES_FUSE_PATH_H

#include <stddef.h>
#include <sys/types.h>

struct open_how;

/* 0 if @name is one path component, else -EINVAL or -ENAMETOOLONG. */
int fuse_name_check(const char *name);

/*
 * Open @name (checked) in the directory @parent_fd as an O_PATH fd,
 * not following a symlink. Returns 0 with *fd set, or -errno.
 */
int fuse_child_open(int parent_fd, const char *name, int *fd);

/*
 * Open the inode behind the O_PATH fd @node_fd (of file type @type)
 * with @flags (O_CREAT and O_EXCL are not allowed) through @proc_fd, a
 * directory fd on /proc/self/fd. Returns 0 with *fd set (O_CLOEXEC),
 * -ELOOP for a symlink, or -errno.
 */
int fuse_node_reopen(int proc_fd, int node_fd, mode_t type, int flags, int *fd);

/*
 * fuse_node_reopen()'s checks, and what it opens: the name under
 * /proc/self/fd in @name (@len bytes, 16 is enough) and the openat2()
 * arguments in @how, for an OPENAT2 on the proc fd made elsewhere (the
 * node must stay held until it runs). Returns 0, -ELOOP or -EINVAL.
 */
int fuse_node_reopen_how(int node_fd, mode_t type, int flags, char *name,
			 size_t len, struct open_how *how);

/*
 * "/proc/self/fd/N" for @fd in @buf: for the xattr syscalls, which have
 * no *at() form taking an fd and an empty path before Linux 6.13. It
 * names our fd only; no guest string is in it.
 */
void fuse_fd_path(int fd, char *buf, size_t len);

#endif /* DEVICES_FUSE_PATH_H */
