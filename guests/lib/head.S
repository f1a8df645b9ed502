/* SPDX-License-Identifier: MIT */
/*
 * Entry points of every test guest image, first in the image at 1 MiB:
 *
 *   +0x000 startup_32   32-bit Linux boot protocol (code32_start), ESI =
 *                       zero page, flat segments, paging off
 *   +0x100 kernel_info  16 bytes, filled by mkbzimage in the bzImage
 *   +0x200 startup_64   64-bit Linux boot protocol (XLF_KERNEL_64): long
 *                       mode, identity map, RSI = zero page
 *   pvh_start32         PVH (Xen ELF note PHYS32_ENTRY below): 32-bit
 *                       protected mode, paging off, EBX = hvm_start_info
 *
 * The 32-bit entries load the library's GDT, build an identity map of the
 * first 4 GiB with 2 MiB pages (U/S set at every level so CPL-3 code can
 * run), enable PAE and long mode, and join the 64-bit path. The 64-bit
 * path keeps the loader's page tables (boot.rst requires U/S in them on
 * our platform), clears .bss, sets the boot stack and calls
 * lib_start(kind, boot info pointer). No stack is used before that.
 * Documentation/arch/x86/boot.rst; Xen docs/misc/pvh.pandoc.
 */
#include "boot.h"
#include "cpu.h"
#include "image.h"

#define CR0_PE 0x00000001
#define CR0_PG 0x80000000
#define CR4_PAE 0x00000020
#define MSR_EFER 0xc0000080
#define EFER_LME 0x00000100
#define PTE_TABLE 0x007	/* present, writable, user */
#define PTE_2M 0x087	/* present, writable, user, 2 MiB page */
#define PAGE_SIZE 4096
#define PGTABLE_PAGES 6	/* PML4, PDPT, 4 page directories */

	.section .head.text, "ax"
	.code32
	.globl startup_32
startup_32:
	cli
	movl $BOOT_KIND_LINUX32, %ebp
	jmp enter_long_mode

	.org IMAGE_KERNEL_INFO_OFFSET
	.globl kernel_info
kernel_info:
	.fill IMAGE_KERNEL_INFO_SIZE, 1, 0

	.org IMAGE_ENTRY64_OFFSET
	.code64
	.globl startup_64
startup_64:
	cli
	movl $BOOT_KIND_LINUX64, %edi
	jmp start64

	.code32
	.globl pvh_start32
pvh_start32:
	cli
	movl %ebx, %esi
	movl $BOOT_KIND_PVH, %ebp

	/* EBP = kind, ESI = boot information; nothing else is live. */
enter_long_mode:
	lgdt gdt_desc			/* 32-bit form: low half of the base */
	movl $SEL_KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	ljmp $SEL_KERNEL_CS32, $1f
1:
	movl $pml4, %edi
	movl $(PGTABLE_PAGES * PAGE_SIZE / 4), %ecx
	xorl %eax, %eax
	rep stosl
	movl $(pdpt + PTE_TABLE), pml4
	/* PDPT entries 0..3 -> the four page directories. */
	movl $(pd + PTE_TABLE), %eax
	movl $pdpt, %edi
	movl $4, %ecx
2:	movl %eax, (%edi)
	addl $PAGE_SIZE, %eax
	addl $8, %edi
	decl %ecx
	jnz 2b
	/* 2048 PDEs of 2 MiB: 0 .. 4 GiB (the last is 0xffe00000). */
	movl $PTE_2M, %eax
	movl $pd, %edi
	movl $2048, %ecx
3:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	decl %ecx
	jnz 3b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0
	ljmp $SEL_KERNEL_CS, $long64

	.code64
long64:
	movl %ebp, %edi
	movl %esi, %esi		/* upper halves are undefined after the jump */

	/* RDI = kind, RSI = boot information. */
start64:
	movq %rdi, %r12
	movq %rsi, %r13
	leaq __bss_start(%rip), %rdi
	leaq __bss_end(%rip), %rcx
	subq %rdi, %rcx
	shrq $3, %rcx
	xorl %eax, %eax
	rep stosq
	leaq boot_stack_top(%rip), %rsp
	movq %r12, %rdi
	movq %r13, %rsi
	call lib_start
4:	hlt
	jmp 4b

/* Xen public/elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY (18), name "Xen". */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4			/* namesz, "Xen\0" */
	.long 4			/* descsz, a 32-bit physical address */
	.long 18		/* type */
	.asciz "Xen"
	.balign 4
	.long pvh_start32
	.balign 4

	.bss
	.balign 16
boot_stack:
	.skip 16384
boot_stack_top:

/* Outside .bss: start64 clears .bss while the PVH path runs on these. */
	.section .pgtable, "aw", @nobits
	.balign PAGE_SIZE
pml4:
	.skip PAGE_SIZE
pdpt:
	.skip PAGE_SIZE
pd:
	.skip 4 * PAGE_SIZE

	.section .note.GNU-stack, "", @progbits
