/* SPDX-License-Identifier: MIT */
/*
 * The table of subcommands.
 */
#include "subcommands.h"

#include <string.h>

#include "bench/bench_doorbell.h"
#include "ctl.h"
#include "seccomp.h"
#include "top.h"

static const struct subcommand subcommands[] = {
    {"ctl", ctl_main},
    {"top", top_main},
    {"bench", bench_main},
    {"seccomp", seccomp_main},
};

const struct subcommand *subcommand_find(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]);
	     i++)
		if (subcommands[i].name && !strcmp(subcommands[i].name, name))
			return &subcommands[i];
	return NULL;
}
