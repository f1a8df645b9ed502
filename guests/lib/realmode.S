/* SPDX-License-Identifier: MIT */
/*
 * Real-mode entry of the bzImage setup sectors. A boot loader that uses
 * the 16-bit boot protocol jumps to setup offset 0x200 (the "jump" field),
 * which mkbzimage points here. The test guests support only the 32-bit and
 * 64-bit entries, so this prints why on COM1 and halts. Position
 * independent (mkbzimage copies it into the setup area); real mode; DS is
 * set from CS, which addresses the setup area this code sits in.
 */
	.code16
	.text
	.globl realmode_entry
realmode_entry:
	cli
	movw %cs, %ax
	movw %ax, %ds
	call 1f
1:	popw %si
	addw $(msg - 1b), %si
2:	lodsb
	testb %al, %al
	jz 4f
	movb %al, %bl
	movw $0x3fd, %dx	/* COM1 line status register */
3:	inb %dx, %al
	testb $0x20, %al	/* THRE */
	jz 3b
	movb %bl, %al
	movw $0x3f8, %dx	/* COM1 transmit holding register */
	outb %al, %dx
	jmp 2b
4:	hlt
	jmp 4b
msg:
	.ascii "vmm test guest: the real-mode entry is not supported; "
	.asciz "boot through the 32- or 64-bit entry\r\n"

	.section .note.GNU-stack, "", @progbits
