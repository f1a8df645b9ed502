/* SPDX-License-Identifier: MIT */
/*
 * What the loader handed the guest, in one shape for both ways in:
 * the 64-bit (or 32-bit) Linux boot protocol with a zero page
 * (struct boot_params, <asm/bootparam.h>), or PVH with a struct
 * hvm_start_info (Xen public/arch-x86/hvm/start_info.h, defined below as
 * the spec gives it; no system header carries it).
 *
 * The library fills a struct boot_info before guest_main() runs and rejects
 * unusable input (bad magic, pointers beyond the 4 GiB identity map);
 * guests that check the loader (guests/hello) also get the raw pointers.
 */
#ifndef GUESTS_LIB_BOOT_H
#define GUESTS_LIB_BOOT_H

/* How the image was entered (set by lib/head.S). */
#define BOOT_KIND_LINUX64 1 /* startup_64, RSI = zero page */
#define BOOT_KIND_LINUX32 2 /* startup_32, ESI = zero page */
#define BOOT_KIND_PVH	  3 /* PVH entry, EBX = hvm_start_info */

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

#include <asm/bootparam.h>

/* Xen public/arch-x86/hvm/start_info.h, version 1. */
#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	/* version >= 1 */
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* e820 types: 1 RAM, 2 reserved, ... */
	uint32_t reserved;
};

#define MEMMAP_TYPE_RAM 1
#define MEMMAP_MAX	128

struct memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct boot_info {
	int kind;			     /* BOOT_KIND_* */
	const struct boot_params *zero_page; /* Linux protocols, else NULL */
	const struct hvm_start_info *start_info; /* PVH, else NULL */
	const char *cmdline;			 /* never NULL; "" if none */
	uint64_t cmdline_addr;			 /* 0 if none */
	uint64_t initrd_addr;			 /* 0 and */
	uint64_t initrd_size;			 /* 0 if none */
	uint64_t rsdp_addr;			 /* from the loader; 0 = none */
	unsigned int memmap_count;
	struct memmap_entry memmap[MEMMAP_MAX];
	/* End of the image in memory (text, data, bss, page tables). */
	uint64_t image_start;
	uint64_t image_end;
};

/*
 * Fill @bi from the loader's @kind and @ptr. Returns NULL, or a static
 * string naming why the boot information cannot be used.
 */
const char *boot_info_parse(struct boot_info *bi, int kind, uint64_t ptr);

/* "bzImage" (64-bit entry), "bzImage-32" or "PVH". */
const char *boot_kind_name(int kind);

/* True if [addr, addr + size) lies inside one RAM entry of the map. */
bool boot_memmap_is_ram(const struct boot_info *bi, uint64_t addr,
			uint64_t size);

/*
 * The guest's entry point (each guest defines it), called once on the
 * bootstrap processor at CPL 0 with interrupts off, after the library set
 * up serial, GDT, IDT and @bi. Its return value is the debug-exit status.
 */
int guest_main(const struct boot_info *bi);

#endif /* __ASSEMBLER__ */
#endif /* GUESTS_LIB_BOOT_H */
