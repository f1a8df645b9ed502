/* SPDX-License-Identifier: MIT */
/*
 * bzImage parsing and placement for the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst): the setup header is read from the
 * file buffer with every offset checked against its length, the
 * protected-mode kernel is placed at pref_address or 1 MiB and copied to
 * guest RAM. The zero page itself is bootparams.c's job.
 */
#ifndef BOOT_BZIMAGE_H
#define BOOT_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "boot.h"

/* Offsets in the file (boot.rst, "The Real-Mode Kernel Header"). */
#define BZIMAGE_HDR_OFFSET     0x1f1	  /* struct setup_header */
#define BZIMAGE_MAGIC_OFFSET   0x202	  /* "HdrS" */
#define BZIMAGE_MAGIC	       0x53726448 /* "HdrS", little endian */
#define BZIMAGE_BOOT_FLAG      0xaa55
#define BZIMAGE_MIN_VERSION    0x020c /* 2.12: xloadflags */
#define BZIMAGE_ENTRY64_OFFSET 0x200  /* 64-bit entry past startup_32 */

/* A parsed bzImage; points into the caller's file buffer. */
struct bzimage {
	const uint8_t *image;
	size_t image_len;
	struct setup_header hdr; /* fields beyond the file's header: 0 */
	size_t hdr_end;		 /* file offset where the setup header ends */
	size_t setup_len;	 /* real-mode part: (setup_sects + 1) * 512 */
	uint64_t payload_len;	 /* protected-mode kernel: syssize * 16 */
	/* Set by bzimage_place(). */
	uint64_t load_addr; /* where the protected-mode kernel goes */
};

/*
 * Validate the setup header of the @len-byte file @buf and fill @bz: magic,
 * boot flag, protocol >= 2.12, XLF_KERNEL_64, setup_sects and syssize
 * within the file. Returns 0 or -ENOEXEC with the reason in @entry->err.
 * @buf must outlive @bz.
 */
int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage *bz,
		  struct boot_entry *entry);

/*
 * Choose the load address: pref_address for a relocatable kernel when it
 * fits, else LAYOUT_KERNEL_DEFAULT; check that the kernel's runtime area
 * (init_size bytes) fits below the end of low RAM. Sets bz->load_addr and
 * @entry's rip and kernel range. Writes nothing. Returns 0 or -ENOSPC /
 * -ENOEXEC with the reason set.
 */
int bzimage_place(const struct mem *mem, struct bzimage *bz,
		  struct boot_entry *entry);

/* Copy the protected-mode kernel to bz->load_addr. Returns 0 or -EFAULT. */
int bzimage_write(struct mem *mem, const struct bzimage *bz);

#endif /* BOOT_BZIMAGE_H */
