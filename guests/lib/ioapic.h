/* SPDX-License-Identifier: MIT */
/*
 * IOAPIC redirection at 0xfec00000 (KVM's in-kernel IOAPIC, 24 pins):
 * route a pin to a vector on one local APIC, or mask it; and the legacy
 * 8259 PICs, which the library masks so that interrupts only come through
 * the IOAPIC and the local APIC. Registers are
 * reached through the index/data window (IOREGSEL at +0x00, IOWIN at
 * +0x10); redirection entry n is registers 0x10 + 2n (low) and 0x11 + 2n
 * (high). Intel 82093AA datasheet, 3.2.4.
 */
#ifndef GUESTS_LIB_IOAPIC_H
#define GUESTS_LIB_IOAPIC_H

#include <stdint.h>

#define IOAPIC_MMIO_BASE 0xfec00000ULL
#define IOAPIC_PINS	 24

/*
 * Deliver @pin as fixed-mode @vector to APIC id @dest, edge-triggered
 * active-high if !@level, else level-triggered active-high (ISA IRQs such
 * as COM1's 4 are edge; vmm's virtio-mmio GSIs 16-23 are edge too).
 * Returns 0, or -1 if @pin is out of range.
 */
int ioapic_route(unsigned int pin, uint8_t vector, uint8_t dest, int level);

/* Mask @pin. Returns 0, or -1 if @pin is out of range. */
int ioapic_mask(unsigned int pin);

/*
 * Mask every line of both 8259 PICs. KVM resets the BSP's LVT0 to ExtINT
 * (virtual wire), so an unprogrammed PIC would deliver ISA IRQ n as vector
 * n, an exception vector. The library calls this before guest_main().
 */
void pic_disable(void);

#endif /* GUESTS_LIB_IOAPIC_H */
