/* SPDX-License-Identifier: MIT */
/*
 * boot_load(): the kernel-loading recipe. It picks the format from the
 * first bytes of the file, then for either format validates and places
 * everything first (kernel, command line, initrd) and only then writes
 * guest RAM: kernel, command line, initrd, and the zero page (bzImage) or
 * hvm_start_info (PVH).
 */
#define pr_fmt(fmt) "boot: " fmt

#include "boot.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "bootparams.h"
#include "bzimage.h"
#include "layout.h"
#include "loader.h"
#include "pvh.h"

/* Failure while writing an already validated layout: our bug, not input. */
#define BOOT_WRITE_FAILED "writing the kernel to guest RAM failed"

static int load_bzimage(struct mem *mem, const struct boot_config *cfg,
			struct boot_entry *entry)
{
	struct bzimage bz;
	uint64_t initrd_top;
	int r;

	r = bzimage_parse(cfg->kernel, cfg->kernel_len, &bz, entry);
	if (r)
		return r;
	r = boot_check_cmdline(cfg->cmdline, bz.hdr.cmdline_size, entry);
	if (r)
		return r;
	r = bzimage_place(mem, &bz, entry);
	if (r)
		return r;
	/* initrd_addr_max is the highest byte the initrd may occupy. */
	initrd_top = (uint64_t)bz.hdr.initrd_addr_max + 1;
	r = boot_place_initrd(mem, cfg, entry->kernel_end, initrd_top, entry);
	if (r)
		return r;

	entry->boot_info = LAYOUT_ZERO_PAGE;
	if (bzimage_write(mem, &bz) || boot_write_cmdline(mem, cfg->cmdline) ||
	    boot_write_initrd(mem, cfg, entry))
		return boot_fail(entry, -EFAULT, BOOT_WRITE_FAILED);
	r = bootparams_build(mem, &bz, cfg, entry);
	if (r)
		return boot_fail(entry, r, "building the zero page failed: %s",
				 strerror(-r));
	return 0;
}

static int load_pvh(struct mem *mem, const struct boot_config *cfg,
		    struct boot_entry *entry)
{
	struct pvh_kernel pk;
	int r;

	r = pvh_parse(mem, cfg->kernel, cfg->kernel_len, &pk, entry);
	if (r)
		return r;
	r = boot_check_cmdline(cfg->cmdline, LAYOUT_CMDLINE_MAX - 1, entry);
	if (r)
		return r;
	/*
	 * The initrd address goes into 64-bit fields, but Linux copies it to
	 * the 32-bit ramdisk_image (enlighten.c): keep it below 4 GiB.
	 */
	r = boot_place_initrd(mem, cfg, entry->kernel_end, LAYOUT_MMIO_HOLE_END,
			      entry);
	if (r)
		return r;

	if (pvh_write_kernel(mem, &pk) ||
	    boot_write_cmdline(mem, cfg->cmdline) ||
	    boot_write_initrd(mem, cfg, entry))
		return boot_fail(entry, -EFAULT, BOOT_WRITE_FAILED);
	r = pvh_start_info_build(mem, cfg, entry);
	if (r)
		return boot_fail(entry, r,
				 "building the PVH start info failed: %s",
				 strerror(-r));
	return 0;
}

int boot_load(struct mem *mem, const struct boot_config *cfg,
	      struct boot_entry *entry, const char **err_msg)
{
	const uint8_t *k = cfg->kernel;
	size_t len = cfg->kernel_len;
	int r;

	memset(entry, 0, sizeof(*entry));
	*err_msg = entry->err;
	if (!cfg->cmdline) {
		*err_msg = "no command line given";
		return -EINVAL;
	}
	if (elf_is_elf(k, len)) {
		r = load_pvh(mem, cfg, entry);
	} else if (len >= BZIMAGE_MAGIC_OFFSET + 4 &&
		   !memcmp(k + BZIMAGE_MAGIC_OFFSET, "HdrS", 4)) {
		r = load_bzimage(mem, cfg, entry);
	} else {
		*err_msg = "not a bzImage or ELF vmlinux";
		return -ENOEXEC;
	}
	if (r)
		return r;
	pr_info("%s kernel at 0x%llx, entry 0x%llx, initrd at 0x%llx",
		entry->protocol == BOOT_PVH ? "PVH" : "bzImage",
		(unsigned long long)entry->kernel_start,
		(unsigned long long)entry->rip,
		(unsigned long long)entry->initrd_start);
	return 0;
}
