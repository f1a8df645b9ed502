/* SPDX-License-Identifier: MIT */
/*
 * The process description parser (process.h). The buffer is walked record
 * by record; since its last byte must be a NUL, strlen() of a record never
 * runs past the end. Each key has one parse function; keys that may appear
 * once have a bit in `seen`. Strings stay in the buffer, the arrays grow by
 * doubling, and every count is bounded by the 1 MiB size limit (groups by
 * the kernel's own limit too).
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "num.h"

enum {
	SEEN_VERSION = 1 << 0,
	SEEN_CWD = 1 << 1,
	SEEN_UID = 1 << 2,
	SEEN_GID = 1 << 3,
	SEEN_HOSTNAME = 1 << 4,
	SEEN_TERMINAL = 1 << 5,
	SEEN_UMASK = 1 << 6,
};

struct parser {
	struct process *p;
	size_t index; /* of the current record, from 1 */
	unsigned int seen;
	size_t argcap, envcap, groupcap, rlimitcap;
	char *err;
	size_t errlen;
};

/* S for an error message: at most 32 bytes, anything unprintable as '?'. */
static const char *printable(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] && i < 32 && i + 1 < outlen; i++)
		out[i] = (s[i] > ' ' && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
	return out;
}

__attribute__((format(printf, 2, 3))) static int bad(struct parser *ps,
						     const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->errlen, "record %zu: ", ps->index);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * ARR with room for NEED elements of ELEM bytes (*CAP updated), or NULL
 * (ARR is then still valid and still the caller's).
 */
static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 8, bytes;
	void *n;

	if (need <= *cap)
		return arr;
	while (ncap < need)
		if (__builtin_mul_overflow(ncap, 2, &ncap))
			return NULL;
	if (__builtin_mul_overflow(ncap, elem, &bytes))
		return NULL;
	n = realloc(arr, bytes);
	if (n)
		*cap = ncap;
	return n;
}

static int parse_version(struct parser *ps, char *v)
{
	char show[40];

	if (strcmp(v, "1"))
		return bad(ps, "version '%s' is not 1",
			   printable(v, show, sizeof(show)));
	return 0;
}

/* A string into a NULL-terminated array: room for it and the NULL. */
static int push_str(char ***arr, size_t *n, size_t *cap, char *s)
{
	char **a = grow(*arr, cap, *n + 2, sizeof(**arr));

	if (!a)
		return -ENOMEM;
	*arr = a;
	a[(*n)++] = s;
	a[*n] = NULL;
	return 0;
}

static int parse_arg(struct parser *ps, char *v)
{
	struct process *p = ps->p;

	if (!p->argc && !*v)
		return bad(ps, "the program (the first arg) is empty");
	return push_str(&p->argv, &p->argc, &ps->argcap, v);
}

static int parse_env(struct parser *ps, char *v)
{
	struct process *p = ps->p;
	char *eq = strchr(v, '=');

	if (!eq || eq == v)
		return bad(ps, "env is not NAME=value");
	return push_str(&p->envp, &p->envc, &ps->envcap, v);
}

static int parse_cwd(struct parser *ps, char *v)
{
	if (v[0] != '/')
		return bad(ps, "cwd is not an absolute path");
	if (strlen(v) >= PROCESS_MAX_CWD)
		return bad(ps, "cwd is longer than %u bytes",
			   PROCESS_MAX_CWD - 1);
	ps->p->cwd = v;
	return 0;
}

/* A uid or gid: (uid_t)-1 means "leave it" to setresuid(), so not that. */
static int parse_id(struct parser *ps, const char *what, char *v, uint32_t *out)
{
	uint64_t n;

	if (num_parse(v, 10, UINT32_MAX - 1, &n))
		return bad(ps, "%s is not a decimal number below 2^32-1", what);
	*out = (uint32_t)n;
	return 0;
}

static int parse_uid(struct parser *ps, char *v)
{
	return parse_id(ps, "uid", v, &ps->p->uid);
}

static int parse_gid(struct parser *ps, char *v)
{
	return parse_id(ps, "gid", v, &ps->p->gid);
}

