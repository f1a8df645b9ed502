/* SPDX-License-Identifier: MIT */
/*
 * GDT, TSS and IDT of the test guests, and the C side of interrupt
 * dispatch. The GDT is also the one head.S loads on the 32-bit (PVH) path
 * before any C runs, so its code and data descriptors are static data;
 * only the TSS descriptor is filled in at run time.
 */
#include "cpu.h"

#include <stddef.h>

#include "exit.h"
#include "io.h"
#include "print.h"

/* Segment descriptors (Intel SDM vol. 3, 3.4.5): flat, 4 KiB granular. */
#define DESC_CODE32	 0x00cf9a000000ffffULL /* P, DPL0, exec/read, D */
#define DESC_CODE64	 0x00af9a000000ffffULL /* P, DPL0, exec/read, L */
#define DESC_DATA	 0x00cf92000000ffffULL /* P, DPL0, read/write */
#define DESC_USER_DATA	 0x00cff2000000ffffULL /* same, DPL3 */
#define DESC_USER_CODE64 0x00affa000000ffffULL /* same, DPL3 */
#define DESC_TSS_AVAIL	 0x89ULL	       /* P, 64-bit TSS available */

#define GATE_INTR 0x8e /* P, DPL0, 64-bit interrupt gate */

#define IRQ_STACK_SIZE 16384

/* 64-bit TSS (SDM vol. 3, 8.7): only RSP0 is used. */
struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* lib/trap.S pushes 15 registers below vector, error code and CPU frame. */
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap.S");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap.S");
_Static_assert(sizeof(struct tss64) == 104, "TSS size");
_Static_assert(SEL_TSS / 8 + 2 <= GDT_ENTRIES, "GDT too small");

/* head.S loads gdt_desc (with a 32-bit base in 32-bit mode) on PVH entry. */
uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16))) = {
    [SEL_KERNEL_CS32 / 8] = DESC_CODE32,  [SEL_KERNEL_CS / 8] = DESC_CODE64,
    [SEL_KERNEL_DS / 8] = DESC_DATA,	  [SEL_USER_DS / 8] = DESC_USER_DATA,
    [SEL_USER_CS / 8] = DESC_USER_CODE64,
};

const struct table_desc gdt_desc = {
    .limit = sizeof(gdt) - 1,
    .base = (uintptr_t)gdt,
};

/*
 * The TSS with an all-zero I/O permission bitmap (every port allowed at
 * CPL 3) and the 0xff byte the SDM requires after it (vol. 1, 19.5.2).
 */
#define IOMAP_BYTES (65536 / 8)
struct tss_block {
	struct tss64 tss;
	uint8_t iomap[IOMAP_BYTES + 1];
};

static struct tss_block tss_block __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static trap_handler_t handlers[256];
static uint8_t irq_stack[IRQ_STACK_SIZE] __attribute__((aligned(16)));

/* lib/trap.S */
extern const char trap_stubs[];
void user_call_return(long value) __attribute__((noreturn));
extern const char user_return_ud2[];

#define TRAP_STUB_SIZE 16

static void set_gate(unsigned int vector)
{
	uint64_t addr = (uintptr_t)trap_stubs + vector * TRAP_STUB_SIZE;

	idt[vector] = (struct idt_gate){
	    .offset_lo = (uint16_t)addr,
	    .selector = SEL_KERNEL_CS,
	    .ist = 0,
	    .type_attr = GATE_INTR,
	    .offset_mid = (uint16_t)(addr >> 16),
	    .offset_hi = (uint32_t)(addr >> 32),
	};
}

/*
 * #UD. user_call() ends with a UD2 at user_return_ud2 (lib/trap.S): on a
 * PVM host neither INT n nor SYSCALL reach CPL 0 from CPL 3 (INT 0x80
 * raises #UD, SYSCALL stays at CPL 3), but exceptions are delivered
 * through the IDT with the TSS stack switch. Any other #UD is a bug.
 */
static void ud_handler(struct trap_frame *frame)
{
	if ((frame->cs & 3) == 3 && frame->rip == (uintptr_t)user_return_ud2)
		user_call_return((long)frame->rdi);
	trap_report(frame);
}

static void spurious_handler(struct trap_frame *frame)
{
	/* LAPIC spurious interrupts need no EOI (SDM vol. 3, 11.9). */
	(void)frame;
}

static void load_tss(void)
{
	struct tss64 *tss = &tss_block.tss;
	uint64_t base = (uintptr_t)&tss_block;
	uint64_t limit = sizeof(tss_block) - 1;

	tss->rsp[0] = (uintptr_t)irq_stack + sizeof(irq_stack);
	tss->iomap_base = sizeof(*tss);
	tss_block.iomap[IOMAP_BYTES] = 0xff;
	/* SDM vol. 3, 8.2.3: a 16-byte system descriptor. */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (DESC_TSS_AVAIL << 40) |
			   (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
}

void cpu_init(void)
{
	struct table_desc idt_desc = {
	    .limit = sizeof(idt) - 1,
	    .base = (uintptr_t)idt,
	};

	load_tss();
	/* Reload CS through a far return, then the data segments and TR. */
	asm volatile("lgdt %0\n\t"
		     "pushq %1\n\t"
		     "leaq 1f(%%rip), %%rax\n\t"
		     "pushq %%rax\n\t"
		     "lretq\n"
		     "1:\n\t"
		     "movl %2, %%eax\n\t"
		     "movl %%eax, %%ds\n\t"
		     "movl %%eax, %%es\n\t"
		     "movl %%eax, %%ss\n\t"
		     "xorl %%eax, %%eax\n\t"
		     "movl %%eax, %%fs\n\t"
		     "movl %%eax, %%gs\n\t"
		     "movw %3, %%ax\n\t"
		     "ltr %%ax"
		     :
		     : "m"(gdt_desc), "i"(SEL_KERNEL_CS), "i"(SEL_KERNEL_DS),
		       "i"(SEL_TSS)
		     : "rax", "memory");
	for (unsigned int v = 0; v < 256; v++)
		set_gate(v);
	idt_set_handler(VEC_UD, ud_handler);
	idt_set_handler(VEC_SPURIOUS, spurious_handler);
	asm volatile("lidt %0" : : "m"(idt_desc) : "memory");
}

void idt_set_handler(unsigned int vector, trap_handler_t handler)
{
	if (vector < 256)
		handlers[vector] = handler;
}

void trap_report(const struct trap_frame *frame)
{
	printk("FAIL: unexpected trap: vector %lu error 0x%lx rip 0x%lx "
	       "cs 0x%lx rflags 0x%lx rsp 0x%lx cr2 0x%lx\n",
	       frame->vector, frame->error_code, frame->rip, frame->cs,
	       frame->rflags, frame->rsp, read_cr2());
	guest_exit(GUEST_EXIT_TRAP);
}

void trap_dispatch(struct trap_frame *frame)
{
	unsigned int v = (unsigned int)frame->vector;

	if (v < 256 && handlers[v]) {
		handlers[v](frame);
		return;
	}
	trap_report(frame);
}

void cpu_triple_fault(void)
{
	static const struct table_desc null_idt = {0, 0};

	/*
	 * With a zero-limit IDT, #UD cannot be delivered (#GP), nor can the
	 * #GP (#DF), nor the #DF: the CPU shuts down. UD2 rather than INT3:
	 * KVM's emulator (all CPL-0 code on PVM hosts) fails on INT3 with an
	 * internal error instead of raising #BP.
	 */
	asm volatile("lidt %0\n\t"
		     "ud2"
		     :
		     : "m"(null_idt)
		     : "memory");
	for (;;)
		hlt();
}
