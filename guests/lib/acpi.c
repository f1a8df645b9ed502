/* SPDX-License-Identifier: MIT */
/*
 * ACPI table reading for the test guests. Nothing is trusted: addresses
 * must lie in the identity map, lengths must be sane before checksums are
 * computed over them, and MADT/AML walks stop at the table's end.
 */
#include "acpi.h"

#include <stdbool.h>

#include "io.h"
#include "string.h"

#define ACPI_TABLE_MAX_LEN (1u << 20)
#define IDENTITY_MAP_END   0x100000000ULL
#define BDA_EBDA_SEGMENT   0x40e
#define RSDP_V1_LEN	   20
#define RSDP_V2_LEN	   36
#define RSDP_SIGNATURE	   0x2052545020445352ULL /* "RSD PTR " */
#define SLP_EN		   (1u << 5)
#define SLP_TYP_SHIFT	   2

/* AML opcodes (ACPI 6.4, 20.2): enough to read a \_S5 package. */
#define AML_ZERO	0x00
#define AML_ONE		0x01
#define AML_NAME_OP	0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_PACKAGE_OP	0x12

_Static_assert(sizeof(struct acpi_rsdp) == RSDP_V2_LEN, "RSDP layout");
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header layout");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT layout");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244,
	       "FADT layout");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT layout");

