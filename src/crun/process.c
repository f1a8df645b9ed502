/* SPDX-License-Identifier: MIT */
/*
 * OCI process -> /vmm/process records (process.h). Values come from the
 * spec as they are: oci.c already refused strings with NUL bytes, the
 * one thing a record cannot hold.
 */
#include "process.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

struct desc {
	char *buf;
	size_t len, cap;
	bool too_big, oom;
};

/* Append "@key=@value\0"; failures are sticky and checked at the end. */
static void put(struct desc *d, const char *key, const char *value)
{
	size_t k = strlen(key), v = strlen(value), need = k + 1 + v + 1;

	if (d->too_big || d->oom)
		return;
	if (d->len + need > PROCESS_DESC_MAX) {
		d->too_big = true;
		return;
	}
	if (d->len + need > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		char *b;

		while (cap < d->len + need)
			cap *= 2;
		b = realloc(d->buf, cap);
		if (!b) {
			d->oom = true;
			return;
		}
		d->buf = b;
		d->cap = cap;
	}
	memcpy(d->buf + d->len, key, k);
	d->buf[d->len + k] = '=';
	memcpy(d->buf + d->len + k + 1, value, v + 1);
	d->len += need;
}

static void put_u64(struct desc *d, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	put(d, key, s);
}

/*
 * The limits OCI names (the POSIX ones Linux has): the runner's init
 * knows these and refuses a description with any other, so a spec that
 * names another is refused here, before a VM boots.
 */
static const char *const limit_names[] = {
    "RLIMIT_AS",     "RLIMIT_CORE",   "RLIMIT_CPU",	   "RLIMIT_DATA",
    "RLIMIT_FSIZE",  "RLIMIT_LOCKS",  "RLIMIT_MEMLOCK",	   "RLIMIT_MSGQUEUE",
    "RLIMIT_NICE",   "RLIMIT_NOFILE", "RLIMIT_NPROC",	   "RLIMIT_RSS",
    "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
};

static bool limit_name_ok(const char *n)
{
	for (size_t i = 0; i < sizeof(limit_names) / sizeof(*limit_names); i++)
		if (!strcmp(n, limit_names[i]))
			return true;
	return false;
}

static void put_rlimit(struct desc *d, const struct oci_rlimit *rl)
{
	char s[96], soft[24], hard[24];

	if (rl->soft == UINT64_MAX)
		snprintf(soft, sizeof(soft), "unlimited");
	else
		snprintf(soft, sizeof(soft), "%" PRIu64, rl->soft);
	if (rl->hard == UINT64_MAX)
		snprintf(hard, sizeof(hard), "unlimited");
	else
		snprintf(hard, sizeof(hard), "%" PRIu64, rl->hard);
	snprintf(s, sizeof(s), "%.40s %s %s", rl->type, soft, hard);
	put(d, "rlimit", s);
}

static bool has_home(const struct oci_spec *s)
{
	for (size_t i = 0; i < s->nr_env; i++)
		if (!strncmp(s->env[i], "HOME=", 5))
			return true;
	return false;
}

int process_desc_build(const struct oci_spec *s, const char *home, char **buf,
		       size_t *len, char *err, size_t err_len)
{
	struct desc d = {0};
	char mask[16];

	if (!s->nr_args) {
		snprintf(err, err_len,
			 "config.json: process.args is empty: "
			 "nothing to run");
		return -EINVAL;
	}
	for (size_t i = 0; i < s->nr_rlimits; i++)
		if (!limit_name_ok(s->rlimits[i].type)) {
			snprintf(err, err_len,
				 "config.json: process.rlimits: '%.40s' is "
				 "not a limit's name (RLIMIT_NOFILE, ...)",
				 s->rlimits[i].type);
			return -EINVAL;
		}
	put(&d, "version", "1");
	for (size_t i = 0; i < s->nr_args; i++)
		put(&d, "arg", s->args[i]);
	for (size_t i = 0; i < s->nr_env; i++)
		put(&d, "env", s->env[i]);
	if (home && !has_home(s)) {
		char *e = NULL;

		if (asprintf(&e, "HOME=%s", home) < 0)
			d.oom = true;
		else
			put(&d, "env", e);
		free(e);
	}
	put(&d, "cwd", s->cwd ? s->cwd : "/");
	put_u64(&d, "uid", s->uid);
	put_u64(&d, "gid", s->gid);
	for (size_t i = 0; i < s->nr_groups; i++)
		put_u64(&d, "group", s->groups[i]);
	if (s->hostname)
		put(&d, "hostname", s->hostname);
	put(&d, "terminal", s->terminal ? "1" : "0");
	for (size_t i = 0; i < s->nr_rlimits; i++)
		put_rlimit(&d, &s->rlimits[i]);
	if (s->has_umask) {
		/* umask(2) takes the permission bits alone. */
		snprintf(mask, sizeof(mask), "%04o", s->umask & 0777);
		put(&d, "umask", mask);
	}
	if (d.too_big || d.oom) {
		snprintf(err, err_len,
			 d.oom ? "out of memory"
			       : "the process (arguments, environment) takes "
				 "more than 1 MiB");
		free(d.buf);
		return d.oom ? -ENOMEM : -EINVAL;
	}
	*buf = d.buf;
	*len = d.len;
	return 0;
}
