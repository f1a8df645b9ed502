/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the kernel loaders (bzimage.c, elf.c, pvh.c,
 * bootparams.c and the recipe in load.c): failure reporting into
 * struct boot_entry, command-line and initrd placement. Internal to boot/.
 *
 * Every loader works in two phases: first everything is validated and
 * placed without touching guest memory, then it is written. A refused
 * kernel therefore leaves guest RAM as it was.
 */
#ifndef BOOT_LOADER_H
#define BOOT_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "boot.h"

/*
 * Format a one-line failure reason into @entry->err and return @err
 * (a negative errno), so callers can write "return boot_fail(...)".
 */
int boot_fail(struct boot_entry *entry, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Check that @cmdline has at most @max_len characters (the terminating
 * NUL not counted, as cmdline_size in Documentation/x86/boot.rst) and that
 * it fits LAYOUT_CMDLINE_MAX. Returns 0 or -EINVAL with the reason set.
 */
int boot_check_cmdline(const char *cmdline, size_t max_len,
		       struct boot_entry *entry);

/* Copy a checked command line with its NUL to LAYOUT_CMDLINE. 0 or -EFAULT. */
int boot_write_cmdline(struct mem *mem, const char *cmdline);

/*
 * Choose where the initrd of @cfg goes: the highest page-aligned address
 * whose whole image lies in [@lo, @hi). Sets @entry->initrd_start (0 when
 * @cfg has no initrd). Returns 0 or -ENOSPC with the sizes in the reason.
 * Writes nothing.
 */
int boot_place_initrd(const struct mem *mem, const struct boot_config *cfg,
		      uint64_t lo, uint64_t hi, struct boot_entry *entry);

/* Copy the initrd to @entry->initrd_start (if any). 0 or -EFAULT. */
int boot_write_initrd(struct mem *mem, const struct boot_config *cfg,
		      const struct boot_entry *entry);

#endif /* BOOT_LOADER_H */
