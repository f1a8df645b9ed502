/* SPDX-License-Identifier: MIT */
/*
 * Binary layouts of the ACPI structures the VMM writes (ACPI 6.x, 5.2
 * "ACPI System Description Tables"), with the field offsets pinned by
 * static assertions. Definitions only; used by acpi.c and its unit test.
 */
#ifndef BOOT_ACPI_TABLES_H
#define BOOT_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define ACPI_OEM_ID	   "VMM   "   /* 6 bytes */
#define ACPI_CREATOR_ID	   "VMM "     /* 4 bytes */
#define ACPI_HYPERVISOR_ID "VMM     " /* FADT hypervisor vendor, 8 bytes */
#define ACPI_RSDP_V1_LEN   20	      /* bytes covered by the 1.0 checksum */

/* Root System Description Pointer (revision 2). */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_addr;
	uint32_t length;
	uint64_t xsdt_addr;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* System Description Table Header, common to every table. */
struct acpi_table_header {
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

/* Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_SYSTEM_MEMORY 0
#define ACPI_GAS_ACCESS_BYTE   1

/* Fixed ACPI Description Table, revision 6. */
struct acpi_fadt {
	struct acpi_table_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
	uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_revision;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_id;
} __attribute__((packed));

#define ACPI_FADT_MINOR_REVISION   3 /* FADT of ACPI 6.3 */
#define ACPI_FADT_F_RESET_REG_SUP  (1u << 10)
#define ACPI_FADT_F_HW_REDUCED	   (1u << 20)
#define ACPI_FADT_BOOT_NO_VGA	   (1u << 2) /* IAPC_BOOT_ARCH */
#define ACPI_FADT_BOOT_NO_CMOS_RTC (1u << 5) /* IAPC_BOOT_ARCH */

/* Multiple APIC Description Table and the entries we use. */
struct acpi_madt {
	struct acpi_table_header header;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_F_PCAT_COMPAT 1 /* dual 8259s are present too */
#define ACPI_MADT_LAPIC		0
#define ACPI_MADT_IOAPIC	1
#define ACPI_MADT_ISO		2 /* interrupt source override */
#define ACPI_MADT_LAPIC_NMI	4
#define ACPI_MADT_LAPIC_ENABLED 1
/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2. */
#define ACPI_MPS_ACTIVE_HIGH 0x1
#define ACPI_MPS_LEVEL	     0xc

struct acpi_madt_lapic {
	uint8_t type, length;
	uint8_t uid; /* ACPI processor UID */
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));

struct acpi_madt_ioapic {
	uint8_t type, length;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __attribute__((packed));

struct acpi_madt_iso {
	uint8_t type, length;
	uint8_t bus;	/* 0: ISA */
	uint8_t source; /* bus-relative IRQ */
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct acpi_madt_lapic_nmi {
	uint8_t type, length;
	uint8_t uid; /* 0xff: all processors */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

BUILD_BUG_ON(sizeof(struct acpi_rsdp) != 36);
BUILD_BUG_ON(sizeof(struct acpi_table_header) != 36);
BUILD_BUG_ON(sizeof(struct acpi_gas) != 12);
BUILD_BUG_ON(offsetof(struct acpi_fadt, flags) != 112);
BUILD_BUG_ON(offsetof(struct acpi_fadt, x_dsdt) != 140);
BUILD_BUG_ON(offsetof(struct acpi_fadt, sleep_control_reg) != 244);
BUILD_BUG_ON(sizeof(struct acpi_fadt) != 276);
BUILD_BUG_ON(sizeof(struct acpi_madt) != 44);
BUILD_BUG_ON(sizeof(struct acpi_madt_lapic) != 8);
BUILD_BUG_ON(sizeof(struct acpi_madt_ioapic) != 12);
BUILD_BUG_ON(sizeof(struct acpi_madt_iso) != 10);
BUILD_BUG_ON(sizeof(struct acpi_madt_lapic_nmi) != 6);

#endif /* BOOT_ACPI_TABLES_H */
