/* SPDX-License-Identifier: MIT */
/*
 * x86 RAM layout: RAM from 0 up to the 32-bit MMIO hole (layout.h), the
 * rest above 4 GiB.
 */
#include "arch/arch.h"

#include <string.h>

#include "base/mem.h"
#include "layout.h"

void arch_mem_layout(struct mem *mem, uint64_t ram_size)
{
	uint64_t low = MIN(ram_size, (uint64_t)LAYOUT_MMIO_HOLE_START);

	memset(mem, 0, sizeof(*mem));
	mem->ram_size = ram_size;
	mem->regions[0] = (struct mem_region){.gpa = 0, .size = low};
	mem->nr_regions = 1;
	if (ram_size > low) {
		mem->regions[1] = (struct mem_region){
		    .gpa = LAYOUT_HIGH_RAM_START,
		    .size = ram_size - low,
		};
		mem->nr_regions = 2;
	}
}
