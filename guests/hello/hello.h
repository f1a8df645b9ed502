/* SPDX-License-Identifier: MIT */
/*
 * guests/hello: a test guest that checks what the loader handed over and
 * prints a verdict. Command line (all keys are key=value words):
 *
 *   mem_mb=N          RAM given to vmm --mem, in MiB (required)
 *   cpus=N            vCPUs given to vmm --cpus (required)
 *   initrd_size=N     an initrd of N bytes is expected, with
 *   initrd_sum=HEX    its FNV-1a 32-bit hash (see hello_fnv1a())
 *   uart_irq=1        also check that COM1's THRI interrupt arrives
 *                     through IOAPIC pin 4 (needs the UART)
 *   action=A          skip the checks, do A instead: poweroff (ACPI S5),
 *                     reset (FADT reset register), i8042 (pulse reset
 *                     through port 0x64), triple (triple fault), exit:V
 *                     (debug-exit with status V)
 *
 * Output: "OK: ..." or "FAIL: <what>: <why>" per check, then "SUCCESS"
 * if all passed. Exit status (lib/exit.h): 0, or the class of the first
 * failed check: 10 boot info, 12 command line, 13 memory map, 14 initrd,
 * 15 ACPI, 16 MP table, 17 action had no effect, 20 bad action, 21 IRQ.
 */
#ifndef GUESTS_HELLO_HELLO_H
#define GUESTS_HELLO_HELLO_H

#include <stdint.h>

#include "lib/boot.h"

struct hello_expect {
	uint64_t mem_mb;
	uint64_t cpus;
	int has_initrd;
	uint64_t initrd_size;
	uint32_t initrd_sum;
	int uart_irq;
};

/*
 * FNV-1a, 32 bits: h = 0x811c9dc5; for each byte: h ^= byte,
 * h *= 0x01000193 (mod 2^32). tests/guest computes the same in python3.
 * Runs at CPL 3 through user_call() so large initrds are checked at
 * native speed.
 */
uint32_t hello_fnv1a(uint64_t addr, uint64_t size);

/* Each check prints its OK/FAIL lines; returns 0 or a GUEST_EXIT_ code. */
int check_bootinfo(const struct boot_info *bi);
int check_memmap(const struct boot_info *bi, const struct hello_expect *ex);
int check_initrd(const struct boot_info *bi, const struct hello_expect *ex);
int check_acpi(const struct boot_info *bi, const struct hello_expect *ex);
int check_mptable(const struct boot_info *bi, const struct hello_expect *ex);
int check_uart_irq(void);

/* Perform action=@action; returns only if it failed (exit code). */
int run_action(const struct boot_info *bi, const char *action);

#endif /* GUESTS_HELLO_HELLO_H */
