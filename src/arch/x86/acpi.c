/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for a hardware-reduced platform (ACPI 6.x, chapter 5 "ACPI
 * Software Programming Model"): RSDP -> XSDT -> { FADT -> DSDT, MADT }.
 * The RSDP sits at LAYOUT_ACPI_RSDP, inside the BIOS area Linux scans,
 * and the tables follow from LAYOUT_ACPI_TABLES, each 16-byte aligned and
 * bounded by LAYOUT_ACPI_TABLES_END (reserved in e820). Power-off uses the
 * FADT sleep control register (drivers/acpi/acpica/hwesleep.c writes
 * SLP_TYP << 2 | SLP_EN to it), reboot the FADT reset register.
 */
#define pr_fmt(fmt) "acpi: " fmt

#include "acpi.h"

#include <errno.h>
#include <string.h>

#include "base/log.h"
#include "acpi_tables.h"
#include "dsdt.h"
#include "layout.h"

/* Bump allocator over the table area [LAYOUT_ACPI_TABLES, _END). */
struct acpi_area {
	uint8_t *host;
	size_t used;
};

#define ACPI_AREA_SIZE (LAYOUT_ACPI_TABLES_END - LAYOUT_ACPI_TABLES)

static void *acpi_alloc(struct acpi_area *ar, size_t len, gpa_t *gpa)
{
	size_t off = ALIGN_UP(ar->used, (size_t)16);

	if (off > ACPI_AREA_SIZE || len > ACPI_AREA_SIZE - off)
		return NULL;
	ar->used = off + len;
	*gpa = LAYOUT_ACPI_TABLES + off;
	return ar->host + off;
}

uint8_t acpi_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static void acpi_header(struct acpi_table_header *h, const char *sig,
			uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_ID, 4);
	memcpy(h->oem_table_id + 4, sig, 4); /* "VMM FACP" etc. */
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* Checksum last: every byte of the table must be final. */
static void acpi_seal(struct acpi_table_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static struct acpi_gas acpi_mmio_byte(uint64_t addr)
{
	return (struct acpi_gas){
	    .space_id = ACPI_GAS_SYSTEM_MEMORY,
	    .bit_width = 8,
	    .access_size = ACPI_GAS_ACCESS_BYTE,
	    .address = addr,
	};
}

static int acpi_dsdt(struct acpi_area *ar, const struct acpi_config *cfg,
		     gpa_t *gpa)
{
	struct acpi_table_header *h;
	size_t hlen = sizeof(*h);
	long body;

	h = acpi_alloc(ar, hlen, gpa);
	if (!h)
		return -ENOSPC;
	/* The AML goes right after the header, into the rest of the area. */
	body = dsdt_build((uint8_t *)h + hlen, ACPI_AREA_SIZE - ar->used, cfg);
	if (body < 0)
		return (int)body;
	ar->used += (size_t)body;
	/* Revision 2: integers in this DSDT's AML are 64 bits wide. */
	acpi_header(h, "DSDT", (uint32_t)(hlen + (size_t)body), 2);
	acpi_seal(h);
	return 0;
}

static int acpi_fadt(struct acpi_area *ar, gpa_t dsdt, gpa_t *gpa)
{
	struct acpi_fadt *f = acpi_alloc(ar, sizeof(*f), gpa);

	if (!f)
		return -ENOSPC;
	acpi_header(&f->header, "FACP", sizeof(*f), 6);
	f->minor_revision = ACPI_FADT_MINOR_REVISION;
	f->sci_int = LAYOUT_SCI_IRQ;
	/*
	 * No PM1/GPE blocks, no FACS: HW_REDUCED_ACPI. Linux then needs the
	 * sleep registers for S5 (acpi_sleep_state_supported()).
	 */
	f->flags = ACPI_FADT_F_HW_REDUCED | ACPI_FADT_F_RESET_REG_SUP;
	/*
	 * No VGA, and no CMOS RTC at 0x70: without this flag Linux probes the
	 * RTC and stalls for seconds before giving up on it.
	 */
	f->iapc_boot_arch = ACPI_FADT_BOOT_NO_VGA | ACPI_FADT_BOOT_NO_CMOS_RTC;
	f->reset_reg = acpi_mmio_byte(LAYOUT_ACPI_RESET_REG);
	f->reset_value = LAYOUT_ACPI_RESET_VALUE;
	f->x_dsdt = dsdt;
	f->sleep_control_reg = acpi_mmio_byte(LAYOUT_ACPI_SLEEP_CTL);
	f->sleep_status_reg = acpi_mmio_byte(LAYOUT_ACPI_SLEEP_STS);
	memcpy(&f->hypervisor_id, ACPI_HYPERVISOR_ID, 8);
	acpi_seal(&f->header);
	return 0;
}

static int acpi_madt(struct acpi_area *ar, const struct acpi_config *cfg,
		     gpa_t *gpa)
{
	size_t len = sizeof(struct acpi_madt) +
		     cfg->nr_cpus * sizeof(struct acpi_madt_lapic) +
		     sizeof(struct acpi_madt_ioapic) +
		     2 * sizeof(struct acpi_madt_iso) +
		     sizeof(struct acpi_madt_lapic_nmi);
	struct acpi_madt *m = acpi_alloc(ar, len, gpa);
	struct acpi_madt_lapic *lapic;
	struct acpi_madt_ioapic *io;
	struct acpi_madt_iso *iso;
	struct acpi_madt_lapic_nmi *nmi;

	if (!m)
		return -ENOSPC;
	acpi_header(&m->header, "APIC", (uint32_t)len, 5);
	m->lapic_addr = (uint32_t)LAYOUT_LAPIC_ADDR;
	m->flags = ACPI_MADT_F_PCAT_COMPAT;
	lapic = (struct acpi_madt_lapic *)(m + 1);
	for (unsigned int i = 0; i < cfg->nr_cpus; i++)
		lapic[i] = (struct acpi_madt_lapic){
		    .type = ACPI_MADT_LAPIC,
		    .length = sizeof(*lapic),
		    .uid = (uint8_t)i,
		    .apic_id = (uint8_t)i,
		    .flags = ACPI_MADT_LAPIC_ENABLED,
		};
	/* An IOAPIC id no LAPIC uses: the first one after the CPUs'. */
	io = (struct acpi_madt_ioapic *)(lapic + cfg->nr_cpus);
	*io = (struct acpi_madt_ioapic){
	    .type = ACPI_MADT_IOAPIC,
	    .length = sizeof(*io),
	    .id = (uint8_t)cfg->nr_cpus,
	    .addr = (uint32_t)LAYOUT_IOAPIC_ADDR,
	    .gsi_base = 0,
	};
	/* The PIT's IRQ 0 is wired to pin 2, as on every PC since the APIC. */
	iso = (struct acpi_madt_iso *)(io + 1);
	iso[0] = (struct acpi_madt_iso){
	    .type = ACPI_MADT_ISO,
	    .length = sizeof(*iso),
	    .bus = 0,
	    .source = 0,
	    .gsi = 2,
	    .flags = 0,
	};
	/* ACPI 6.x: the SCI is level triggered, active high here. */
	iso[1] = (struct acpi_madt_iso){
	    .type = ACPI_MADT_ISO,
	    .length = sizeof(*iso),
	    .bus = 0,
	    .source = LAYOUT_SCI_IRQ,
	    .gsi = LAYOUT_SCI_IRQ,
	    .flags = ACPI_MPS_ACTIVE_HIGH | ACPI_MPS_LEVEL,
	};
	/* NMI on LINT1 of every processor (uid 0xff), as the MP table says. */
	nmi = (struct acpi_madt_lapic_nmi *)(iso + 2);
	*nmi = (struct acpi_madt_lapic_nmi){
	    .type = ACPI_MADT_LAPIC_NMI,
	    .length = sizeof(*nmi),
	    .uid = 0xff,
	    .flags = 0,
	    .lint = 1,
	};
	acpi_seal(&m->header);
	return 0;
}

static int acpi_xsdt(struct acpi_area *ar, const gpa_t *tables, unsigned int n,
		     gpa_t *gpa)
{
	size_t len = sizeof(struct acpi_table_header) + n * sizeof(uint64_t);
	struct acpi_table_header *h = acpi_alloc(ar, len, gpa);
	uint8_t *entries;

	if (!h)
		return -ENOSPC;
	acpi_header(h, "XSDT", (uint32_t)len, 1);
	/* 64-bit entries at offset 36: unaligned, hence memcpy. */
	entries = (uint8_t *)(h + 1);
	for (unsigned int i = 0; i < n; i++)
		memcpy(entries + i * sizeof(uint64_t), &tables[i],
		       sizeof(uint64_t));
	acpi_seal(h);
	return 0;
}

static int acpi_rsdp(struct mem *mem, gpa_t xsdt)
{
	struct acpi_rsdp *r = gpa_ptr(mem, LAYOUT_ACPI_RSDP, sizeof(*r));

	if (!r)
		return -EFAULT;
	memset(r, 0, sizeof(*r));
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, ACPI_OEM_ID, 6);
	r->revision = 2; /* ACPI 2.0+: XSDT and extended checksum */
	r->length = sizeof(*r);
	r->xsdt_addr = xsdt;
	/* The first checksum covers the ACPI 1.0 part (20 bytes). */
	r->checksum = acpi_checksum(r, ACPI_RSDP_V1_LEN);
	r->ext_checksum = acpi_checksum(r, sizeof(*r));
	return 0;
}

int acpi_build(struct mem *mem, const struct acpi_config *cfg)
{
	struct acpi_area ar = {0};
	gpa_t dsdt, xsdt, tables[2];
	int r;

	/* 8-bit LAPIC ids, 0xff is broadcast, one id goes to the IOAPIC. */
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > ACPI_MAX_CPUS)
		return -EINVAL;
	ar.host = gpa_ptr(mem, LAYOUT_ACPI_TABLES, ACPI_AREA_SIZE);
	if (!ar.host)
		return -EFAULT;
	memset(ar.host, 0, ACPI_AREA_SIZE);

	r = acpi_dsdt(&ar, cfg, &dsdt);
	if (!r)
		r = acpi_fadt(&ar, dsdt, &tables[0]);
	if (!r)
		r = acpi_madt(&ar, cfg, &tables[1]);
	if (!r)
		r = acpi_xsdt(&ar, tables, ARRAY_SIZE(tables), &xsdt);
	if (!r)
		r = acpi_rsdp(mem, xsdt);
	if (r) {
		pr_err("building the tables failed: %s", strerror(-r));
		return r;
	}
	pr_debug("%zu bytes of tables for %u CPUs, %u virtio devices", ar.used,
		 cfg->nr_cpus, cfg->nr_virtio);
	return 0;
}
