/* SPDX-License-Identifier: MIT */
/*
 * The AML body of the DSDT: \_SB with COM1 and the virtio-mmio devices,
 * and \_S5 for ACPI power-off. acpi.c wraps it in the table header.
 */
#ifndef BOOT_DSDT_H
#define BOOT_DSDT_H

#include <stddef.h>
#include <stdint.h>

#include "acpi.h"

/* Largest number of virtio-mmio devices: their names are VR00..VRFF. */
#define DSDT_MAX_VIRTIO 256

/*
 * Emit the DSDT's definition blocks for @cfg into @buf (@cap bytes).
 * Returns the number of bytes written, -ENOSPC if they do not fit, or
 * -EINVAL if @cfg has more than DSDT_MAX_VIRTIO devices or a window
 * that a 32-bit memory descriptor cannot describe.
 */
long dsdt_build(uint8_t *buf, size_t cap, const struct acpi_config *cfg);

#endif /* BOOT_DSDT_H */
