/* SPDX-License-Identifier: MIT */
/*
 * FUSE extended attribute ops: GETXATTR, SETXATTR, LISTXATTR and
 * REMOVEXATTR. Before Linux 6.13 the xattr syscalls take a path or an
 * fd opened for I/O, and a node is an O_PATH fd of any file type, so
 * they go through "/proc/self/fd/N" (fuse_fd_path()): the magic link
 * lands on the node's inode itself, a symlink included (it is not
 * followed further), and no guest string is part of the path.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include <linux/limits.h>

#include "base/util.h"
#include "fuse_int.h"
#include "fuse_path.h"

#define USER_PREFIX "user."

/* An attribute name from the request: 1..XATTR_NAME_MAX bytes. */
static const char *xattr_name(struct fuse_req *r, size_t *off, int *err)
{
	const char *name = fuse_req_str(r, off);

	*err = 0;
	if (!name || !*name)
		*err = -EINVAL;
	else if (strlen(name) > XATTR_NAME_MAX)
		*err = -ERANGE;
	return *err ? NULL : name;
}

/*
 * The guest may change only user.* attributes: security.capability or
 * trusted.* written from a guest would take effect on the host, where
 * the files are just as real.
 */
static int check_writable(const char *name)
{
	return strncmp(name, USER_PREFIX, strlen(USER_PREFIX)) ? -EPERM : 0;
}

/*
 * Shared by GETXATTR (@name set) and LISTXATTR: with size 0 the guest
 * asks how big the value is, and gets a fuse_getxattr_out; otherwise
 * the value itself, or ERANGE if it does not fit in its size.
 */
static int get_or_list(struct fuse_req *r, const char *name, uint32_t size)
{
	struct fuse_node *n = fuse_req_node(r);
	char path[32];
	size_t len;
	ssize_t res;
	void *buf;

	if (!n)
		return -ENOENT;
	fuse_fd_path(n->fd, path, sizeof(path));
	if (size == 0) {
		struct fuse_getxattr_out o = {0};

		res = name ? getxattr(path, name, NULL, 0)
			   : listxattr(path, NULL, 0);
		if (res < 0)
			return -errno;
		if (sizeof(o) > fuse_reply_room(r))
			return -EINVAL;
		o.size = (uint32_t)res;
		return fuse_reply(r, &o, sizeof(o));
	}
	len = MIN((size_t)size, fuse_reply_room(r));
	len = MIN(len, (size_t)XATTR_SIZE_MAX);
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	res = name ? getxattr(path, name, buf, len) : listxattr(path, buf, len);
	res = res < 0 ? -errno : fuse_reply(r, buf, (size_t)res);
	free(buf);
	return (int)res;
}

int fuse_op_getxattr(struct fuse_req *r)
{
	struct fuse_getxattr_in a;
	size_t off = sizeof(a);
	const char *name;
	int err;

	memcpy(&a, r->arg, sizeof(a));
	name = xattr_name(r, &off, &err);
	return name ? get_or_list(r, name, a.size) : err;
}

int fuse_op_listxattr(struct fuse_req *r)
{
	struct fuse_getxattr_in a;

	memcpy(&a, r->arg, sizeof(a));
	return get_or_list(r, NULL, a.size);
}

int fuse_op_setxattr(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_setxattr_in a = {0};
	/* FUSE_SETXATTR_EXT is not offered: the 7.x 8-byte struct. */
	size_t off = FUSE_COMPAT_SETXATTR_IN_SIZE;
	const char *name;
	char path[32];
	int err;

	if (!n)
		return -ENOENT;
	memcpy(&a, r->arg, off);
	name = xattr_name(r, &off, &err);
	if (!name)
		return err;
	if (a.size > r->arg_len - off || a.size > XATTR_SIZE_MAX)
		return -EINVAL;
	if (a.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	err = check_writable(name);
	if (err)
		return err;
	fuse_fd_path(n->fd, path, sizeof(path));
	if (setxattr(path, name, r->arg + off, a.size, (int)a.flags) < 0)
		return -errno;
	return fuse_reply(r, NULL, 0);
}

int fuse_op_removexattr(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	const char *name;
	size_t off = 0;
	char path[32];
	int err;

	if (!n)
		return -ENOENT;
	name = xattr_name(r, &off, &err);
	if (!name)
		return err;
	err = check_writable(name);
	if (err)
		return err;
	fuse_fd_path(n->fd, path, sizeof(path));
	return removexattr(path, name) < 0 ? -errno : fuse_reply(r, NULL, 0);
}
