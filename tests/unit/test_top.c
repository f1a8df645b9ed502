/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of `vmm top` and `vmm ctl` without a server: parsing stats
 * replies, the percentages printed for the difference of two frames, and
 * turning command lines into requests.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli/ctl.h"
#include "cli/top.h"

#define FRAME(t, run, rnbl, blk, off, wakes, exits)                            \
	"{\"ok\":true,\"time_ns\":" #t ",\"vcpus\":[{\"id\":0,\"tid\":4242,"   \
	"\"state\":\"running\",\"time_ns\":{\"running\":" #run                 \
	",\"runnable\":" #rnbl ",\"blocked\":" #blk ",\"offline\":" #off "},"  \
	"\"wakeups\":" #wakes ",\"kvm\":{\"exits\":" #exits "}},"              \
	"{\"id\":1,\"tid\":0,\"state\":\"offline\",\"time_ns\":{\"running\":"  \
	"0,"                                                                   \
	"\"runnable\":0,\"blocked\":0,\"offline\":" #t "},\"wakeups\":0,"      \
	"\"kvm\":{}}]}"

static void test_parse(void)
{
	struct top_frame f;

	CHECK_EQ(top_parse(FRAME(1000, 600, 100, 200, 100, 5, 50), &f), 0);
	CHECK_EQ(f.nr, 2);
	CHECK_EQ(f.time_ns, 1000);
	CHECK_EQ(f.rows[0].tid, 4242);
	CHECK_EQ(f.rows[0].time[VMM_RUNSTATE_BLOCKED], 200);
	CHECK(!strcmp(f.rows[0].state, "running"));
	CHECK(f.rows[0].has_exits);
	CHECK(!f.rows[1].has_exits);
	top_frame_free(&f);

	CHECK_EQ(top_parse("{\"ok\":false,\"error\":\"x\"}", &f), -EINVAL);
	CHECK_EQ(top_parse("garbage", &f), -EINVAL);
	CHECK_EQ(top_parse("{\"time_ns\":1,\"vcpus\":[{\"id\":0}]}", &f),
		 -EINVAL);
	CHECK_EQ(f.rows, NULL);
}

static void test_print(void)
{
	struct top_frame a, b;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	/* One second: 0.6 s running, 0.3 s blocked, 0.1 s runnable. */
	CHECK_EQ(top_parse(FRAME(1000000000, 0, 0, 0, 0, 0, 0), &a), 0);
	CHECK_EQ(top_parse(FRAME(2000000000, 600000000, 100000000, 300000000, 0,
				 40, 1000),
			   &b),
		 0);
	top_print(out, &a, &b);
	fclose(out);
	CHECK(strstr(text, "2 vCPUs, interval 1.00 s\n") != NULL);
	CHECK(strstr(text, "   0     4242 running       60.0     10.0     30.0 "
			   "     0.0       40     1000\n") != NULL);
	CHECK(strstr(text, "   1        0 offline        0.0      0.0      0.0 "
			   "   100.0        0        -\n") != NULL);
	if (check_failures)
		fputs(text, stderr);
	free(text);
	top_frame_free(&a);
	top_frame_free(&b);
}

static bool req(const char *want, int argc, ...)
{
	char *argv[4], out[256];
	va_list ap;
	int r;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	r = ctl_build_request(argc, argv, out, sizeof(out));
	if (!want)
		return r == -EINVAL;
	return r == 0 && !strcmp(out, want);
}

static void test_ctl_requests(void)
{
	CHECK(req("{\"cmd\":\"pause\"}", 1, "pause"));
	CHECK(req("{\"cmd\":\"pause\",\"vcpu\":3}", 2, "pause", "3"));
	CHECK(req("{\"cmd\":\"resume\",\"vcpu\":0}", 2, "resume", "0"));
	CHECK(req("{\"cmd\":\"stop\"}", 1, "stop"));
	CHECK(req("{\"cmd\":\"stats\"}", 1, "stats"));
	CHECK(req("{\"cmd\":\"vcpus\"}", 1, "vcpus"));
	CHECK(req("{\"raw\":1}", 1, "{\"raw\":1}"));
	CHECK(req(NULL, 0));
	CHECK(req(NULL, 1, "reboot"));
	CHECK(req(NULL, 2, "stop", "1"));
	CHECK(req(NULL, 2, "pause", "-1"));
	CHECK(req(NULL, 2, "pause", "1x"));
	CHECK(req(NULL, 2, "pause", "99999999999"));
	CHECK(req(NULL, 3, "pause", "1", "2"));
}

int main(void)
{
	test_parse();
	test_print();
	test_ctl_requests();
	return check_done("test_top");
}
