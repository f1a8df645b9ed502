/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the container path's two parsers: the crun handler reading a
 * bundle's config.json (src/crun/oci.c: oci_spec_parse(), then
 * machine.c's VM size from it and process.c's process description),
 * and the runner's init reading that description in the guest
 * (guests/runner/process.c: process_parse()). A description the handler
 * built is parsed back and must say what the spec said.
 *
 * Input: u8 selector (bit 0: the rest is a raw process description for
 * the runner; else it is config.json), u8 host CPU count, the bytes.
 *
 * Checked besides ASan/UBSan: failures come with a message; a machine
 * has 1..VMM_MAX_VCPUS vCPUs and whole MiB in VMM_MIN_MEM..VMM_MAX_MEM; the
 * round trip keeps args, env count, ids, groups, terminal, umask and cwd.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/vmm.h>

#include "crun/machine.h"
#include "crun/oci.h"
#include "crun/process.h"
#include "guests/runner/process.h"
#include "input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_crun: %s\n", what);
	abort();
}

/* The runner's reading of what the handler wrote must match the spec. */
static void round_trip(const struct oci_spec *s, char *desc, size_t len)
{
	struct process p;
	char err[256] = "";

	if (process_parse(&p, desc, len, NULL, NULL, err, sizeof(err)))
		fail(err[0] ? err : "description refused without a message");
	if (p.argc != s->nr_args || p.uid != s->uid || p.gid != s->gid ||
	    p.ngroups != s->nr_groups || p.terminal != s->terminal ||
	    p.has_umask != s->has_umask ||
	    (s->has_umask && p.umask != (s->umask & 0777)) ||
	    p.envc < s->nr_env || strcmp(p.cwd, s->cwd ? s->cwd : "/"))
		fail("round trip changed the process");
	for (size_t i = 0; i < p.argc; i++)
		if (strcmp(p.argv[i], s->args[i]))
			fail("round trip changed an argument");
	for (size_t i = 0; i < p.ngroups; i++)
		if (p.groups[i] != s->groups[i])
			fail("round trip changed a group");
	process_free(&p);
}

static void spec(const uint8_t *json, size_t len, unsigned int host_cpus)
{
	/* Exactly @len bytes: no NUL after them to lean on. */
	char *copy = fuzz_dup(json, len, 0);
	struct oci_spec s = {0};
	struct machine m;
	char err[256] = "", *desc = NULL;
	size_t dlen;

	if (oci_spec_parse(copy, len, &s, err, sizeof(err))) {
		if (!err[0])
			fail("spec refused without a message");
		goto out;
	}
	err[0] = 0;
	if (machine_from_spec(&s, host_cpus, &m, err, sizeof(err))) {
		if (!err[0])
			fail("machine refused without a message");
	} else if (!m.cpus || m.cpus > VMM_MAX_VCPUS || m.mem % (1u << 20) ||
		   m.mem < VMM_MIN_MEM || m.mem > VMM_MAX_MEM) {
		fail("machine out of range");
	}
	err[0] = 0;
	if (process_desc_build(&s, "/root", &desc, &dlen, err, sizeof(err))) {
		if (!err[0])
			fail("description refused without a message");
	} else {
		round_trip(&s, desc, dlen);
	}
	free(desc);
out:
	oci_spec_free(&s);
	free(copy);
}

static void description(const uint8_t *d, size_t len)
{
	char *buf = fuzz_dup(d, len, 0);
	struct process p;
	char err[256] = "";

	if (!process_parse(&p, buf, len, NULL, NULL, err, sizeof(err)))
		process_free(&p);
	else if (!err[0])
		fail("description refused without a message");
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t sel = fuzz_u8(&in);
	unsigned int cpus = fuzz_u8(&in) % 64 + 1;
	size_t len;
	const uint8_t *p = fuzz_bytes(&in, in.n, &len);

	if (sel & 1)
		description(p, len);
	else
		spec(p, len, cpus);
	return 0;
}
