/* SPDX-License-Identifier: MIT */
/*
 * The guest's physical memory map as e820 entries, derived from struct mem:
 * usable RAM, the reserved EBDA/BIOS area below 1 MiB, RAM above 1 MiB up
 * to the MMIO hole, and RAM above 4 GiB. Used for the zero page's
 * e820_table and (converted) for the PVH memmap.
 */
#ifndef BOOT_E820_H
#define BOOT_E820_H

#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"

#define E820_TYPE_RAM	   1
#define E820_TYPE_RESERVED 2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/*
 * Fill @out (capacity @max) with the map for @mem. Returns the number of
 * entries, or -ENOSPC if @max is too small.
 */
int e820_build(const struct mem *mem, struct e820_entry *out, size_t max);

#endif /* BOOT_E820_H */
