/* SPDX-License-Identifier: MIT */
/*
 * `vmm SUBCOMMAND ...`: ctl, top, bench, seccomp. Each is a main() of its own
 * that returns the process exit status.
 */
#ifndef VMM_SUBCOMMANDS_H
#define VMM_SUBCOMMANDS_H

struct subcommand {
	const char *name;
	int (*main)(int argc, char **argv); /* argv[0] is the name */
};

/* The subcommand named @name, or NULL. */
const struct subcommand *subcommand_find(const char *name);

#endif /* VMM_SUBCOMMANDS_H */
