/* SPDX-License-Identifier: MIT */
/*
 * /proc/self/task/TID/schedstat: "run_ns run_delay_ns timeslices\n",
 * printed by the kernel's proc_pid_schedstat(). Parsed strictly: anything
 * else is -EINVAL rather than a made-up number.
 */
#include "schedstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

int schedstat_open(pid_t tid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* One decimal u64 at buf[*pos], then @sep. */
static bool parse_u64(const char *buf, size_t len, size_t *pos, char sep,
		      uint64_t *out)
{
	size_t i = *pos;
	uint64_t v = 0;

	if (i >= len || buf[i] < '0' || buf[i] > '9')
		return false;
	for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(buf[i] - '0'), &v))
			return false;
	}
	if (i >= len || buf[i] != sep)
		return false;
	*pos = i + 1;
	*out = v;
	return true;
}

int schedstat_parse(const char *buf, size_t len, struct schedstat *out)
{
	size_t pos = 0;

	if (!parse_u64(buf, len, &pos, ' ', &out->run_ns) ||
	    !parse_u64(buf, len, &pos, ' ', &out->run_delay_ns) ||
	    !parse_u64(buf, len, &pos, '\n', &out->timeslices) || pos != len)
		return -EINVAL;
	return 0;
}

int schedstat_read(int fd, struct schedstat *out)
{
	char buf[96];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	if (n < 0)
		return -errno;
	return schedstat_parse(buf, (size_t)n, out);
}
