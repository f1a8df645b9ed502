/* SPDX-License-Identifier: MIT */
/*
 * Scatter-gather helpers for the parts of a virtqueue chain: copying a
 * header or a reply between segments and a flat buffer whatever the
 * driver's split, and describing a range of the chain as iovecs so data
 * moves straight between guest memory and a file or socket.
 */
#ifndef VMM_BASE_IOV_H
#define VMM_BASE_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/*
 * Copy up to @len bytes starting @skip bytes into the @n segments @iov
 * to @buf. Returns the bytes copied (fewer if the segments end).
 */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip,
		  void *buf, size_t len);

/* As iov_to_buf(), from @buf into the segments. */
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t skip,
		    const void *buf, size_t len);

/*
 * Describe the @len bytes at offset @skip of @iov (@n segments) in @dst
 * (room for @max). Returns the segment count (0 if nothing is there);
 * *@sliced (if not NULL) gets the bytes described, fewer than @len when
 * the segments or @max run out.
 */
unsigned int iov_slice(const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len, struct iovec *dst, unsigned int max,
		       size_t *sliced);

#endif /* VMM_BASE_IOV_H */