static int parse_group(struct parser *ps, char *v)
{
	struct process *p = ps->p;
	uint32_t g = 0;
	gid_t *a;
	int r;

	if (p->ngroups >= PROCESS_MAX_GROUPS)
		return bad(ps, "more than %u groups", PROCESS_MAX_GROUPS);
	r = parse_id(ps, "group", v, &g);
	if (r)
		return r;
	a = grow(p->groups, &ps->groupcap, p->ngroups + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	p->groups = a;
	a[p->ngroups++] = g;
	return 0;
}

static int parse_hostname(struct parser *ps, char *v)
{
	if (strlen(v) > PROCESS_MAX_HOSTNAME)
		return bad(ps, "hostname is longer than %u bytes",
			   PROCESS_MAX_HOSTNAME);
	ps->p->hostname = v;
	return 0;
}

static int parse_terminal(struct parser *ps, char *v)
{
	if (strcmp(v, "0") && strcmp(v, "1"))
		return bad(ps, "terminal is neither 0 nor 1");
	ps->p->terminal = v[0] == '1';
	return 0;
}

static int parse_rlimit(struct parser *ps, char *v)
{
	struct process *p = ps->p;
	struct rlimit_entry e, *a;
	char show[40];

	if (rlimit_parse(v, &e))
		return bad(ps, "rlimit '%s' is not NAME SOFT HARD",
			   printable(v, show, sizeof(show)));
	a = grow(p->rlimits, &ps->rlimitcap, p->nrlimits + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	p->rlimits = a;
	a[p->nrlimits++] = e;
	return 0;
}

static int parse_umask(struct parser *ps, char *v)
{
	uint64_t n;

	if (num_parse(v, 8, 0777, &n))
		return bad(ps, "umask is not an octal number up to 777");
	ps->p->umask = (mode_t)n;
	ps->p->has_umask = true;
	return 0;
}

static const struct process_key {
	const char *name;
	int (*parse)(struct parser *ps, char *value);
	unsigned int once; /* its bit in parser.seen; 0: may repeat */
} process_keys[] = {
    {.name = "version", .parse = parse_version, .once = SEEN_VERSION},
    {.name = "arg", .parse = parse_arg},
    {.name = "env", .parse = parse_env},
    {.name = "cwd", .parse = parse_cwd, .once = SEEN_CWD},
    {.name = "uid", .parse = parse_uid, .once = SEEN_UID},
    {.name = "gid", .parse = parse_gid, .once = SEEN_GID},
    {.name = "group", .parse = parse_group},
    {.name = "hostname", .parse = parse_hostname, .once = SEEN_HOSTNAME},
    {.name = "terminal", .parse = parse_terminal, .once = SEEN_TERMINAL},
    {.name = "rlimit", .parse = parse_rlimit},
    {.name = "umask", .parse = parse_umask, .once = SEEN_UMASK},
};

static const struct process_key *process_key_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(process_keys) / sizeof(process_keys[0]); i++)
		if (!strcmp(name, process_keys[i].name))
			return &process_keys[i];
	return NULL;
}

/* One record, REC (its NUL within the buffer), split at its first '='. */
static int parse_record(struct parser *ps, char *rec,
			process_unknown_fn *unknown, void *opaque)
{
	const struct process_key *k;
	char *eq = strchr(rec, '='), show[40];

	if (!eq)
		return bad(ps, "no '=' in the record");
	if (eq == rec)
		return bad(ps, "empty key");
	*eq = '\0';
	k = process_key_find(rec);
	if (ps->index == 1 && (!k || k->once != SEEN_VERSION))
		return bad(ps, "the first record is '%s', not version",
			   printable(rec, show, sizeof(show)));
	if (!k) {
		ps->p->unknown++;
		if (unknown)
			unknown(rec, ps->index, opaque);
		return 0;
	}
	if (k->once & ps->seen)
		return bad(ps, "a second %s record", k->name);
	ps->seen |= k->once;
	return k->parse(ps, eq + 1);
}

int process_parse(struct process *p, char *buf, size_t len,
		  process_unknown_fn *unknown, void *opaque, char *err,
		  size_t errlen)
{
	struct parser ps = {.p = p, .err = err, .errlen = errlen};
	size_t off = 0;
	int r = 0;

	memset(p, 0, sizeof(*p));
	if (errlen)
		err[0] = '\0';
	if (!len) {
		snprintf(err, errlen, "the description is empty");
		return -EINVAL;
	}
	if (len > PROCESS_MAX_SIZE) {
		snprintf(err, errlen, "the description is over %u bytes",
			 PROCESS_MAX_SIZE);
		return -EINVAL;
	}
	/* The guard that keeps every strlen() below inside the buffer. */
	if (buf[len - 1] != '\0') {
		snprintf(err, errlen, "the last record has no NUL");
		return -EINVAL;
	}
	while (!r && off < len) {
		char *rec = buf + off;

		off += strlen(rec) + 1;
		ps.index++;
		r = parse_record(&ps, rec, unknown, opaque);
	}
	if (!r && !p->argc) {
		snprintf(err, errlen, "no arg record");
		r = -EINVAL;
	}
	/* An empty environment is still an array, for execve(). */
	if (!r && !p->envp) {
		p->envp = calloc(1, sizeof(*p->envp));
		if (!p->envp)
			r = -ENOMEM;
	}
	if (r) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		process_free(p);
		return r;
	}
	if (!p->cwd)
		p->cwd = "/";
	return 0;
}

void process_free(struct process *p)
{
	free(p->argv);
	free(p->envp);
	free(p->groups);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

int process_read_file(const char *path, char **buf, size_t *len)
{
	/* One byte more than allowed, to tell "full" from "too big". */
	size_t cap = PROCESS_MAX_SIZE + 1, n = 0;
	char *b;
	ssize_t r = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	b = malloc(cap);
	if (!b) {
		close(fd);
		return -ENOMEM;
	}
	while (n < cap) {
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	err = r < 0 ? -errno : 0;
	close(fd);
	if (!err && n > PROCESS_MAX_SIZE)
		err = -EFBIG;
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}
