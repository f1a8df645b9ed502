/* SPDX-License-Identifier: MIT */
/*
 * PVH boot of an ELF vmlinux: the entry point comes from the Xen ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY, the kernel starts in 32-bit protected mode
 * with paging off and EBX pointing at a struct hvm_start_info that gives
 * the command line, the initrd (as module 0), the memory map and the RSDP.
 */
#ifndef BOOT_PVH_H
#define BOOT_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"
#include "elfload.h"

/*
 * The PVH start-of-day ABI. Debian's UAPI headers do not carry it, so it
 * is written out here from Xen's xen/include/public/arch-x86/hvm/
 * start_info.h (also in Linux as include/xen/interface/hvm/start_info.h)
 * and xen/include/public/elfnote.h. Field names follow Xen's.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY     18
#define XEN_HVM_START_MAGIC_VALUE    0x336ec578 /* "xEn3" with 0x80 on 'E' */
#define XEN_HVM_MEMMAP_TYPE_RAM	     1
#define XEN_HVM_MEMMAP_TYPE_RESERVED 2

struct hvm_start_info {
	uint32_t magic;
	uint32_t version; /* 1: memmap fields present */
	uint32_t flags;	  /* SIF_xxx */
	uint32_t nr_modules;
	uint64_t modlist_paddr; /* array of struct hvm_modlist_entry */
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* array of struct hvm_memmap_table_entry */
	uint32_t memmap_entries;
	uint32_t reserved; /* must be zero */
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
	uint32_t type;	   /* XEN_HVM_MEMMAP_TYPE_* */
	uint32_t reserved; /* must be zero */
};

/* A vmlinux accepted for PVH boot; points into the caller's buffer. */
struct pvh_kernel {
	struct elf_image elf;
	uint32_t entry; /* 32-bit physical entry point */
};

/*
 * Validate the ELF file @buf (@len bytes), find its PVH entry note and
 * check that every loadable segment fits in low RAM above 1 MiB (and below
 * 4 GiB). Fills @pk and @entry (protocol, rip, boot_info, kernel range).
 * Writes nothing. Returns 0 or -ENOEXEC / -ENOSPC with the reason in
 * @entry->err ("ELF kernel has no PVH entry note ..." for a plain ELF).
 */
int pvh_parse(const struct mem *mem, const uint8_t *buf, size_t len,
	      struct pvh_kernel *pk, struct boot_entry *entry);

/* Load the segments of a parsed kernel. Returns 0 or -EFAULT. */
int pvh_write_kernel(struct mem *mem, const struct pvh_kernel *pk);

/*
 * Write hvm_start_info, its memory map and (with an initrd placed in
 * @entry) the module list at the LAYOUT_PVH_* addresses; the command line
 * is expected at LAYOUT_CMDLINE. Returns 0, -EFAULT or e820_build()'s
 * error.
 */
int pvh_start_info_build(struct mem *mem, const struct boot_config *cfg,
			 const struct boot_entry *entry);

#endif /* BOOT_PVH_H */
