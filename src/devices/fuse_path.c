/* SPDX-License-Identifier: MIT */
/*
 * Resolving guest names one component at a time, and reopening nodes
 * for I/O (fuse_path.h says why each step is safe).
 */
#include "fuse_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/openat2.h>

int fuse_name_check(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strchr(name, '/'))
		return -EINVAL;
	if (len > NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int fuse_child_open(int parent_fd, const char *name, int *fd)
{
	/*
	 * RESOLVE_NO_SYMLINKS with O_PATH|O_NOFOLLOW still returns a
	 * trailing symlink itself (openat2(2)); RESOLVE_BENEATH is a second
	 * fence should a name with ".." or '/' ever get past the check.
	 */
	struct open_how how = {
	    .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
	    .resolve =
		RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int r = fuse_name_check(name);
	long f;

	if (r)
		return r;
	f = syscall(SYS_openat2, parent_fd, name, &how, sizeof(how));
	if (f < 0)
		return -errno;
	*fd = (int)f;
	return 0;
}

int fuse_node_reopen_how(int node_fd, mode_t type, int flags, char *name,
			 size_t len, struct open_how *how)
{
	if (S_ISLNK(type))
		return -ELOOP;
	if ((flags & (O_CREAT | O_EXCL)) || (flags & O_TMPFILE) == O_TMPFILE)
		return -EINVAL;
	snprintf(name, len, "%d", node_fd);
	/* Following this magic link is the point: see fuse_path.h. */
	*how = (struct open_how){.flags =
				     (uint64_t)(flags | O_CLOEXEC | O_NOCTTY)};
	return 0;
}

int fuse_node_reopen(int proc_fd, int node_fd, mode_t type, int flags, int *fd)
{
	struct open_how how;
	char name[16];
	int f, r;

	r = fuse_node_reopen_how(node_fd, type, flags, name, sizeof(name),
				 &how);
	if (r)
		return r;
	f = openat(proc_fd, name, (int)how.flags);
	if (f < 0)
		return -errno;
	*fd = f;
	return 0;
}

void fuse_fd_path(int fd, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/self/fd/%d", fd);
}
