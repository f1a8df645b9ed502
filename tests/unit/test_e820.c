/* SPDX-License-Identifier: MIT */
/*
 * e820_build() for a few RAM sizes, entry by entry: base memory, the
 * reserved EBDA/BIOS area, RAM up to the hole and RAM above 4 GiB.
 */
#include "arch/x86/e820.h"

#include <errno.h>

#include "arch/x86/layout.h"
#include "arch/arch.h"
#include "check.h"

static void check_entry(const struct e820_entry *e, uint64_t addr,
			uint64_t size, uint32_t type)
{
	CHECK_EQ(e->addr, addr);
	CHECK_EQ(e->size, size);
	CHECK_EQ(e->type, type);
}

static int build(uint64_t ram, struct e820_entry *map, size_t max)
{
	struct mem mem;

	arch_mem_layout(&mem, ram);
	return e820_build(&mem, map, max);
}

static void check_low(const struct e820_entry *map, uint64_t low_end)
{
	check_entry(&map[0], 0, 0x9e000, E820_TYPE_RAM);
	check_entry(&map[1], 0x9e000, 0x100000 - 0x9e000, E820_TYPE_RESERVED);
	check_entry(&map[2], 0x100000, low_end - 0x100000, E820_TYPE_RAM);
}

int main(void)
{
	struct e820_entry map[8];

	/* The layout this test spells out by number. */
	CHECK_EQ(LAYOUT_EBDA_START, 0x9e000);

	CHECK_EQ(build(64 * MiB, map, 8), 3);
	check_low(map, 64 * MiB);

	CHECK_EQ(build(1 * GiB, map, 8), 3);
	check_low(map, 1 * GiB);

	/* 3.5 GiB: 3 GiB below the hole, 512 MiB from 4 GiB. */
	CHECK_EQ(build(3 * GiB + 512 * MiB, map, 8), 4);
	check_low(map, 3 * GiB);
	check_entry(&map[3], 4 * GiB, 512 * MiB, E820_TYPE_RAM);

	CHECK_EQ(build(5 * GiB, map, 8), 4);
	check_low(map, 3 * GiB);
	check_entry(&map[3], 4 * GiB, 2 * GiB, E820_TYPE_RAM);

	/* Exactly 3 GiB: nothing above the hole. */
	CHECK_EQ(build(3 * GiB, map, 8), 3);
	check_low(map, 3 * GiB);

	/* Too small an output array. */
	CHECK_EQ(build(5 * GiB, map, 3), -ENOSPC);
	CHECK_EQ(build(64 * MiB, map, 0), -ENOSPC);
	return check_done("test_e820");
}
