/* SPDX-License-Identifier: MIT */
/*
 * Loading a guest kernel into guest RAM: format detection, bzImage
 * (64-bit boot protocol) and ELF vmlinux through the PVH entry. The loader
 * places kernel, initrd and command line, builds the zero page or the
 * hvm_start_info with the memory map, and says where and how to enter.
 * Pure with respect to KVM: it only writes guest memory through struct mem.
 */
#ifndef BOOT_BOOT_H
#define BOOT_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"

enum boot_protocol {
	BOOT_LINUX64, /* bzImage 64-bit entry: long mode, RSI = zero page */
	BOOT_PVH,     /* PVH: 32-bit protected mode, EBX = hvm_start_info */
};

#define BOOT_ERR_LEN 160

/* How the BSP must be started. */
struct boot_entry {
	enum boot_protocol protocol;
	uint64_t rip;
	uint64_t boot_info; /* zero page (RSI) or start_info (EBX) gpa */
	/* Where the kernel went: [kernel_start, kernel_end) incl. init_size. */
	uint64_t kernel_start;
	uint64_t kernel_end;
	uint64_t initrd_start; /* 0 if no initrd */
	/* Text of the last failure; *err_msg of boot_load() may point here. */
	char err[BOOT_ERR_LEN];
};

/* What to load. The buffers belong to the caller and are only read. */
struct boot_config {
	const uint8_t *kernel;
	size_t kernel_len;
	const uint8_t *initrd; /* NULL: no initrd */
	size_t initrd_len;
	const char *cmdline; /* never NULL; may be "" */
	gpa_t rsdp_addr;     /* ACPI RSDP handed to the kernel, 0 = none */
};

/*
 * Detect the kernel format (ELF magic: PVH, "HdrS": bzImage) and load
 * kernel, initrd and command line into @mem, then write the zero page or
 * the hvm_start_info with its memory map. The ACPI tables are not built
 * here (acpi_build()); cfg->rsdp_addr is only passed on to the kernel.
 * Call once per VM, before the BSP's registers are set from @entry, from
 * the thread that owns @mem; @mem must be mapped (mem_create()).
 *
 * Returns 0, or -ENOEXEC (not a kernel we can boot, malformed file),
 * -EINVAL (command line too long), -ENOSPC (kernel or initrd does not fit
 * in RAM), -EFAULT (RAM does not cover the fixed boot areas of
 * arch/x86/layout.h). On failure *@err_msg is a one-line reason without a
 * trailing newline, e.g. "bzImage boot protocol 2.10 is older than 2.12",
 * "not a bzImage or ELF vmlinux"; it points to a static string or into
 * @entry->err, so it is valid while @entry is.
 */
int boot_load(struct mem *mem, const struct boot_config *cfg,
	      struct boot_entry *entry, const char **err_msg);

#endif /* BOOT_BOOT_H */
