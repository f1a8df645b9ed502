/* SPDX-License-Identifier: MIT */
/*
 * The host side of Firecracker's hybrid vsock: unix stream sockets stand
 * in for the host's vsock ports.
 *
 *   host -> guest  a program connects to the listener at PATH and writes
 *                  "CONNECT <port>\n"; the device answers "OK
 *                  <host_port>\n" once the guest accepted;
 *   guest -> host  a connection to CID 2 port P becomes a connect to the
 *                  unix socket "PATH_P".
 *
 * Only sockets and lines here (no rings): the device (virtio_vsock.c)
 * calls these on the loop thread; every fd is non-blocking and
 * close-on-exec.
 */
#ifndef DEVICES_VSOCK_HYBRID_H
#define DEVICES_VSOCK_HYBRID_H

#include <stddef.h>
#include <stdint.h>

/* "CONNECT 4294967295\n" is 19 bytes; anything longer is refused. */
#define VSOCK_LINE_MAX 32

/* A CONNECT line being read from a fresh client. */
struct vsock_line {
	char buf[VSOCK_LINE_MAX];
	size_t len;
};

/*
 * Listen on @path. An existing socket file nobody listens on is replaced;
 * a live one fails with -EADDRINUSE ("in use"), any other file with
 * -EEXIST. Returns the listening fd (non-blocking) or -errno with a
 * reason in @err.
 */
int vsock_hybrid_listen(const char *path, char *err, size_t err_len);

/*
 * Accept one client of listener @lfd. Returns its fd (non-blocking), or
 * -EAGAIN when none waits, or -errno.
 */
int vsock_hybrid_accept(int lfd);

/*
 * Connect to "@path_@port" without blocking. Returns the fd, or -errno
 * (-ECONNREFUSED / -ENOENT: nobody listens; -EAGAIN: backlog full).
 */
int vsock_hybrid_connect(const char *path, uint32_t port);

/*
 * Parse @len bytes at @buf as a CONNECT line: "CONNECT " then 1 to 10
 * decimal digits (at most 4294967295) then "\n", nothing else. Returns
 * 1 with *@port set, 0 when more bytes may complete it (no newline yet
 * and fewer than VSOCK_LINE_MAX bytes), or -EINVAL.
 */
int vsock_line_parse(const char *buf, size_t len, uint32_t *port);

/*
 * Read from client @fd into @l, never past the newline: the bytes after
 * it stay in the socket for the guest. Returns 1 with *@port (line
 * complete), 0 (wait for more), -EINVAL (bad line), -EPIPE (EOF before
 * a line) or -errno.
 */
int vsock_line_read(int fd, struct vsock_line *l, uint32_t *port);

/*
 * Send "OK <host_port>\n" on @fd. Returns 0, or -errno (-EAGAIN if the
 * fresh socket had no room for 16 bytes, which only a broken peer does).
 */
int vsock_hybrid_reply_ok(int fd, uint32_t host_port);

#endif /* DEVICES_VSOCK_HYBRID_H */
