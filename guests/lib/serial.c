/* SPDX-License-Identifier: MIT */
/*
 * Polled 16550 transmitter on COM1. Register numbers follow the 16550
 * data sheet: THR/RBR 0, IER 1, FCR 2, LCR 3, MCR 4, LSR 5.
 */
#include "serial.h"

#include "io.h"

#define UART_IER      1
#define UART_FCR      2
#define UART_LCR      3
#define UART_MCR      4
#define UART_LSR      5
#define UART_LSR_THRE 0x20
/* Polls before giving up on THRE and writing anyway. */
#define UART_THRE_POLLS 10000

void serial_init(void)
{
	outb(SERIAL_COM1 + UART_IER, 0x00); /* no interrupts */
	outb(SERIAL_COM1 + UART_LCR, 0x03); /* 8 bits, no parity, 1 stop */
	outb(SERIAL_COM1 + UART_FCR, 0x00); /* FIFO off */
	outb(SERIAL_COM1 + UART_MCR, 0x03); /* DTR | RTS */
}

void serial_putc(char c)
{
	for (int i = 0; i < UART_THRE_POLLS; i++)
		if (inb(SERIAL_COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(SERIAL_COM1, (uint8_t)c);
}
