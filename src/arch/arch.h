/* SPDX-License-Identifier: MIT */
/*
 * The architecture seam: what the VM recipe (vm/vm.c) asks of the machine
 * it builds. Today only x86 (src/arch/x86/) implements it; a port adds a
 * folder that the Makefile picks, not #ifdefs in the layers above.
 */
#ifndef VMM_ARCH_H
#define VMM_ARCH_H

#include <stdint.h>

struct mem;

/*
 * Describe where @ram_size bytes of RAM go in the guest-physical space
 * (host pointers NULL; base/mem.h mem_map() maps them). Pure: used by unit
 * tests and the e820/ACPI builders as well.
 */
void arch_mem_layout(struct mem *mem, uint64_t ram_size);

#endif /* VMM_ARCH_H */
