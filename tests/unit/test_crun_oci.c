/* SPDX-License-Identifier: MIT */
/*
 * The crun handler's reading of config.json (src/crun/oci.c) and the
 * process description it builds (src/crun/process.c), without crun: a
 * full spec gives exactly the expected records in order; HOME comes from
 * crun's environment only when the spec has none; defaults for a bare
 * process; and every malformed spec is refused with a message naming
 * the field.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crun/oci.h"
#include "crun/process.h"
#include "check.h"

static const char full[] =
    "{\"ociVersion\": \"1.0.2\",\n"
    " \"process\": {\"terminal\": true,\n"
    "   \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18,\n"
    "            \"additionalGids\": [10, 4294967294]},\n"
    "   \"args\": [\"sh\", \"-c\", \"echo a=b\\n\\ttwo\"],\n"
    "   \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\"],\n"
    "   \"cwd\": \"/work dir\",\n"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, "
    "\"soft\": 1024},\n"
    "     {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, "
    "\"soft\": 0}],\n"
    "   \"capabilities\": {\"bounding\": [\"CAP_KILL\"]}},\n"
    " \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    " \"hostname\": \"box\",\n"
    " \"linux\": {\"resources\": {\"memory\": {\"limit\": 1073741824},\n"
    "   \"cpu\": {\"quota\": 150000, \"period\": 100000, \"cpus\": "
    "\"0-3\"}}},\n"
    " \"annotations\": {\"vmm.cpus\": \"3\", \"vmm.mem\": \"1G\", "
    "\"vmm.serial\": \"/k.log\",\n"
    "   \"run.oci.handler\": \"vmm\", \"other\": \"x\"}}\n";

static const char *const full_records[] = {
    "version=1",
    "arg=sh",
    "arg=-c",
    "arg=echo a=b\n\ttwo",
    "env=PATH=/usr/bin:/bin",
    "env=TERM=xterm",
    "cwd=/work dir",
    "uid=1000",
    "gid=100",
    "group=10",
    "group=4294967294",
    "hostname=box",
    "terminal=1",
    "rlimit=RLIMIT_NOFILE 1024 4096",
    "rlimit=RLIMIT_CORE 0 unlimited",
    "umask=0022",
};

static int parse(const char *json, struct oci_spec *s, char *err)
{
	return oci_spec_parse(json, strlen(json), s, err, 256);
}

/* The records of @buf must be @want, in order, and nothing else. */
static void check_records(const char *buf, size_t len, const char *const *want,
			  size_t n)
{
	size_t i = 0, off = 0;

	while (off < len) {
		const char *rec = buf + off;
		size_t l = strnlen(rec, len - off);

		CHECK(l < len - off); /* NUL-terminated */
		if (i < n && strcmp(rec, want[i]))
			fprintf(stderr, "record %zu: '%s', want '%s'\n", i, rec,
				want[i]);
		CHECK(i < n && !strcmp(rec, want[i]));
		off += l + 1;
		i++;
	}
	CHECK_EQ(i, n);
}

static void test_full(void)
{
	struct oci_spec s;
	char err[256] = "", *buf = NULL;
	size_t len = 0;

	CHECK_EQ(parse(full, &s, err), 0);
	CHECK(s.terminal);
	CHECK(s.root_readonly);
	CHECK(!strcmp(s.root_path, "rootfs"));
	CHECK_EQ(s.mem_limit, 1073741824);
	CHECK_EQ(s.cpu_quota, 150000);
	CHECK_EQ(s.cpu_period, 100000);
	CHECK(!strcmp(s.cpuset, "0-3"));
	CHECK(!strcmp(s.ann_cpus, "3"));
	CHECK(!strcmp(s.ann_mem, "1G"));
	CHECK(!s.ann_kernel && !s.ann_init);
	CHECK(s.ann_serial && !strcmp(s.ann_serial, "/k.log"));
	CHECK_EQ(s.rlimits[1].hard, UINT64_MAX);
	/* The spec has no HOME: crun's (from the container's passwd) is
	 * added after the spec's variables. */
	CHECK_EQ(
	    process_desc_build(&s, "/home/u", &buf, &len, err, sizeof(err)), 0);
	{
		const char
		    *want[sizeof(full_records) / sizeof(*full_records) + 1];
		size_t n = 0;

		for (size_t i = 0; i < sizeof(want) / sizeof(*want) - 1; i++) {
			want[n++] = full_records[i];
			if (!strcmp(full_records[i], "env=TERM=xterm"))
				want[n++] = "env=HOME=/home/u";
		}
		check_records(buf, len, want, n);
	}
	free(buf);
	/* Without a HOME from crun, none is made up. */
	CHECK_EQ(process_desc_build(&s, NULL, &buf, &len, err, sizeof(err)), 0);
	check_records(buf, len, full_records,
		      sizeof(full_records) / sizeof(*full_records));
	free(buf);
	oci_spec_free(&s);
	CHECK(s.args == NULL); /* zeroed */
}

