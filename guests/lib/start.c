/* SPDX-License-Identifier: MIT */
/*
 * The C side of start-up, reached from lib/head.S on the bootstrap
 * processor with a stack and a cleared .bss: console, 8259 PICs masked,
 * descriptor tables, boot information, then the guest's guest_main(), whose
 * return value becomes the debug-exit status.
 */
#include "boot.h"
#include "cpu.h"
#include "exit.h"
#include "io.h"
#include "ioapic.h"
#include "print.h"
#include "serial.h"

void lib_start(int kind, uint64_t ptr) __attribute__((noreturn));

/* 3 KiB of memory map: too big for the 16 KiB boot stack's comfort. */
static struct boot_info boot_info;

void lib_start(int kind, uint64_t ptr)
{
	const char *err;

	serial_init();
	pic_disable();
	cpu_init();
	err = boot_info_parse(&boot_info, kind, ptr);
	if (err) {
		printk("FAIL: boot info (%s entry, 0x%lx): %s\n",
		       boot_kind_name(kind), ptr, err);
		guest_exit(GUEST_EXIT_BOOTINFO);
	}
	guest_exit((unsigned int)guest_main(&boot_info));
}

void guest_exit(unsigned int code)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)code);
	printk("guest_exit(%u): still running after the debug-exit write "
	       "(is vmm run with --debug-exit?); forcing a triple fault\n",
	       code);
	cpu_triple_fault();
}
