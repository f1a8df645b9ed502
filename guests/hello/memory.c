/* SPDX-License-Identifier: MIT */
/*
 * Checks of the boot information itself, the memory map and the initrd.
 * The expected memory map follows vmm's layout (base/mem.h, arch/x86/e820.h,
 * arch/x86/layout.h): RAM [0, LAYOUT_EBDA_START), [1 MiB, min(mem, 3 GiB))
 * and, for mem above 3 GiB, [4 GiB, 4 GiB + mem - 3 GiB).
 */
#include "hello.h"

#include "arch/x86/layout.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/image.h"
#include "lib/print.h"

#define MIB	       (1024ULL * 1024)
#define MIN(a, b)      ((a) < (b) ? (a) : (b))
#define BOOT_FLAG      0xaa55
#define HDR_MAGIC      0x53726448 /* "HdrS" */
#define IMAGE_PROTOCOL 0x020f	  /* what guests/tools/mkbzimage writes */

#define FNV1A_OFFSET 0x811c9dc5u
#define FNV1A_PRIME  0x01000193u

int check_bootinfo(const struct boot_info *bi)
{
	const struct setup_header *hdr;

	if (!bi->zero_page) {
		printk("OK: bootinfo: hvm_start_info version %u, %u module(s), "
		       "%u memmap entries\n",
		       bi->start_info->version, bi->start_info->nr_modules,
		       bi->start_info->memmap_entries);
		return 0;
	}
	/* boot.rst: the loader copies the setup header into the zero page. */
	hdr = &bi->zero_page->hdr;
	if (hdr->boot_flag != BOOT_FLAG || hdr->header != HDR_MAGIC ||
	    hdr->version != IMAGE_PROTOCOL) {
		printk("FAIL: bootinfo: zero page setup header not copied "
		       "(boot_flag 0x%x header 0x%x version 0x%x)\n",
		       hdr->boot_flag, hdr->header, hdr->version);
		return GUEST_EXIT_BOOTINFO;
	}
	if (!hdr->type_of_loader) {
		printk("FAIL: bootinfo: type_of_loader not set (boot.rst: "
		       "obligatory)\n");
		return GUEST_EXIT_BOOTINFO;
	}
	printk("OK: bootinfo: setup header 0x%x, type_of_loader 0x%x, "
	       "%u e820 entries\n",
	       hdr->version, hdr->type_of_loader, bi->zero_page->e820_entries);
	return 0;
}

static const char *type_name(uint32_t type)
{
	switch (type) {
	case 1: return "RAM";
	case 2: return "reserved";
	case 3: return "ACPI";
	case 4: return "NVS";
	default: return "other";
	}
}

static int overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/* RAM must stay out of [EBDA, 1 MiB) and [3 GiB, 4 GiB). */
static int in_hole(uint64_t addr, uint64_t end)
{
	return overlaps(addr, end, LAYOUT_EBDA_START, LAYOUT_HIGH_MEMORY) ||
	       overlaps(addr, end, LAYOUT_MMIO_HOLE_START,
			LAYOUT_MMIO_HOLE_END);
}

