/* SPDX-License-Identifier: MIT */
/*
 * DSDT content for a hardware-reduced platform. The equivalent ASL is
 *
 *	Scope (\_SB) {
 *		Device (COM1) {
 *			Name (_HID, EisaId ("PNP0501"))
 *			Name (_UID, 0)
 *			Name (_CRS, ResourceTemplate () {
 *				IO (Decode16, 0x3f8, 0x3f8, 1, 8)
 *				IRQNoFlags () { 4 }
 *			})
 *		}
 *		Device (VR00) {		one per virtio-mmio window
 *			Name (_HID, "LNRO0005")
 *			Name (_UID, 0)
 *			Name (_CRS, ResourceTemplate () {
 *				Memory32Fixed (ReadWrite, base, size)
 *				Interrupt (ResourceConsumer, Edge, ActiveHigh,
 *					   Exclusive) { gsi }
 *			})
 *		}
 *	}
 *	Name (\_S5, Package () { SLP_TYP, 0, 0, 0 })
 *
 * "LNRO0005" is the id drivers/virtio/virtio_mmio.c matches; \_S5's first
 * element is the SLP_TYP the kernel writes to the FADT's sleep control
 * register to power off.
 */
#include "dsdt.h"

#include <errno.h>
#include <stdio.h>

#include "aml.h"
#include "layout.h"

/* Room for one _CRS resource template. */
#define DSDT_CRS_MAX 64

static void dsdt_crs(struct aml *a, const struct aml *tmpl)
{
	aml_name(a, "_CRS");
	aml_buffer(a, tmpl->buf, tmpl->len);
}

static void dsdt_com1(struct aml *a)
{
	uint8_t buf[DSDT_CRS_MAX];
	struct aml crs;
	size_t dev;

	aml_init(&crs, buf, sizeof(buf));
	aml_res_io(&crs, LAYOUT_COM1_PORT, 8);
	aml_res_irq_noflags(&crs, LAYOUT_COM1_IRQ);
	aml_res_end(&crs);

	dev = aml_device(a, "COM1");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	dsdt_crs(a, &crs);
	aml_close(a, dev);
}

static void dsdt_virtio(struct aml *a, unsigned int n,
			const struct acpi_mmio_device *d)
{
	uint8_t buf[DSDT_CRS_MAX];
	struct aml crs;
	char name[8];
	size_t dev;

	aml_init(&crs, buf, sizeof(buf));
	aml_res_mem32_fixed(&crs, (uint32_t)d->base, d->size, true);
	aml_res_interrupt(&crs, AML_IRQ_CONSUMER | AML_IRQ_EDGE, d->gsi);
	aml_res_end(&crs);

	snprintf(name, sizeof(name), "VR%02X", n & 0xff);
	dev = aml_device(a, name);
	aml_name(a, "_HID");
	aml_string(a, "LNRO0005");
	aml_name(a, "_UID");
	aml_integer(a, n);
	dsdt_crs(a, &crs);
	aml_close(a, dev);
}

static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_name(a, "_S5_");
	pkg = aml_package(a, 4);
	aml_integer(a, LAYOUT_ACPI_S5_SLP_TYP); /* SLP_TYPa */
	aml_integer(a, 0);			/* SLP_TYPb (unused) */
	aml_integer(a, 0);			/* reserved */
	aml_integer(a, 0);			/* reserved */
	aml_close(a, pkg);
}

long dsdt_build(uint8_t *buf, size_t cap, const struct acpi_config *cfg)
{
	struct aml a;
	size_t sb;

	if (cfg->nr_virtio > DSDT_MAX_VIRTIO)
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->nr_virtio; i++) {
		const struct acpi_mmio_device *d = &cfg->virtio[i];

		if (d->base > UINT32_MAX || !d->size ||
		    d->size > UINT32_MAX - d->base + 1)
			return -EINVAL;
	}

	aml_init(&a, buf, cap);
	sb = aml_scope(&a, "\\_SB_");
	if (cfg->com1)
		dsdt_com1(&a);
	for (unsigned int i = 0; i < cfg->nr_virtio; i++)
		dsdt_virtio(&a, i, &cfg->virtio[i]);
	aml_close(&a, sb);
	dsdt_s5(&a);
	if (aml_err(&a))
		return aml_err(&a);
	return (long)a.len;
}
