/* SPDX-License-Identifier: MIT */
/*
 * mode=tput: transmit throughput of the UART as a guest console sees it.
 * Each byte costs what it costs Linux's 8250 console: an LSR read until
 * THRE, then the THR write, so two port-I/O exits per byte. The loop runs
 * at CPL 3 through user_call() (port I/O allowed by the TSS bitmap) so
 * that on PVM hosts only the exits are slow, not the loop around them.
 *
 * For comparison, cpl=0 runs the same loop at CPL 0 (emulated on PVM
 * hosts, as a real-mode or kernel console would be) and poll=0 writes THR
 * without reading LSR (one exit per byte).
 *
 * Transcript: "TPUT_BEGIN\n", exactly N payload bytes (lines of 63
 * letters and a newline, the last one possibly cut short), "TPUT_END\n",
 * then the figures from the TSC read at CPL 3 around the loop.
 */
#include "uart.h"

#include <linux/serial_reg.h>

#include "lib/cmdline.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/serial.h"

#define MAX_BYTES (1UL << 30)
#define LINE_LEN  64
/* Polls of LSR before writing anyway (a UART that never says THRE). */
#define THRE_POLLS 1000000

struct tput_run {
	uint64_t bytes;
	bool poll; /* poll LSR.THRE before each byte */
	uint64_t tsc_begin, tsc_end;
	uint64_t thre_timeouts;
};

/* CPL 3 (or 0): no privileged instructions, only port I/O and RDTSC. */
static long tput_user(long arg)
{
	struct tput_run *run = (struct tput_run *)arg;
	uint64_t bytes = run->bytes, timeouts = 0;

	run->tsc_begin = rdtsc();
	for (uint64_t i = 0; i < bytes; i++) {
		unsigned int col = i % LINE_LEN;
		uint8_t c = col == LINE_LEN - 1 ? '\n' : 'a' + col % 26;
		unsigned int polls = 0;

		while (run->poll &&
		       !(inb(SERIAL_COM1 + UART_LSR) & UART_LSR_THRE))
			if (++polls == THRE_POLLS) {
				timeouts++;
				break;
			}
		outb(SERIAL_COM1 + UART_TX, c);
	}
	run->tsc_end = rdtsc();
	run->thre_timeouts = timeouts;
	return 0;
}

int uart_tput(const struct boot_info *bi)
{
	struct tput_run run = {0};
	uint64_t khz, cpl = 3, poll = 1;

	if (cmdline_u64(bi->cmdline, "bytes", &run.bytes) < 0 || !run.bytes ||
	    run.bytes > MAX_BYTES ||
	    cmdline_u64(bi->cmdline, "cpl", &cpl) == -2 ||
	    (cpl != 0 && cpl != 3) ||
	    cmdline_u64(bi->cmdline, "poll", &poll) == -2 || poll > 1) {
		printk("FAIL: tput: needs bytes=1..%lu [cpl=0|3] [poll=0|1]\n",
		       MAX_BYTES);
		return GUEST_EXIT_USAGE;
	}
	run.poll = poll;
	khz = uart_tsc_khz();
	if (!khz) {
		printk("FAIL: tput: no TSC frequency (CPUID 0x40000010 absent "
		       "and the LAPIC timer does not count)\n");
		return GUEST_EXIT_TIMER;
	}
	printk("TPUT_BEGIN\n");
	if (cpl == 3)
		user_call(tput_user, (long)&run);
	else
		tput_user((long)&run);
	printk("TPUT_END\n");
	printk("TPUT bytes=%lu cycles=%lu tsc_khz=%lu cpl=%lu poll=%lu\n",
	       run.bytes, run.tsc_end - run.tsc_begin, khz, cpl, poll);
	if (run.thre_timeouts) {
		printk("FAIL: tput: LSR.THRE stayed clear %lu times\n",
		       run.thre_timeouts);
		return GUEST_EXIT_UART;
	}
	return 0;
}
