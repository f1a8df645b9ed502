/* SPDX-License-Identifier: MIT */
/*
 * Checks of the firmware tables a VMM builds for the CPUs and power
 * control: ACPI (RSDP -> XSDT -> MADT, FADT, DSDT) and the Intel
 * MultiProcessor Specification 1.4 tables (floating pointer, config
 * table with processor entries).
 */
#include "hello.h"

#include "lib/acpi.h"
#include "lib/apic.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define MAX_CPUS 256

/* MP spec 4.1 floating pointer structure. */
struct mp_floating {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;  /* config table */
	uint8_t length;	   /* in 16-byte units: 1 */
	uint8_t spec_rev;  /* 1 (1.1) or 4 (1.4) */
	uint8_t checksum;
	uint8_t feature[5]; /* feature[0] != 0: default config, no table */
} __attribute__((packed));

/* MP spec 4.2 configuration table header. */
struct mp_config {
	char signature[4]; /* "PCMP" */
	uint16_t length;   /* base table, header included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_address;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

/* MP spec 4.3.1 processor entry; the other base entry types are 8 bytes. */
struct mp_processor {
	uint8_t type; /* 0 */
	uint8_t apic_id;
	uint8_t apic_version;
	uint8_t flags; /* bit 0 enabled, bit 1 bootstrap processor */
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __attribute__((packed));

#define MP_PROCESSOR	 0
#define MP_LAST_TYPE	 4
#define MP_CPU_ENABLED	 1
#define MP_CPU_BSP	 2
#define BDA_EBDA_SEGMENT 0x40e

_Static_assert(sizeof(struct mp_floating) == 16, "MP floating layout");
_Static_assert(sizeof(struct mp_config) == 44, "MP config layout");
_Static_assert(sizeof(struct mp_processor) == 20, "MP processor layout");

static int ids_distinct(const uint32_t *ids, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < i; j++)
			if (ids[i] == ids[j])
				return 0;
	return 1;
}

/* Loader-given RSDP (if any) must be valid; the BIOS-area scan must work. */
static const struct acpi_rsdp *find_rsdp(const struct boot_info *bi)
{
	const struct acpi_rsdp *given = NULL, *scanned = NULL;
	uint64_t addr = acpi_rsdp_scan();
	const char *err = NULL;

	if (addr)
		scanned = acpi_rsdp_at(addr, &err);
	if (bi->rsdp_addr) {
		given = acpi_rsdp_at(bi->rsdp_addr, &err);
		if (!given) {
			printk("FAIL: acpi: loader's RSDP at 0x%lx: %s\n",
			       bi->rsdp_addr, err);
			return NULL;
		}
	} else {
		printk("acpi: the loader passed no RSDP address\n");
	}
	if (!scanned) {
		printk("FAIL: acpi: no RSDP in the EBDA or 0xe0000-0xfffff\n");
		return NULL;
	}
	return given ? given : scanned;
}

static int check_madt(const struct acpi_rsdp *rsdp,
		      const struct hello_expect *ex)
{
	static uint32_t ids[MAX_CPUS];
	const struct acpi_madt *madt;
	const char *err;
	int n, distinct;

	madt = (const struct acpi_madt *)acpi_find(rsdp, "APIC", &err);
	if (!madt) {
		printk("FAIL: acpi: MADT: %s\n", err);
		return GUEST_EXIT_ACPI;
	}
	n = acpi_madt_cpus(madt, ids, MAX_CPUS);
	if (n < 0 || madt->header.length < sizeof(*madt)) {
		printk("FAIL: acpi: MADT entries run past the table\n");
		return GUEST_EXIT_ACPI;
	}
	distinct = n <= MAX_CPUS && ids_distinct(ids, (unsigned int)n);
	if ((uint64_t)n != ex->cpus || !distinct) {
		printk("FAIL: acpi: MADT has %d enabled CPUs (distinct ids: "
		       "%s), expected %lu\n",
		       n, distinct ? "yes" : "no", ex->cpus);
		return GUEST_EXIT_ACPI;
	}
	if (madt->local_apic_address != APIC_MMIO_BASE) {
		printk("FAIL: acpi: MADT local APIC address 0x%x\n",
		       madt->local_apic_address);
		return GUEST_EXIT_ACPI;
	}
	return 0;
}

static int check_fadt(const struct acpi_rsdp *rsdp, int *s5)
{
	const struct acpi_fadt *fadt;
	const struct acpi_header *dsdt;
	const char *err;

	fadt = (const struct acpi_fadt *)acpi_find(rsdp, "FACP", &err);
	if (!fadt) {
		printk("FAIL: acpi: FADT: %s\n", err);
		return GUEST_EXIT_ACPI;
	}
	if (fadt->header.length < ACPI_FADT_MIN_HW_REDUCED_LEN ||
	    !(fadt->flags & ACPI_FADT_HW_REDUCED)) {
		printk("FAIL: acpi: FADT (length %u, flags 0x%x) is not "
		       "hardware-reduced\n",
		       fadt->header.length, fadt->flags);
		return GUEST_EXIT_ACPI;
	}
	if (!fadt->sleep_control_reg.address) {
		printk("FAIL: acpi: FADT has no sleep control register\n");
		return GUEST_EXIT_ACPI;
	}
	dsdt = acpi_fadt_dsdt(fadt, &err);
	if (!dsdt) {
		printk("FAIL: acpi: DSDT: %s\n", err);
		return GUEST_EXIT_ACPI;
	}
	*s5 = acpi_s5_slp_typ(dsdt);
	if (*s5 < 0) {
		printk("FAIL: acpi: DSDT has no usable \\_S5 package\n");
		return GUEST_EXIT_ACPI;
	}
	return 0;
}

int check_acpi(const struct boot_info *bi, const struct hello_expect *ex)
{
	const struct acpi_rsdp *rsdp = find_rsdp(bi);
	uint64_t addrs[ACPI_MAX_TABLES];
	const char *err;
	int n, rc, s5 = -1;

	if (!rsdp)
		return GUEST_EXIT_ACPI;
	if (rsdp->revision < 2) {
		printk("FAIL: acpi: RSDP revision %u has no XSDT\n",
		       rsdp->revision);
		return GUEST_EXIT_ACPI;
	}
	n = acpi_root_tables(rsdp, addrs, ACPI_MAX_TABLES, &err);
	if (n < 0) {
		printk("FAIL: acpi: XSDT: %s\n", err);
		return GUEST_EXIT_ACPI;
	}
	printk("acpi: RSDP at 0x%lx, XSDT at 0x%lx:", (uint64_t)(uintptr_t)rsdp,
	       rsdp->xsdt_address);
	for (int i = 0; i < n && i < ACPI_MAX_TABLES; i++) {
		const struct acpi_header *h;

		h = acpi_table_at(addrs[i], NULL, &err);

		if (!h) {
			printk("\nFAIL: acpi: XSDT entry %d at 0x%lx: %s\n", i,
			       addrs[i], err);
			return GUEST_EXIT_ACPI;
		}
		printk(" %.4s", h->signature);
	}
	printk("\n");
	rc = check_madt(rsdp, ex);
	if (!rc)
		rc = check_fadt(rsdp, &s5);
	if (rc)
		return rc;
	printk("OK: acpi: %d tables, MADT %lu CPUs, FADT hardware-reduced, "
	       "S5 SLP_TYP %d\n",
	       n, ex->cpus, s5);
	return 0;
}

static const struct mp_floating *mp_scan(uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a + 16 <= end; a += 16) {
		const struct mp_floating *mpf = phys_ptr(a);

		if (!memcmp(mpf->signature, "_MP_", 4) && mpf->length == 1 &&
		    !acpi_checksum(mpf, 16))
			return mpf;
	}
	return NULL;
}

