/* SPDX-License-Identifier: MIT */
/*
 * The runner's process description parser (guests/runner/process.c):
 * descriptions that parse, field by field, and every way one can be
 * malformed (size, the final NUL, record shape, keys, numbers, limits),
 * plus reading the file with its size limit.
 */
#include "guests/runner/process.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"

/* A record: "K=V" and its NUL (escapes are resolved before literals join). */
#define R(s) s "\0"
#define V1   R("version=1")

static char err[160];

/* Parse a copy of LEN bytes at SRC; the copy is *BUF (free it after P). */
static int parse_n(const char *src, size_t len, struct process *p, char **buf)
{
	*buf = malloc(len ? len : 1);
	memcpy(*buf, src, len);
	return process_parse(p, *buf, len, NULL, NULL, err, sizeof(err));
}

#define PARSE(lit, p, buf) parse_n(lit, sizeof(lit) - 1, p, buf)

/* LIT must not parse; the message must mention WHY. */
static void bad(const char *lit, size_t len, const char *why, int line)
{
	struct process p;
	char *buf;
	int r = parse_n(lit, len, &p, &buf);

	if (r != -EINVAL || !strstr(err, why))
		fprintf(stderr, "line %d: want -EINVAL and '%s', got %d '%s'\n",
			line, why, r, err);
	CHECK_EQ(r, -EINVAL);
	CHECK(strstr(err, why) != NULL);
	/* Nothing to free: the arrays are gone. */
	CHECK(p.argv == NULL && p.envp == NULL && p.groups == NULL);
	free(buf);
}

#define BAD(lit, why) bad(lit, sizeof(lit) - 1, why, __LINE__)

static void test_minimal(void)
{
	struct process p;
	char *buf;

	CHECK_EQ(PARSE(V1 R("arg=/bin/true"), &p, &buf), 0);
	CHECK_EQ(p.argc, 1);
	CHECK(!strcmp(p.argv[0], "/bin/true"));
	CHECK(p.argv[1] == NULL);
	CHECK_EQ(p.envc, 0);
	CHECK(p.envp != NULL && p.envp[0] == NULL);
	CHECK(!strcmp(p.cwd, "/"));
	CHECK(p.hostname == NULL);
	CHECK_EQ(p.uid, 0);
	CHECK_EQ(p.gid, 0);
	CHECK_EQ(p.ngroups, 0);
	CHECK_EQ(p.nrlimits, 0);
	CHECK(!p.terminal);
	CHECK(!p.has_umask);
	CHECK_EQ(p.unknown, 0);
	process_free(&p);
	free(buf);
}

static void test_full(void)
{
	static const char d[] = "version=1\0"
				"arg=sh\0"
				"arg=-c\0"
				"arg=echo a=b\n c\0"
				"arg=\0"
				"env=PATH=/usr/bin\0"
				"env=X=a=b\nc\0"
				"env=EMPTY=\0"
				"cwd=/work dir\0"
				"uid=4294967294\0"
				"gid=1000\0"
				"group=10\0"
				"group=0\0"
				"hostname=box\0"
				"terminal=1\0"
				"rlimit=RLIMIT_NOFILE 1024 4096\0"
				"rlimit=RLIMIT_CORE 0 unlimited\0"
				"umask=027\0";
	struct process p;
	char *buf;

	CHECK_EQ(parse_n(d, sizeof(d) - 1, &p, &buf), 0);
	CHECK_EQ(p.argc, 4);
	CHECK(!strcmp(p.argv[0], "sh"));
	CHECK(!strcmp(p.argv[1], "-c"));
	CHECK(!strcmp(p.argv[2], "echo a=b\n c"));
	CHECK(!strcmp(p.argv[3], ""));
	CHECK(p.argv[4] == NULL);
	CHECK_EQ(p.envc, 3);
	CHECK(!strcmp(p.envp[0], "PATH=/usr/bin"));
	CHECK(!strcmp(p.envp[1], "X=a=b\nc"));
	CHECK(!strcmp(p.envp[2], "EMPTY="));
	CHECK(p.envp[3] == NULL);
	CHECK(!strcmp(p.cwd, "/work dir"));
	CHECK_EQ(p.uid, 4294967294u);
	CHECK_EQ(p.gid, 1000);
	CHECK_EQ(p.ngroups, 2);
	CHECK_EQ(p.groups[0], 10);
	CHECK_EQ(p.groups[1], 0);
	CHECK(!strcmp(p.hostname, "box"));
	CHECK(p.terminal);
	CHECK_EQ(p.nrlimits, 2);
	CHECK_EQ(p.rlimits[0].resource, RLIMIT_NOFILE);
	CHECK_EQ(p.rlimits[0].soft, 1024);
	CHECK_EQ(p.rlimits[0].hard, 4096);
	CHECK_EQ(p.rlimits[1].resource, RLIMIT_CORE);
	CHECK_EQ(p.rlimits[1].soft, 0);
	CHECK(p.rlimits[1].hard == RLIM_INFINITY);
	CHECK(p.has_umask);
	CHECK_EQ(p.umask, 027);
	process_free(&p);
	free(buf);
}

