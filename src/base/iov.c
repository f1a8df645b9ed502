/* SPDX-License-Identifier: MIT */
/* Scatter-gather helpers (iov.h). */
#include "iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "util.h"

/* Copy between the segments (after @skip bytes) and @buf, either way. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t skip,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len, take;
		uint8_t *p;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		p = (uint8_t *)iov[i].iov_base + skip;
		take = MIN(seg - skip, len - done);
		memcpy(to_iov ? p : buf + done, to_iov ? buf + done : p, take);
		done += take;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip,
		  void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t skip,
		    const void *buf, size_t len)
{
	/* @buf is only read in this direction. */
	return iov_copy(iov, n, skip, (uint8_t *)(uintptr_t)buf, len, true);
}

unsigned int iov_slice(const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len, struct iovec *dst, unsigned int max,
		       size_t *sliced)
{
	unsigned int k = 0;
	size_t got = 0;

	for (unsigned int i = 0; i < n && len && k < max; i++) {
		size_t seg = iov[i].iov_len, take;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		take = MIN(seg - skip, len);
		dst[k].iov_base = (uint8_t *)iov[i].iov_base + skip;
		dst[k++].iov_len = take;
		len -= take;
		got += take;
		skip = 0;
	}
	if (sliced)
		*sliced = got;
	return k;
}
