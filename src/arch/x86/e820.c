/* SPDX-License-Identifier: MIT */
/*
 * The guest memory map in e820 form, derived from the RAM regions of
 * struct mem and the fixed areas of arch/x86/layout.h. The zero page takes it
 * as is; the PVH start_info converts it to hvm_memmap_table_entry. The
 * MMIO hole is left out entirely: the kernel sees a gap there and places
 * its PCI/MMIO resources in it.
 */
#include "e820.h"

#include <errno.h>

#include "layout.h"

struct e820_builder {
	struct e820_entry *out;
	size_t max;
	size_t n;
	int err;
};

static void e820_add(struct e820_builder *b, uint64_t start, uint64_t end,
		     uint32_t type)
{
	if (end <= start || b->err)
		return;
	if (b->n == b->max) {
		b->err = -ENOSPC;
		return;
	}
	b->out[b->n++] = (struct e820_entry){
	    .addr = start,
	    .size = end - start,
	    .type = type,
	};
}

int e820_build(const struct mem *mem, struct e820_entry *out, size_t max)
{
	struct e820_builder b = {.out = out, .max = max};
	uint64_t low_end = mem_low_end(mem);

	/* Base memory up to the EBDA, where the MP table lives. */
	e820_add(&b, 0, MIN(low_end, (uint64_t)LAYOUT_EBDA_START),
		 E820_TYPE_RAM);
	/*
	 * EBDA, legacy video and BIOS area: reserved, as on a PC. The MP table
	 * and the ACPI tables are in here, so the kernel keeps them intact.
	 */
	e820_add(&b, LAYOUT_EBDA_START, LAYOUT_HIGH_MEMORY, E820_TYPE_RESERVED);
	/* Extended memory up to the MMIO hole (or the end of RAM). */
	e820_add(&b, LAYOUT_HIGH_MEMORY, low_end, E820_TYPE_RAM);
	/* Whatever did not fit below the hole continues at 4 GiB. */
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct mem_region *r = &mem->regions[i];

		if (r->gpa >= LAYOUT_HIGH_RAM_START)
			e820_add(&b, r->gpa, r->gpa + r->size, E820_TYPE_RAM);
	}
	return b.err ? b.err : (int)b.n;
}
