/* SPDX-License-Identifier: MIT */
/*
 * FUSE extended attribute ops: GETXATTR, SETXATTR, LISTXATTR and
 * REMOVEXATTR. Before Linux 6.13 the xattr syscalls take a path or an
 * fd opened for I/O, and a node is an O_PATH fd of any file type, so
 * they go through "/proc/self/fd/N" (fuse_fd_path()): the magic link
 * lands on the node's inode itself, a symlink included (it is not
 * followed further), and no guest string is part of the path.
 * GETXATTR and SETXATTR are chains of one step (fuse_meta.c): io_uring's
 * path forms of the calls (5.19; its fd forms refuse O_PATH fds), or the
 * syscalls here where the ring lacks them. io_uring has no opcode for
 * listxattr or removexattr: LISTXATTR and REMOVEXATTR run here.
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
 * GETXATTR and LISTXATTR with size 0: the guest asks how big the value
 * or list is (@res), and gets a fuse_getxattr_out.
 */
static int reply_size(struct fuse_req *r, ssize_t res)
{
	struct fuse_getxattr_out o = {0};

	if (sizeof(o) > fuse_reply_room(r))
		return -EINVAL;
	o.size = (uint32_t)res;
	return fuse_reply(r, &o, sizeof(o));
}

/*
 * A buffer for a value or list of at most @size bytes, as the guest
 * asked (ERANGE if it does not fit), the reply's room and XATTR_SIZE_MAX;
 * its length in *len. NULL if out of memory.
 */
static void *value_buf(struct fuse_req *r, uint32_t size, size_t *len)
{
	*len = MIN((size_t)size, fuse_reply_room(r));
	*len = MIN(*len, (size_t)XATTR_SIZE_MAX);
	return malloc(*len ? *len : 1);
}

/*
 * The state of a GETXATTR or SETXATTR of @name on @n (held: its fd
 * number is in the path), owning @value of @size bytes (NULL: none),
 * which is freed if this fails. NULL if out of memory.
 */
static struct fuse_meta *xattr_meta(struct fuse_req *r, struct fuse_node *n,
				    const char *name, void *value, size_t size)
{
	struct fuse_meta *m = fuse_meta_new(r, n);

	if (!m) {
		free(value);
		return NULL;
	}
	fuse_fd_path(n->fd, m->name, sizeof(m->name));
	fuse_meta_name(m->name2, name, sizeof(m->name2));
	m->value = value;
	m->size = size;
	return m;
}

/* GETXATTR's getxattr is done: the size asked, or the value. */
static int xattr_got(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	if (res < 0)
		return (int)res;
	return m->value ? fuse_reply(r, m->value, (size_t)res)
			: reply_size(r, res);
}

int fuse_op_getxattr(struct fuse_req *r)
{
	struct fuse_getxattr_in a;
	size_t off = sizeof(a), len = 0;
	struct fuse_node *n;
	struct fuse_meta *m;
	const char *name;
	void *buf = NULL;
	int err;

	memcpy(&a, r->arg, sizeof(a));
	name = xattr_name(r, &off, &err);
	if (!name)
		return err;
	n = fuse_req_node(r);
	if (!n)
		return -ENOENT;
	if (a.size) {
		buf = value_buf(r, a.size, &len);
		if (!buf)
			return -ENOMEM;
	}
	m = xattr_meta(r, n, name, buf, len);
	if (!m)
		return -ENOMEM;
	fuse_meta_io(r, m, FUSE_IO_GETXATTR, xattr_got);
	return fuse_meta_start(r, m);
}

int fuse_op_listxattr(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_getxattr_in a;
	char path[32];
	ssize_t res;
	size_t len;
	void *buf;

	memcpy(&a, r->arg, sizeof(a));
	if (!n)
		return -ENOENT;
	fuse_fd_path(n->fd, path, sizeof(path));
	if (a.size == 0) {
		res = listxattr(path, NULL, 0);
		return res < 0 ? -errno : reply_size(r, res);
	}
	buf = value_buf(r, a.size, &len);
	if (!buf)
		return -ENOMEM;
	res = listxattr(path, buf, len);
	res = res < 0 ? -errno : fuse_reply(r, buf, (size_t)res);
	free(buf);
	return (int)res;
}

static int xattr_set(struct fuse_req *r, struct fuse_meta *m, ssize_t res)
{
	(void)m;
	return res < 0 ? (int)res : fuse_reply(r, NULL, 0);
}

int fuse_op_setxattr(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_setxattr_in a = {0};
	/* FUSE_SETXATTR_EXT is not offered: the 7.x 8-byte struct. */
	size_t off = FUSE_COMPAT_SETXATTR_IN_SIZE;
	struct fuse_meta *m;
	const char *name;
	void *value;
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
	/* A copy: the request's arguments are gone once it is prepared. */
	value = malloc(a.size ? a.size : 1);
	if (!value)
		return -ENOMEM;
	memcpy(value, r->arg + off, a.size);
	m = xattr_meta(r, n, name, value, a.size);
	if (!m)
		return -ENOMEM;
	fuse_meta_io(r, m, FUSE_IO_SETXATTR, xattr_set);
	r->io->flags = (int)a.flags;
	return fuse_meta_start(r, m);
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
