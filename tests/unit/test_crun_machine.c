/* SPDX-License-Identifier: MIT */
/*
 * The crun handler's VM size (src/crun/machine.c) and the container's
 * exit status (src/crun/run.c's run_exit_status()), pure functions:
 * sizes with and without suffixes, CPU lists, the annotations vmm.cpus
 * and vmm.mem over the spec's resources, the defaults, and every bad
 * value refused with a message that names it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <vmm/vmm.h>

#include "crun/machine.h"
#include "crun/oci.h"
#include "crun/run.h"
#include "check.h"

#define MiB (1ull << 20)
/* A writable string, as the spec's (oci.h) are. */
#define W(s) ((char[]){s})

static void test_sizes(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
	    {"0", 0},
	    {"4096", 4096},
	    {"1k", 1024},
	    {"512M", 512 * MiB},
	    {"512m", 512 * MiB},
	    {"512MiB", 512 * MiB},
	    {"512MB", 512 * MiB},
	    {"2G", 2048 * MiB},
	    {"1t", 1ull << 40},
	    {"16777215T", 16777215ull << 40},
	};
	static const char *const bad[] = {
	    "",
	    "M",
	    "-1",
	    "1.5G",
	    "1 G",
	    "1Gx",
	    "1GB ",
	    "1X",
	    "0x10",
	    "1iB",
	    "1Bi",
	    "16777216T",
	    "18446744073709551616",
	};
	char err[256];
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		CHECK_EQ(machine_parse_size(good[i].s, &v, err, sizeof(err)),
			 0);
		CHECK_EQ(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (machine_parse_size(bad[i], &v, err, sizeof(err)) != -EINVAL)
			fprintf(stderr, "accepted '%s'\n", bad[i]);
		CHECK(strstr(err, "is not a size") != NULL);
	}
}

static void test_cpusets(void)
{
	CHECK_EQ(machine_cpuset_count("0"), 1);
	CHECK_EQ(machine_cpuset_count("0-3"), 4);
	CHECK_EQ(machine_cpuset_count("0-3,8,10-11"), 7);
	CHECK_EQ(machine_cpuset_count(""), 0);
	CHECK_EQ(machine_cpuset_count("3-1"), -EINVAL);
	CHECK_EQ(machine_cpuset_count("1,"), -EINVAL);
	CHECK_EQ(machine_cpuset_count(",1"), -EINVAL);
	CHECK_EQ(machine_cpuset_count("1-"), -EINVAL);
	CHECK_EQ(machine_cpuset_count("a"), -EINVAL);
	CHECK_EQ(machine_cpuset_count("1 2"), -EINVAL);
	CHECK_EQ(machine_cpuset_count("0-70000"), -EINVAL);
}

/* machine_from_spec() of @s must give @cpus and @mem. */
static void sized(const struct oci_spec *s, unsigned int host,
		  unsigned int cpus, uint64_t mem)
{
	struct machine m = {0};
	char err[256] = "";

	CHECK_EQ(machine_from_spec(s, host, &m, err, sizeof(err)), 0);
	if (err[0])
		fprintf(stderr, "unexpected: %s\n", err);
	CHECK_EQ(m.cpus, cpus);
	CHECK_EQ(m.mem, mem);
}

