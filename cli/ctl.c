/* SPDX-License-Identifier: MIT */
/*
 * The control socket client: build a request from the command line,
 * send it, read one reply line, report. Blocking I/O with a receive
 * timeout, since this is a short-lived command, not the VMM.
 */
#include "ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

/*
 * A pause waits for every vCPU to park, normally milliseconds; a reply
 * that takes this long means the vmm is stuck, and ctl should say so.
 */
#define CTL_TIMEOUT_S 30

int ctl_connect(const char *path, unsigned int timeout_s)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = timeout_s};
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (timeout_s &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		goto err;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto err;
	return fd;
err:
	r = -errno;
	close(fd);
	return r;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one reply line. The server sends exactly one reply per request,
 * so nothing can follow its newline.
 */
static int read_line(int fd, char **line)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *bigger;
	ssize_t n;

	while (buf) {
		if (len + 1 == cap) {
			if (cap >= CTL_MAX_REPLY) {
				free(buf);
				return -EMSGSIZE;
			}
			bigger = realloc(buf, cap * 2);
			if (!bigger)
				break;
			buf = bigger;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int r = n < 0 ? -errno : -EPIPE;

			free(buf);
			return r;
		}
		len += (size_t)n;
		if (buf[len - 1] == '\n') {
			buf[len - 1] = '\0';
			*line = buf;
			return 0;
		}
	}
	free(buf);
	return -ENOMEM;
}

int ctl_request(int fd, const char *request, char **reply)
{
	int r = send_all(fd, request, strlen(request));

	if (!r)
		r = send_all(fd, "\n", 1);
	return r ? r : read_line(fd, reply);
}

/*
 * "3" -> 3; anything but a plain decimal below 2^31 is -EINVAL. The range
 * against the VM's vCPU count is the server's to check.
 */
static int parse_vcpu(const char *s)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 0x7fffffff)
		return -EINVAL;
	return (int)v;
}

int ctl_build_request(int argc, char *const argv[], char *out, size_t len)
{
	static const char *const simple[] = {"stop", "stats", "vcpus"};
	const char *cmd;
	int n, vcpu;

	if (argc < 1)
		return -EINVAL;
	cmd = argv[0];
	if (cmd[0] == '{' && argc == 1)
		n = snprintf(out, len, "%s", cmd);
	else if ((!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) &&
		 argc <= 2) {
		if (argc == 1) {
			n = snprintf(out, len, "{\"cmd\":\"%s\"}", cmd);
		} else {
			vcpu = parse_vcpu(argv[1]);
			if (vcpu < 0)
				return -EINVAL;
			n = snprintf(out, len, "{\"cmd\":\"%s\",\"vcpu\":%d}",
				     cmd, vcpu);
		}
	} else {
		n = -1;
		for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
			if (!strcmp(cmd, simple[i]) && argc == 1)
				n = snprintf(out, len, "{\"cmd\":\"%s\"}", cmd);
		if (n < 0)
			return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

static void ctl_usage(void)
{
	fprintf(stderr,
		"usage: vmm ctl SOCKET COMMAND [ARGS]\n"
		"  pause [VCPU]   pause every vCPU, or one\n"
		"  resume [VCPU]  resume every vCPU, or one\n"
		"  stop           end the VM\n"
		"  stats          runstate statistics (JSON)\n"
		"  vcpus          vCPU list with host thread ids (JSON)\n"
		"  '{...}'        send a raw JSON request\n"
		"exit status: 0 ok, 1 refused or unreachable, 2 usage\n");
}

const char *ctl_error_text(int err, const char *path, unsigned int timeout_s,
			   char *buf, size_t len)
{
	if (err == -EAGAIN) /* SO_RCVTIMEO expired */
		snprintf(buf, len, "no reply from %s within %u s", path,
			 timeout_s);
	else if (err == -EPIPE || err == -ECONNRESET)
		snprintf(buf, len, "%s closed the connection before replying",
			 path);
	else
		snprintf(buf, len, "%s: %s", path, strerror(-err));
	return buf;
}

/* Did the server say "ok": true? */
static bool reply_ok(const char *reply)
{
	struct json_object *o = json_tokener_parse(reply), *ok;
	bool yes = o && json_object_object_get_ex(o, "ok", &ok) &&
		   json_object_is_type(ok, json_type_boolean) &&
		   json_object_get_boolean(ok);

	json_object_put(o);
	return yes;
}

int ctl_main(int argc, char **argv)
{
	char request[8192], *reply = NULL, why[512];
	int fd, r;

	if (argc < 3 ||
	    ctl_build_request(argc - 2, argv + 2, request, sizeof(request))) {
		ctl_usage();
		return 2;
	}
	fd = ctl_connect(argv[1], CTL_TIMEOUT_S);
	if (fd < 0) {
		fprintf(stderr, "vmm ctl: %s: %s\n", argv[1], strerror(-fd));
		return 1;
	}
	r = ctl_request(fd, request, &reply);
	close(fd);
	if (r) {
		fprintf(stderr, "vmm ctl: %s\n",
			ctl_error_text(r, argv[1], CTL_TIMEOUT_S, why,
				       sizeof(why)));
		return 1;
	}
	printf("%s\n", reply);
	r = reply_ok(reply) ? 0 : 1;
	free(reply);
	return r;
}
