/* SPDX-License-Identifier: MIT */
/*
 * A bounded byte ring that keeps the most recent output of a console
 * nobody reads (a pty without a reader, a socket without a client), to
 * replay it to the first reader. When full, the oldest bytes go; the count
 * of dropped bytes is kept for one honest message at replay time. Not
 * thread-safe: the owning console's lock guards it.
 */
#ifndef IO_REPLAY_RING_H
#define IO_REPLAY_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define REPLAY_RING_DEFAULT (1024 * 1024)

struct replay_ring {
	uint8_t *buf;
	size_t cap;
	size_t start;	  /* offset of the oldest byte */
	size_t len;	  /* bytes held */
	uint64_t dropped; /* oldest bytes overwritten since last clear */
};

/* Allocate @cap (> 0) bytes. Returns 0 or -ENOMEM. */
int replay_ring_init(struct replay_ring *r, size_t cap);

/* Free the buffer. Safe on a zeroed ring. */
void replay_ring_free(struct replay_ring *r);

/* Append @len bytes, dropping the oldest ones beyond the capacity. */
void replay_ring_append(struct replay_ring *r, const void *buf, size_t len);

/* Append the bytes of @iov (as above). */
void replay_ring_appendv(struct replay_ring *r, const struct iovec *iov,
			 unsigned int iovcnt);

/*
 * Describe the held bytes, oldest first, as at most two segments in
 * @iov[2]. Returns the number of segments (0 when empty). The segments stay
 * valid until the ring is next modified.
 */
unsigned int replay_ring_peek(const struct replay_ring *r, struct iovec iov[2]);

/* Drop the @n oldest bytes (n <= len), e.g. after replaying them. */
void replay_ring_consume(struct replay_ring *r, size_t n);

/* Empty the ring and reset the dropped count. */
void replay_ring_clear(struct replay_ring *r);

#endif /* IO_REPLAY_RING_H */