static void test_defaults(void)
{
	static const char *const want[] = {
	    "version=1", "arg=/bin/true", "env=HOME=/root", "cwd=/",
	    "uid=0",	 "gid=0",	  "terminal=0",
	};
	struct oci_spec s;
	char err[256], *buf;
	size_t len;

	/* JSON null is absent; so are unknown members. */
	CHECK_EQ(parse("{\"process\": {\"args\": [\"/bin/true\"], \"cwd\": "
		       "null, \"env\": [\"HOME=/root\"]},"
		       "\"root\": {\"path\": \"r\"}, \"x\": [1, 2]}",
		       &s, err),
		 0);
	CHECK_EQ(process_desc_build(&s, "/other", &buf, &len, err, sizeof(err)),
		 0);
	check_records(buf, len, want, sizeof(want) / sizeof(*want));
	free(buf);
	oci_spec_free(&s);
}

/* Each bad spec is refused, and the message names @field. */
static void refused(const char *json, const char *field)
{
	struct oci_spec s;
	char err[256] = "";

	CHECK_EQ(parse(json, &s, err), -EINVAL);
	if (!strstr(err, field))
		fprintf(stderr, "'%s' does not name %s\n", err, field);
	CHECK(strstr(err, field) != NULL);
	CHECK(s.args == NULL);
}

static void test_malformed(void)
{
	struct oci_spec s;
	char err[256], *buf = NULL;
	size_t len;

	refused("", "config.json");
	refused("{", "config.json");
	refused("[]", "the document");
	refused("{} {}", "config.json");
	refused("{\"process\": 1}", "process");
	refused("{\"process\": {\"args\": \"sh\"}}", "process.args");
	refused("{\"process\": {\"args\": [\"sh\", 1]}}", "process.args");
	refused("{\"process\": {\"args\": [\"a\\u0000b\"]}}", "process.args");
	refused("{\"process\": {\"env\": {}}}", "process.env");
	refused("{\"process\": {\"terminal\": \"yes\"}}", "process.terminal");
	refused("{\"process\": {\"user\": {\"uid\": -1}}}", "process.user.uid");
	refused("{\"process\": {\"user\": {\"gid\": 4294967296}}}",
		"process.user.gid");
	refused("{\"process\": {\"user\": {\"uid\": 1.5}}}",
		"process.user.uid");
	/* What the runner would refuse in the description (fuzzing). */
	refused("{\"process\": {\"args\": [\"\", \"x\"]}}", "process.args");
	refused("{\"process\": {\"env\": [\"A=1\", \"NOEQUALS\"]}}",
		"process.env");
	refused("{\"process\": {\"env\": [\"=x\"]}}", "process.env");
	refused("{\"process\": {\"cwd\": \"relative\"}}", "process.cwd");
	refused("{\"hostname\": \"0123456789012345678901234567890123456789"
		"01234567890123456789012345\"}",
		"hostname");
	/* (uid_t)-1 is no id: the runner would refuse the description. */
	refused("{\"process\": {\"user\": {\"uid\": 4294967295}}}",
		"process.user.uid");
	refused("{\"process\": {\"user\": {\"gid\": 4294967295}}}",
		"process.user.gid");
	refused("{\"process\": {\"user\": {\"additionalGids\": "
		"[4294967295]}}}",
		"process.user.additionalGids");
	refused("{\"process\": {\"user\": {\"additionalGids\": [\"x\"]}}}",
		"process.user.additionalGids");
	refused("{\"process\": {\"rlimits\": [{\"hard\": 1, \"soft\": 1}]}}",
		"process.rlimits[].type");
	refused("{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_AS\", "
		"\"soft\": -2}]}}",
		"process.rlimits[].soft");
	refused("{\"root\": {\"path\": 7}}", "root.path");
	refused("{\"linux\": {\"resources\": {\"memory\": {\"limit\": "
		"\"1G\"}}}}",
		"linux.resources.memory.limit");
	refused("{\"annotations\": {\"vmm.mem\": 512}}", "annotations.vmm.mem");
	refused("{\"annotations\": {\"vmm.serial\": true}}",
		"annotations.vmm.serial");
	/* Trailing white space is fine. */
	CHECK_EQ(parse("{}\n \t\r\n", &s, err), 0);
	/* A spec without a process has nothing to run. */
	CHECK_EQ(process_desc_build(&s, NULL, &buf, &len, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "process.args") != NULL);
	oci_spec_free(&s);
	/* An rlimit name the runner could not split from its values. */
	CHECK_EQ(parse("{\"process\": {\"args\": [\"a\"], \"rlimits\": "
		       "[{\"type\": \"RLIMIT X\"}]}}",
		       &s, err),
		 0);
	CHECK_EQ(process_desc_build(&s, NULL, &buf, &len, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "RLIMIT X") != NULL);
	oci_spec_free(&s);
	/* A well-formed name the runner does not know (found by fuzzing). */
	CHECK_EQ(parse("{\"process\": {\"args\": [\"a\"], \"rlimits\": "
		       "[{\"type\": \"RLIMIT_FOO\"}]}}",
		       &s, err),
		 0);
	CHECK_EQ(process_desc_build(&s, NULL, &buf, &len, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "RLIMIT_FOO") != NULL);
	oci_spec_free(&s);
	/* A soft limit above the hard one, which setrlimit() refuses. */
	refused("{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", "
		"\"soft\": 1024, \"hard\": 354}]}}",
		"process.rlimits[].soft");
}

