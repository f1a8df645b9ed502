/* SPDX-License-Identifier: MIT */
/*
 * rlimit records of the runner (guests/runner/rlimit.c): every OCI name,
 * names that are not, "NAME SOFT HARD" values that parse and those that do
 * not; and the strict numbers underneath them (guests/runner/num.c).
 */
#include "guests/runner/rlimit.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "check.h"
#include "guests/runner/num.h"

static void test_names(void)
{
	static const struct {
		const char *name;
		int resource;
	} all[] = {
	    {"RLIMIT_AS", RLIMIT_AS},
	    {"RLIMIT_CORE", RLIMIT_CORE},
	    {"RLIMIT_CPU", RLIMIT_CPU},
	    {"RLIMIT_DATA", RLIMIT_DATA},
	    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
	    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
	    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
	    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
	    {"RLIMIT_NICE", RLIMIT_NICE},
	    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
	    {"RLIMIT_NPROC", RLIMIT_NPROC},
	    {"RLIMIT_RSS", RLIMIT_RSS},
	    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
	    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
	    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
	    {"RLIMIT_STACK", RLIMIT_STACK},
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK_EQ(rlimit_resource(all[i].name), all[i].resource);
	CHECK_EQ(rlimit_resource("NOFILE"), -1);
	CHECK_EQ(rlimit_resource("rlimit_nofile"), -1);
	CHECK_EQ(rlimit_resource("RLIMIT_"), -1);
	CHECK_EQ(rlimit_resource("RLIMIT_NOFILEX"), -1);
	CHECK_EQ(rlimit_resource(""), -1);
}

static void test_good(void)
{
	struct rlimit_entry e;

	CHECK_EQ(rlimit_parse("RLIMIT_NOFILE 1024 4096", &e), 0);
	CHECK_EQ(e.resource, RLIMIT_NOFILE);
	CHECK_EQ(e.soft, 1024);
	CHECK_EQ(e.hard, 4096);
	CHECK_EQ(rlimit_parse("RLIMIT_CORE unlimited unlimited", &e), 0);
	CHECK(e.soft == RLIM_INFINITY && e.hard == RLIM_INFINITY);
	CHECK_EQ(rlimit_parse("RLIMIT_STACK 0 0", &e), 0);
	CHECK_EQ(e.soft, 0);
	CHECK_EQ(rlimit_parse("RLIMIT_AS 8388608 unlimited", &e), 0);
	CHECK_EQ(e.soft, 8388608);
	CHECK(e.hard == RLIM_INFINITY);
	CHECK_EQ(rlimit_parse("RLIMIT_AS 18446744073709551615 unlimited", &e),
		 0);
	CHECK(e.soft == UINT64_MAX);
}

static void test_bad(void)
{
	static const char *const bad[] = {
	    "",
	    "RLIMIT_NOFILE",
	    "RLIMIT_NOFILE 1024",
	    "RLIMIT_NOFILE 1 2 3",
	    "RLIMIT_NOFILE  1 2",
	    " RLIMIT_NOFILE 1 2",
	    "RLIMIT_NOFILE 1 2 ",
	    "RLIMIT_NOFILE 1\t2",
	    "RLIMIT_NOFILE 2 1",
	    "RLIMIT_NOFILE unlimited 5",
	    "RLIMIT_NOFILE -1 5",
	    "RLIMIT_NOFILE +1 5",
	    "RLIMIT_NOFILE 0x10 0x20",
	    "RLIMIT_NOFILE 18446744073709551616 unlimited",
	    "RLIMIT_NOFILE infinity infinity",
	    "RLIMIT_NOFILE Unlimited unlimited",
	    "RLIMIT_BOGUS 1 2",
	    "nofile 1 2",
	    /* Longer than any valid value. */
	    "RLIMIT_NOFILE 00000000000000000000000000000000000000000001 "
	    "0000000000000000000000000000000000000000000000000000002",
	};
	struct rlimit_entry e = {.resource = 42};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(rlimit_parse(bad[i], &e), -EINVAL);
		if (rlimit_parse(bad[i], &e) != -EINVAL)
			fprintf(stderr, "accepted '%s'\n", bad[i]);
	}
	CHECK_EQ(e.resource, 42); /* untouched on failure */
}

static void test_num(void)
{
	uint64_t v = 7;

	CHECK_EQ(num_parse("0", 10, 10, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(num_parse("0010", 10, 100, &v), 0);
	CHECK_EQ(v, 10);
	CHECK_EQ(num_parse("777", 8, 0777, &v), 0);
	CHECK_EQ(v, 0777);
	CHECK_EQ(num_parse("18446744073709551615", 10, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	v = 7;
	CHECK_EQ(num_parse("18446744073709551616", 10, UINT64_MAX, &v),
		 -ERANGE);
	CHECK_EQ(num_parse("11", 10, 10, &v), -ERANGE);
	CHECK_EQ(num_parse("1000", 8, 0777, &v), -ERANGE);
	CHECK_EQ(num_parse("8", 8, 0777, &v), -EINVAL);
	CHECK_EQ(num_parse("", 10, 10, &v), -EINVAL);
	CHECK_EQ(num_parse("-1", 10, 10, &v), -EINVAL);
	CHECK_EQ(num_parse("1 ", 10, 10, &v), -EINVAL);
	CHECK_EQ(num_parse("a", 10, 10, &v), -EINVAL);
	CHECK_EQ(num_parse("99999999999999999999x", 10, UINT64_MAX, &v),
		 -EINVAL);
	CHECK_EQ(v, 7);
}

int main(void)
{
	test_names();
	test_good();
	test_bad();
	test_num();
	return check_done("test_runner_rlimit");
}
