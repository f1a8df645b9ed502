/* SPDX-License-Identifier: MIT */
/*
 * guests/spin: load shapes for vCPU runstate tests.
 *
 *   mode=spin spin_ms=N   (default) spin N ms at CPL 3, natively on PVM
 *                         hosts: a loop on RDTSC with no exits, while the
 *                         LAPIC timer ticks every tick_us (interrupts from
 *                         CPL 3 into the guest's handlers); tick_us=0 for
 *                         a spin without interrupts
 *   mode=idle idle_ms=N   sleep N ms in HLT at CPL 0 with interrupts on,
 *                         woken by a periodic LAPIC timer every tick_us
 *                         (default 1000): the vCPU is blocked in the
 *                         kernel's halt path almost all the time
 *
 * The TSC is calibrated against the LAPIC timer (lib/apic.h: 1 count per
 * ns at divide-by-1). Prints the figures and SUCCESS; exit status 0, 19
 * (timer or calibration broken), 20 (bad option).
 */
#include "lib/apic.h"
#include "lib/boot.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define VEC_TIMER	     0x40
#define DEFAULT_MS	     1000
#define DEFAULT_SPIN_TICK_US 10000
#define DEFAULT_IDLE_TICK_US 1000
#define MAX_TICK_US	     4000000 /* the 32-bit LAPIC counter at 1 GHz */

static volatile uint64_t ticks;

static void timer_handler(struct trap_frame *frame)
{
	(void)frame;
	ticks++;
	apic_eoi();
}

static long spin_user(long deadline)
{
	while (rdtsc() < (uint64_t)deadline)
		;
	return 0;
}

static int do_spin(uint64_t ms, uint64_t tick_us, uint64_t khz)
{
	uint64_t start = rdtsc();

	if (tick_us)
		apic_timer_start(VEC_TIMER, (uint32_t)tick_us, 1);
	user_call(spin_user, (long)(start + ms * khz));
	apic_timer_stop();
	printk("SPIN_MS=%lu cycles=%lu ticks=%lu\n", ms, rdtsc() - start,
	       ticks);
	return 0;
}

static int do_idle(uint64_t ms, uint64_t tick_us)
{
	uint64_t want = (ms * 1000 + tick_us - 1) / tick_us;
	uint64_t halts = 0;

	apic_timer_start(VEC_TIMER, (uint32_t)tick_us, 1);
	while (ticks < want) {
		sti_hlt();
		cli();
		halts++;
	}
	apic_timer_stop();
	printk("IDLE_MS=%lu ticks=%lu halts=%lu\n", ms, ticks, halts);
	return 0;
}

int guest_main(const struct boot_info *bi)
{
	char mode[16] = "spin";
	uint64_t ms = DEFAULT_MS, tick_us, khz;
	int idle, rc;

	if (cmdline_get(bi->cmdline, "mode", mode, sizeof(mode)) == -2 ||
	    (strcmp(mode, "spin") && strcmp(mode, "idle"))) {
		printk("FAIL: spin: mode must be spin or idle\n");
		return GUEST_EXIT_USAGE;
	}
	idle = !strcmp(mode, "idle");
	tick_us = idle ? DEFAULT_IDLE_TICK_US : DEFAULT_SPIN_TICK_US;
	if (cmdline_u64(bi->cmdline, idle ? "idle_ms" : "spin_ms", &ms) == -2 ||
	    cmdline_u64(bi->cmdline, "tick_us", &tick_us) == -2 ||
	    tick_us > MAX_TICK_US || (idle && !tick_us) || ms > 3600000) {
		printk("FAIL: spin: bad spin_ms/idle_ms/tick_us\n");
		return GUEST_EXIT_USAGE;
	}
	idt_set_handler(VEC_TIMER, timer_handler);
	apic_enable();
	khz = apic_calibrate_tsc_khz();
	if (!khz) {
		printk("FAIL: spin: the LAPIC timer does not count\n");
		return GUEST_EXIT_TIMER;
	}
	printk("spin: mode %s, %lu ms, tick %lu us, TSC %lu kHz\n", mode, ms,
	       tick_us, khz);
	rc = idle ? do_idle(ms, tick_us) : do_spin(ms, tick_us, khz);
	if (!rc)
		printk("SUCCESS\n");
	return rc;
}
