/* SPDX-License-Identifier: MIT */
/*
 * The newc cpio writer (cpio.h). Header fields, in order: magic 070701,
 * ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
 * rdevmajor, rdevminor, namesize (with its NUL), check (0 in newc).
 */
#include "cpio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CPIO_HEADER  110
#define CPIO_TRAILER "TRAILER!!!"

void cpio_init(struct cpio *c)
{
	*c = (struct cpio){.next_ino = 1};
}

/* Room for @n more bytes. */
static int grow(struct cpio *c, size_t n)
{
	size_t need, cap = c->cap ? c->cap : 64 * 1024;
	uint8_t *b;

	if (__builtin_add_overflow(c->len, n, &need))
		return -ENOMEM;
	while (cap < need)
		if (__builtin_mul_overflow(cap, 2, &cap))
			return -ENOMEM;
	if (cap == c->cap)
		return 0;
	b = realloc(c->buf, cap);
	if (!b)
		return -ENOMEM;
	c->buf = b;
	c->cap = cap;
	return 0;
}

/* @n bytes of @p, then zeros up to a multiple of 4 of the archive. */
static void put_padded(struct cpio *c, const void *p, size_t n)
{
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	while (c->len % 4)
		c->buf[c->len++] = 0;
}

static void add(struct cpio *c, const char *name, uint32_t mode, uint32_t nlink,
		const void *data, size_t len, uint32_t rmaj, uint32_t rmin)
{
	size_t name_size = strlen(name) + 1;
	char hdr[CPIO_HEADER + 1];

	if (c->err)
		return;
	if (len > UINT32_MAX || name_size > 4096) {
		c->err = len > UINT32_MAX ? -EFBIG : -EINVAL;
		return;
	}
	/* Each part padded by at most 3 bytes. */
	c->err = grow(c, CPIO_HEADER + name_size + 3 + len + 3);
	if (c->err)
		return;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->next_ino++, mode, 0u, 0u, nlink, 0u, (unsigned int)len, 0u,
		 0u, rmaj, rmin, (unsigned int)name_size, 0u);
	memcpy(c->buf + c->len, hdr, CPIO_HEADER);
	c->len += CPIO_HEADER;
	put_padded(c, name, name_size);
	if (len)
		put_padded(c, data, len);
}

void cpio_add(struct cpio *c, const char *name, uint32_t mode, const void *data,
	      size_t len, uint32_t rdev_major, uint32_t rdev_minor)
{
	if (!c->err && (!*name || *name == '/' || (!S_ISREG(mode) && len) ||
			(len && !data)))
		c->err = -EINVAL;
	add(c, name, mode, S_ISDIR(mode) ? 2 : 1, data, len, rdev_major,
	    rdev_minor);
}

int cpio_finish(struct cpio *c)
{
	add(c, CPIO_TRAILER, 0, 1, NULL, 0, 0, 0);
	if (c->err) {
		free(c->buf);
		c->buf = NULL;
		c->len = c->cap = 0;
	}
	return c->err;
}
