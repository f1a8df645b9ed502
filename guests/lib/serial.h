/* SPDX-License-Identifier: MIT */
/*
 * COM1 (16550 at I/O port 0x3f8) output by polling the line status
 * register, as Linux's early console does: two port exits per byte.
 * Output only; the guests never read the serial port.
 */
#ifndef GUESTS_LIB_SERIAL_H
#define GUESTS_LIB_SERIAL_H

#define SERIAL_COM1 0x3f8

/* Program 8N1 with interrupts off. Safe to call more than once. */
void serial_init(void);

/*
 * Write one byte. Waits (bounded) for the transmitter holding register to
 * be empty, so a UART that never reports THRE cannot hang the guest.
 * Usable at CPL 0, and at CPL 3 when IOPL is 3 (lib/cpu.h user_call()).
 */
void serial_putc(char c);

#endif /* GUESTS_LIB_SERIAL_H */
