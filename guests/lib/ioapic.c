/* SPDX-License-Identifier: MIT */
/*
 * IOAPIC redirection table writes, and masking the 8259 PICs. The high
 * half of an entry (destination) is written before the low half, whose
 * mask bit arms it.
 */
#include "ioapic.h"

#include "io.h"

#define IOREGSEL      0x00
#define IOWIN	      0x10
#define IOAPIC_REDTBL 0x10
#define REDIR_LEVEL   (1u << 15)
#define REDIR_MASKED  (1u << 16)
#define PIC1_DATA     0x21
#define PIC2_DATA     0xa1

static void ioapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(IOAPIC_MMIO_BASE + IOREGSEL, reg);
	mmio_write32(IOAPIC_MMIO_BASE + IOWIN, val);
}

int ioapic_route(unsigned int pin, uint8_t vector, uint8_t dest, int level)
{
	if (pin >= IOAPIC_PINS)
		return -1;
	ioapic_write(IOAPIC_REDTBL + 2 * pin + 1, (uint32_t)dest << 24);
	ioapic_write(IOAPIC_REDTBL + 2 * pin,
		     vector | (level ? REDIR_LEVEL : 0));
	return 0;
}

void pic_disable(void)
{
	outb(PIC1_DATA, 0xff); /* OCW1: interrupt mask register */
	outb(PIC2_DATA, 0xff);
}

int ioapic_mask(unsigned int pin)
{
	if (pin >= IOAPIC_PINS)
		return -1;
	ioapic_write(IOAPIC_REDTBL + 2 * pin, REDIR_MASKED);
	return 0;
}
