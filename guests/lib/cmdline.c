/* SPDX-License-Identifier: MIT */
/*
 * Command line lookups. The command line lives in guest memory written by
 * the loader, so every scan is bounded by CMDLINE_MAX as well as by NUL.
 */
#include "cmdline.h"

#include "string.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * Locate the first word that is exactly @key or starts with "@key=".
 * Returns a pointer just past the key (at '=', a space or the end), or NULL.
 */
static const char *find_key(const char *cmdline, const char *key)
{
	size_t klen = strlen(key);
	size_t len = strnlen(cmdline, CMDLINE_MAX);
	size_t i = 0;

	while (i < len) {
		while (i < len && is_space(cmdline[i]))
			i++;
		if (i + klen <= len && !memcmp(cmdline + i, key, klen)) {
			char next = i + klen < len ? cmdline[i + klen] : '\0';

			if (next == '=' || next == '\0' || is_space(next))
				return cmdline + i + klen;
		}
		while (i < len && !is_space(cmdline[i]))
			i++;
	}
	return NULL;
}

int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size)
{
	const char *p = find_key(cmdline, key);
	const char *end = cmdline + strnlen(cmdline, CMDLINE_MAX);
	size_t n = 0;

	if (!p || p >= end || *p != '=')
		return -1;
	for (p++; p + n < end && !is_space(p[n]); n++)
		;
	if (n + 1 > size)
		return -2;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return (int)n;
}

bool cmdline_has(const char *cmdline, const char *key)
{
	return find_key(cmdline, key) != NULL;
}

int parse_u64(const char *s, size_t len, unsigned int base, uint64_t *val)
{
	uint64_t v = 0;

	if (base == 0) {
		base = 10;
		if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
			len -= 2;
		}
	}
	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		if (d >= base)
			return -1;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -1;
	}
	*val = v;
	return 0;
}

int cmdline_u64(const char *cmdline, const char *key, uint64_t *val)
{
	char buf[32];
	int n = cmdline_get(cmdline, key, buf, sizeof(buf));

	if (n == -1)
		return -1;
	if (n < 0 || parse_u64(buf, (size_t)n, 0, val))
		return -2;
	return 0;
}
