/* SPDX-License-Identifier: MIT */
/*
 * Command line -> struct vm_config. Pure: no I/O besides what getopt does
 * with argv, so it is unit-tested. main() owns the exit codes.
 */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm/config.h"

/* Exit statuses of the vmm process (also in --help and README). */
#define CLI_STATUS_POWEROFF 0
#define CLI_STATUS_ERROR    1
#define CLI_STATUS_USAGE    2
#define CLI_STATUS_RESET    3
#define CLI_STATUS_CRASH    4

enum cli_result {
	CLI_RUN,     /* cfg is complete: boot it */
	CLI_HELP,    /* --help was given */
	CLI_VERSION, /* --version was given */
	CLI_ERROR,   /* err holds a one-line reason */
};

/*
 * Parse argv (argv[0] is the program name). On CLI_ERROR, @err (capacity
 * @err_len) says what is wrong. Strings in @cfg point into argv.
 */
enum cli_result cli_parse(int argc, char **argv, struct vm_config *cfg,
			  char *err, size_t err_len);

/* Parse "256M", "1G", "512K", "1073741824B" or "64" (MiB). 0 or -EINVAL. */
int cli_parse_size(const char *s, uint64_t *out);

/* The --help text. */
const char *cli_usage(void);

#endif /* VMM_CLI_H */
