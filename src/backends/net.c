/* SPDX-License-Identifier: MIT */
/*
 * Net backend specs and dispatch (net.h): parse "tap=IFNAME[,mac=MAC]",
 * "fd=N[,mac=MAC]" and "socket=PATH[,mac=MAC]" without touching the host,
 * then hand the spec to the tap (net_tap.c) or socket (net_socket.c)
 * opener.
 */
#define pr_fmt(fmt) "net: " fmt

#include "net.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_int.h"

int net_fail(char *err, size_t err_len, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "52:54:00:12:34:56" (or '-' separated): six bytes of two hex digits. */
static bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return false;
	for (unsigned int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':' && p[2] != '-'))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* What the kernel's dev_valid_name() would refuse, said early. */
static bool ifname_ok(const char *s, size_t len)
{
	if (!len || len >= NET_IFNAME_MAX || (len == 1 && s[0] == '.') ||
	    (len == 2 && !memcmp(s, "..", 2)))
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

static int parse_kind(struct net_spec *out, const char *key, size_t klen,
		      const char *val, size_t vlen, char *err, size_t err_len)
{
	char num[16];
	char *end;
	long fd;

	if (klen == 3 && !memcmp(key, "tap", 3)) {
		if (!ifname_ok(val, vlen))
			return net_fail(err, err_len, -EINVAL,
					"net: bad interface name '%.*s': 1 to "
					"%d bytes, no '/', ':' or spaces",
					(int)vlen, val, NET_IFNAME_MAX - 1);
		out->kind = NET_TAP;
		memcpy(out->ifname, val, vlen);
		return 0;
	}
	if (klen == 2 && !memcmp(key, "fd", 2)) {
		if (!vlen || vlen >= sizeof(num))
			goto bad_fd;
		memcpy(num, val, vlen);
		num[vlen] = '\0';
		errno = 0;
		fd = strtol(num, &end, 10);
		if (errno || *end || !isdigit((unsigned char)num[0]) ||
		    fd > INT_MAX)
			goto bad_fd;
		out->kind = NET_TAP_FD;
		out->fd = (int)fd;
		return 0;
	}
	/* socket */
	if (!vlen || vlen >= NET_PATH_MAX)
		return net_fail(
		    err, err_len, -EINVAL,
		    "net: socket path of %zu bytes: 1 to %d allowed", vlen,
		    NET_PATH_MAX - 1);
	out->kind = NET_SOCKET;
	memcpy(out->path, val, vlen);
	return 0;
bad_fd:
	return net_fail(err, err_len, -EINVAL,
			"net: bad fd '%.*s': expected a number >= 0", (int)vlen,
			val);
}

int net_spec_parse(const char *s, struct net_spec *out, char *err,
		   size_t err_len)
{
	bool have_kind = false;
	const char *p = s;

	*out = (struct net_spec){.fd = -1};
	if (!s || !*s)
		return net_fail(err, err_len, -EINVAL,
				"net: empty spec: expected tap=IFNAME, fd=N "
				"or socket=PATH");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t klen = eq ? (size_t)(eq - p) : len;
		const char *val = eq ? eq + 1 : p + len;
		size_t vlen = len - klen - (eq ? 1 : 0);
		int r;

		if (!eq)
			return net_fail(err, err_len, -EINVAL,
					"net: '%.*s' in '%s': expected "
					"key=value",
					(int)len, p, s);
		if ((klen == 3 && !memcmp(p, "tap", 3)) ||
		    (klen == 2 && !memcmp(p, "fd", 2)) ||
		    (klen == 6 && !memcmp(p, "socket", 6))) {
			if (have_kind)
				return net_fail(err, err_len, -EINVAL,
						"net: '%s': more than one of "
						"tap=, fd=, socket=",
						s);
			r = parse_kind(out, p, klen, val, vlen, err, err_len);
			if (r)
				return r;
			have_kind = true;
		} else if (klen == 3 && !memcmp(p, "mac", 3)) {
			if (out->has_mac)
				return net_fail(err, err_len, -EINVAL,
						"net: '%s': mac given twice",
						s);
			if (!parse_mac(val, vlen, out->mac))
				return net_fail(err, err_len, -EINVAL,
						"net: bad mac '%.*s': expected "
						"six hex bytes like "
						"52:54:00:12:34:56",
						(int)vlen, val);
			if (out->mac[0] & 1)
				return net_fail(err, err_len, -EINVAL,
						"net: bad mac '%.*s': a "
						"multicast address (the low "
						"bit of the first byte is set)",
						(int)vlen, val);
			if (!memcmp(out->mac, "\0\0\0\0\0\0", 6))
				return net_fail(err, err_len, -EINVAL,
						"net: bad mac '%.*s': all "
						"zero",
						(int)vlen, val);
			out->has_mac = true;
		} else {
			return net_fail(err, err_len, -EINVAL,
					"net: unknown key '%.*s' in '%s' "
					"(tap, fd, socket, mac)",
					(int)klen, p, s);
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (!have_kind)
		return net_fail(err, err_len, -EINVAL,
				"net: '%s': no backend: expected tap=IFNAME, "
				"fd=N or socket=PATH",
				s);
	return 0;
}

int net_backend_open(struct net_backend *b, const struct net_spec *spec,
		     char *err, size_t err_len)
{
	*b = (struct net_backend){.kind = spec->kind, .fd = -1};
	if (spec->kind == NET_SOCKET)
		return net_socket_open(b, spec, err, err_len);
	return net_tap_open(b, spec, err, err_len);
}

void net_backend_close(struct net_backend *b)
{
	if (b->fd > 0 || (b->fd == 0 && b->name[0]))
		close(b->fd);
	b->fd = -1;
}
