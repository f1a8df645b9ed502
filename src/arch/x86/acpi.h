/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for a hardware-reduced platform: RSDP, XSDT, FADT, MADT, DSDT
 * (COM1 and the virtio-mmio devices as LNRO0005, plus _S5 for power-off).
 * Stock distro kernels without MPPARSE find CPUs and devices only here.
 */
#ifndef BOOT_ACPI_H
#define BOOT_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/mem.h"

struct acpi_mmio_device {
	uint64_t base;
	uint32_t size;
	uint32_t gsi;
};

struct acpi_config {
	unsigned int nr_cpus; /* LAPIC ids 0..nr_cpus-1 */
	bool com1;	      /* describe the 16550 at 0x3f8 / IRQ 4 */
	const struct acpi_mmio_device *virtio; /* virtio-mmio windows */
	unsigned int nr_virtio;
};

/* LAPIC ids 0..253: 0xff is the broadcast id and the IOAPIC takes one. */
#define ACPI_MAX_CPUS 254

/*
 * Write all tables into guest memory: the RSDP at LAYOUT_ACPI_RSDP (hand
 * that address to boot_load() as rsdp_addr), the rest from
 * LAYOUT_ACPI_TABLES. The MADT gives the IOAPIC the id nr_cpus. Call once
 * per VM after mem_create(), from the thread that owns @mem; @cfg is only
 * read. Returns 0, -EINVAL (nr_cpus not in 1..ACPI_MAX_CPUS, more than 256
 * virtio windows or one beyond 4 GiB), -EFAULT (RAM does not cover the
 * BIOS area) or -ENOSPC (tables do not fit below LAYOUT_ACPI_TABLES_END).
 */
int acpi_build(struct mem *mem, const struct acpi_config *cfg);

/* The byte that makes @data's @len bytes sum to zero (ACPI checksum). */
uint8_t acpi_checksum(const void *data, size_t len);

#endif /* BOOT_ACPI_H */
