/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM layout around the MMIO hole and gpa_ptr() bounds.
 */
#include <stdlib.h>

#include "check.h"
#include "arch/x86/layout.h"
#include "base/mem.h"
#include "arch/arch.h"

static void test_layout(void)
{
	struct mem m;

	arch_mem_layout(&m, 64ULL << 20);
	CHECK_EQ(m.nr_regions, 1);
	CHECK_EQ(m.regions[0].size, 64ULL << 20);
	arch_mem_layout(&m, 3584ULL << 20);
	CHECK_EQ(m.nr_regions, 2);
	CHECK_EQ(m.regions[0].size, LAYOUT_MMIO_HOLE_START);
	CHECK_EQ(m.regions[1].gpa, LAYOUT_HIGH_RAM_START);
	CHECK_EQ(m.regions[1].size, 512ULL << 20);
	arch_mem_layout(&m, 3ULL << 30);
	CHECK_EQ(m.nr_regions, 1);
	CHECK_EQ(mem_low_end(&m), 3ULL << 30);
}

static void test_gpa_ptr(void)
{
	struct mem m;
	uint8_t *low = calloc(1, 1 << 20), *high = calloc(1, 1 << 20);

	arch_mem_layout(&m, 2ULL << 20);
	m.regions[0].size = 1 << 20;
	m.regions[0].host = low;
	m.regions[1] = (struct mem_region){
	    .gpa = 1ULL << 32, .size = 1 << 20, .host = high};
	m.nr_regions = 2;
	CHECK(gpa_ptr(&m, 0, 1) == low);
	CHECK(gpa_ptr(&m, (1 << 20) - 4, 4) == low + (1 << 20) - 4);
	CHECK(gpa_ptr(&m, (1 << 20) - 4, 5) == NULL);
	CHECK(gpa_ptr(&m, 1 << 20, 1) == NULL);
	CHECK(gpa_ptr(&m, (1ULL << 32) + 16, 16) == high + 16);
	CHECK(gpa_ptr(&m, (1ULL << 32) - 1, 2) == NULL);
	CHECK(gpa_ptr(&m, UINT64_MAX, 2) == NULL);
	CHECK(gpa_ptr(&m, 16, UINT64_MAX) == NULL);
	CHECK(gpa_ptr(&m, 0, 0) == low);
	free(low);
	free(high);
}

int main(void)
{
	test_layout();
	test_gpa_ptr();
	return check_done("test_mem");
}
