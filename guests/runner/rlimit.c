/* SPDX-License-Identifier: MIT */
/*
 * rlimit records: the names of the OCI runtime spec (config.md, POSIX
 * process, rlimits) mapped to the kernel's RLIMIT_* numbers, and the
 * "NAME SOFT HARD" value split and checked.
 */
#include "rlimit.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "num.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {.name = "RLIMIT_AS", .resource = RLIMIT_AS},
    {.name = "RLIMIT_CORE", .resource = RLIMIT_CORE},
    {.name = "RLIMIT_CPU", .resource = RLIMIT_CPU},
    {.name = "RLIMIT_DATA", .resource = RLIMIT_DATA},
    {.name = "RLIMIT_FSIZE", .resource = RLIMIT_FSIZE},
    {.name = "RLIMIT_LOCKS", .resource = RLIMIT_LOCKS},
    {.name = "RLIMIT_MEMLOCK", .resource = RLIMIT_MEMLOCK},
    {.name = "RLIMIT_MSGQUEUE", .resource = RLIMIT_MSGQUEUE},
    {.name = "RLIMIT_NICE", .resource = RLIMIT_NICE},
    {.name = "RLIMIT_NOFILE", .resource = RLIMIT_NOFILE},
    {.name = "RLIMIT_NPROC", .resource = RLIMIT_NPROC},
    {.name = "RLIMIT_RSS", .resource = RLIMIT_RSS},
    {.name = "RLIMIT_RTPRIO", .resource = RLIMIT_RTPRIO},
    {.name = "RLIMIT_RTTIME", .resource = RLIMIT_RTTIME},
    {.name = "RLIMIT_SIGPENDING", .resource = RLIMIT_SIGPENDING},
    {.name = "RLIMIT_STACK", .resource = RLIMIT_STACK},
};

int rlimit_resource(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(rlimit_names) / sizeof(rlimit_names[0]); i++)
		if (!strcmp(name, rlimit_names[i].name))
			return rlimit_names[i].resource;
	return -1;
}

static int rlimit_value(const char *s, uint64_t *out)
{
	if (!strcmp(s, "unlimited")) {
		*out = RLIM_INFINITY;
		return 0;
	}
	return num_parse(s, 10, UINT64_MAX, out) ? -EINVAL : 0;
}

int rlimit_parse(const char *value, struct rlimit_entry *out)
{
	/* The longest valid value: a name and two 20-digit numbers. */
	char copy[96], *field[3], *sp;
	size_t len = strlen(value), i;
	struct rlimit_entry e;

	if (len >= sizeof(copy))
		return -EINVAL;
	memcpy(copy, value, len + 1);
	field[0] = copy;
	for (i = 1; i < 3; i++) {
		sp = strchr(field[i - 1], ' ');
		if (!sp)
			return -EINVAL;
		*sp = '\0';
		field[i] = sp + 1;
	}
	/* An empty field ("A  1 2") or a fourth one ("A 1 2 3"). */
	for (i = 0; i < 3; i++)
		if (!*field[i] || strchr(field[i], ' '))
			return -EINVAL;
	e.resource = rlimit_resource(field[0]);
	if (e.resource < 0 || rlimit_value(field[1], &e.soft) ||
	    rlimit_value(field[2], &e.hard) || e.soft > e.hard)
		return -EINVAL;
	*out = e;
	return 0;
}
