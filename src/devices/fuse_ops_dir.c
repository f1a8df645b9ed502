/* SPDX-License-Identifier: MIT */
/*
 * FUSE directory ops: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and
 * FSYNCDIR. A directory handle is an O_RDONLY fd read with getdents64;
 * the guest's offsets are the host's d_off cookies, so a READDIR seeks
 * to the offset it is given (unless the fd is there already) and a
 * listing that changes in between behaves as it does on the host.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"
#include "fuse_int.h"
#include "fuse_path.h"

int fuse_op_opendir(struct fuse_req *r)
{
	struct fuse_node *n = fuse_req_node(r);
	struct fuse_open_out o = {0};
	struct fuse_handle *h;
	int fd, err;

	if (!n)
		return -ENOENT;
	if (!S_ISDIR(n->type))
		return -ENOTDIR;
	err = fuse_node_reopen(r->s->proc_fd, n->fd, n->type,
			       O_RDONLY | O_DIRECTORY, &fd);
	if (!err)
		err = fuse_handles_add(&r->s->handles, fd, true, &h);
	if (err)
		return err;
	o.fh = h->fh;
	return fuse_reply(r, &o, sizeof(o));
}

static bool is_dot_or_dotdot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

/*
 * Append one entry for @d at @buf + @used if it fits in @room; returns
 * its size, or 0 if it does not fit. READDIRPLUS looks the entry up
 * (a lookup count the guest now owns) only once it is known to fit.
 */
static size_t put_entry(struct fuse_req *r, struct fuse_handle *h,
			const struct dirent64 *d, bool plus, uint8_t *buf,
			size_t used, size_t room)
{
	size_t namelen = strlen(d->d_name);
	size_t hdr = plus ? FUSE_NAME_OFFSET_DIRENTPLUS : FUSE_NAME_OFFSET;
	size_t size = FUSE_DIRENT_ALIGN(hdr + namelen);
	struct fuse_entry_out e = {0};
	struct fuse_dirent de = {
	    .ino = d->d_ino,
	    .off = (uint64_t)d->d_off,
	    .namelen = (uint32_t)namelen,
	    .type = d->d_type,
	};
	int fd;

	if (size > room - used)
		return 0;
	/*
	 * "." and ".." get no entry (the guest ignores them); an entry
	 * that vanished or cannot be opened goes out with node id 0,
	 * which the guest lists without caching.
	 */
	if (plus && !is_dot_or_dotdot(d->d_name) &&
	    !fuse_child_open(h->fd, d->d_name, &fd))
		(void)fuse_entry_make(r->s, fd, &e); /* failed: e stays 0 */
	memset(buf + used, 0, size);
	if (plus) {
		memcpy(buf + used, &e, sizeof(e));
		used += sizeof(e);
	}
	memcpy(buf + used, &de, sizeof(de));
	memcpy(buf + used + sizeof(de), d->d_name, namelen);
	return size;
}

static int do_readdir(struct fuse_req *r, bool plus)
{
	struct fuse_handle *h;
	struct fuse_read_in a;
	size_t room, used = 0;
	char dents[8192];
	uint8_t *buf;
	off_t pos;
	int err = 0;

	memcpy(&a, r->arg, sizeof(a));
	h = fuse_handles_get(&r->s->handles, a.fh, true);
	if (!h)
		return -EBADF;
	if (a.offset > INT64_MAX)
		return -EINVAL;
	pos = (off_t)a.offset;
	if (h->dir_pos != pos && lseek(h->fd, pos, SEEK_SET) < 0)
		return -errno;
	h->dir_pos = pos;
	room = MIN((size_t)a.size, fuse_reply_room(r));
	room = MIN(room, (size_t)FUSE_SERVER_MAX_WRITE);
	buf = malloc(room ? room : 1);
	if (!buf)
		return -ENOMEM;
	for (bool full = false; !full;) {
		ssize_t n = getdents64(h->fd, dents, sizeof(dents));

		if (n <= 0) {
			err = n < 0 && !used ? -errno : 0;
			h->dir_pos = n < 0 ? -1 : pos;
			break;
		}
		for (ssize_t i = 0; i < n;) {
			const struct dirent64 *d = (void *)(dents + i);
			size_t size = put_entry(r, h, d, plus, buf, used, room);

			if (!size) {
				full = true;
				break;
			}
			used += size;
			pos = d->d_off;
			i += d->d_reclen;
		}
		/* The fd read past what fitted: put it back there. */
		h->dir_pos = lseek(h->fd, pos, SEEK_SET) < 0 ? -1 : pos;
	}
	err = err ? err : fuse_reply(r, buf, used);
	free(buf);
	return err;
}

int fuse_op_readdir(struct fuse_req *r)
{
	return do_readdir(r, false);
}

int fuse_op_readdirplus(struct fuse_req *r)
{
	return do_readdir(r, true);
}

int fuse_op_releasedir(struct fuse_req *r)
{
	struct fuse_release_in a;

	memcpy(&a, r->arg, sizeof(a));
	return fuse_release_fh(r, a.fh, true);
}

int fuse_op_fsyncdir(struct fuse_req *r)
{
	struct fuse_handle *h;
	struct fuse_fsync_in a;
	int res;

	memcpy(&a, r->arg, sizeof(a));
	h = fuse_handles_get(&r->s->handles, a.fh, true);
	if (!h)
		return -EBADF;
	res = a.fsync_flags & FUSE_FSYNC_FDATASYNC ? fdatasync(h->fd)
						   : fsync(h->fd);
	return res < 0 ? -errno : fuse_reply(r, NULL, 0);
}
