/* SPDX-License-Identifier: MIT */
/*
 * x86-64 vCPU set-up for the two boot protocols. The 64-bit entry
 * (Documentation/arch/x86/boot.rst, "64-bit boot protocol") wants long
 * mode, paging with an identity map covering the kernel, zero page,
 * command line and initrd, __BOOT_CS/__BOOT_DS flat segments and RSI =
 * zero page. PVH (xen/include/public/arch-x86/hvm/start_info.h) wants
 * 32-bit protected mode without paging and EBX = hvm_start_info.
 */
#define pr_fmt(fmt) "x86: " fmt
#include "cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "layout.h"
#include "base/log.h"
#include "base/util.h"

#define X86_CR0_PE   (1ULL << 0)
#define X86_CR0_ET   (1ULL << 4)
#define X86_CR0_PG   (1ULL << 31)
#define X86_CR4_PAE  (1ULL << 5)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)

#define PTE_PRESENT (1ULL << 0)
#define PTE_RW	    (1ULL << 1)
#define PTE_USER    (1ULL << 2) /* lets test guests run at CPL 3 */
#define PTE_PS	    (1ULL << 7)

#define MSR_IA32_MISC_ENABLE	0x1a0
#define MISC_ENABLE_FAST_STRING (1ULL << 0)

/* GDT selectors both entries use (Linux's __BOOT_CS / __BOOT_DS). */
#define BOOT_CS	 0x10
#define BOOT_DS	 0x18
#define BOOT_TSS 0x20

/* Flat descriptors: base 0, limit 4 GiB, granularity 4 KiB. */
#define GDT_CODE64 0x00af9b000000ffffULL
#define GDT_CODE32 0x00cf9b000000ffffULL
#define GDT_DATA   0x00cf93000000ffffULL
#define GDT_TSS32  0x00008b0000000067ULL /* busy 32-bit TSS, base 0 */

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c,
					   uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     e->index == index))
			return e;
	}
	return NULL;
}

static unsigned int order_base_2(unsigned int n)
{
	unsigned int shift = 0;

	while ((1U << shift) < n)
		shift++;
	return shift;
}

/* Leaves 0xB and 0x1F: SMT level (1 thread), then core level (nr_cpus). */
static void cpuid_patch_topology(struct kvm_cpuid2 *c, uint32_t leaf,
				 unsigned int id, unsigned int nr_cpus)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != leaf)
			continue;
		e->edx = id;
		switch (e->index) {
		case 0:
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1 << 8) | 0;
			break;
		case 1:
			e->eax = order_base_2(nr_cpus);
			e->ebx = nr_cpus;
			e->ecx = (2 << 8) | 1;
			break;
		default:
			e->eax = e->ebx = 0;
			e->ecx = e->index;
			break;
		}
	}
}

void x86_cpuid_patch(struct kvm_cpuid2 *c, unsigned int id,
		     unsigned int nr_cpus)
{
	unsigned int pkg_ids = 1U << order_base_2(nr_cpus);
	struct kvm_cpuid_entry2 *e;

	e = cpuid_find(c, 1, 0);
	if (e) {
		/* EBX[31:24] initial APIC id, [23:16] ids per package. */
		e->ebx =
		    (e->ebx & 0xffff) | (MIN(pkg_ids, 255U) << 16) | (id << 24);
		if (nr_cpus > 1)
			e->edx |= 1U << 28; /* HTT: multi-core package */
		else
			e->edx &= ~(1U << 28);
		e->ecx |= 1U << 31; /* running under a hypervisor */
	}
	/* Leaf 4: EAX[31:26] = cores per package - 1 (power of two). */
	for (uint32_t i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function == 4 && (e->eax & 0x1f))
			e->eax = (e->eax & 0x03ffffff) |
				 ((MIN(pkg_ids, 64U) - 1) << 26);
	}
	cpuid_patch_topology(c, 0xb, id, nr_cpus);
	cpuid_patch_topology(c, 0x1f, id, nr_cpus);
}

