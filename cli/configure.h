/* SPDX-License-Identifier: MIT */
/*
 * The command line's devices and settings applied to a VM through the
 * public API: everything but the log, the machine size and the kernel,
 * which the caller sets (cli/main.c from files, the fuzz harness from
 * memory).
 */
#ifndef CLI_CONFIGURE_H
#define CLI_CONFIGURE_H

#include <vmm/vmm.h>

#include "cli.h"

/* 0, or the first setter's -errno (its reason in vmm_last_error()). */
int cli_add_devices(struct vmm *vm, const struct cli_options *cfg);

#endif /* CLI_CONFIGURE_H */
