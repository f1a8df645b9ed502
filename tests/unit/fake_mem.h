/* SPDX-License-Identifier: MIT */
/*
 * Fake guest RAM for unit tests: the regions of arch_mem_layout() backed by one
 * calloc'd buffer instead of KVM-registered mappings, so loaders and table
 * builders can be tested without /dev/kvm. Keep sizes small (tens of MiB):
 * the whole RAM is allocated.
 */
#ifndef TESTS_UNIT_FAKE_MEM_H
#define TESTS_UNIT_FAKE_MEM_H

#include <stdint.h>

#include "base/mem.h"

/*
 * Lay out @ram_size bytes as arch_mem_layout() does and back every region with
 * zeroed host memory. Returns 0 or -ENOMEM. Free with fake_mem_destroy().
 */
int fake_mem_create(struct mem *mem, uint64_t ram_size);

/* Free the backing buffer. Safe on a zeroed struct mem. */
void fake_mem_destroy(struct mem *mem);

#endif /* TESTS_UNIT_FAKE_MEM_H */
