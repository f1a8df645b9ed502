/* SPDX-License-Identifier: MIT */
/*
 * mode=echo: interrupt-driven receive, as an 8250 driver does it. The
 * RX-data interrupt handler drains the FIFO into a ring (LSR.DR, then
 * RBR); the main loop, between HLTs, echoes and hashes what the ring
 * holds. COM1's interrupt is edge-triggered at the IOAPIC, so the handler
 * drains until LSR.DR is clear: the UART then lowers its line and the next
 * byte raises a new edge. Only a full ring stops it early, and then the
 * main loop finishes the drain itself before it halts again.
 */
#include "uart.h"

#include <linux/serial_reg.h>

#include "lib/apic.h"
#include "lib/cmdline.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/serial.h"

#define RX_RING		   4096 /* a power of two */
#define MAX_BYTES	   (1UL << 32)
#define DEFAULT_TIMEOUT_MS 30000
#define MAX_TIMEOUT_MS	   3600000
#define MAX_FLUSH_MS	   10000

struct rx_state {
	uint8_t ring[RX_RING];
	/* Free-running: head is written by drains, tail by the main loop. */
	volatile uint32_t head, tail;
	volatile bool stalled; /* a drain stopped at a full ring */
	volatile uint32_t irqs;
};

static struct rx_state rx;

/* IF clear (handler, or main loop between HLTs): the only drainer now. */
static void rx_drain(void)
{
	while (rx.head - rx.tail < RX_RING) {
		if (!(inb(SERIAL_COM1 + UART_LSR) & UART_LSR_DR)) {
			rx.stalled = false;
			return;
		}
		rx.ring[rx.head % RX_RING] = inb(SERIAL_COM1 + UART_RX);
		rx.head++;
	}
	rx.stalled = true;
}

static void rx_handler(struct trap_frame *frame)
{
	(void)frame;
	rx.irqs++;
	rx_drain();
	apic_eoi();
}

/*
 * flush_ms=T: what Linux's 8250 start-up does to input typed during boot.
 * Wait (polling, IER still 0) for the first byte, give the VMM T ms to
 * fill the FIFO, then reset the receiver FIFO through FCR: up to 16 bytes
 * are gone, and input must keep flowing after them. Returns 0, or -1 if
 * no byte came before @deadline.
 */
static int flush_fifo(uint64_t flush_ms, uint64_t deadline)
{
	uint64_t until;

	while (!(inb(SERIAL_COM1 + UART_LSR) & UART_LSR_DR)) {
		if (uart_ticks() >= deadline) {
			printk("FAIL: echo: no input to flush\n");
			return -1;
		}
		sti_hlt();
		cli();
	}
	until = uart_deadline(flush_ms);
	while (uart_ticks() < until) {
		sti_hlt();
		cli();
	}
	outb(SERIAL_COM1 + UART_FCR,
	     UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	printk("echo: receiver FIFO reset after %lu ms\n", flush_ms);
	return 0;
}

int uart_echo(const struct boot_info *bi)
{
	uint64_t n = 0, timeout_ms = DEFAULT_TIMEOUT_MS, flush_ms = 0;
	uint64_t got = 0, deadline;
	uint32_t sum = UART_FNV_INIT;

	if (cmdline_u64(bi->cmdline, "n", &n) < 0 || !n || n >= MAX_BYTES ||
	    cmdline_u64(bi->cmdline, "timeout_ms", &timeout_ms) == -2 ||
	    timeout_ms > MAX_TIMEOUT_MS ||
	    cmdline_u64(bi->cmdline, "flush_ms", &flush_ms) == -2 ||
	    flush_ms > MAX_FLUSH_MS) {
		printk("FAIL: echo: needs n=1..%lu [timeout_ms=0..%u] "
		       "[flush_ms=0..%u]\n",
		       MAX_BYTES - 1, MAX_TIMEOUT_MS, MAX_FLUSH_MS);
		return GUEST_EXIT_USAGE;
	}
	/* FIFO on, no reset: input the VMM already holds must survive. */
	outb(SERIAL_COM1 + UART_FCR, UART_FCR_ENABLE_FIFO);
	outb(SERIAL_COM1 + UART_MCR,
	     UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	uart_irq_start(rx_handler);
	deadline = uart_deadline(timeout_ms);
	if (flush_ms && flush_fifo(flush_ms, deadline))
		return GUEST_EXIT_IRQ;
	printk("echo: waiting for %lu bytes\nECHO_BEGIN\n", n);
	outb(SERIAL_COM1 + UART_IER, UART_IER_RDI);
	while (got < n) {
		while (rx.tail != rx.head && got < n) {
			uint8_t c = rx.ring[rx.tail % RX_RING];

			rx.tail++;
			sum = uart_fnv1a(sum, c);
			serial_putc((char)c);
			got++;
		}
		if (got == n)
			break;
		if (rx.stalled) {
			rx_drain();
			continue;
		}
		if (uart_ticks() >= deadline)
			break;
		sti_hlt();
		cli();
	}
	uart_irq_stop();
	printk("\nECHO_END\n");
	if (got < n) {
		printk("FAIL: echo: %lu of %lu bytes within %lu ms "
		       "(%u interrupts)\n",
		       got, n, timeout_ms, rx.irqs);
		return GUEST_EXIT_IRQ;
	}
	printk("RECEIVED n=%lu sum=%08x irqs=%u\n", n, sum, rx.irqs);
	return 0;
}
