/* SPDX-License-Identifier: MIT */
/*
 * x86-64 register, CPUID and MSR set-up of a vCPU, and the boot-time GDT
 * and identity page tables the 64-bit and PVH entries expect.
 */
#ifndef VCPU_X86_H
#define VCPU_X86_H

#include <stdint.h>

#include "boot.h"
#include "base/mem.h"

struct kvm_cpuid2;

/*
 * Adapt a copy of KVM's supported CPUID for vCPU @id of @nr_cpus: APIC ids
 * in leaves 1, 0xB and 0x1F, cores-per-package in leaf 4, hypervisor bit.
 * Pure: unit-tested.
 */
void x86_cpuid_patch(struct kvm_cpuid2 *cpuid, unsigned int id,
		     unsigned int nr_cpus);

/* KVM_SET_CPUID2 with the patched table for vCPU @id. 0 or -errno. */
int x86_set_cpuid(int vcpu_fd, const struct kvm_cpuid2 *supported,
		  unsigned int id, unsigned int nr_cpus);

/* Boot MSRs (MISC_ENABLE fast strings). 0 or -errno. */
int x86_set_msrs(int vcpu_fd);

/*
 * Write the boot GDT (and, for the 64-bit entry, the 4 GiB identity map)
 * into guest memory. 0 or -ENOSPC if RAM is too small.
 */
int x86_write_boot_tables(struct mem *mem, enum boot_protocol protocol);

/* Set registers and segments for @entry on the BSP. 0 or -errno. */
int x86_set_boot_regs(int vcpu_fd, const struct boot_entry *entry);

#endif /* VCPU_X86_H */
