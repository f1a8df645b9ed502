/* SPDX-License-Identifier: MIT */
/*
 * The zero page (struct boot_params from <asm/bootparam.h>) of the 64-bit
 * boot protocol: the kernel's setup header copied from the image and
 * completed with what the loader decided (command line, initrd, e820 map,
 * ACPI RSDP), written at LAYOUT_ZERO_PAGE.
 */
#ifndef BOOT_BOOTPARAMS_H
#define BOOT_BOOTPARAMS_H

#include "boot.h"
#include "bzimage.h"

/*
 * Write the zero page for the parsed and placed @bz (bzimage_place() done),
 * the initrd chosen in @entry and the command line at LAYOUT_CMDLINE.
 * Returns 0, or -EFAULT if the zero page is not in RAM, or the error of
 * e820_build().
 */
int bootparams_build(struct mem *mem, const struct bzimage *bz,
		     const struct boot_config *cfg,
		     const struct boot_entry *entry);

#endif /* BOOT_BOOTPARAMS_H */
