/* SPDX-License-Identifier: MIT */
/*
 * `vmm bench doorbell`: doorbell latency through the product's device
 * path, against the floor measured in the same run. It boots the
 * benchmark guest (guests/doorbell) through vm_create()/vm_run() with the
 * bench echo device (bench/bench_dev.h) and register page
 * (bench/bench_rig.h), and reports p50/p90/p99/p99.9/max of each
 * measurement in ns and TSC cycles, the ratio to the floor, the io
 * thread's CPU use, as a table, JSON (--json) and an SVG (--svg FILE).
 * Exit status: 0 done, 1 the run failed, 2 usage error.
 */
#ifndef VMM_BENCH_DOORBELL_H
#define VMM_BENCH_DOORBELL_H

/*
 * `vmm bench SUBCOMMAND ...` (argv[0] is "bench"): the subcommand table's
 * entry. Returns the process exit status.
 */
int bench_main(int argc, char **argv);

#endif /* VMM_BENCH_DOORBELL_H */
