/* SPDX-License-Identifier: MIT */
/*
 * The echo device's interrupt handler. The IDT entry is a 64-bit trap
 * gate to the DPL-3 code segment (main.c installs it), so an interrupt
 * that arrives at CPL 3 stays at CPL 3, on the current stack, and runs
 * natively on a PVM host instead of in KVM's emulator. It reads the TSC
 * first (the end of the timed window), acknowledges the virtio-mmio
 * interrupt and the LAPIC, counts, and returns with IRETQ (trapped and
 * emulated on PVM, ~3 us, after the timed window).
 */
	.text
	.globl db_irq_entry
db_irq_entry:
	pushq %rax
	pushq %rdx
	lfence
	rdtsc
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, db_irq_tsc(%rip)
	/* InterruptACK: VRING | CONFIG, so the transport raises the next. */
	movq db_irq_ack_addr(%rip), %rdx
	movl $3, (%rdx)
	/* LAPIC EOI (the IOAPIC pin is edge-triggered: nothing else). */
	movq db_irq_eoi_addr(%rip), %rdx
	movl $0, (%rdx)
	/* After the TSC store: a waiter that sees the count sees the TSC. */
	incq db_irq_count(%rip)
	popq %rdx
	popq %rax
	iretq

	.data
	.balign 8
	.globl db_irq_count, db_irq_tsc, db_irq_ack_addr, db_irq_eoi_addr
db_irq_count:
	.quad 0
db_irq_tsc:
	.quad 0
db_irq_ack_addr:
	.quad 0
db_irq_eoi_addr:
	.quad 0

	.section .note.GNU-stack, "", @progbits
