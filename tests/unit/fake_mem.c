/* SPDX-License-Identifier: MIT */
/*
 * Fake guest RAM: one calloc'd buffer carved into the regions that
 * arch_mem_layout() describes. The first region's host pointer owns the buffer.
 */
#include "fake_mem.h"
#include "arch/arch.h"

#include <errno.h>
#include <stdlib.h>

int fake_mem_create(struct mem *mem, uint64_t ram_size)
{
	uint8_t *buf;
	uint64_t off = 0;

	arch_mem_layout(mem, ram_size);
	buf = calloc(1, ram_size ? ram_size : 1);
	if (!buf)
		return -ENOMEM;
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		mem->regions[i].host = buf + off;
		off += mem->regions[i].size;
	}
	return 0;
}

void fake_mem_destroy(struct mem *mem)
{
	if (mem->nr_regions)
		free(mem->regions[0].host);
	mem->nr_regions = 0;
}