/*
 * A umask is its permission bits, as umask(2) takes it (runc passes the
 * spec's on): the description carries those only, which the runner reads.
 */
static void test_umask_bits(void)
{
	static const char *const want[] = {
	    "version=1", "arg=a",      "cwd=/",	     "uid=0",
	    "gid=0",	 "terminal=0", "umask=0755",
	};
	struct oci_spec s;
	char err[256], *buf;
	size_t len;

	CHECK_EQ(parse("{\"process\": {\"args\": [\"a\"], \"user\": "
		       "{\"umask\": 4077}}}",
		       &s, err),
		 0);
	CHECK_EQ(process_desc_build(&s, NULL, &buf, &len, err, sizeof(err)), 0);
	check_records(buf, len, want, sizeof(want) / sizeof(*want));
	free(buf);
	oci_spec_free(&s);
}

/* The description's 1 MiB bound: an environment of 1.2 MiB is refused. */
static void test_too_big(void)
{
	size_t n = 1200, vlen = 1024, len = 64 + n * (vlen + 16);
	char *json = malloc(len), *p = json, err[256], *buf = NULL;
	struct oci_spec s;
	size_t dlen;

	p += sprintf(p, "{\"process\": {\"args\": [\"a\"], \"env\": [");
	for (size_t i = 0; i < n; i++) {
		p += sprintf(p, "%s\"V%zu=", i ? "," : "", i);
		memset(p, 'x', vlen);
		p += vlen;
		*p++ = '"';
	}
	p += sprintf(p, "]}}");
	CHECK_EQ(oci_spec_parse(json, (size_t)(p - json), &s, err, sizeof(err)),
		 0);
	CHECK_EQ(s.nr_env, n);
	CHECK_EQ(process_desc_build(&s, NULL, &buf, &dlen, err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "1 MiB") != NULL);
	CHECK(buf == NULL);
	oci_spec_free(&s);
	free(json);
}

static void test_file(void)
{
	char dir[] = "/tmp/test_crun_oci.XXXXXX", path[64], err[256];
	struct oci_spec s;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	CHECK_EQ(oci_spec_read(path, &s, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK_EQ(write(fd, full, strlen(full)), (ssize_t)strlen(full));
	close(fd);
	CHECK_EQ(oci_spec_read(path, &s, err, sizeof(err)), 0);
	CHECK_EQ(s.nr_args, 3);
	oci_spec_free(&s);
	/* A directory is no config.json. */
	CHECK_EQ(oci_spec_read(dir, &s, err, sizeof(err)), -EINVAL);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_full();
	test_defaults();
	test_malformed();
	test_umask_bits();
	test_too_big();
	test_file();
	return check_done("test_crun_oci");
}
