/* SPDX-License-Identifier: MIT */
/*
 * The socket backend (net.h): a unix stream socket to a peer speaking
 * QEMU's stream-netdev framing (passt, or "qemu -netdev stream"): every
 * Ethernet frame is preceded by its length as 4 bytes, big endian. No
 * virtio header travels on it, so no offloads either.
 */
#define pr_fmt(fmt) "net: " fmt

#include "net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "net_int.h"

int net_socket_open(struct net_backend *b, const struct net_spec *spec,
		    char *err, size_t err_len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(spec->path);
	int e;

	snprintf(b->name, sizeof(b->name), "socket %s", spec->path);
	if (len >= sizeof(sa.sun_path))
		return net_fail(err, err_len, -ENAMETOOLONG,
				"net socket %s: path too long", spec->path);
	memcpy(sa.sun_path, spec->path, len);
	b->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (b->fd < 0)
		return net_fail(err, err_len, -errno, "net socket %s: %s",
				spec->path, strerror(errno));
	/*
	 * A nonblocking connect on a unix socket completes at once or fails
	 * with EAGAIN (the listener's backlog is full): not worth a wait.
	 */
	if (connect(b->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		net_backend_close(b);
		if (e == ECONNREFUSED || e == ENOENT)
			return net_fail(err, err_len, -e,
					"net socket %s: nobody listens (start "
					"passt first?): %s",
					spec->path, strerror(e));
		if (e == EAGAIN)
			return net_fail(err, err_len, -e,
					"net socket %s: the listener's backlog "
					"is full (is it accepting?)",
					spec->path);
		if (e == EACCES || e == EPERM)
			return net_fail(err, err_len, -e,
					"net socket %s: %s (permissions of "
					"the socket or its directories)",
					spec->path, strerror(e));
		return net_fail(err, err_len, -e, "net socket %s: connect: %s",
				spec->path, strerror(e));
	}
	b->framed = true;
	return 0;
}