/* ... or be refused with a message containing @want. */
static void refused(const struct oci_spec *s, const char *want)
{
	struct machine m;
	char err[256] = "";

	CHECK_EQ(machine_from_spec(s, 8, &m, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fprintf(stderr, "'%s' lacks '%s'\n", err, want);
	CHECK(strstr(err, want) != NULL);
}

static void test_machine(void)
{
	struct oci_spec s = {0};

	/* Defaults: 2 vCPUs (1 on a 1-CPU host), 512 MiB. */
	sized(&s, 8, MACHINE_DEFAULT_CPUS, MACHINE_DEFAULT_MEM);
	sized(&s, 1, 1, MACHINE_DEFAULT_MEM);
	sized(&s, 0, MACHINE_DEFAULT_CPUS, MACHINE_DEFAULT_MEM);
	/* A quota of 1.5 CPUs: 2 vCPUs; a cpuset of 1 caps it. */
	s.cpu_quota = 150000;
	s.cpu_period = 100000;
	sized(&s, 8, 2, MACHINE_DEFAULT_MEM);
	s.cpuset = W("3");
	sized(&s, 8, 1, MACHINE_DEFAULT_MEM);
	s.cpu_quota = -1; /* unlimited: the cpuset alone */
	s.cpuset = W("0-5");
	sized(&s, 8, 6, MACHINE_DEFAULT_MEM);
	s.cpuset = W("0-");
	refused(&s, "linux.resources.cpu.cpus '0-'");
	s.cpuset = NULL;
	/* A memory limit holds the VMM too. */
	s.mem_limit = 1 << 30;
	sized(&s, 8, 2, (1 << 30) - MACHINE_MEM_HEADROOM);
	s.mem_limit = (1 << 30) + 12345; /* rounded down to a MiB */
	sized(&s, 8, 2, (1 << 30) - MACHINE_MEM_HEADROOM);
	s.mem_limit = 100 * MiB;
	refused(&s, "memory limit of 100 MiB is too small");
	s.mem_limit = -1;
	sized(&s, 8, 2, MACHINE_DEFAULT_MEM);
	/* The annotations win over the resources. */
	s.ann_cpus = W("3");
	s.ann_mem = W("1536M");
	sized(&s, 8, 3, 1536 * MiB);
	s.ann_cpus = W("254");
	sized(&s, 1, 254, 1536 * MiB);
	s.ann_mem = W("16M");
	sized(&s, 1, 254, 16 * MiB);
	s.mem_limit = 2048 * MiB;
	s.ann_mem = W("1984M"); /* exactly the limit less the headroom */
	sized(&s, 1, 254, 1984 * MiB);
	s.ann_mem = W("2G");
	refused(&s, "vmm.mem='2G' does not fit the container's memory limit "
		    "of 2048 MiB");
	s.mem_limit = 0;
	for (size_t i = 0; i < 6; i++) {
		static const char *const bad[] = {"0",	 "255", "",
						  "two", "2 ",	"-1"};
		char v[8];

		snprintf(v, sizeof(v), "%s", bad[i]);
		s.ann_cpus = v;
		refused(&s, "vmm.cpus=");
	}
	s.ann_cpus = NULL;
	s.ann_mem = W("lots");
	refused(&s, "vmm.mem: 'lots' is not a size");
	s.ann_mem = W("15M");
	refused(&s, "vmm.mem='15M': want 16M to 1T");
	s.ann_mem = W("2T");
	refused(&s, "want 16M to 1T");
}

static void test_exit_status(void)
{
	char why[160];
	struct vmm_exit e = {VMM_EXIT_WORKLOAD, 0};

	for (int st = 0; st < 256; st += 51) {
		e.status = st;
		CHECK_EQ(run_exit_status(&e, why, sizeof(why)), st);
		CHECK_EQ(why[0], '\0');
	}
	e = (struct vmm_exit){VMM_EXIT_POWEROFF, 0};
	CHECK_EQ(run_exit_status(&e, why, sizeof(why)), RUN_STATUS_FAILED);
	CHECK(strstr(why, "before the runner reported") != NULL);
	e.reason = VMM_EXIT_RESET;
	CHECK_EQ(run_exit_status(&e, why, sizeof(why)), RUN_STATUS_FAILED);
	e.reason = VMM_EXIT_CRASH;
	CHECK_EQ(run_exit_status(&e, why, sizeof(why)), RUN_STATUS_FAILED);
	e.reason = VMM_EXIT_STOPPED;
	CHECK_EQ(run_exit_status(&e, why, sizeof(why)), 137);
	e.reason = VMM_EXIT_ERROR;
	CHECK_EQ(run_exit_status(&e, why, sizeof(why)), RUN_STATUS_SETUP);
	e = (struct vmm_exit){VMM_EXIT_DEBUG, 3};
	CHECK_EQ(run_exit_status(&e, why, sizeof(why)), RUN_STATUS_FAILED);
	CHECK(why[0] != '\0');
}

int main(void)
{
	test_sizes();
	test_cpusets();
	test_machine();
	test_exit_status();
	return check_done("test_crun_machine");
}
