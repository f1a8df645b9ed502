/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of vcpu/schedstat.c: the strict parser, then this thread's
 * real schedstat file (skipped, 77, if the kernel has none).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "vcpu/schedstat.h"

static int parse(const char *s, struct schedstat *out)
{
	return schedstat_parse(s, strlen(s), out);
}

static void test_parse(void)
{
	struct schedstat s;

	CHECK_EQ(parse("52807192 182197136 16\n", &s), 0);
	CHECK_EQ(s.run_ns, 52807192);
	CHECK_EQ(s.run_delay_ns, 182197136);
	CHECK_EQ(s.timeslices, 16);
	CHECK_EQ(parse("0 0 0\n", &s), 0);
	CHECK_EQ(parse("18446744073709551615 1 2\n", &s), 0);
	CHECK_EQ(s.run_ns, UINT64_MAX);
	CHECK_EQ(parse("18446744073709551616 1 2\n", &s), -EINVAL);
	CHECK_EQ(parse("1 2 3", &s), -EINVAL);
	CHECK_EQ(parse("1 2\n", &s), -EINVAL);
	CHECK_EQ(parse("1 2 3 4\n", &s), -EINVAL);
	CHECK_EQ(parse("1  2 3\n", &s), -EINVAL);
	CHECK_EQ(parse("-1 2 3\n", &s), -EINVAL);
	CHECK_EQ(parse("1 2 3\nx", &s), -EINVAL);
	CHECK_EQ(parse("", &s), -EINVAL);
	CHECK_EQ(schedstat_parse("1 2 3\n", 3, &s), -EINVAL); /* truncated */
}

static int test_real(void)
{
	struct schedstat a, b;
	volatile uint64_t x = 0;
	int fd = schedstat_open(gettid());

	if (fd < 0)
		return 77;
	CHECK_EQ(schedstat_read(fd, &a), 0);
	for (int i = 0; i < 1000000; i++)
		x += (uint64_t)i;
	/* Sleeping deschedules us, which brings run_ns up to date. */
	usleep(100);
	/* Re-reading the same fd sees the new figures. */
	CHECK_EQ(schedstat_read(fd, &b), 0);
	CHECK(b.run_ns > a.run_ns);
	CHECK(b.run_delay_ns >= a.run_delay_ns);
	close(fd);
	CHECK_EQ(schedstat_open(0x7fffffff), -ENOENT);
	return 0;
}

int main(void)
{
	test_parse();
	if (test_real() == 77 && !check_failures) {
		printf(
		    "test_schedstat: no schedstat file, skipping its part\n");
		return 77;
	}
	return check_done("test_schedstat");
}
