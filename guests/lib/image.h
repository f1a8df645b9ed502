/* SPDX-License-Identifier: MIT */
/*
 * Fixed facts about the test-guest image shared by head.S, the linker
 * script and the host tool mkbzimage: where the image is linked and loaded,
 * and the fixed offsets inside its protected-mode part that the x86 boot
 * protocol (Documentation/arch/x86/boot.rst) defines.
 * Usable from C, assembly and linker scripts (constants only).
 */
#ifndef GUESTS_LIB_IMAGE_H
#define GUESTS_LIB_IMAGE_H

/*
 * The image is not relocatable: it is linked to run at 1 MiB, which is
 * the bzImage pref_address/code32_start and the PVH ELF's load address.
 */
#define IMAGE_LOAD_ADDR 0x100000

/* startup_32, the 32-bit boot protocol entry, is the first byte. */
#define IMAGE_ENTRY32_OFFSET 0x0
/* boot.rst: the 64-bit entry is at code32_start + 0x200 (XLF_KERNEL_64). */
#define IMAGE_ENTRY64_OFFSET 0x200
/*
 * boot.rst "kernel_info": 16 bytes that mkbzimage fills in the bzImage
 * (header "LToP", size, size_total, setup_type_max); zero in the ELF.
 */
#define IMAGE_KERNEL_INFO_OFFSET 0x100
#define IMAGE_KERNEL_INFO_SIZE	 16

#endif /* GUESTS_LIB_IMAGE_H */
