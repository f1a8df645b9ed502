/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables and privilege levels for the test guests: one GDT with
 * kernel and user (ring 3) segments and a 64-bit TSS, one IDT whose 256
 * vectors all enter trap_dispatch(), and user_call() to run a function at
 * CPL 3 and come back.
 *
 * Why CPL 3 matters: on a PVM host, guest CPL-0 code runs in KVM's
 * instruction emulator (~0.7 us per instruction) and CPL-3 code runs
 * natively, so long loops belong in user_call(). For CPL-3 code to run,
 * every paging level must have the U/S bit set for the pages it touches;
 * the 64-bit boot protocol identity map of vmm and the PVH entry's own map
 * (lib/head.S) both set it everywhere.
 *
 * Single-CPU: only the bootstrap processor may use the IDT handlers,
 * user_call() and the TSS; application processors in lib-based guests stay
 * in their own minimal code (see guests/smp).
 */
#ifndef GUESTS_LIB_CPU_H
#define GUESTS_LIB_CPU_H

/*
 * GDT layout. 0x10/0x18 match the boot protocol's __BOOT_CS/__BOOT_DS so
 * the selectors vmm loaded stay meaningful after our GDT replaces its GDT.
 */
#define SEL_KERNEL_CS32 0x08 /* flat 32-bit code, used by the PVH entry */
#define SEL_KERNEL_CS	0x10 /* 64-bit code, DPL 0 */
#define SEL_KERNEL_DS	0x18 /* flat data, DPL 0 */
#define SEL_USER_DS	0x23 /* flat data, DPL 3 (GDT index 4, RPL 3) */
#define SEL_USER_CS	0x2b /* 64-bit code, DPL 3 (GDT index 5, RPL 3) */
#define SEL_TSS		0x30 /* 64-bit TSS, two GDT slots */
#define GDT_ENTRIES	8

/* Vectors with a fixed meaning in every guest. */
#define VEC_UD	     6	  /* #UD; a UD2 in lib/trap.S ends user_call() */
#define VEC_SPURIOUS 0xff /* LAPIC spurious vector (lib/apic.h) */

/*
 * RFLAGS for user_call(): IF (bit 9) and reserved bit 1. IOPL stays 0:
 * PVM ignores it; CPL-3 port I/O is allowed by the TSS I/O bitmap instead.
 */
#define USER_RFLAGS 0x0202

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>

/* A 64-bit IDT gate (Intel SDM vol. 3, 6.14.1). */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

/* The operand of lgdt/lidt/sgdt/sidt. */
struct table_desc {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* What the interrupt stubs (lib/trap.S) save, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code; /* 0 for vectors without one */
	/* pushed by the CPU */
	uint64_t rip, cs, rflags, rsp, ss;
};

typedef void (*trap_handler_t)(struct trap_frame *frame);

/*
 * Load the GDT (with TSS), reload all segment registers, load TR and an
 * IDT in which every vector goes to trap_dispatch(). Called once by the
 * library before main(); guests do not call it.
 */
void cpu_init(void);

/*
 * Route @vector to @handler (interrupt gate, DPL 0: IF is clear in the
 * handler). Hardware interrupts and exceptions reach it from CPL 0 and
 * CPL 3; "int n" is not supported (PVM turns it into #UD). The handler
 * returns to the interrupted code when it returns. VEC_UD is taken.
 */
void idt_set_handler(unsigned int vector, trap_handler_t handler);

/*
 * Run @fn(@arg) at CPL 3 with IF set, on a dedicated 16 KiB user stack,
 * and return its return value at CPL 0 with IF clear. @fn may do port I/O
 * (the TSS I/O bitmap allows every port) and MMIO, but no privileged
 * instruction (HLT, CLI, STI, MSRs, control registers): those fault and
 * end the guest with GUEST_EXIT_TRAP. Interrupts that arrive meanwhile go
 * to their handlers and back to @fn. Not reentrant.
 */
long user_call(long (*fn)(long), long arg);

/* Load an empty IDT and raise #UD: the CPU triple-faults (shutdown). */
void cpu_triple_fault(void) __attribute__((noreturn));

/* Called by lib/trap.S for every vector; not for guests. */
void trap_dispatch(struct trap_frame *frame);

/* Print @frame as "FAIL: unexpected trap ..." and exit GUEST_EXIT_TRAP. */
void trap_report(const struct trap_frame *frame) __attribute__((noreturn));

#endif /* __ASSEMBLER__ */
#endif /* GUESTS_LIB_CPU_H */
