/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of backends/replay_ring.c: appends that wrap, overflow keeping the
 * newest bytes and counting the dropped ones, writes larger than the ring,
 * peeking as one or two segments, partial consumption, clear.
 */
#include "backends/replay_ring.h"

#include <errno.h>
#include <string.h>

#include "check.h"

/* Flatten the ring into @out; returns the length. */
static size_t flat(const struct replay_ring *r, char *out)
{
	struct iovec iov[2];
	unsigned int n = replay_ring_peek(r, iov);
	size_t len = 0;

	for (unsigned int i = 0; i < n; i++) {
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	return len;
}

int main(void)
{
	struct replay_ring r;
	static char xy[] = "xy", z[] = "z";
	struct iovec iov[2];
	char buf[64];

	CHECK_EQ(replay_ring_init(&r, 0), -EINVAL);
	CHECK_EQ(replay_ring_init(&r, 8), 0);
	CHECK_EQ(replay_ring_peek(&r, iov), 0);
	replay_ring_append(&r, "abc", 3);
	CHECK_EQ(flat(&r, buf), 3);
	CHECK(!memcmp(buf, "abc", 3));
	replay_ring_append(&r, "defgh", 5); /* exactly full */
	CHECK_EQ(r.len, 8);
	CHECK_EQ(r.dropped, 0);
	CHECK_EQ(replay_ring_peek(&r, iov), 1);
	replay_ring_append(&r, "ij", 2); /* drops "ab" */
	CHECK_EQ(r.dropped, 2);
	CHECK_EQ(replay_ring_peek(&r, iov), 2);
	CHECK_EQ(flat(&r, buf), 8);
	CHECK(!memcmp(buf, "cdefghij", 8));
	replay_ring_consume(&r, 3);
	CHECK_EQ(flat(&r, buf), 5);
	CHECK(!memcmp(buf, "fghij", 5));
	/* Larger than the ring: only its tail survives. */
	replay_ring_append(&r, "0123456789ABC", 13);
	CHECK_EQ(flat(&r, buf), 8);
	CHECK(!memcmp(buf, "56789ABC", 8));
	CHECK_EQ(r.dropped, 2 + 5 + 5);
	/* appendv across segments. */
	iov[0] = (struct iovec){xy, 2};
	iov[1] = (struct iovec){z, 1};
	replay_ring_appendv(&r, iov, 2);
	CHECK_EQ(flat(&r, buf), 8);
	CHECK(!memcmp(buf, "89ABCxyz", 8));
	replay_ring_consume(&r, 100);
	CHECK_EQ(r.len, 0);
	replay_ring_append(&r, "q", 1);
	CHECK_EQ(flat(&r, buf), 1);
	replay_ring_clear(&r);
	CHECK_EQ(r.len, 0);
	CHECK_EQ(r.dropped, 0);
	replay_ring_free(&r);
	replay_ring_free(&r);
	return check_done("test_replay_ring");
}
