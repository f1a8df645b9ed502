/* SPDX-License-Identifier: MIT */
/*
 * Phase 1: random accesses of 1, 2, 4 and 8 bytes, aligned or not, over
 * the whole 4 KiB window of every attacked virtio-mmio device (registers,
 * config space and what lies beyond it), the 16550's ports, the i8042's
 * and the ACPI sleep and reset registers. No access crosses the end of a
 * window: the next window may be the spared disk's.
 *
 * What is left out, because a guest may end the VM that way on purpose:
 *  - port 0xf4..0xf7 (debug exit): never touched;
 *  - 0xfe written to the i8042 command port 0x64 (CPU reset);
 *  - SLP_EN with SLP_TYP 5 in the ACPI sleep control register (S5,
 *    power-off; other sleep types are written and must be refused);
 *  - 0x42, the FADT's reset value, in the ACPI reset register.
 * What is bent so that the guest survives its own storm:
 *  - a write to a queue address register gets a place in the junk arena
 *    or in the MMIO hole, never other guest memory: a queue the storm
 *    readies at random must not let the device write the guest's code;
 *  - after a write of status 0 (a reset puts ring addresses back to 0)
 *    the storm points every queue at its own rings again, for the same
 *    reason.
 */
#include "storm.h"

#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "lib/io.h"

#define WINDOW 0x1000u

/* Point every queue's rings at the device's own ring memory (not ready). */
static void park_rings(struct sdev *d)
{
	for (unsigned int i = 0; i < d->nq; i++) {
		struct sq_mem *m = sq_mem(d, i);

		sreg_write(d, VIRTIO_MMIO_QUEUE_SEL, i);
		sreg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uintptr_t)m->desc);
		sreg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
		sreg_write(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW,
			   (uintptr_t)&m->avail);
		sreg_write(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
		sreg_write(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uintptr_t)&m->used);
		sreg_write(d, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
	}
}

static uint64_t some_value(uint64_t *s)
{
	uint64_t r = rnd(s);

	switch (r & 3) {
	case 0: return (r >> 8) & 7; /* QueueSel, small sizes, status bits */
	case 1: return 1ULL << ((r >> 8) & 63);
	default: return r >> 2;
	}
}

/* A 4-byte register write, bent as the header says. */
static uint32_t reg_value(struct sdev *d, uint32_t off, uint64_t *s)
{
	uint64_t r = some_value(s);

	switch (off) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		if (rnd_below(s, 2))
			return (uint32_t)junk_addr(s, 4096) & ~0xfu;
		return 0xc0000000u | (uint32_t)(r & 0x3fffffff);
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return rnd_below(s, 2) ? 0 : (uint32_t)r;
	case VIRTIO_MMIO_STATUS:
		return rnd_below(s, 8) ? (uint32_t)r & 0xff : 0;
	default: (void)d; return (uint32_t)r;
	}
}

static void mmio_access(uint64_t a, unsigned int w, bool write, uint64_t v)
{
	switch (w) {
	case 1:
		if (write)
			mmio_write8(a, (uint8_t)v);
		else
			(void)mmio_read8(a);
		break;
	case 2:
		if (write)
			mmio_write16(a, (uint16_t)v);
		else
			(void)mmio_read16(a);
		break;
	case 4:
		if (write)
			mmio_write32(a, (uint32_t)v);
		else
			(void)mmio_read32(a);
		break;
	default:
		if (write)
			mmio_write64(a, v);
		else
			(void)mmio_read64(a);
		break;
	}
}

static void window_access(struct sdev *d, uint64_t *s)
{
	unsigned int w = 1u << rnd_below(s, 4);
	bool write = rnd_below(s, 2);
	uint32_t off;
	uint64_t v = some_value(s);

	/* Registers more often than the rest of the window. */
	if (rnd_below(s, 2))
		off = rnd_below(s, 0x100);
	else if (rnd_below(s, 2))
		off = 0x100 + rnd_below(s, 0x100);
	else
		off = rnd_below(s, WINDOW);
	if (rnd_below(s, 2))
		off &= ~(w - 1);
	if (off + w > WINDOW)
		off = WINDOW - w;
	if (write && w == 4 && !(off & 3) && off < 0x100)
		v = reg_value(d, off, s);
	mmio_access(d->base + off, w, write, v);
	if (write && w == 4 && off == VIRTIO_MMIO_STATUS && !(uint32_t)v)
		park_rings(d);
}

static void pio_access(uint64_t *s)
{
	static const uint16_t ports[] = {0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc,
					 0x3fd, 0x3fe, 0x3ff, 0x60,  0x64};
	uint16_t port = ports[rnd_below(s, sizeof(ports) / sizeof(ports[0]))];
	unsigned int w = 1u << rnd_below(s, 3);
	uint32_t v = (uint32_t)rnd(s);

	if (rnd_below(s, 2)) {
		if (w == 1)
			(void)inb(port);
		else if (w == 2)
			(void)inw(port);
		else
			(void)inl(port);
		return;
	}
	if (port == LAYOUT_I8042_CMD && (v & 0xff) == 0xfe)
		v ^= 1;
	if (w == 1)
		outb(port, (uint8_t)v);
	else if (w == 2)
		outw(port, (uint16_t)v);
	else
		outl(port, v);
}

static void acpi_access(uint64_t *s)
{
	uint32_t off = rnd_below(s, 8);
	unsigned int w = 1u << rnd_below(s, 4);
	bool write = rnd_below(s, 2);
	uint64_t v = rnd(s);
	uint8_t b = (uint8_t)v;

	if (write && off == 0 && (b & 0x20) &&
	    ((b >> 2) & 7) == LAYOUT_ACPI_S5_SLP_TYP)
		v &= ~0x20ULL;
	if (write && off == 2 && b == LAYOUT_ACPI_RESET_VALUE)
		v ^= 1;
	mmio_access(LAYOUT_ACPI_SLEEP_CTL + off, w, write, v);
}

long phase_regs(uint64_t seed, unsigned long rounds)
{
	uint64_t s = rnd_init(seed);
	struct sdev *att[SDEV_MAX];
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr_sdevs; i++)
		if (!sdevs[i].spare) {
			att[n++] = &sdevs[i];
			park_rings(&sdevs[i]);
		}
	for (unsigned long i = 0; i < rounds; i++) {
		unsigned int k = rnd_below(&s, 10);

		if (k < 8 && n)
			window_access(att[rnd_below(&s, n)], &s);
		else if (k == 8)
			pio_access(&s);
		else
			acpi_access(&s);
	}
	/* Leave every attacked device reset, its rings parked. */
	for (unsigned int i = 0; i < n; i++) {
		sdev_reset(att[i]);
		park_rings(att[i]);
	}
	return 0;
}
