/* SPDX-License-Identifier: MIT */
/*
 * Real-mode start-up code for the application processors. The BSP copies
 * ap_trampoline..ap_trampoline_end to a page below 1 MiB and sends
 * INIT/SIPI/SIPI with that page as the start vector; each AP then starts
 * here with CS = page >> 4, IP = 0, in real mode. It records its initial
 * APIC id (CPUID leaf 1, EBX[31:24]) in ap_seen[], increments ap_count
 * and halts for good.
 *
 * AP code is emulated instruction by instruction on PVM hosts, so it uses
 * only plain instructions KVM's emulator implements (mov, cpuid, shr,
 * lock inc, hlt, jmp) and no stack. The data lives inside the copied
 * page, addressed relative to CS.
 */
	.section .rodata, "a"
	.code16
	.globl ap_trampoline, ap_trampoline_end, ap_count, ap_seen
ap_trampoline:
	cli
	movw %cs, %ax
	movw %ax, %ds
	movl $1, %eax
	cpuid
	shrl $24, %ebx
	movb $1, ap_seen - ap_trampoline(%bx)
	/* After the ap_seen store: x86 stores are seen in order. */
	lock incw ap_count - ap_trampoline
1:	hlt
	jmp 1b

	.balign 4
ap_count:
	.word 0
	.balign 4
ap_seen:
	.fill 256, 1, 0
ap_trampoline_end:
	.code64

	.section .note.GNU-stack, "", @progbits
