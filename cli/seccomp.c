/* SPDX-License-Identifier: MIT */
/*
 * `vmm seccomp` (seccomp.h).
 */
#include "seccomp.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <vmm/vmm.h>

int seccomp_main(int argc, char **argv)
{
	int r;

	if (argc > 1) {
		fprintf(stderr,
			"usage: vmm seccomp\n"
			"  prints each thread's allow-list (--seccomp)\n");
		return strcmp(argv[1], "-h") && strcmp(argv[1], "--help") ? 2
									  : 0;
	}
	fflush(stdout);
	r = vmm_seccomp_print(STDOUT_FILENO);
	if (r) {
		fprintf(stderr, "vmm: seccomp: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
