/* SPDX-License-Identifier: MIT */
/*
 * Intel MultiProcessor Specification 1.4 tables (floating pointer + config
 * table with processors, bus, IOAPIC and interrupt assignments) for
 * kernels built with MPPARSE.
 */
#ifndef BOOT_MPTABLE_H
#define BOOT_MPTABLE_H

#include "base/mem.h"

/*
 * Write the MP configuration table at LAYOUT_MPTABLE and the floating
 * pointer at LAYOUT_MPTABLE_FLOATING for @nr_cpus CPUs (APIC ids
 * 0..nr_cpus-1, CPU 0 the BSP; the IOAPIC gets id nr_cpus). ISA IRQ 0 is
 * routed to IOAPIC pin 2, IRQ n (n != 2) to pin n: the VMM's GSI routing
 * must match. Call once per VM after mem_create(). Returns 0, -EINVAL
 * (no CPU), -ENOSPC (more than 254 CPUs, or too many for the reserved
 * area) or -EFAULT (RAM does not cover the area).
 */
int mptable_build(struct mem *mem, unsigned int nr_cpus);

#endif /* BOOT_MPTABLE_H */
