/* SPDX-License-Identifier: MIT */
/*
 * MP tables from mptable_build(), read back the way mpparse.c does: the
 * floating pointer found by scanning the last KiB of base memory, its
 * checksum, the configuration table's checksum and length, and every
 * entry: processors (BSP first), bus, IOAPIC, ISA interrupts, LINT0/1.
 */
#include "arch/x86/mptable.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "check.h"
#include "fake_mem.h"

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}

/* Scan 639 KiB..640 KiB in 16-byte steps, as smp_scan_config() does. */
static const uint8_t *find_floating(const struct mem *mem)
{
	const uint8_t *p = gpa_ptr(mem, 0x9fc00, 0x400);

	for (size_t off = 0; off < 0x400; off += 16)
		if (!memcmp(p + off, "_MP_", 4) && p[off + 8] == 1 &&
		    sum(p + off, 16) == 0)
			return p + off;
	return NULL;
}

static void check_entries(const uint8_t *e, unsigned int count,
			  unsigned int cpus)
{
	unsigned int n[5] = {0}, pins = 0;

	for (unsigned int i = 0; i < count; i++) {
		CHECK(e[0] <= 4);
		if (e[0] > 4)
			return;
		n[e[0]]++;
		if (e[0] == 0) {
			CHECK_EQ(e[1], n[0] - 1);	   /* APIC id */
			CHECK_EQ(e[3], n[0] == 1 ? 3 : 1); /* BSP | enabled */
			e += 20;
			continue;
		}
		if (e[0] == 1)
			CHECK(!memcmp(e + 2, "ISA   ", 6));
		if (e[0] == 2) {
			CHECK_EQ(e[1], cpus); /* IOAPIC id */
			CHECK_EQ(e[3], 1);    /* usable */
			CHECK_EQ(le32(e + 4), LAYOUT_IOAPIC_ADDR);
		}
		if (e[0] == 3) {
			CHECK_EQ(e[6], cpus);
			CHECK_EQ(e[7], e[5] == 0 ? 2 : e[5]);
			CHECK(e[5] != 2);
			pins |= 1u << e[7];
		}
		if (e[0] == 4) {
			CHECK_EQ(e[6], 0xff);		   /* every LAPIC */
			CHECK_EQ(e[7], e[1] == 3 ? 0 : 1); /* ExtINT, NMI */
		}
		e += 8;
	}
	CHECK_EQ(n[0], cpus);
	CHECK_EQ(n[1], 1);
	CHECK_EQ(n[2], 1);
	CHECK_EQ(n[3], 15);
	CHECK_EQ(n[4], 2);
	CHECK_EQ(pins, 0xfffe); /* pins 1..15, none twice */
}

static void test_cpus(unsigned int cpus)
{
	const uint8_t *mpf, *cfg;
	struct mem mem;
	uint32_t addr;
	uint16_t len;

	CHECK_EQ(fake_mem_create(&mem, 16 * MiB), 0);
	CHECK_EQ(mptable_build(&mem, cpus), 0);
	mpf = find_floating(&mem);
	CHECK(mpf != NULL);
	if (!mpf)
		goto out;
	CHECK_EQ(mpf[9], 4);  /* spec 1.4 */
	CHECK_EQ(mpf[11], 0); /* a configuration table follows */
	addr = le32(mpf + 4);
	CHECK_EQ(addr, LAYOUT_MPTABLE);
	cfg = gpa_ptr(&mem, addr, 44);
	CHECK(!memcmp(cfg, "PCMP", 4));
	len = le16(cfg + 4);
	CHECK_EQ(len, 44 + 20 * cpus + 8 + 8 + 17 * 8);
	CHECK(addr + len <= LAYOUT_MPTABLE_FLOATING);
	CHECK(addr >= LAYOUT_EBDA_START);
	CHECK_EQ(sum(cfg, len), 0);
	CHECK_EQ(cfg[6], 4);
	CHECK_EQ(le32(cfg + 36), LAYOUT_LAPIC_ADDR);
	CHECK_EQ(le16(cfg + 34), cpus + 2 + 15 + 2);
	check_entries(cfg + 44, le16(cfg + 34), cpus);
out:
	fake_mem_destroy(&mem);
}

int main(void)
{
	struct mem mem;

	test_cpus(1);
	test_cpus(2);
	test_cpus(64);
	test_cpus(254);

	CHECK_EQ(fake_mem_create(&mem, 16 * MiB), 0);
	CHECK_EQ(mptable_build(&mem, 0), -EINVAL);
	CHECK_EQ(mptable_build(&mem, 255), -ENOSPC);
	fake_mem_destroy(&mem);
	/* RAM that ends below the table. */
	CHECK_EQ(fake_mem_create(&mem, 512 * KiB), 0);
	CHECK_EQ(mptable_build(&mem, 1), -EFAULT);
	fake_mem_destroy(&mem);
	return check_done("test_mptable");
}
