/* SPDX-License-Identifier: MIT */
/*
 * Normalising the loader's boot information (zero page or PVH start info)
 * into struct boot_info. Everything here is loader-written memory: each
 * address is checked against the 4 GiB identity map before it is used,
 * and each count against its array.
 */
#include "boot.h"

#include <stddef.h>

#include "io.h"

/* Linker script symbols: the loaded image. */
extern const char _text[], _end[];

#define IDENTITY_MAP_END 0x100000000ULL

/* True if [addr, addr + len) starts above 0 and is inside the identity map. */
static bool phys_ok(uint64_t addr, uint64_t len)
{
	uint64_t end;

	if (!addr || __builtin_add_overflow(addr, len, &end))
		return false;
	return end <= IDENTITY_MAP_END;
}

static uint64_t hi_lo(uint32_t hi, uint32_t lo)
{
	return (uint64_t)hi << 32 | lo;
}

static const char *parse_zero_page(struct boot_info *bi, uint64_t ptr)
{
	const struct boot_params *zp;
	unsigned int n;

	if (!phys_ok(ptr, sizeof(*zp)))
		return "zero page address outside the 4 GiB identity map";
	zp = phys_ptr(ptr);
	bi->zero_page = zp;
	/* boot.rst: the ext_ fields are the high halves (protocol 2.12+). */
	bi->cmdline_addr = hi_lo(zp->ext_cmd_line_ptr, zp->hdr.cmd_line_ptr);
	bi->initrd_addr = hi_lo(zp->ext_ramdisk_image, zp->hdr.ramdisk_image);
	bi->initrd_size = hi_lo(zp->ext_ramdisk_size, zp->hdr.ramdisk_size);
	bi->rsdp_addr = zp->acpi_rsdp_addr;
	n = zp->e820_entries;
	if (n > E820_MAX_ENTRIES_ZEROPAGE)
		return "zero page e820_entries exceeds the e820_table size";
	for (unsigned int i = 0; i < n; i++) {
		bi->memmap[i].addr = zp->e820_table[i].addr;
		bi->memmap[i].size = zp->e820_table[i].size;
		bi->memmap[i].type = zp->e820_table[i].type;
	}
	bi->memmap_count = n;
	return NULL;
}

static const char *parse_start_info(struct boot_info *bi, uint64_t ptr)
{
	const struct hvm_start_info *si;
	const struct hvm_memmap_table_entry *mm;

	if (!phys_ok(ptr, sizeof(*si)))
		return "hvm_start_info address outside the 4 GiB identity map";
	si = phys_ptr(ptr);
	bi->start_info = si;
	if (si->magic != HVM_START_MAGIC)
		return "hvm_start_info magic is not 0x336ec578";
	if (si->version < 1)
		return "hvm_start_info version 0 has no memory map";
	bi->cmdline_addr = si->cmdline_paddr;
	bi->rsdp_addr = si->rsdp_paddr;
	if (si->nr_modules) {
		const struct hvm_modlist_entry *mod;

		if (!phys_ok(si->modlist_paddr, sizeof(*mod)))
			return "hvm_start_info modlist outside the 4 GiB map";
		mod = phys_ptr(si->modlist_paddr);
		bi->initrd_addr = mod->paddr;
		bi->initrd_size = mod->size;
	}
	if (!si->memmap_entries)
		return "hvm_start_info memmap is empty";
	if (si->memmap_entries > MEMMAP_MAX)
		return "hvm_start_info memmap_entries is larger than 128";
	if (!phys_ok(si->memmap_paddr,
		     (uint64_t)si->memmap_entries * sizeof(*mm)))
		return "hvm_start_info memmap outside the identity map";
	mm = phys_ptr(si->memmap_paddr);
	for (unsigned int i = 0; i < si->memmap_entries; i++) {
		bi->memmap[i].addr = mm[i].addr;
		bi->memmap[i].size = mm[i].size;
		bi->memmap[i].type = mm[i].type;
	}
	bi->memmap_count = si->memmap_entries;
	return NULL;
}

const char *boot_info_parse(struct boot_info *bi, int kind, uint64_t ptr)
{
	const char *err;

	bi->kind = kind;
	bi->cmdline = "";
	bi->image_start = (uintptr_t)_text;
	bi->image_end = (uintptr_t)_end;
	switch (kind) {
	case BOOT_KIND_LINUX64:
	case BOOT_KIND_LINUX32: err = parse_zero_page(bi, ptr); break;
	case BOOT_KIND_PVH: err = parse_start_info(bi, ptr); break;
	default: return "unknown entry point";
	}
	if (err)
		return err;
	if (bi->cmdline_addr) {
		if (!phys_ok(bi->cmdline_addr, 1))
			return "command line outside the 4 GiB identity map";
		bi->cmdline = phys_ptr(bi->cmdline_addr);
	}
	if (bi->initrd_size && !phys_ok(bi->initrd_addr, bi->initrd_size))
		return "initrd outside the 4 GiB identity map";
	return NULL;
}

const char *boot_kind_name(int kind)
{
	switch (kind) {
	case BOOT_KIND_LINUX64: return "bzImage";
	case BOOT_KIND_LINUX32: return "bzImage-32";
	case BOOT_KIND_PVH: return "PVH";
	default: return "unknown";
	}
}

bool boot_memmap_is_ram(const struct boot_info *bi, uint64_t addr,
			uint64_t size)
{
	uint64_t end;

	if (__builtin_add_overflow(addr, size, &end))
		return false;
	for (unsigned int i = 0; i < bi->memmap_count; i++) {
		const struct memmap_entry *e = &bi->memmap[i];

		if (e->type == MEMMAP_TYPE_RAM && addr >= e->addr &&
		    end <= e->addr + e->size)
			return true;
	}
	return false;
}
