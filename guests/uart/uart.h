/* SPDX-License-Identifier: MIT */
/*
 * guests/uart: exercise vmm's 16550A (COM1) the way a driver does. One mode
 * per run, chosen on the command line:
 *
 *   mode=echo n=N [timeout_ms=T] [flush_ms=F]
 *       FIFO on, RX-data interrupt (IER.RDI) through IOAPIC pin 4; HLT
 *       until it fires, the handler drains the FIFO (LSR.DR, RBR). Each
 *       byte is echoed raw after the line "ECHO_BEGIN" (the echo ends with
 *       "\nECHO_END\n"), hashed (FNV-1a 32), and
 *       "RECEIVED n=N sum=XXXXXXXX irqs=K" is printed once N bytes came.
 *       Fails (exit 21) if they have not come within T ms (default 30000).
 *       flush_ms=F: first wait for input, F ms more, then reset the
 *       receiver FIFO through FCR (as Linux's 8250 start-up does) and
 *       count only what comes after.
 *   mode=loopback
 *       MCR loopback: bytes written to THR come back through RBR, with the
 *       16550's LSR, IIR, MSR, FCR, SCR and divisor-latch semantics, and
 *       the RX interrupt still delivered. "OK: loopback: ..." per check.
 *   mode=tput bytes=N [cpl=3|0] [poll=1|0]
 *       Write N bytes to THR as fast as the UART allows, polling LSR.THRE
 *       before each byte like Linux's console, in a CPL-3 loop (native on
 *       PVM hosts). The payload (lines of 63 letters and a newline, cut to
 *       N bytes) comes right after the line "TPUT_BEGIN" and right before
 *       "TPUT_END"; then "TPUT bytes=N cycles=C tsc_khz=K cpl=L poll=P".
 *       cpl=0 runs the loop at CPL 0, poll=0 skips the LSR reads.
 *
 * With exit_ack=1 (any mode), the guest then prints "EXIT_ACK?" and
 * waits up to ~10 s for one more input byte before it exits, so that a
 * pty reader can read everything before vmm closes the pty.
 *
 * Every mode prints SUCCESS and exits 0 through the debug-exit port, or
 * prints "FAIL: ..." and exits with 20 (bad option), 19 (TSC calibration),
 * 21 (an interrupt or input byte did not arrive) or 22 (a register did not
 * behave as a 16550A's).
 */
#ifndef GUESTS_UART_UART_H
#define GUESTS_UART_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/boot.h"
#include "lib/cpu.h"

#define VEC_UART_TICK 0x40
#define VEC_UART      0x41
/* The deadline tick of echo and loopback: 100 Hz wakes cost little. */
#define UART_TICK_US 10000

/*
 * Take COM1's interrupt: @handler on VEC_UART, IOAPIC pin LAYOUT_COM1_IRQ
 * routed there (edge), the local APIC enabled, and a periodic LAPIC tick
 * that wakes HLT so that waits can end at uart_deadline(). Interrupts stay
 * off (IF clear) until the caller waits with sti_hlt().
 */
void uart_irq_start(trap_handler_t handler);

/* Mask the pin, stop the tick, IER = 0. */
void uart_irq_stop(void);

/* uart_irq_start()'s ticks, counted since it was called. */
uint64_t uart_ticks(void);

/* The tick count after @ms milliseconds from now. */
uint64_t uart_deadline(uint64_t ms);

/*
 * TSC frequency in kHz: CPUID 0x40000010 (hypervisor timing leaf) when
 * the hypervisor offers it, else 10 ms of LAPIC timer counts (1 per ns).
 * Returns 0 when neither works.
 */
uint64_t uart_tsc_khz(void);

/* FNV-1a, 32 bits, one byte at a time: start from UART_FNV_INIT. */
#define UART_FNV_INIT 0x811c9dc5u
static inline uint32_t uart_fnv1a(uint32_t h, uint8_t c)
{
	return (h ^ c) * 0x01000193u;
}

/* The modes; each returns 0 or a GUEST_EXIT_ code after printing why. */
int uart_echo(const struct boot_info *bi);
int uart_loopback(const struct boot_info *bi);
int uart_tput(const struct boot_info *bi);

#endif /* GUESTS_UART_UART_H */
