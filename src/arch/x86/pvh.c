/* SPDX-License-Identifier: MIT */
/*
 * PVH entry for ELF vmlinux images: the Xen PVH ABI as Linux implements it
 * (arch/x86/platform/pvh/head.S and enlighten.c). Finds the 32-bit entry
 * in the "Xen" note of type XEN_ELFNOTE_PHYS32_ENTRY, loads the PT_LOAD
 * segments at their physical addresses through elfload.c and builds the
 * hvm_start_info that Linux turns into its boot_params.
 */
#define pr_fmt(fmt) "pvh: " fmt

#include "pvh.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "e820.h"
#include "layout.h"
#include "loader.h"

BUILD_BUG_ON(LAYOUT_PVH_START_INFO + sizeof(struct hvm_start_info) >
	     LAYOUT_PVH_MEMMAP);
BUILD_BUG_ON(LAYOUT_PVH_MEMMAP +
		 LAYOUT_PVH_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry) >
	     LAYOUT_PVH_MODLIST);
BUILD_BUG_ON(LAYOUT_PVH_MODLIST + sizeof(struct hvm_modlist_entry) >
	     LAYOUT_ZERO_PAGE);

/* The note's descriptor is a 32-bit address, possibly stored in 64 bits. */
static int pvh_read_entry(const uint8_t *desc, uint32_t len, uint32_t *out,
			  struct boot_entry *entry)
{
	uint64_t v = 0;

	if (len != 4 && len != 8)
		return boot_fail(entry, -ENOEXEC,
				 "PVH entry note has a %u-byte descriptor",
				 len);
	memcpy(&v, desc, len); /* little endian: low bytes first */
	if (v > UINT32_MAX)
		return boot_fail(entry, -ENOEXEC,
				 "PVH entry point 0x%llx is above 4 GiB",
				 (unsigned long long)v);
	*out = (uint32_t)v;
	return 0;
}

int pvh_parse(const struct mem *mem, const uint8_t *buf, size_t len,
	      struct pvh_kernel *pk, struct boot_entry *entry)
{
	const uint8_t *desc;
	uint32_t desc_len;
	uint64_t start, end, max;
	int r;

	memset(pk, 0, sizeof(*pk));
	r = elf_open(&pk->elf, buf, len, entry);
	if (r)
		return r;
	r = elf_find_note(&pk->elf, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &desc,
			  &desc_len, entry);
	if (r == -ENOENT)
		return boot_fail(entry, -ENOEXEC,
				 "ELF kernel has no PVH entry note "
				 "(XEN_ELFNOTE_PHYS32_ENTRY)");
	if (r)
		return r;
	r = pvh_read_entry(desc, desc_len, &pk->entry, entry);
	if (r)
		return r;
	/* Paging is off at entry: everything must be below 4 GiB. */
	max = MIN(mem_low_end(mem), LAYOUT_MMIO_HOLE_END);
	r = elf_check_segments(&pk->elf, mem, LAYOUT_HIGH_MEMORY, max, &start,
			       &end, entry);
	if (r)
		return r;
	if (pk->entry < start || pk->entry >= end)
		return boot_fail(entry, -ENOEXEC,
				 "PVH entry point 0x%x is outside the kernel "
				 "image 0x%llx-0x%llx",
				 pk->entry, (unsigned long long)start,
				 (unsigned long long)end);
	entry->protocol = BOOT_PVH;
	entry->rip = pk->entry;
	entry->boot_info = LAYOUT_PVH_START_INFO;
	entry->kernel_start = start;
	entry->kernel_end = end;
	pr_debug("ELF%s kernel 0x%llx-0x%llx, PVH entry 0x%x",
		 pk->elf.is64 ? "64" : "32", (unsigned long long)start,
		 (unsigned long long)end, pk->entry);
	return 0;
}

int pvh_write_kernel(struct mem *mem, const struct pvh_kernel *pk)
{
	return elf_load_segments(&pk->elf, mem);
}

static int pvh_memmap(struct mem *mem, uint32_t *count)
{
	struct e820_entry map[LAYOUT_PVH_MEMMAP_MAX];
	struct hvm_memmap_table_entry *out;
	int n = e820_build(mem, map, ARRAY_SIZE(map));

	if (n < 0)
		return n;
	out = gpa_ptr(mem, LAYOUT_PVH_MEMMAP, (uint64_t)n * sizeof(*out));
	if (!out)
		return -EFAULT;
	for (int i = 0; i < n; i++) {
		/* e820 types 1/2 are XEN_HVM_MEMMAP_TYPE_RAM/_RESERVED. */
		out[i] = (struct hvm_memmap_table_entry){
		    .addr = map[i].addr,
		    .size = map[i].size,
		    .type = map[i].type,
		};
	}
	*count = (uint32_t)n;
	return 0;
}

int pvh_start_info_build(struct mem *mem, const struct boot_config *cfg,
			 const struct boot_entry *entry)
{
	struct hvm_start_info *si;
	struct hvm_modlist_entry *mod;
	uint32_t entries;
	int r;

	r = pvh_memmap(mem, &entries);
	if (r)
		return r;
	si = gpa_ptr(mem, LAYOUT_PVH_START_INFO, sizeof(*si));
	if (!si)
		return -EFAULT;
	*si = (struct hvm_start_info){
	    .magic = XEN_HVM_START_MAGIC_VALUE,
	    .version = 1,
	    .cmdline_paddr = LAYOUT_CMDLINE,
	    .rsdp_paddr = cfg->rsdp_addr,
	    .memmap_paddr = LAYOUT_PVH_MEMMAP,
	    .memmap_entries = entries,
	};
	if (!entry->initrd_start)
		return 0;
	/* Linux takes module 0 as the initrd (enlighten.c). */
	mod = gpa_ptr(mem, LAYOUT_PVH_MODLIST, sizeof(*mod));
	if (!mod)
		return -EFAULT;
	*mod = (struct hvm_modlist_entry){
	    .paddr = entry->initrd_start,
	    .size = cfg->initrd_len,
	};
	si->nr_modules = 1;
	si->modlist_paddr = LAYOUT_PVH_MODLIST;
	return 0;
}
