/* SPDX-License-Identifier: MIT */
/*
 * Reading the guest's files (kernel, initrd): regular files only, checked
 * before a byte is read and without blocking on a FIFO.
 */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a non-regular file is, for the message that refuses it. */
static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "of an unknown type";
}

int vm_read_file(const char *what, const char *path, uint64_t max,
		 uint8_t **buf, size_t *len, char *err, size_t err_len)
{
	struct stat st;
	uint8_t *p;
	size_t done = 0;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;

		snprintf(err, err_len, "%s %s: %s", what, path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "%s %s is %s, not a regular file", what,
			 path, file_kind(st.st_mode));
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, err_len,
			 "%s %s is %llu MiB, larger than guest RAM (%llu MiB)",
			 what, path, (unsigned long long)st.st_size >> 20,
			 (unsigned long long)max >> 20);
		close(fd);
		return -EFBIG;
	}
	p = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!p) {
		close(fd);
		return -ENOMEM;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, p + done, (size_t)st.st_size - done);

		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			if (e == EINTR)
				continue;
			snprintf(err, err_len, "%s %s: %s", what, path,
				 strerror(e));
			free(p);
			close(fd);
			return -e;
		}
		done += (size_t)n;
	}
	close(fd);
	*buf = p;
	*len = done;
	return 0;
}