struct seen {
	int calls;
	size_t index;
	char key[32];
};

static void on_unknown(const char *key, size_t index, void *opaque)
{
	struct seen *s = opaque;

	s->calls++;
	s->index = index;
	snprintf(s->key, sizeof(s->key), "%s", key);
}

static void test_unknown_key(void)
{
	static const char d[] = V1 R("future=x=y") R("arg=a") R("terminal=0");
	struct seen s = {0};
	struct process p;
	char buf[sizeof(d)];

	memcpy(buf, d, sizeof(d));
	CHECK_EQ(process_parse(&p, buf, sizeof(d) - 1, on_unknown, &s, err,
			       sizeof(err)),
		 0);
	CHECK_EQ(p.unknown, 1);
	CHECK_EQ(s.calls, 1);
	CHECK_EQ(s.index, 2);
	CHECK(!strcmp(s.key, "future"));
	CHECK_EQ(p.argc, 1);
	CHECK(!p.terminal);
	process_free(&p);
}

static void test_shape(void)
{
	BAD("", "empty");
	BAD(R("version=1") "arg=x", "no NUL");
	BAD(V1 R("arg"), "record 2: no '='");
	BAD(V1 R("=x") R("arg=x"), "record 2: empty key");
	BAD(V1 "\0" R("arg=x"), "record 2: no '='");
	BAD(R("arg=x") V1, "record 1: the first record is 'arg'");
	BAD(R("future=1") V1 R("arg=x"), "not version");
	BAD(R("version=2") R("arg=x"), "version '2' is not 1");
	BAD(R("version=") R("arg=x"), "is not 1");
	BAD(V1 V1 R("arg=x"), "a second version");
	BAD(V1, "no arg record");
	BAD(V1 R("env=A=1"), "no arg record");
	BAD(V1 R("arg="), "the program");
}

static void test_values(void)
{
	BAD(V1 R("arg=x") R("env=NOEQUALS"), "env is not");
	BAD(V1 R("arg=x") R("env==x"), "env is not");
	BAD(V1 R("arg=x") R("cwd=tmp"), "cwd is not an absolute");
	BAD(V1 R("arg=x") R("cwd="), "cwd is not an absolute");
	BAD(V1 R("arg=x") R("cwd=/a") R("cwd=/b"), "a second cwd");
	BAD(V1 R("arg=x") R("uid=-1"), "uid is not");
	BAD(V1 R("arg=x") R("uid="), "uid is not");
	BAD(V1 R("arg=x") R("uid=abc"), "uid is not");
	BAD(V1 R("arg=x") R("uid=12x"), "uid is not");
	BAD(V1 R("arg=x") R("uid= 1"), "uid is not");
	BAD(V1 R("arg=x") R("uid=+1"), "uid is not");
	BAD(V1 R("arg=x") R("uid=0x10"), "uid is not");
	BAD(V1 R("arg=x") R("uid=4294967295"), "uid is not");
	BAD(V1 R("arg=x") R("uid=4294967296"), "uid is not");
	BAD(V1 R("arg=x") R("uid=99999999999999999999999"), "uid is not");
	BAD(V1 R("arg=x") R("uid=1") R("uid=1"), "a second uid");
	BAD(V1 R("arg=x") R("gid=1.5"), "gid is not");
	BAD(V1 R("arg=x") R("gid=1") R("gid=2"), "a second gid");
	BAD(V1 R("arg=x") R("group=wheel"), "group is not");
	BAD(V1 R("arg=x") R("terminal=2"), "terminal is neither");
	BAD(V1 R("arg=x") R("terminal=yes"), "terminal is neither");
	BAD(V1 R("arg=x") R("terminal="), "terminal is neither");
	BAD(V1 R("arg=x") R("terminal=1") R("terminal=1"), "a second terminal");
	BAD(V1 R("arg=x") R("rlimit=RLIMIT_NOFILE 1024"), "rlimit '");
	BAD(V1 R("arg=x") R("rlimit=RLIMIT_NOFILE 2 1"), "rlimit '");
	BAD(V1 R("arg=x") R("rlimit=NOFILE 1 2"), "rlimit '");
	BAD(V1 R("arg=x") R("umask=8"), "umask is not");
	BAD(V1 R("arg=x") R("umask=1000"), "umask is not");
	BAD(V1 R("arg=x") R("umask="), "umask is not");
	BAD(V1 R("arg=x") R("umask=0") R("umask=0"), "a second umask");
	BAD(V1 R("arg=x") R("hostname=a") R("hostname=b"), "a second hostname");
}

/*
 * A description built at run time: the records of LIT, then NFILL bytes
 * FILL ending its last record, then that record's NUL; *LEN its size.
 */
