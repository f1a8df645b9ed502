/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM mappings and the checked gpa -> host pointer translation.
 */
#include "mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

int mem_map(struct mem *mem)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		struct mem_region *r = &mem->regions[i];
		void *p =
		    mmap(NULL, r->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (p == MAP_FAILED) {
			int err = -errno;

			mem_destroy(mem);
			return err;
		}
		/* Guest RAM never goes into a core dump of the VMM. */
		(void)madvise(p, r->size, MADV_DONTDUMP);
		r->host = p;
	}
	return 0;
}

void mem_destroy(struct mem *mem)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		if (mem->regions[i].host)
			munmap(mem->regions[i].host, mem->regions[i].size);
		mem->regions[i].host = NULL;
	}
	mem->nr_regions = 0;
}

void *gpa_ptr(const struct mem *mem, gpa_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct mem_region *r = &mem->regions[i];
		uint64_t end;

		if (gpa < r->gpa || !r->host)
			continue;
		if (__builtin_add_overflow(gpa, len, &end))
			return NULL;
		if (end > r->gpa + r->size)
			continue;
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

gpa_t mem_low_end(const struct mem *mem)
{
	return mem->regions[0].size;
}
