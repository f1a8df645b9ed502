/* SPDX-License-Identifier: MIT */
/*
 * The replay ring: a circular buffer of the last cap bytes written.
 */
#include "replay_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int replay_ring_init(struct replay_ring *r, size_t cap)
{
	memset(r, 0, sizeof(*r));
	if (!cap)
		return -EINVAL;
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void replay_ring_free(struct replay_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void replay_ring_append(struct replay_ring *r, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t end, n;

	if (!r->cap || !len)
		return;
	/* Only the last cap bytes of a long write can survive. */
	if (len > r->cap) {
		r->dropped += len - r->cap;
		p += len - r->cap;
		len = r->cap;
	}
	if (r->len + len > r->cap) {
		size_t over = r->len + len - r->cap;

		r->dropped += over;
		replay_ring_consume(r, over);
	}
	while (len) {
		end = (r->start + r->len) % r->cap;
		n = MIN(len, r->cap - end);
		memcpy(r->buf + end, p, n);
		r->len += n;
		p += n;
		len -= n;
	}
}

void replay_ring_appendv(struct replay_ring *r, const struct iovec *iov,
			 unsigned int iovcnt)
{
	for (unsigned int i = 0; i < iovcnt; i++)
		replay_ring_append(r, iov[i].iov_base, iov[i].iov_len);
}

unsigned int replay_ring_peek(const struct replay_ring *r, struct iovec iov[2])
{
	size_t first;

	if (!r->len)
		return 0;
	first = MIN(r->len, r->cap - r->start);
	iov[0] = (struct iovec){r->buf + r->start, first};
	if (first == r->len)
		return 1;
	iov[1] = (struct iovec){r->buf, r->len - first};
	return 2;
}

void replay_ring_consume(struct replay_ring *r, size_t n)
{
	n = MIN(n, r->len);
	r->start = r->cap ? (r->start + n) % r->cap : 0;
	r->len -= n;
	if (!r->len)
		r->start = 0;
}

void replay_ring_clear(struct replay_ring *r)
{
	r->start = 0;
	r->len = 0;
	r->dropped = 0;
}