int check_memmap(const struct boot_info *bi, const struct hello_expect *ex)
{
	uint64_t mem = ex->mem_mb * MIB;
	uint64_t low = MIN(mem, LAYOUT_MMIO_HOLE_START);
	uint64_t expect, expect_top, sum = 0, top = 0;
	int rc = 0;

	if (mem <= LAYOUT_HIGH_MEMORY) {
		printk("FAIL: memmap: mem_mb=%lu is below 1 MiB\n", ex->mem_mb);
		return GUEST_EXIT_CMDLINE;
	}
	expect = LAYOUT_EBDA_START + (low - LAYOUT_HIGH_MEMORY);
	expect_top = low;
	if (mem > low) {
		expect += mem - low;
		expect_top = LAYOUT_HIGH_RAM_START + (mem - low);
	}
	for (unsigned int i = 0; i < bi->memmap_count; i++) {
		const struct memmap_entry *e = &bi->memmap[i];
		uint64_t end = e->addr + e->size;

		printk("memmap: [0x%010lx-0x%010lx) %s\n", e->addr, end,
		       type_name(e->type));
		if (e->type != MEMMAP_TYPE_RAM)
			continue;
		if (end < e->addr) {
			printk("FAIL: memmap: entry %u wraps around\n", i);
			return GUEST_EXIT_MEMMAP;
		}
		sum += e->size;
		top = end > top ? end : top;
		if (in_hole(e->addr, end)) {
			printk("FAIL: memmap: RAM entry %u covers the EBDA, "
			       "the BIOS area or the MMIO hole\n",
			       i);
			rc = GUEST_EXIT_MEMMAP;
		}
		for (unsigned int j = 0; j < i; j++) {
			const struct memmap_entry *f = &bi->memmap[j];

			if (f->type != MEMMAP_TYPE_RAM)
				continue;
			if (overlaps(e->addr, end, f->addr,
				     f->addr + f->size)) {
				printk("FAIL: memmap: RAM entries %u and %u "
				       "overlap\n",
				       j, i);
				rc = GUEST_EXIT_MEMMAP;
			}
		}
	}
	if (sum != expect || top != expect_top) {
		printk("FAIL: memmap: RAM 0x%lx bytes ending at 0x%lx, "
		       "expected 0x%lx ending at 0x%lx for mem_mb=%lu\n",
		       sum, top, expect, expect_top, ex->mem_mb);
		return GUEST_EXIT_MEMMAP;
	}
	if (!rc)
		printk("OK: memmap: %u entries, RAM 0x%lx bytes (mem_mb=%lu)\n",
		       bi->memmap_count, sum, ex->mem_mb);
	return rc;
}

struct fnv_args {
	uint64_t addr;
	uint64_t size;
};

static long fnv1a_user(long arg)
{
	const struct fnv_args *a = (const struct fnv_args *)arg;
	const uint8_t *p = (const uint8_t *)(uintptr_t)a->addr;
	uint32_t h = FNV1A_OFFSET;

	for (uint64_t i = 0; i < a->size; i++) {
		h ^= p[i];
		h *= FNV1A_PRIME;
	}
	return h;
}

uint32_t hello_fnv1a(uint64_t addr, uint64_t size)
{
	struct fnv_args a = {.addr = addr, .size = size};

	return (uint32_t)user_call(fnv1a_user, (long)&a);
}

int check_initrd(const struct boot_info *bi, const struct hello_expect *ex)
{
	uint64_t addr = bi->initrd_addr, size = bi->initrd_size;
	uint64_t end = addr + size;
	uint32_t sum;

	if (!ex->has_initrd) {
		if (size) {
			printk("FAIL: initrd: none expected, got 0x%lx "
			       "bytes at 0x%lx\n",
			       size, addr);
			return GUEST_EXIT_INITRD;
		}
		printk("OK: initrd: none\n");
		return 0;
	}
	if (size != ex->initrd_size || !addr) {
		printk("FAIL: initrd: got %lu bytes at 0x%lx, expected %lu "
		       "bytes\n",
		       size, addr, ex->initrd_size);
		return GUEST_EXIT_INITRD;
	}
	if (!boot_memmap_is_ram(bi, addr, size)) {
		printk("FAIL: initrd: [0x%lx-0x%lx) is not inside one RAM "
		       "entry\n",
		       addr, end);
		return GUEST_EXIT_INITRD;
	}
	if (overlaps(addr, end, bi->image_start, bi->image_end)) {
		printk("FAIL: initrd: [0x%lx-0x%lx) overlaps the image "
		       "[0x%lx-0x%lx)\n",
		       addr, end, bi->image_start, bi->image_end);
		return GUEST_EXIT_INITRD;
	}
	if (bi->zero_page && end - 1 > bi->zero_page->hdr.initrd_addr_max) {
		printk("FAIL: initrd: ends at 0x%lx, above initrd_addr_max "
		       "0x%x\n",
		       end, bi->zero_page->hdr.initrd_addr_max);
		return GUEST_EXIT_INITRD;
	}
	sum = hello_fnv1a(addr, size);
	if (sum != ex->initrd_sum) {
		printk("FAIL: initrd: FNV-1a of %lu bytes at 0x%lx is %08x, "
		       "expected %08x\n",
		       size, addr, sum, ex->initrd_sum);
		return GUEST_EXIT_INITRD;
	}
	printk("OK: initrd: %lu bytes at 0x%lx, fnv1a %08x\n", size, addr, sum);
	return 0;
}
