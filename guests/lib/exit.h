/* SPDX-License-Identifier: MIT */
/*
 * How a test guest reports its result: one byte written to the
 * isa-debug-exit port 0xf4 (vmm --debug-exit turns it into vmm's exit
 * status). The codes below are the contract with the scripts in tests/guest/.
 *
 * 1..4 are vmm's own statuses (runtime error, usage, reset, crash) and are
 * never used by a guest, so a guest failure cannot be mistaken for them.
 */
#ifndef GUESTS_LIB_EXIT_H
#define GUESTS_LIB_EXIT_H

#define DEBUG_EXIT_PORT 0xf4

#define GUEST_EXIT_SUCCESS 0
/* lib: the loader's boot information is unusable (bad magic, pointers). */
#define GUEST_EXIT_BOOTINFO 10
/* lib: an exception or interrupt nobody handles (message printed first). */
#define GUEST_EXIT_TRAP 11
/* hello: command line missing or without the keys the test passes. */
#define GUEST_EXIT_CMDLINE 12
/* hello: e820 / PVH memmap does not describe mem_mb of RAM correctly. */
#define GUEST_EXIT_MEMMAP 13
/* hello: initrd missing, misplaced, wrong size or wrong checksum. */
#define GUEST_EXIT_INITRD 14
/* hello, smp: ACPI tables missing, bad checksums, CPU count, FADT flags. */
#define GUEST_EXIT_ACPI 15
/* hello: MP table missing, bad checksums or wrong processor count. */
#define GUEST_EXIT_MPTABLE 16
/* hello: a power action (poweroff, reset, ...) did not stop the VM. */
#define GUEST_EXIT_ACTION 17
/* smp: not every AP started (exactly once). */
#define GUEST_EXIT_SMP 18
/* spin: timer or TSC calibration did not work. */
#define GUEST_EXIT_TIMER 19
/* any guest: bad option value on the command line (e.g. action=bogus). */
#define GUEST_EXIT_USAGE 20
/* hello: a device interrupt did not arrive through the IOAPIC. */
#define GUEST_EXIT_IRQ 21
/* uart: a 16550 register did not behave as the data sheet says. */
#define GUEST_EXIT_UART 22
/* doorbell: the bench device misbehaved or a round trip never completed. */
#define GUEST_EXIT_BENCH 23

#ifndef __ASSEMBLER__
/*
 * Write @code to the debug-exit port. If the VM keeps running (vmm was
 * started without --debug-exit), print a note and force a triple fault so
 * the run still ends, with vmm status 4.
 */
void guest_exit(unsigned int code) __attribute__((noreturn));
#endif

#endif /* GUESTS_LIB_EXIT_H */
