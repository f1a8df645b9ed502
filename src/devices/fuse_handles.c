/* SPDX-License-Identifier: MIT */
/*
 * FUSE file handles (fuse_handles.h): ids from a fuse_idtab, each
 * pointing to a reference-counted struct fuse_handle.
 */
#include "fuse_handles.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

void fuse_handles_init(struct fuse_handles *t)
{
	/* Slot 0 stays unused: fh 0 is what a zeroed request carries. */
	fuse_idtab_init(&t->ids, FUSE_HANDLES_MAX, 1);
	t->serials = 0;
	t->dents.owner = 0;
}

void fuse_handles_reset(struct fuse_handles *t)
{
	for (uint32_t i = 0; i < t->ids.used; i++) {
		struct fuse_handle *h = fuse_idtab_at(&t->ids, i);

		if (h)
			(void)fuse_handles_release(t, h->fh, h->dir);
	}
}

void fuse_handles_destroy(struct fuse_handles *t)
{
	/*
	 * Prepared I/O still out holds references: the device must have
	 * completed or abandoned it before destroying the server, so the
	 * fds are closed here regardless.
	 */
	for (uint32_t i = 0; i < t->ids.used; i++) {
		struct fuse_handle *h = fuse_idtab_at(&t->ids, i);

		if (h) {
			close(h->fd);
			free(h);
		}
	}
	fuse_idtab_destroy(&t->ids);
}

int fuse_handles_add(struct fuse_handles *t, int fd, bool dir,
		     struct fuse_handle **out)
{
	struct fuse_handle *h = malloc(sizeof(*h));
	int r;

	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	*h = (struct fuse_handle){
	    .serial = ++t->serials, .fd = fd, .dir = dir, .refs = 1};
	r = fuse_idtab_add(&t->ids, h, &h->fh);
	if (r) {
		close(fd);
		free(h);
		return r;
	}
	*out = h;
	return 0;
}

struct fuse_handle *fuse_handles_get(struct fuse_handles *t, uint64_t fh,
				     bool dir)
{
	struct fuse_handle *h = fuse_idtab_get(&t->ids, fh);

	return h && h->dir == dir ? h : NULL;
}

void fuse_handle_hold(struct fuse_handle *h)
{
	h->refs++;
}

void fuse_handle_put(struct fuse_handle *h)
{
	if (--h->refs)
		return;
	close(h->fd);
	free(h);
}

int fuse_handles_release(struct fuse_handles *t, uint64_t fh, bool dir)
{
	struct fuse_handle *h = fuse_handles_get(t, fh, dir);

	if (!h)
		return -EBADF;
	fuse_idtab_del(&t->ids, fh);
	fuse_handle_put(h);
	return 0;
}

int fuse_handles_take(struct fuse_handles *t, uint64_t fh, bool dir, int *fd)
{
	struct fuse_handle *h = fuse_handles_get(t, fh, dir);

	*fd = -1;
	if (!h)
		return -EBADF;
	fuse_idtab_del(&t->ids, fh);
	if (h->refs > 1) {
		fuse_handle_put(h);
		return 0;
	}
	*fd = h->fd;
	free(h);
	return 0;
}
