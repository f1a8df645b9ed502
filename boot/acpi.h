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

#include "../vmm/mem.h"

struct acpi_mmio_device {
	uint64_t base;
	uint32_t size;
	uint32_t gsi;
};

struct acpi_config {
	unsigned int nr_cpus;	/* LAPIC ids 0..nr_cpus-1 */
	bool com1;		/* describe the 16550 at 0x3f8 / IRQ 4 */
	const struct acpi_mmio_device *virtio;	/* virtio-mmio windows */
	unsigned int nr_virtio;
};

/*
 * Write all tables into guest memory at the addresses in boot/layout.h.
 * Returns 0 or -errno (-ENOSPC if they do not fit the reserved area).
 */
int acpi_build(struct mem *mem, const struct acpi_config *cfg);

#endif /* BOOT_ACPI_H */
