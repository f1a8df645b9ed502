/* SPDX-License-Identifier: MIT */
/*
 * Interrupt entry for the test guests: 256 stubs of 16 bytes each (the IDT
 * points vector v at trap_stubs + 16 * v), one common path that saves the
 * general registers as a struct trap_frame (lib/cpu.h) and calls
 * trap_dispatch(), and user_call(), which enters CPL 3 with IRETQ and comes
 * back through the #UD of a UD2 at user_return_ud2.
 */
#include "cpu.h"

	.text
	.balign 16
	.globl trap_stubs
trap_stubs:
	vector = 0
	.rept 256
	.balign 16
	/* Exceptions that push an error code (SDM vol. 3, table 6-1). */
	errcode = vector == 8 || (vector >= 10 && vector <= 14)
	errcode = errcode || vector == 17 || vector == 21
	errcode = errcode || vector == 29 || vector == 30
	.if !errcode
	pushq $0
	.endif
	pushq $vector
	jmp trap_common
	vector = vector + 1
	.endr

	.macro PUSH_REGS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	.endm

	.macro POP_REGS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	.endm

trap_common:
	PUSH_REGS
	cld
	/* 7 + 15 quadwords below a 16-byte aligned frame: RSP is aligned. */
	movq %rsp, %rdi
	call trap_dispatch
	POP_REGS
	addq $16, %rsp		/* vector, error code */
	iretq

/*
 * long user_call(long (*fn)(long), long arg): see lib/cpu.h. The kernel
 * RSP with the callee-saved registers on it is kept in user_call_rsp
 * until user_call_return() resumes there.
 */
	.globl user_call
user_call:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, user_call_rsp(%rip)
	/* IRETQ frame: SS, RSP, RFLAGS, CS, RIP. RDI, RSI pass through. */
	pushq $SEL_USER_DS
	leaq user_stack_top(%rip), %rax
	pushq %rax
	pushq $USER_RFLAGS
	pushq $SEL_USER_CS
	leaq user_entry(%rip), %rax
	pushq %rax
	iretq

	/* CPL 3 from here: call fn(arg), hand its result back in RDI. */
user_entry:
	movq %rdi, %rax
	movq %rsi, %rdi
	call *%rax
	movq %rax, %rdi
	.globl user_return_ud2
user_return_ud2:
	ud2			/* #UD: the handler calls user_call_return() */

/*
 * void user_call_return(long value): called by the #UD handler on the
 * interrupt stack (TSS RSP0); resumes the pending user_call().
 * The CPL-3 round trip left null data selectors behind: reload them.
 */
	.globl user_call_return
user_call_return:
	movq %rdi, %rax
	movl $SEL_KERNEL_DS, %ecx
	movl %ecx, %ds
	movl %ecx, %es
	movl %ecx, %ss
	movq user_call_rsp(%rip), %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.bss
	.balign 8
user_call_rsp:
	.quad 0
	.balign 16
user_stack:
	.skip 16384
user_stack_top:

	.section .note.GNU-stack, "", @progbits