/* MP spec 4: EBDA first KiB, last KiB of base memory, BIOS ROM area. */
static const struct mp_floating *mp_find(void)
{
	uint64_t ebda = (uint64_t)mmio_read16(BDA_EBDA_SEGMENT) << 4;
	const struct mp_floating *mpf = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		mpf = mp_scan(ebda, ebda + 1024);
	if (!mpf)
		mpf = mp_scan(0x9fc00, 0xa0000);
	if (!mpf)
		mpf = mp_scan(0xf0000, 0x100000);
	return mpf;
}

/* Walk the base entries; count enabled processors and BSPs. */
static int mp_walk(const struct mp_config *mpc, uint32_t *ids,
		   unsigned int *cpus, unsigned int *bsps, uint32_t *bsp_id)
{
	const uint8_t *p = (const uint8_t *)(mpc + 1);
	const uint8_t *end = (const uint8_t *)mpc + mpc->length;

	*cpus = *bsps = 0;
	for (unsigned int i = 0; i < mpc->entry_count; i++) {
		unsigned int size;

		if (p >= end || *p > MP_LAST_TYPE)
			return -1;
		size = *p == MP_PROCESSOR ? sizeof(struct mp_processor) : 8;
		if ((size_t)(end - p) < size)
			return -1;
		if (*p == MP_PROCESSOR) {
			const struct mp_processor *cpu = (const void *)p;

			if (cpu->flags & MP_CPU_ENABLED) {
				if (*cpus < MAX_CPUS)
					ids[*cpus] = cpu->apic_id;
				(*cpus)++;
			}
			if (cpu->flags & MP_CPU_BSP) {
				(*bsps)++;
				*bsp_id = cpu->apic_id;
			}
		}
		p += size;
	}
	return 0;
}

