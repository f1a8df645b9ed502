/* SPDX-License-Identifier: MIT */
/*
 * Unix sockets of the hybrid vsock: the listener, CONNECT lines, OK
 * replies and connects to PATH_<port> (vsock_hybrid.h).
 */
#include "vsock_hybrid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int vsock_addr(struct sockaddr_un *sa, const char *path)
{
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

static int vsock_socket(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	return fd < 0 ? -errno : fd;
}

/* Does anyone listen on the socket file @sa? 0: no (stale), else -errno. */
static int vsock_probe_stale(const struct sockaddr_un *sa)
{
	int fd = vsock_socket(), ret;

	if (fd < 0)
		return fd;
	ret =
	    connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
	close(fd);
	if (ret == -ECONNREFUSED)
		return 0;
	/* Connected, or a full backlog: somebody is there. */
	if (!ret || ret == -EAGAIN)
		return -EADDRINUSE;
	return ret;
}

int vsock_hybrid_listen(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, ret = vsock_addr(&sa, path);

	if (ret)
		goto fail;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			ret = -EEXIST;
			goto fail;
		}
		ret = vsock_probe_stale(&sa);
		if (ret)
			goto fail;
		if (unlink(path) && errno != ENOENT) {
			ret = -errno;
			goto fail;
		}
	}
	fd = vsock_socket();
	if (fd < 0) {
		ret = fd;
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	return fd;
fail:
	snprintf(err, err_len, "vsock %s: %s", path,
		 ret == -EADDRINUSE ? "in use" : strerror(-ret));
	return ret;
}

int vsock_hybrid_accept(int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

int vsock_hybrid_connect(const char *path, uint32_t port)
{
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	struct sockaddr_un sa;
	int fd, ret;

	snprintf(name, sizeof(name), "%s_%u", path, port);
	ret = vsock_addr(&sa, name);
	if (ret)
		return ret;
	fd = vsock_socket();
	if (fd < 0)
		return fd;
	/* AF_UNIX connects complete at once or fail (EAGAIN: backlog). */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int vsock_line_parse(const char *buf, size_t len, uint32_t *port)
{
	static const char verb[] = "CONNECT ";
	const char *nl = memchr(buf, '\n', len);
	const char *p = buf + sizeof(verb) - 1;
	uint64_t v = 0;

	if (!nl)
		return len < VSOCK_LINE_MAX ? 0 : -EINVAL;
	if ((size_t)(nl - buf) < sizeof(verb) ||
	    memcmp(buf, verb, sizeof(verb) - 1) || nl - p > 10)
		return -EINVAL;
	for (; p < nl; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > UINT32_MAX)
		return -EINVAL;
	*port = (uint32_t)v;
	return 1;
}

int vsock_line_read(int fd, struct vsock_line *l, uint32_t *port)
{
	char peek[VSOCK_LINE_MAX];
	size_t room = sizeof(l->buf) - l->len, take;
	ssize_t n;
	char *nl;

	if (!room)
		return -EINVAL;
	/* Peek first, so the bytes after the newline stay in the socket. */
	n = recv(fd, peek, room, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (n == 0)
		return -EPIPE;
	nl = memchr(peek, '\n', (size_t)n);
	take = nl ? (size_t)(nl - peek) + 1 : (size_t)n;
	n = recv(fd, l->buf + l->len, take, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	l->len += (size_t)n;
	return vsock_line_parse(l->buf, l->len, port);
}

int vsock_hybrid_reply_ok(int fd, uint32_t host_port)
{
	char line[24];
	int len = snprintf(line, sizeof(line), "OK %u\n", host_port);
	ssize_t n = send(fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	return n == len ? 0 : -EAGAIN;
}
