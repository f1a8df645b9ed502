/* SPDX-License-Identifier: MIT */
/*
 * Linker script of every test guest (preprocessed with cpp). One ELF,
 * linked to run at IMAGE_LOAD_ADDR: it is the PVH image as is (its
 * PT_NOTE carries the Xen PHYS32_ENTRY note), and objcopy -O binary of it
 * is the protected-mode part of the bzImage (mkbzimage adds the setup
 * sectors). .head.text comes first so the entry offsets of lib/image.h
 * hold. .bss and the page tables take no file space; init_size covers them.
 */
#include "image.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(pvh_start32)

PHDRS
{
	image PT_LOAD FLAGS(7);
	note PT_NOTE FLAGS(4);
}

SECTIONS
{
	. = IMAGE_LOAD_ADDR;
	_text = .;
	.head.text : { KEEP(*(.head.text)) } :image
	.text : { *(.text .text.*) } :image
	.rodata : { *(.rodata .rodata.*) } :image
	.note.Xen : { KEEP(*(.note.Xen)) } :image :note
	.data : { *(.data .data.*) } :image
	_edata = .;
	.bss (NOLOAD) : ALIGN(16) {
		__bss_start = .;
		*(.bss .bss.* COMMON)
		. = ALIGN(16);
		__bss_end = .;
	} :image
	.pgtable (NOLOAD) : ALIGN(4096) { *(.pgtable) } :image
	_end = .;
	/DISCARD/ : {
		*(.comment) *(.eh_frame) *(.note.GNU-stack) *(.note.gnu.*)
	}
}
