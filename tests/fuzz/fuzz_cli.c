/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the command line and the backend specs in it: cli_parse() (cli/,
 * getopt_long and every option's own syntax: sizes, --disk, --fs,
 * --port, --vsock, --rng, ...), then, as cli/main.c does, the options
 * handed to a fresh `struct vmm` through the public setters, which check
 * the console backends, --net specs (src/backends/net.c) and the rest.
 * Each argument is also parsed alone as a size, a --net spec and a
 * console backend. Nothing is opened: the kernel is given from memory
 * (vmm_set_kernel_mem) instead of the named file, and no VM is started.
 *
 * Input: the arguments after argv[0], separated by NUL bytes.
 *
 * Checked besides ASan/UBSan: an error always comes with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmm/vmm.h>

#include "backends/console.h"
#include "backends/net.h"
#include "cli/cli.h"
#include "cli/configure.h"
#include "input.h"

#define MAX_ARGS 48

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

static void drop_line(void *opaque, enum vmm_log_level level, const char *line)
{
	(void)opaque;
	(void)level;
	(void)line;
}

/* cli/main.c's configure(), with the kernel from memory. */
static int configure(struct vmm *vm, const struct cli_options *cfg)
{
	static const uint8_t kernel[16] = "not a kernel";
	int r = vmm_set_log(vm, VMM_LOG_DEBUG, drop_line, NULL);

	if (!r)
		r = vmm_set_machine(vm, cfg->nr_cpus, cfg->mem_size);
	if (!r)
		r = vmm_set_kernel_mem(vm, kernel, sizeof(kernel), NULL, 0,
				       cfg->cmdline);
	if (!r)
		r = cli_add_devices(vm, cfg);
	return r;
}

/* One argument alone, as each kind of spec. */
static void each_spec(const char *arg)
{
	struct net_spec net;
	char err[256];
	uint64_t size;

	err[0] = 0;
	if (net_spec_parse(arg, &net, err, sizeof(err)) && !err[0])
		abort();
	err[0] = 0;
	if (console_spec_check(arg, err, sizeof(err)) && !err[0])
		abort();
	(void)cli_parse_size(arg, &size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One copy, NUL-terminated: the arguments point into it. */
	char *buf = fuzz_dup(data, size, 1);
	static char prog[] = "vmm";
	char *argv[MAX_ARGS + 2] = {prog};
	struct cli_options cfg;
	char err[512] = "";
	int argc = 1;
	struct vmm *vm;

	for (size_t at = 0; at < size && argc <= MAX_ARGS;) {
		argv[argc++] = buf + at;
		at += strlen(buf + at) + 1;
	}
	argv[argc] = NULL;
	for (int i = 1; i < argc; i++)
		each_spec(argv[i]);
	switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
	case CLI_ERROR:
		if (!err[0])
			abort();
		break;
	case CLI_RUN:
		if (vmm_create(&vm))
			abort();
		if (configure(vm, &cfg) && !vmm_last_error(vm)[0]) {
			fprintf(stderr,
				"fuzz_cli: an error without a message\n");
			abort();
		}
		vmm_destroy(vm);
		break;
	default: break;
	}
	free(buf);
	return 0;
}
