/* SPDX-License-Identifier: MIT */
/*
 * `vmm ctl SOCKET COMMAND [ARGS]`: the client of the control socket
 * (api/api.h). Sends one request line, prints the reply line on stdout,
 * and exits 0 when the reply says "ok": true, 1 when it does not or the
 * socket fails, 2 on a usage error. `vmm top` reuses the connection
 * helpers.
 */
#ifndef VMM_CTL_H
#define VMM_CTL_H

#include <stddef.h>

/* Largest reply accepted (a stats document of 254 vCPUs is ~400 KiB). */
#define CTL_MAX_REPLY (64u << 20)

/*
 * Connect to the control socket at @path. Reads time out after
 * @timeout_s seconds (0: never). Returns the fd or -errno.
 */
int ctl_connect(const char *path, unsigned int timeout_s);

/*
 * Send @request (one line, without its newline) on @fd and read one reply
 * line into *@reply (malloc'd, NUL-terminated, newline stripped). Returns
 * 0, -EPIPE if the server closed first, -EMSGSIZE beyond CTL_MAX_REPLY,
 * or -errno (-EAGAIN on timeout).
 */
int ctl_request(int fd, const char *request, char **reply);

/*
 * Turn COMMAND [ARGS] into a request line in @out (@len bytes):
 * pause [VCPU], resume [VCPU], stop, stats, vcpus, or a raw JSON object
 * given as one argument starting with '{'. Pure. 0 or -EINVAL.
 */
int ctl_build_request(int argc, char *const argv[], char *out, size_t len);

/*
 * What went wrong with a request to @path, for the user: ctl_request()'s
 * -errno as "no reply from PATH within N s" (-EAGAIN, after @timeout_s),
 * "PATH closed the connection before replying" (-EPIPE, -ECONNRESET) or
 * "PATH: strerror". Returns @buf.
 */
const char *ctl_error_text(int err, const char *path, unsigned int timeout_s,
			   char *buf, size_t len);

/*
 * The subcommand: argv[0] is "ctl", then SOCKET COMMAND [ARGS]. Returns
 * the process exit status.
 */
int ctl_main(int argc, char **argv);

#endif /* VMM_CTL_H */
