/* SPDX-License-Identifier: MIT */
/*
 * Reading the ACPI tables a VMM provides: find and validate the RSDP,
 * look tables up through the XSDT (RSDT for revision 0), count the MADT's
 * CPUs, parse the DSDT's \_S5 package, and use the FADT's hardware-reduced
 * sleep control and reset registers to power off or reset.
 * Layouts follow the ACPI 6.4 specification, chapter 5.2; fields are
 * named as there. All tables are loader-written memory: every length is
 * checked before the bytes behind it are read.
 */
#ifndef GUESTS_LIB_ACPI_H
#define GUESTS_LIB_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* 5.2.5.3 Root System Description Pointer. */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0 (RSDT only), 2: XSDT */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* over @length bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* 5.2.6 System Description Table Header. */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

/* 5.2.3.2 Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id; /* 0 system memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 0 undefined, 1 byte .. 4 qword */
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO	1

/* 5.2.9 Fixed ACPI Description Table, revision 6 (276 bytes). */
struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

#define ACPI_FADT_RESET_REG_SUP (1u << 10)
#define ACPI_FADT_HW_REDUCED	(1u << 20)
/* The fields up to sleep_status_reg: what a hardware-reduced FADT needs. */
#define ACPI_FADT_MIN_HW_REDUCED_LEN 268

/* 5.2.12 Multiple APIC Description Table, and two of its entry types. */
struct acpi_madt {
	struct acpi_header header;
	uint32_t local_apic_address;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_LOCAL_APIC   0
#define ACPI_MADT_LOCAL_X2APIC 9
#define ACPI_MADT_ENABLED      1u

/* Root table entries acpi_find() looks at. */
#define ACPI_MAX_TABLES 64

/* Where the RSDP may be (5.2.5.1): EBDA's first KiB, or the BIOS area. */
#define ACPI_BIOS_AREA_START 0xe0000
#define ACPI_BIOS_AREA_END   0x100000

/* Sum of @len bytes; a valid ACPI structure sums to 0. */
uint8_t acpi_checksum(const void *p, size_t len);

/*
 * Validate the RSDP at @addr (signature, checksum, and for revision >= 2
 * length and extended checksum). Returns it, or NULL with *@err set.
 */
const struct acpi_rsdp *acpi_rsdp_at(uint64_t addr, const char **err);

/*
 * Search for a valid RSDP on 16-byte boundaries, in the first KiB of the
 * EBDA (segment at BDA 0x40e) and then in 0xe0000-0xfffff. Returns its
 * address, or 0.
 */
uint64_t acpi_rsdp_scan(void);

/*
 * Validate the table at @addr: inside the identity map, a sane length and
 * a zero checksum; @sig (4 chars) must match unless NULL. Returns it, or
 * NULL with *@err set.
 */
const struct acpi_header *acpi_table_at(uint64_t addr, const char *sig,
					const char **err);

/*
 * Validate the RSDP's root table (XSDT, or RSDT if revision 0) and store
 * up to @max table addresses from it in @addrs. Returns the number of
 * entries (which may exceed @max), or -1 with *@err set.
 */
int acpi_root_tables(const struct acpi_rsdp *rsdp, uint64_t *addrs,
		     unsigned int max, const char **err);

/*
 * Find table @sig through the RSDP's XSDT (RSDT if revision 0), checking
 * the root table and the found table. Returns NULL with *@err set when the
 * root table is bad or @sig is not listed.
 */
const struct acpi_header *acpi_find(const struct acpi_rsdp *rsdp,
				    const char *sig, const char **err);

/*
 * List the enabled local APIC / x2APIC entries of @madt: stores up to @max
 * APIC ids in @ids and returns how many enabled entries there are, or -1
 * if an entry's length runs past the table.
 */
int acpi_madt_cpus(const struct acpi_madt *madt, uint32_t *ids,
		   unsigned int max);

/*
 * SLP_TYPa of the DSDT's \_S5 package (a Name of a Package whose first
 * element is Zero, One or a BytePrefix constant). Returns 0..7, or -1.
 */
int acpi_s5_slp_typ(const struct acpi_header *dsdt);

/*
 * Write @val to the register @gas names (system memory or I/O, 1/2/4/8
 * bytes). Returns 0, or -1 for an unsupported or empty address.
 */
int acpi_gas_write(const struct acpi_gas *gas, uint64_t val);

/*
 * Hardware-reduced ACPI power-off: write SLP_TYP(S5) << 2 | SLP_EN to the
 * FADT's sleep control register. Returns if the register could not be
 * written, or right after the write (the VMM may stop the VM a moment
 * later; the caller decides how long to wait). *@err says which.
 */
void acpi_poweroff(const struct acpi_fadt *fadt, const char **err);

/*
 * Write the FADT's reset value to its reset register (RESET_REG_SUP).
 * Returns like acpi_poweroff().
 */
void acpi_reset(const struct acpi_fadt *fadt, const char **err);

/* FADT's DSDT (X_DSDT if set, else DSDT), validated; NULL with *@err. */
const struct acpi_header *acpi_fadt_dsdt(const struct acpi_fadt *fadt,
					 const char **err);

#endif /* GUESTS_LIB_ACPI_H */
