/* SPDX-License-Identifier: MIT */
/*
 * Zero page construction (Documentation/arch/x86/boot.rst, "64-bit Boot
 * Protocol", and zero-page.rst): start from an all-zero struct
 * boot_params, copy the setup header from the image, then fill in the
 * fields a boot loader owns. The e820 table comes from e820.c.
 */
#include "bootparams.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "e820.h"
#include "layout.h"

/* Our e820 entries are exactly the boot protocol's. */
BUILD_BUG_ON(sizeof(struct e820_entry) != sizeof(struct boot_e820_entry));
BUILD_BUG_ON(LAYOUT_ZERO_PAGE + sizeof(struct boot_params) > LAYOUT_BOOT_STACK);

/* "Undefined" boot loader id: we have no id of our own (boot.rst). */
#define BOOTPARAMS_LOADER_UNDEFINED 0xff
/* vid_mode: "normal" video mode, i.e. no mode switch asked for. */
#define BOOTPARAMS_VID_NORMAL 0xffff

static int bootparams_e820(const struct mem *mem, struct boot_params *bp)
{
	struct e820_entry map[E820_MAX_ENTRIES_ZEROPAGE];
	int n = e820_build(mem, map, ARRAY_SIZE(map));

	if (n < 0)
		return n;
	memcpy(bp->e820_table, map, (size_t)n * sizeof(map[0]));
	bp->e820_entries = (uint8_t)n;
	return 0;
}

int bootparams_build(struct mem *mem, const struct bzimage *bz,
		     const struct boot_config *cfg,
		     const struct boot_entry *entry)
{
	struct boot_params *bp = gpa_ptr(mem, LAYOUT_ZERO_PAGE, sizeof(*bp));
	struct setup_header *h;
	size_t n;

	if (!bp)
		return -EFAULT;
	memset(bp, 0, sizeof(*bp));
	/*
	 * Copy the header as the file has it, up to its end at 0x202 +
	 * byte 0x201, so fields newer than <asm/bootparam.h> survive too.
	 * bzimage_parse() made sure the file is that long.
	 */
	n = MIN(bz->hdr_end, offsetof(struct boot_params, edd_mbr_sig_buffer)) -
	    BZIMAGE_HDR_OFFSET;
	memcpy(&bp->hdr, bz->image + BZIMAGE_HDR_OFFSET, n);

	h = &bp->hdr;
	h->type_of_loader = BOOTPARAMS_LOADER_UNDEFINED;
	h->vid_mode = BOOTPARAMS_VID_NORMAL;
	/*
	 * CAN_USE_HEAP stays clear: heap_end_ptr describes the real-mode
	 * setup code's heap, and the 64-bit entry never runs that code.
	 */
	h->loadflags &= (uint8_t)~CAN_USE_HEAP;
	/* boot.rst: a relocating loader points code32_start at the kernel. */
	h->code32_start = (uint32_t)bz->load_addr;
	h->cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	bp->ext_cmd_line_ptr = (uint32_t)((uint64_t)LAYOUT_CMDLINE >> 32);
	if (entry->initrd_start) {
		h->ramdisk_image = (uint32_t)entry->initrd_start;
		h->ramdisk_size = (uint32_t)cfg->initrd_len;
		bp->ext_ramdisk_image = (uint32_t)(entry->initrd_start >> 32);
		bp->ext_ramdisk_size =
		    (uint32_t)((uint64_t)cfg->initrd_len >> 32);
	}
	bp->acpi_rsdp_addr = cfg->rsdp_addr;
	return bootparams_e820(mem, bp);
}
