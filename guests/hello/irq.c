/* SPDX-License-Identifier: MIT */
/*
 * uart_irq=1: check the interrupt path a driver would use. COM1's
 * transmitter-empty interrupt (16550 IER.THRI) must arrive through IOAPIC
 * pin LAYOUT_COM1_IRQ as the vector the guest programmed there.
 */
#include "hello.h"

#include "arch/x86/layout.h"
#include "lib/apic.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/print.h"
#include "lib/serial.h"

#define VEC_UART      0x41
#define UART_IER      1
#define UART_IIR      2
#define UART_IER_THRI 0x02
#define UART_IIR_THRI 0x02
/*
 * How long interrupts stay enabled waiting for it: ~50 ms at 2 GHz. On
 * PVM hosts an interrupt is taken only between emulation batches, so the
 * window must span many instructions, not a few.
 */
#define IRQ_WAIT_CYCLES 100000000ULL

static volatile unsigned int uart_irqs;
static volatile uint8_t uart_iir;

static void uart_handler(struct trap_frame *frame)
{
	(void)frame;
	uart_iir = inb(SERIAL_COM1 + UART_IIR); /* clears THRI */
	outb(SERIAL_COM1 + UART_IER, 0);
	uart_irqs++;
	apic_eoi();
}

int check_uart_irq(void)
{
	uint64_t start;

	idt_set_handler(VEC_UART, uart_handler);
	apic_enable();
	ioapic_route(LAYOUT_COM1_IRQ, VEC_UART, (uint8_t)apic_id(), 0);
	/* Enabling THRI with an empty transmitter raises the interrupt. */
	outb(SERIAL_COM1 + UART_IER, UART_IER_THRI);
	start = rdtsc();
	sti();
	while (!uart_irqs && rdtsc() - start < IRQ_WAIT_CYCLES)
		cpu_relax();
	cli();
	outb(SERIAL_COM1 + UART_IER, 0);
	ioapic_mask(LAYOUT_COM1_IRQ);
	if (!uart_irqs || (uart_iir & 0x0f) != UART_IIR_THRI) {
		printk("FAIL: irq: COM1 THRI via IOAPIC pin %u: %u interrupts, "
		       "IIR 0x%x\n",
		       LAYOUT_COM1_IRQ, uart_irqs, uart_iir);
		return GUEST_EXIT_IRQ;
	}
	printk("OK: irq: COM1 THRI via IOAPIC pin %u as vector 0x%x\n",
	       LAYOUT_COM1_IRQ, VEC_UART);
	return 0;
}
