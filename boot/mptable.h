/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 tables (floating pointer + config
 * table with processors, bus, IOAPIC and interrupt assignments) for
 * kernels built with MPPARSE.
 */
#ifndef BOOT_MPTABLE_H
#define BOOT_MPTABLE_H

#include "../vmm/mem.h"

/*
 * Write the MP floating pointer and table at LAYOUT_MPTABLE for @nr_cpus
 * CPUs (APIC ids 0..nr_cpus-1). Returns 0 or -errno (-ENOSPC: too many
 * CPUs for the reserved area).
 */
int mptable_build(struct mem *mem, unsigned int nr_cpus);

#endif /* BOOT_MPTABLE_H */
