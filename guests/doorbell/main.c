/* SPDX-License-Identifier: MIT */
/*
 * guests/doorbell: the benchmark guest of `vmm bench doorbell`. Not meant
 * to be booted by hand: it takes its parameters from the mailbox vmm
 * writes at LAYOUT_BENCH_MAILBOX (bench/bench_abi.h) and needs the bench's
 * echo device. At CPL 0 (emulated on PVM hosts, so kept short) it checks
 * the mailbox, finds the TSC frequency (KVM's CPUID leaf 0x40000010, else
 * the mailbox), points the device's vector at a DPL-3 trap gate and
 * enables the LAPIC; everything timed runs at CPL 3 (tests.c). Exit status
 * 0, GUEST_EXIT_USAGE (bad mailbox) or GUEST_EXIT_BENCH (device trouble,
 * a round trip that never completed), with the reason in the mailbox and
 * on the console.
 */
#include "doorbell.h"

#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "lib/apic.h"
#include "lib/boot.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/print.h"

#define GATE_TRAP_DPL3	    0xef /* P, DPL 3, 64-bit trap gate */
#define KVM_CPUID_SIGNATURE 0x40000000
#define KVM_CPUID_TSC_KHZ   0x40000010 /* eax: TSC kHz (VMware/KVM) */

/* True if [addr, addr + len) is RAM in the loader's memory map. */
static bool in_ram(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
	for (unsigned int i = 0; i < bi->memmap_count; i++) {
		const struct memmap_entry *e = &bi->memmap[i];

		if (e->type == MEMMAP_TYPE_RAM && addr >= e->addr &&
		    len <= e->size && addr - e->addr <= e->size - len)
			return true;
	}
	return false;
}

static const char *check_mailbox(const struct boot_info *bi,
				 const struct bench_abi *abi)
{
	if (!in_ram(bi, LAYOUT_BENCH_MAILBOX, sizeof(*abi)))
		return "mailbox outside RAM";
	if (abi->magic != BENCH_ABI_MAGIC || abi->version != BENCH_ABI_VERSION)
		return "no mailbox (run me with vmm bench doorbell)";
	if (!abi->rounds || abi->rounds > abi->iterations ||
	    abi->iterations > BENCH_ABI_MAX_ITERATIONS ||
	    abi->bell >= BENCH_NR_BELLS || !abi->timeout_us || !abi->tests ||
	    abi->tests >> BENCH_NR_TESTS)
		return "bad parameters";
	if (!in_ram(bi, LAYOUT_BENCH_MAILBOX, bench_abi_size(abi->iterations)))
		return "sample arrays outside RAM";
	return NULL;
}

/* KVM's TSC frequency leaf, if the hypervisor has one; else 0. */
static uint32_t cpuid_tsc_khz(void)
{
	uint32_t max, b, c, d, khz;

	cpuid(KVM_CPUID_SIGNATURE, 0, &max, &b, &c, &d);
	if (b != 0x4b4d564b || c != 0x564b4d56 || d != 0x4d ||
	    max < KVM_CPUID_TSC_KHZ)
		return 0;
	cpuid(KVM_CPUID_TSC_KHZ, 0, &khz, &b, &c, &d);
	return khz;
}

/*
 * The device's vector enters irq.S at CPL 3: a trap gate (IF stays set)
 * to the DPL-3 code segment. The library's own gates go to CPL 0, which a
 * PVM host would emulate; it has no call for this, so write the IDT entry
 * found through SIDT.
 */
static void install_gate(void)
{
	uint64_t addr = (uintptr_t)db_irq_entry;
	struct table_desc d;
	struct idt_gate *idt;

	asm volatile("sidt %0" : "=m"(d));
	idt = (struct idt_gate *)(uintptr_t)d.base;
	idt[DB_VECTOR] = (struct idt_gate){
	    .offset_lo = (uint16_t)addr,
	    .selector = SEL_USER_CS,
	    .type_attr = GATE_TRAP_DPL3,
	    .offset_mid = (uint16_t)(addr >> 16),
	    .offset_hi = (uint32_t)(addr >> 32),
	};
}

int guest_main(const struct boot_info *bi)
{
	struct bench_abi *abi = (struct bench_abi *)LAYOUT_BENCH_MAILBOX;
	struct db_start start = {.abi = abi};
	const char *err = check_mailbox(bi, abi);
	long rc;

	if (err) {
		printk("FAIL: doorbell: %s\n", err);
		return GUEST_EXIT_USAGE;
	}
	abi->tsc_start = rdtsc();
	abi->tsc_source = BENCH_TSC_CPUID;
	start.tsc_khz = cpuid_tsc_khz();
	if (!start.tsc_khz) {
		abi->tsc_source = BENCH_TSC_MAILBOX;
		start.tsc_khz = abi->tsc_khz;
	}
	abi->tsc_khz_used = (uint32_t)start.tsc_khz;
	if (!start.tsc_khz) {
		printk("FAIL: doorbell: TSC frequency unknown\n");
		return GUEST_EXIT_USAGE;
	}
	install_gate();
	apic_enable();
	start.apic_id = (uint8_t)apic_id();
	db_irq_ack_addr = LAYOUT_BENCH_VIRTIO_BASE + VIRTIO_MMIO_INTERRUPT_ACK;
	db_irq_eoi_addr = APIC_MMIO_BASE + APIC_EOI;
	ioapic_mask(LAYOUT_BENCH_VIRTIO_GSI);

	rc = user_call(db_run, (long)&start);

	ioapic_mask(LAYOUT_BENCH_VIRTIO_GSI);
	abi->tsc_end = rdtsc();
	abi->status = (uint32_t)rc;
	if (rc) {
		abi->message[sizeof(abi->message) - 1] = 0;
		printk("FAIL: doorbell: %s\n", abi->message);
		return (int)rc;
	}
	printk("doorbell: %u iterations x %u rounds, TSC %lu kHz (%s), "
	       "features 0x%x\n",
	       abi->iterations, abi->rounds, start.tsc_khz,
	       abi->tsc_source == BENCH_TSC_CPUID ? "cpuid" : "mailbox",
	       abi->features);
	printk("SUCCESS\n");
	return 0;
}
