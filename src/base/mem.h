/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: up to MEM_MAX_REGIONS regions (on x86: below the 32-bit MMIO
 * hole and above 4 GiB; where they lie is the architecture's choice,
 * arch_mem_layout()), each one anonymous mapping registered as a KVM
 * memslot by vm.c.
 * gpa_ptr() is the single place where a guest-physical address becomes a
 * host pointer: every guest-controlled address goes through it.
 */
#ifndef VMM_MEM_H
#define VMM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define MEM_MAX_REGIONS 2

struct mem_region {
	gpa_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct mem {
	struct mem_region regions[MEM_MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t ram_size; /* total bytes of RAM, all regions */
};

/*
 * Map the regions @mem describes (laid out by arch_mem_layout(), host =
 * NULL), MAP_NORESERVE so untouched pages cost nothing. Returns 0 or
 * -errno; on error nothing stays mapped.
 */
int mem_map(struct mem *mem);

/* Unmap everything. Safe on a zeroed or half-built struct mem. */
void mem_destroy(struct mem *mem);

/*
 * Host pointer for [gpa, gpa + len) if the whole range lies inside one RAM
 * region, else NULL. Overflow-safe; callable from any thread.
 */
void *gpa_ptr(const struct mem *mem, gpa_t gpa, uint64_t len);

/* End of the RAM region that starts at 0 (i.e. top of low memory). */
gpa_t mem_low_end(const struct mem *mem);

#endif /* VMM_MEM_H */
