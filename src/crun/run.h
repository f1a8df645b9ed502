/* SPDX-License-Identifier: MIT */
/*
 * The container's pid 1 as a VM (crun's run_func): boot the runner with
 * the container's root over virtio-fs and its stdio on console ports,
 * forward signals to the workload, and end with the workload's status.
 */
#ifndef CRUN_RUN_H
#define CRUN_RUN_H

#include <stddef.h>

#include <vmm/vmm.h>

struct vmm_crun;

/* A set-up failure (no /dev/kvm, a VM that does not start). */
#define RUN_STATUS_SETUP 125
/* The VM ended without the workload's status. */
#define RUN_STATUS_FAILED 1
/* The VM was stopped: as if the workload had been killed. */
#define RUN_STATUS_KILLED (128 + 9)

/*
 * Run the configured container's VM to its end; returns the status the
 * container exits with. Messages go to stderr as "vmm: ..." lines. The
 * caller exit()s with it: crun reports only 0 or 1 of run_func.
 */
int run_vm(struct vmm_crun *h);

/*
 * The container's exit status for a VM that ended as @ex, and in @why a
 * one-line explanation when it is not the workload's own ("" else). Pure.
 */
int run_exit_status(const struct vmm_exit *ex, char *why, size_t why_len);

#endif /* CRUN_RUN_H */
