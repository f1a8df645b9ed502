/* SPDX-License-Identifier: MIT */
/*
 * Named virtio-console ports (ports.h). The driver (drivers/char/
 * virtio_console.c) creates the `name` attribute only once the host's
 * PORT_NAME message arrived and writes it as "%s\n"; a port without a name
 * has no such file and is skipped.
 */
#include "ports.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Does the file at PATH hold exactly NAME, with or without one '\n'? */
static int name_matches(const char *path, const char *name)
{
	char buf[256];
	size_t want = strlen(name);
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return 0;
	if (buf[n - 1] == '\n')
		n--;
	return (size_t)n == want && !memcmp(buf, name, want);
}

int port_find(const char *sysfs, const char *name, char *dev, size_t devlen)
{
	char dir[512], path[768];
	struct dirent *de;
	int r = -ENOENT;
	DIR *d;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/class/virtio-ports",
			     sysfs) >= sizeof(dir))
		return -ENAMETOOLONG;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/name", dir,
				     de->d_name) >= sizeof(path))
			continue;
		if (!name_matches(path, name))
			continue;
		if (strlen(de->d_name) >= devlen)
			r = -ENAMETOOLONG;
		else {
			strcpy(dev, de->d_name);
			r = 0;
		}
		break;
	}
	closedir(d);
	return r;
}

int port_wait(const char *sysfs, const char *name, char *dev, size_t devlen,
	      unsigned int timeout_ms)
{
	const struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};
	unsigned int waited = 0;
	int r;

	for (;;) {
		r = port_find(sysfs, name, dev, devlen);
		/* The class directory itself appears with the driver. */
		if ((r != -ENOENT) || waited >= timeout_ms)
			return r;
		nanosleep(&tick, NULL);
		waited += 10;
	}
}
