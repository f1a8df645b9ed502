/* SPDX-License-Identifier: MIT */
/*
 * mode=loopback: the 16550A's internal loopback (MCR.LOOP), which drivers
 * use to probe for a working UART (Linux 8250 autoconfig writes MCR
 * LOOP|RTS|OUT2 and expects MSR CTS|DCD). Transmitted bytes go straight
 * into the receive FIFO and the modem-status inputs follow the
 * modem-control outputs: CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2
 * (TI PC16550D data sheet, 8.6.4 "Modem Control Register").
 *
 * While LOOP is set anything printed would land in our own FIFO, so the
 * checks only record failures; they are printed once loopback is off.
 */
#include "uart.h"

#include <linux/serial_reg.h>

#include "lib/apic.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/serial.h"

#define MAX_MSGS	8
#define MSG_LEN		112
#define IRQ_TIMEOUT_MS	5000
#define IIR_FIFO	0xc0 /* IIR bits 7:6 with the FIFO enabled */
#define MSR_STATUS_BITS 0xf0

/* Never seen elsewhere in the transcript: the test checks it stays out. */
static const char pattern[] = "lbQz7#kW2@xV9%mR";

struct lb_state {
	unsigned int fails;
	char msgs[MAX_MSGS][MSG_LEN];
	volatile unsigned int irqs;
	volatile uint8_t irq_iir, irq_byte;
};

static struct lb_state lb;

static uint8_t reg_in(unsigned int reg)
{
	return inb((uint16_t)(SERIAL_COM1 + reg));
}

static void reg_out(unsigned int reg, uint8_t val)
{
	outb((uint16_t)(SERIAL_COM1 + reg), val);
}

/* Record (not print: we are in loopback) a mismatch. */
static void expect(const char *what, unsigned int got, unsigned int want)
{
	if (got == want)
		return;
	if (lb.fails < MAX_MSGS)
		snprintk(lb.msgs[lb.fails], MSG_LEN, "%s: 0x%x, expected 0x%x",
			 what, got, want);
	lb.fails++;
}

/* Modem status inputs follow the outputs, each on its own wire. */
static void check_msr(void)
{
	static const uint8_t mcr[] = {0x0, 0x1, 0x2, 0x4, 0x8, 0xa, 0xf};
	static const uint8_t msr[] = {0x00, 0x20, 0x10, 0x40, 0x80, 0x90, 0xf0};

	char what[32];

	for (unsigned int i = 0; i < sizeof(mcr); i++) {
		reg_out(UART_MCR, UART_MCR_LOOP | mcr[i]);
		expect("MCR readback", reg_in(UART_MCR),
		       UART_MCR_LOOP | mcr[i]);
		snprintk(what, sizeof(what), "MSR[7:4] with MCR[3:0]=0x%x",
			 mcr[i]);
		expect(what, reg_in(UART_MSR) & MSR_STATUS_BITS, msr[i]);
	}
	reg_out(UART_MCR,
		UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
}

/* FIFO enabled and reset: IIR reports it, nothing pending, THR empty. */
static void check_fifo_reset(void)
{
	reg_out(UART_IER, 0);
	reg_out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
			      UART_FCR_CLEAR_XMIT);
	expect("IIR after FIFO reset", reg_in(UART_IIR),
	       IIR_FIFO | UART_IIR_NO_INT);
	expect("LSR after FIFO reset", reg_in(UART_LSR),
	       UART_LSR_TEMT | UART_LSR_THRE);
}

