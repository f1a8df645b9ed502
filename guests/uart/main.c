/* SPDX-License-Identifier: MIT */
/*
 * guests/uart: mode dispatch (see uart.h) and what the modes share: COM1's
 * interrupt through the IOAPIC with a LAPIC tick as a deadline clock, and
 * the TSC frequency for tput's figures.
 */
#include "uart.h"

#include <linux/serial_reg.h>

#include "arch/x86/layout.h"
#include "lib/apic.h"
#include "lib/cmdline.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/print.h"
#include "lib/serial.h"
#include "lib/string.h"

/* How long exit_ack=1 waits: ~10 s at 2 GHz. */
#define EXIT_ACK_MAX_CYCLES 20000000000ULL
#define CPUID_HV_BASE	    0x40000000
#define CPUID_HV_TIMING	    0x40000010

static volatile uint64_t ticks;

static void tick_handler(struct trap_frame *frame)
{
	(void)frame;
	ticks++;
	apic_eoi();
}

void uart_irq_start(trap_handler_t handler)
{
	idt_set_handler(VEC_UART, handler);
	idt_set_handler(VEC_UART_TICK, tick_handler);
	apic_enable();
	ioapic_route(LAYOUT_COM1_IRQ, VEC_UART, (uint8_t)apic_id(), 0);
	ticks = 0;
	apic_timer_start(VEC_UART_TICK, UART_TICK_US, 1);
}

void uart_irq_stop(void)
{
	outb(SERIAL_COM1 + UART_IER, 0);
	ioapic_mask(LAYOUT_COM1_IRQ);
	apic_timer_stop();
}

uint64_t uart_ticks(void)
{
	return ticks;
}

uint64_t uart_deadline(uint64_t ms)
{
	return ticks + (ms * 1000 + UART_TICK_US - 1) / UART_TICK_US;
}

uint64_t uart_tsc_khz(void)
{
	uint32_t a, b, c, d;

	cpuid(CPUID_HV_BASE, 0, &a, &b, &c, &d);
	if (a >= CPUID_HV_TIMING && a < CPUID_HV_BASE + 0x100) {
		cpuid(CPUID_HV_TIMING, 0, &a, &b, &c, &d);
		if (a)
			return a;
	}
	apic_enable();
	return apic_calibrate_tsc_khz();
}

/*
 * exit_ack=1: after the verdict, print "EXIT_ACK?" and wait (bounded) for
 * one more input byte before exiting. A pty loses what its reader has not
 * read yet when vmm exits and closes the master; the test's reader sends
 * the byte once it has seen the whole transcript.
 */
static void wait_exit_ack(void)
{
	uint64_t start = rdtsc();

	printk("EXIT_ACK?\n");
	while (!(inb(SERIAL_COM1 + UART_LSR) & UART_LSR_DR))
		if (rdtsc() - start > EXIT_ACK_MAX_CYCLES) {
			printk("exit_ack: no byte came; exiting anyway\n");
			return;
		}
}

int guest_main(const struct boot_info *bi)
{
	char mode[16];
	int rc;

	if (cmdline_get(bi->cmdline, "mode", mode, sizeof(mode)) < 0) {
		printk("FAIL: uart: mode=echo|loopback|tput is required\n");
		return GUEST_EXIT_USAGE;
	}
	if (!strcmp(mode, "echo")) {
		rc = uart_echo(bi);
	} else if (!strcmp(mode, "loopback")) {
		rc = uart_loopback(bi);
	} else if (!strcmp(mode, "tput")) {
		rc = uart_tput(bi);
	} else {
		printk("FAIL: uart: unknown mode '%s'\n", mode);
		return GUEST_EXIT_USAGE;
	}
	if (!rc)
		printk("SUCCESS\n");
	if (cmdline_has(bi->cmdline, "exit_ack"))
		wait_exit_ack();
	return rc;
}