int check_mptable(const struct boot_info *bi, const struct hello_expect *ex)
{
	static uint32_t ids[MAX_CPUS];
	const struct mp_floating *mpf = mp_find();
	const struct mp_config *mpc;
	unsigned int cpus, bsps;
	uint32_t bsp_id = 0;

	(void)bi;
	if (!mpf) {
		printk("FAIL: mptable: no MP floating pointer found\n");
		return GUEST_EXIT_MPTABLE;
	}
	if ((mpf->spec_rev != 1 && mpf->spec_rev != 4) || mpf->feature[0] ||
	    !mpf->physptr) {
		printk("FAIL: mptable: floating pointer at %p: spec %u, "
		       "default config %u, table 0x%x\n",
		       (const void *)mpf, mpf->spec_rev, mpf->feature[0],
		       mpf->physptr);
		return GUEST_EXIT_MPTABLE;
	}
	mpc = phys_ptr(mpf->physptr);
	/* The table and its 16-bit length must stay inside the 4 GiB map. */
	if ((uint64_t)mpf->physptr + 0x10000 + sizeof(*mpc) > 0x100000000ULL) {
		printk("FAIL: mptable: config table at 0x%x is too high\n",
		       mpf->physptr);
		return GUEST_EXIT_MPTABLE;
	}
	if (memcmp(mpc->signature, "PCMP", 4) || mpc->length < sizeof(*mpc) ||
	    acpi_checksum(mpc, mpc->length)) {
		printk("FAIL: mptable: config table at 0x%x: bad signature, "
		       "length or checksum\n",
		       mpf->physptr);
		return GUEST_EXIT_MPTABLE;
	}
	if (mp_walk(mpc, ids, &cpus, &bsps, &bsp_id)) {
		printk("FAIL: mptable: malformed entries in the config "
		       "table\n");
		return GUEST_EXIT_MPTABLE;
	}
	if (cpus != ex->cpus || cpus > MAX_CPUS || !ids_distinct(ids, cpus) ||
	    bsps != 1 || bsp_id != apic_id() ||
	    mpc->lapic_address != APIC_MMIO_BASE) {
		printk("FAIL: mptable: %u enabled processors (expected %lu), "
		       "%u BSP entries (id %u, ours %u), LAPIC 0x%x\n",
		       cpus, ex->cpus, bsps, bsp_id, apic_id(),
		       mpc->lapic_address);
		return GUEST_EXIT_MPTABLE;
	}
	printk("OK: mptable: floating pointer at %p, %u processors\n",
	       (const void *)mpf, cpus);
	return 0;
}