/* Bytes come back in order; 16 fit; more are an overrun. */
static void check_data(void)
{
	unsigned int n = sizeof(pattern) - 1;

	reg_out(UART_TX, 0xa5);
	expect("LSR.DR after one byte", reg_in(UART_LSR) & UART_LSR_DR,
	       UART_LSR_DR);
	expect("RBR", reg_in(UART_RX), 0xa5);
	expect("LSR.DR after reading it", reg_in(UART_LSR) & UART_LSR_DR, 0);

	/* One byte more than the FIFO holds: the FIFO keeps the first 16. */
	for (unsigned int i = 0; i <= n; i++)
		reg_out(UART_TX, (uint8_t)pattern[i % n]);
	for (unsigned int i = 0; i < n; i++) {
		expect("LSR.DR while the FIFO holds data",
		       reg_in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
		expect("FIFO byte", reg_in(UART_RX), (uint8_t)pattern[i]);
	}
	expect("LSR.DR after 16 bytes", reg_in(UART_LSR) & UART_LSR_DR, 0);
}

/* Receiver FIFO reset through FCR drops what it holds. */
static void check_fifo_clear(void)
{
	reg_out(UART_TX, 1);
	reg_out(UART_TX, 2);
	reg_out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	expect("LSR.DR after FCR receiver reset",
	       reg_in(UART_LSR) & UART_LSR_DR, 0);
}

/* Interrupt identification: priority, and THRI cleared by reading IIR. */
static void check_iir(void)
{
	reg_out(UART_IER, UART_IER_THRI);
	expect("IIR, THRI just enabled", reg_in(UART_IIR),
	       IIR_FIFO | UART_IIR_THRI);
	expect("IIR read again (THRI cleared)", reg_in(UART_IIR),
	       IIR_FIFO | UART_IIR_NO_INT);
	reg_out(UART_IER, UART_IER_THRI | UART_IER_RDI);
	reg_out(UART_TX, 0x3c);
	expect("IIR, RX data and THRI pending", reg_in(UART_IIR),
	       IIR_FIFO | UART_IIR_RDI);
	expect("RBR", reg_in(UART_RX), 0x3c);
	expect("IIR after the RX data was read", reg_in(UART_IIR),
	       IIR_FIFO | UART_IIR_THRI);
	expect("IIR after THRI was reported", reg_in(UART_IIR),
	       IIR_FIFO | UART_IIR_NO_INT);
	reg_out(UART_IER, 0xff);
	expect("IER (bits 7:4 read as 0)", reg_in(UART_IER), 0x0f);
	reg_out(UART_IER, 0);
}

/* Scratch register and divisor latch; DLAB hides THR/IER. */
static void check_scr_dlab(void)
{
	reg_out(UART_SCR, 0x5a);
	expect("SCR", reg_in(UART_SCR), 0x5a);
	reg_out(UART_IER, UART_IER_RLSI);
	reg_out(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	reg_out(UART_DLL, 0x0c); /* divisor 0x010c: two distinct bytes */
	reg_out(UART_DLM, 0x01);
	expect("DLL", reg_in(UART_DLL), 0x0c);
	expect("DLM", reg_in(UART_DLM), 0x01);
	expect("LSR.DR after a DLL write", reg_in(UART_LSR) & UART_LSR_DR, 0);
	reg_out(UART_DLL, 0x01); /* back to 115200 */
	reg_out(UART_DLM, 0x00);
	reg_out(UART_LCR, UART_LCR_WLEN8);
	expect("LCR", reg_in(UART_LCR), UART_LCR_WLEN8);
	expect("IER behind the divisor latch", reg_in(UART_IER), UART_IER_RLSI);
	reg_out(UART_IER, 0);
}

static void lb_handler(struct trap_frame *frame)
{
	(void)frame;
	lb.irq_iir = reg_in(UART_IIR);
	if (reg_in(UART_LSR) & UART_LSR_DR)
		lb.irq_byte = reg_in(UART_RX);
	lb.irqs++;
	apic_eoi();
}

/* A looped-back byte raises the RX interrupt through the IOAPIC. */
static void check_irq(void)
{
	uint64_t deadline;

	uart_irq_start(lb_handler);
	deadline = uart_deadline(IRQ_TIMEOUT_MS);
	reg_out(UART_IER, UART_IER_RDI);
	reg_out(UART_TX, 0x7e);
	while (!lb.irqs && uart_ticks() < deadline) {
		sti_hlt();
		cli();
	}
	uart_irq_stop();
	expect("RX interrupts", lb.irqs, 1);
	expect("IIR in the handler", lb.irq_iir, IIR_FIFO | UART_IIR_RDI);
	expect("byte read in the handler", lb.irq_byte, 0x7e);
}

static const struct {
	const char *name;
	void (*check)(void);
} checks[] = {
    {"MSR follows MCR (CTS=RTS DSR=DTR RI=OUT1 DCD=OUT2)", check_msr},
    {"FIFO reset, IIR/LSR idle", check_fifo_reset},
    {"THR to RBR, 16-byte FIFO, order", check_data},
    {"FCR receiver reset", check_fifo_clear},
    {"IIR priority, THRI cleared by IIR read, IER bits", check_iir},
    {"SCR, divisor latch", check_scr_dlab},
    {"RX interrupt via IOAPIC", check_irq},
};

int uart_loopback(const struct boot_info *bi)
{
	unsigned int result[sizeof(checks) / sizeof(checks[0])];
	unsigned int n = sizeof(checks) / sizeof(checks[0]);

	(void)bi;
	printk("loopback: %u checks\n", n);
	reg_out(UART_MCR,
		UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
	for (unsigned int i = 0; i < n; i++) {
		unsigned int before = lb.fails;

		checks[i].check();
		result[i] = lb.fails - before;
	}
	reg_out(UART_FCR, 0);
	reg_out(UART_MCR, UART_MCR_OUT2 | UART_MCR_RTS | UART_MCR_DTR);
	for (unsigned int i = 0; i < n; i++)
		printk("%s: loopback: %s\n", result[i] ? "FAIL" : "OK",
		       checks[i].name);
	for (unsigned int i = 0; i < lb.fails && i < MAX_MSGS; i++)
		printk("FAIL: loopback: %s\n", lb.msgs[i]);
	return lb.fails ? GUEST_EXIT_UART : 0;
}