static char *build(const char *head, size_t hlen, char fill, size_t nfill,
		   size_t *len)
{
	char *b = malloc(hlen + nfill + 1);

	memcpy(b, head, hlen);
	memset(b + hlen, fill, nfill);
	b[hlen + nfill] = '\0';
	*len = hlen + nfill + 1;
	return b;
}

#define BUILD(lit, fill, nfill, len)                                           \
	build(lit, sizeof(lit) - 1, fill, nfill, len)

static void test_limits(void)
{
	struct process p;
	size_t len;
	char *b;

	/* A hostname of 64 bytes is fine, 65 is not. */
	b = BUILD(V1 R("arg=x") "hostname=", 'h', 64, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)), 0);
	CHECK_EQ(strlen(p.hostname), 64);
	process_free(&p);
	free(b);
	b = BUILD(V1 R("arg=x") "hostname=", 'h', 65, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "hostname is longer") != NULL);
	free(b);

	/* A cwd of PATH_MAX bytes does not fit with its NUL. */
	b = BUILD(V1 R("arg=x") "cwd=/", 'c', 4094, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)), 0);
	CHECK_EQ(strlen(p.cwd), 4095);
	process_free(&p);
	free(b);
	b = BUILD(V1 R("arg=x") "cwd=/", 'c', 4095, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "cwd is longer") != NULL);
	free(b);

	/* Exactly PROCESS_MAX_SIZE bytes parse; one more does not. */
	b = BUILD(V1 "arg=", 'a', PROCESS_MAX_SIZE - 15, &len);
	CHECK_EQ(len, PROCESS_MAX_SIZE);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)), 0);
	CHECK_EQ(strlen(p.argv[0]), PROCESS_MAX_SIZE - 15);
	process_free(&p);
	free(b);
	b = BUILD(V1 "arg=", 'a', PROCESS_MAX_SIZE - 14, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "over") != NULL);
	free(b);
}

/*
 * "version=1", "arg=x", then N copies of the record REC (with its NUL) in
 * a new buffer of *LEN bytes. The parser writes into its buffer, so each
 * parse gets a fresh one.
 */
static char *repeat(const char *rec, size_t n, size_t *len)
{
	size_t rlen = strlen(rec) + 1, i;
	char *b = malloc(16 + n * rlen), *w = b;

	memcpy(w, V1 R("arg=x"), 16);
	for (i = 0, w += 16; i < n; i++, w += rlen)
		memcpy(w, rec, rlen);
	*len = (size_t)(w - b);
	return b;
}

/* PROCESS_MAX_GROUPS groups parse, one more is refused; args grow too. */
static void test_many(void)
{
	struct process p;
	size_t len;
	char *b;

	b = repeat("group=7", PROCESS_MAX_GROUPS, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)), 0);
	CHECK_EQ(p.ngroups, PROCESS_MAX_GROUPS);
	CHECK_EQ(p.groups[PROCESS_MAX_GROUPS - 1], 7);
	process_free(&p);
	free(b);
	b = repeat("group=7", PROCESS_MAX_GROUPS + 1, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "more than 65536 groups") != NULL);
	free(b);

	/* 10000 more args and env: the arrays grow past their first sizes. */
	b = repeat("arg=a", 10000, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)), 0);
	CHECK_EQ(p.argc, 10001);
	CHECK(!strcmp(p.argv[10000], "a"));
	CHECK(p.argv[10001] == NULL);
	process_free(&p);
	free(b);
	b = repeat("env=A=b", 10000, &len);
	CHECK_EQ(process_parse(&p, b, len, NULL, NULL, err, sizeof(err)), 0);
	CHECK_EQ(p.envc, 10000);
	CHECK(p.envp[10000] == NULL);
	process_free(&p);
	free(b);
}

static void test_read_file(void)
{
	char path[] = "/tmp/test_runner_process.XXXXXX", *buf;
	static char big[PROCESS_MAX_SIZE + 1];
	size_t len;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, V1 R("arg=x"), 16), 16);
	CHECK_EQ(process_read_file(path, &buf, &len), 0);
	CHECK_EQ(len, 16);
	CHECK(!memcmp(buf, V1 R("arg=x"), 16));
	free(buf);
	/* Exactly the limit, then one byte over it. */
	CHECK_EQ(pwrite(fd, big, PROCESS_MAX_SIZE, 0), PROCESS_MAX_SIZE);
	CHECK_EQ(process_read_file(path, &buf, &len), 0);
	CHECK_EQ(len, PROCESS_MAX_SIZE);
	free(buf);
	CHECK_EQ(pwrite(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	CHECK_EQ(process_read_file(path, &buf, &len), -EFBIG);
	close(fd);
	unlink(path);
	CHECK_EQ(process_read_file(path, &buf, &len), -ENOENT);
}

int main(void)
{
	test_minimal();
	test_full();
	test_unknown_key();
	test_shape();
	test_values();
	test_limits();
	test_many();
	test_read_file();
	return check_done("test_runner_process");
}
