/* SPDX-License-Identifier: MIT */
/*
 * Shared pieces of the kernel loaders: the failure text, the command line
 * at LAYOUT_CMDLINE and the initrd at the top of the allowed window.
 */
#include "loader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"

int boot_fail(struct boot_entry *entry, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(entry->err, sizeof(entry->err), fmt, ap);
	va_end(ap);
	return err;
}

int boot_check_cmdline(const char *cmdline, size_t max_len,
		       struct boot_entry *entry)
{
	size_t len = strlen(cmdline);

	/* Our buffer also holds the NUL. */
	max_len = MIN(max_len, (size_t)LAYOUT_CMDLINE_MAX - 1);
	if (len > max_len)
		return boot_fail(entry, -EINVAL,
				 "command line of %zu bytes is longer than the "
				 "kernel's limit of %zu",
				 len, max_len);
	return 0;
}

int boot_write_cmdline(struct mem *mem, const char *cmdline)
{
	size_t len = strlen(cmdline) + 1;
	void *dst = gpa_ptr(mem, LAYOUT_CMDLINE, len);

	if (!dst || len > LAYOUT_CMDLINE_MAX)
		return -EFAULT;
	memcpy(dst, cmdline, len);
	return 0;
}

int boot_place_initrd(const struct mem *mem, const struct boot_config *cfg,
		      uint64_t lo, uint64_t hi, struct boot_entry *entry)
{
	uint64_t size = cfg->initrd_len, start;

	entry->initrd_start = 0;
	if (!cfg->initrd || !size)
		return 0;
	lo = ALIGN_UP(lo, 4 * KiB);
	hi = MIN(hi, mem_low_end(mem));
	if (hi < lo || hi - lo < size)
		return boot_fail(
		    entry, -ENOSPC,
		    "initrd (%llu KiB) does not fit: %llu KiB free between the "
		    "kernel end 0x%llx and 0x%llx",
		    (unsigned long long)(size + KiB - 1) / KiB,
		    (unsigned long long)(hi > lo ? hi - lo : 0) / KiB,
		    (unsigned long long)lo, (unsigned long long)hi);
	start = ALIGN_DOWN(hi - size, 4 * KiB);
	/* lo is page aligned, so rounding down cannot go below it. */
	if (start < lo || !gpa_ptr(mem, start, size))
		return boot_fail(entry, -ENOSPC, "initrd does not fit in RAM");
	entry->initrd_start = start;
	return 0;
}

int boot_write_initrd(struct mem *mem, const struct boot_config *cfg,
		      const struct boot_entry *entry)
{
	void *dst;

	if (!entry->initrd_start)
		return 0;
	dst = gpa_ptr(mem, entry->initrd_start, cfg->initrd_len);
	if (!dst)
		return -EFAULT;
	memcpy(dst, cfg->initrd, cfg->initrd_len);
	return 0;
}
