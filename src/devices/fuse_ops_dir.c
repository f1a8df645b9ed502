/* SPDX-License-Identifier: MIT */
/*
 * FUSE directory ops: OPENDIR, READDIR, READDIRPLUS, RELEASEDIR and
 * FSYNCDIR. A directory handle is an O_RDONLY fd read with getdents64;
 * the guest's offsets are the host's d_off cookies, so a READDIR seeks
 * to the offset it is given (unless the handle is there already: then it
 * goes on with the entries its last getdents64 read and did not send,
 * struct fuse_dents) and a listing that changes in between behaves as it does
 * on the host.
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

/*
 * The next entry of @h's listing, from what its last getdents64 read or
 * from a new read into @b; NULL at the end or on an error (*err).
 */
static const struct dirent64 *next_dent(struct fuse_handle *h,
					struct fuse_dents *b, int *err)
{
	ssize_t n;

	if (b->next < b->len)
		return (const void *)(b->buf + b->next);
	b->len = b->next = 0;
	n = getdents64(h->fd, b->buf, sizeof(b->buf));
	if (n <= 0) {
		*err = n < 0 ? -errno : 0;
		return NULL;
	}
	b->len = (size_t)n;
	return (const void *)b->buf;
}

/* @b set to go on with @h's listing at @pos: as it is, or after a seek. */
static int dir_seek(struct fuse_handle *h, struct fuse_dents *b, off_t pos)
{
	if (b->owner == h->serial && b->pos == pos)
		return 0;
	b->owner = 0;
	if (lseek(h->fd, pos, SEEK_SET) < 0)
		return -errno;
	*b = (struct fuse_dents){.owner = h->serial, .pos = pos};
	return 0;
}

static int do_readdir(struct fuse_req *r, bool plus)
{
	struct fuse_dents *b = &r->s->handles.dents;
	const struct dirent64 *d;
	struct fuse_handle *h;
	struct fuse_read_in a;
	size_t room, used = 0;
	uint8_t *buf;
	int err = 0;

	memcpy(&a, r->arg, sizeof(a));
	h = fuse_handles_get(&r->s->handles, a.fh, true);
	if (!h)
		return -EBADF;
	if (a.offset > INT64_MAX)
		return -EINVAL;
	room = MIN((size_t)a.size, fuse_reply_room(r));
	room = MIN(room, (size_t)FUSE_SERVER_MAX_WRITE);
	buf = malloc(room ? room : 1);
	if (!buf)
		return -ENOMEM;
	err = dir_seek(h, b, (off_t)a.offset);
	/* Entries that do not fit stay in @b for the next READDIR. */
	while (!err && (d = next_dent(h, b, &err))) {
		size_t size = put_entry(r, h, d, plus, buf, used, room);

		if (!size)
			break;
		used += size;
		b->next += d->d_reclen;
		b->pos = d->d_off;
	}
	if (err) {
		b->owner = 0; /* seek again next time */
		err = used ? 0 : err;
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