int x86_set_cpuid(int vcpu_fd, const struct kvm_cpuid2 *supported,
		  unsigned int id, unsigned int nr_cpus)
{
	size_t size = sizeof(*supported) +
		      supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	int r = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, size);
	x86_cpuid_patch(c, id, nr_cpus);
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		r = -errno;
	free(c);
	return r;
}

int x86_set_msrs(int vcpu_fd)
{
	/*
	 * struct kvm_msrs ends in a flexible array: room for one entry
	 * behind it (a union, as a struct with a member after it is a GNU
	 * extension clang warns about).
	 */
	union {
		struct kvm_msrs hdr;
		uint8_t room[sizeof(struct kvm_msrs) +
			     sizeof(struct kvm_msr_entry)];
	} msrs = {.hdr.nmsrs = 1};
	int r;

	msrs.hdr.entries[0] = (struct kvm_msr_entry){
	    .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING};
	r = ioctl(vcpu_fd, KVM_SET_MSRS, &msrs);

	if (r < 0)
		return -errno;
	return r == 1 ? 0 : -EINVAL;
}

int x86_write_boot_tables(struct mem *mem, enum boot_protocol protocol)
{
	uint64_t *gdt = gpa_ptr(mem, LAYOUT_BOOT_GDT, 5 * sizeof(uint64_t));
	uint64_t *pml4, *pdpt, *pd;

	if (!gdt)
		return -ENOSPC;
	gdt[0] = gdt[1] = 0;
	gdt[BOOT_CS / 8] = protocol == BOOT_PVH ? GDT_CODE32 : GDT_CODE64;
	gdt[BOOT_DS / 8] = GDT_DATA;
	gdt[BOOT_TSS / 8] = GDT_TSS32;
	if (protocol == BOOT_PVH)
		return 0; /* PVH starts with paging off */

	pml4 = gpa_ptr(mem, LAYOUT_PML4, 4096);
	pdpt = gpa_ptr(mem, LAYOUT_PDPT, 4096);
	pd = gpa_ptr(mem, LAYOUT_PD, LAYOUT_PD_COUNT * 4096);
	if (!pml4 || !pdpt || !pd)
		return -ENOSPC;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_PRESENT | PTE_RW | PTE_USER;
	for (uint64_t i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] =
		    (LAYOUT_PD + i * 4096) | PTE_PRESENT | PTE_RW | PTE_USER;
	/* 2048 entries of 2 MiB: the first 4 GiB, identity-mapped. */
	for (uint64_t i = 0; i < LAYOUT_PD_COUNT * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_RW | PTE_USER | PTE_PS;
	return 0;
}

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type,
				       bool code64)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .dpl = 0,
	    .db = code64 ? 0 : 1,
	    .s = 1,
	    .l = code64 ? 1 : 0,
	    .g = 1,
	};
}

int x86_set_boot_regs(int vcpu_fd, const struct boot_entry *entry)
{
	bool lm = entry->protocol == BOOT_LINUX64;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.gdt.base = LAYOUT_BOOT_GDT;
	sregs.gdt.limit = 5 * 8 - 1;
	sregs.idt.base = LAYOUT_BOOT_IDT;
	sregs.idt.limit = 0;
	sregs.cs = flat_segment(BOOT_CS, 0xb, lm);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
	    flat_segment(BOOT_DS, 0x3, false);
	sregs.tr = (struct kvm_segment){
	    .selector = BOOT_TSS,
	    .limit = 0x67,
	    .type = 0xb,
	    .present = 1,
	};
	if (lm) {
		sregs.cr3 = LAYOUT_PML4;
		sregs.cr4 = X86_CR4_PAE;
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	} else {
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs.efer = 0;
	}
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2; /* bit 1 is reserved-one; IF off */
	regs.rip = entry->rip;
	if (lm) {
		regs.rsi = entry->boot_info;
		regs.rsp = LAYOUT_BOOT_STACK;
	} else {
		regs.rbx = entry->boot_info;
	}
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}