static bool range_ok(uint64_t addr, uint64_t len)
{
	uint64_t end;

	return addr && !__builtin_add_overflow(addr, len, &end) &&
	       end <= IDENTITY_MAP_END;
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

const struct acpi_rsdp *acpi_rsdp_at(uint64_t addr, const char **err)
{
	const struct acpi_rsdp *rsdp;

	if (!range_ok(addr, RSDP_V2_LEN)) {
		*err = "RSDP address outside the identity map";
		return NULL;
	}
	rsdp = phys_ptr(addr);
	if (memcmp(rsdp->signature, "RSD PTR ", 8)) {
		*err = "no \"RSD PTR \" signature";
		return NULL;
	}
	if (acpi_checksum(rsdp, RSDP_V1_LEN)) {
		*err = "RSDP checksum (first 20 bytes) is not zero";
		return NULL;
	}
	if (rsdp->revision >= 2) {
		if (rsdp->length < RSDP_V2_LEN || rsdp->length > 4096) {
			*err = "RSDP length is not 36";
			return NULL;
		}
		if (acpi_checksum(rsdp, rsdp->length)) {
			*err = "RSDP extended checksum is not zero";
			return NULL;
		}
	}
	return rsdp;
}

static uint64_t scan_range(uint64_t start, uint64_t end)
{
	const char *err;

	/* Compare the 8-byte signature as one load: scans run emulated. */
	for (uint64_t a = start; a + RSDP_V2_LEN <= end; a += 16) {
		if (mmio_read64(a) != RSDP_SIGNATURE)
			continue;
		if (acpi_rsdp_at(a, &err))
			return a;
	}
	return 0;
}

uint64_t acpi_rsdp_scan(void)
{
	uint64_t ebda = (uint64_t)mmio_read16(BDA_EBDA_SEGMENT) << 4;
	uint64_t found = 0;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		found = scan_range(ebda, ebda + 1024);
	if (!found)
		found = scan_range(ACPI_BIOS_AREA_START, ACPI_BIOS_AREA_END);
	return found;
}

const struct acpi_header *acpi_table_at(uint64_t addr, const char *sig,
					const char **err)
{
	const struct acpi_header *h;

	if (!range_ok(addr, sizeof(*h))) {
		*err = "table address outside the identity map";
		return NULL;
	}
	h = phys_ptr(addr);
	if (sig && memcmp(h->signature, sig, 4)) {
		*err = "wrong table signature";
		return NULL;
	}
	if (h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX_LEN ||
	    !range_ok(addr, h->length)) {
		*err = "bad table length";
		return NULL;
	}
	if (acpi_checksum(h, h->length)) {
		*err = "table checksum is not zero";
		return NULL;
	}
	return h;
}

int acpi_root_tables(const struct acpi_rsdp *rsdp, uint64_t *addrs,
		     unsigned int max, const char **err)
{
	bool xsdt = rsdp->revision >= 2;
	const struct acpi_header *root;
	const uint8_t *entries;
	unsigned int size = xsdt ? 8 : 4, n;

	root = xsdt ? acpi_table_at(rsdp->xsdt_address, "XSDT", err)
		    : acpi_table_at(rsdp->rsdt_address, "RSDT", err);
	if (!root)
		return -1;
	entries = (const uint8_t *)(root + 1);
	n = (root->length - sizeof(*root)) / size;
	for (unsigned int i = 0; i < n && i < max; i++) {
		addrs[i] = 0;
		memcpy(&addrs[i], entries + i * size, size);
	}
	return (int)n;
}

const struct acpi_header *acpi_find(const struct acpi_rsdp *rsdp,
				    const char *sig, const char **err)
{
	uint64_t addrs[ACPI_MAX_TABLES];
	int n = acpi_root_tables(rsdp, addrs, ACPI_MAX_TABLES, err);

	for (int i = 0; i < n && i < ACPI_MAX_TABLES; i++) {
		const struct acpi_header *h;

		if (!range_ok(addrs[i], sizeof(*h)))
			continue;
		h = phys_ptr(addrs[i]);
		if (!memcmp(h->signature, sig, 4))
			return acpi_table_at(addrs[i], sig, err);
	}
	if (n >= 0)
		*err = "table not listed in the root table";
	return NULL;
}

int acpi_madt_cpus(const struct acpi_madt *madt, uint32_t *ids,
		   unsigned int max)
{
	const uint8_t *p = (const uint8_t *)(madt + 1);
	const uint8_t *end = (const uint8_t *)madt + madt->header.length;
	int count = 0;

	if (madt->header.length < sizeof(*madt))
		return -1;
	while (p < end) {
		uint32_t id = 0, flags = 0;

		if (end - p < 2 || p[1] < 2 || p[1] > end - p)
			return -1;
		if (p[0] == ACPI_MADT_LOCAL_APIC && p[1] >= 8) {
			id = p[3];
			memcpy(&flags, p + 4, 4);
		} else if (p[0] == ACPI_MADT_LOCAL_X2APIC && p[1] >= 16) {
			memcpy(&id, p + 4, 4);
			memcpy(&flags, p + 8, 4);
		} else {
			p += p[1];
			continue;
		}
		if (flags & ACPI_MADT_ENABLED) {
			if ((unsigned int)count < max)
				ids[count] = id;
			count++;
		}
		p += p[1];
	}
	return count;
}

/* Decode an AML PkgLength (20.2.4); returns its size in bytes or 0. */
static unsigned int aml_pkglength_size(const uint8_t *p, const uint8_t *end)
{
	unsigned int follow;

	if (p >= end)
		return 0;
	follow = p[0] >> 6;
	if ((unsigned int)(end - p) < 1 + follow)
		return 0;
	return 1 + follow;
}

int acpi_s5_slp_typ(const struct acpi_header *dsdt)
{
	const uint8_t *body = (const uint8_t *)(dsdt + 1);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (const uint8_t *p = body; end - p >= 4; p++) {
		const uint8_t *q = p + 4;
		unsigned int n;

		if (memcmp(p, "_S5_", 4))
			continue;
		/* NameOp, optionally with a root prefix, names the package. */
		if (p == body || (p[-1] != AML_NAME_OP && p[-1] != '\\'))
			continue;
		if (q >= end || *q++ != AML_PACKAGE_OP)
			continue;
		n = aml_pkglength_size(q, end);
		if (!n)
			return -1;
		q += n + 1; /* PkgLength, NumElements */
		if (q >= end)
			return -1;
		if (*q == AML_ZERO)
			return 0;
		if (*q == AML_ONE)
			return 1;
		if (*q == AML_BYTE_PREFIX && q + 1 < end && q[1] <= 7)
			return q[1];
		return -1;
	}
	return -1;
}

int acpi_gas_write(const struct acpi_gas *gas, uint64_t val)
{
	unsigned int bytes;

	if (!gas->address)
		return -1;
	bytes = gas->access_size ? 1u << (gas->access_size - 1)
				 : gas->bit_width / 8;
	if (gas->space_id == ACPI_GAS_IO && gas->address <= 0xffff) {
		uint16_t port = (uint16_t)gas->address;

		if (bytes == 1)
			outb(port, (uint8_t)val);
		else if (bytes == 2)
			outw(port, (uint16_t)val);
		else if (bytes == 4)
			outl(port, (uint32_t)val);
		else
			return -1;
		return 0;
	}
	if (gas->space_id != ACPI_GAS_MEMORY || !range_ok(gas->address, bytes))
		return -1;
	if (bytes == 1)
		mmio_write8(gas->address, (uint8_t)val);
	else if (bytes == 2)
		mmio_write16(gas->address, (uint16_t)val);
	else if (bytes == 4)
		mmio_write32(gas->address, (uint32_t)val);
	else if (bytes == 8)
		mmio_write64(gas->address, val);
	else
		return -1;
	return 0;
}

const struct acpi_header *acpi_fadt_dsdt(const struct acpi_fadt *fadt,
					 const char **err)
{
	uint64_t addr = fadt->dsdt;

	if (fadt->header.length >= offsetof(struct acpi_fadt, x_pm1a_evt_blk) &&
	    fadt->x_dsdt)
		addr = fadt->x_dsdt;
	return acpi_table_at(addr, "DSDT", err);
}

void acpi_poweroff(const struct acpi_fadt *fadt, const char **err)
{
	const struct acpi_header *dsdt;
	int typ;

	if (fadt->header.length < ACPI_FADT_MIN_HW_REDUCED_LEN) {
		*err = "FADT too short for a sleep control register";
		return;
	}
	dsdt = acpi_fadt_dsdt(fadt, err);
	if (!dsdt)
		return;
	typ = acpi_s5_slp_typ(dsdt);
	if (typ < 0) {
		*err = "no usable \\_S5 package in the DSDT";
		return;
	}
	if (acpi_gas_write(&fadt->sleep_control_reg,
			   (uint64_t)typ << SLP_TYP_SHIFT | SLP_EN)) {
		*err = "sleep control register unusable";
		return;
	}
	*err = "the VM kept running after the S5 write";
}

void acpi_reset(const struct acpi_fadt *fadt, const char **err)
{
	if (fadt->header.length < offsetof(struct acpi_fadt, arm_boot_arch) ||
	    !(fadt->flags & ACPI_FADT_RESET_REG_SUP)) {
		*err = "FADT has no reset register (RESET_REG_SUP clear)";
		return;
	}
	if (acpi_gas_write(&fadt->reset_reg, fadt->reset_value)) {
		*err = "reset register unusable";
		return;
	}
	*err = "the VM kept running after the reset write";
}
