/* SPDX-License-Identifier: MIT */
/*
 * guests/smp: start every application processor and count them.
 *
 * Command line: cpus=N (vmm --cpus). The APIC ids come from the ACPI MADT;
 * the BSP sends each other id INIT, SIPI, SIPI through the xAPIC ICR with
 * the real-mode trampoline (trampoline.S) copied to SMP_TRAMPOLINE. Each
 * AP records its CPUID APIC id, increments a counter and halts. The BSP
 * waits (bounded by the TSC) for N - 1, prints APS_STARTED=<count> and,
 * if every AP started exactly once with the APIC id the MADT gave it,
 * SUCCESS. Exit status: 0, 15 (ACPI/MADT), 18 (APs), 12 (command line).
 */
#include "lib/acpi.h"
#include "lib/apic.h"
#include "lib/boot.h"
#include "lib/cmdline.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

/*
 * The trampoline page: below 1 MiB (real-mode start vector 0x10), RAM in
 * the e820 map, and not used by vmm (arch/x86/layout.h puts its boot data
 * below 0xf000 and the command line at 0x20000). Checked at run time.
 */
#define SMP_TRAMPOLINE	    0x10000
#define SMP_TRAMPOLINE_SIZE 0x1000
#define SIPI_VECTOR	    (SMP_TRAMPOLINE >> 12)
#define MAX_CPUS	    256
/*
 * How long the BSP waits for the APs: ~5 s at the 2 GHz TSC of our hosts.
 * Only bounds a failing run; success never waits this long.
 */
#define SMP_WAIT_CYCLES 10000000000ULL

extern const char ap_trampoline[], ap_trampoline_end[];
extern const char ap_count[], ap_seen[];

static volatile uint16_t *tramp_count(void)
{
	return (volatile uint16_t *)(uintptr_t)(SMP_TRAMPOLINE +
						(ap_count - ap_trampoline));
}

static volatile uint8_t *tramp_seen(void)
{
	return (volatile uint8_t *)(uintptr_t)(SMP_TRAMPOLINE +
					       (ap_seen - ap_trampoline));
}

static int overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
	return a < b + b_len && b < a + a_len;
}

/* The page must be RAM and clear of everything the loader put there. */
static int trampoline_page_ok(const struct boot_info *bi)
{
	uint64_t p = SMP_TRAMPOLINE, n = SMP_TRAMPOLINE_SIZE;

	if (!boot_memmap_is_ram(bi, p, n)) {
		printk("FAIL: smp: trampoline page 0x%lx is not RAM\n", p);
		return 0;
	}
	if (overlaps(p, n, bi->cmdline_addr, strlen(bi->cmdline) + 1) ||
	    overlaps(p, n, bi->initrd_addr, bi->initrd_size) ||
	    overlaps(p, n, (uintptr_t)bi->zero_page, 4096) ||
	    overlaps(p, n, (uintptr_t)bi->start_info, 4096)) {
		printk("FAIL: smp: the loader uses trampoline page 0x%lx\n", p);
		return 0;
	}
	return 1;
}

static int madt_ids(const struct boot_info *bi, uint32_t *ids)
{
	uint64_t addr = bi->rsdp_addr ? bi->rsdp_addr : acpi_rsdp_scan();
	const struct acpi_rsdp *rsdp;
	const struct acpi_madt *madt;
	const char *err = "no RSDP";

	rsdp = addr ? acpi_rsdp_at(addr, &err) : NULL;
	madt = rsdp ? (const void *)acpi_find(rsdp, "APIC", &err) : NULL;
	if (!madt) {
		printk("FAIL: smp: MADT: %s\n", err);
		return -1;
	}
	return acpi_madt_cpus(madt, ids, MAX_CPUS);
}

static int start_aps(const uint32_t *ids, int n, uint32_t bsp)
{
	const uint32_t init = APIC_ICR_INIT | APIC_ICR_LEVEL_ASSERT;
	const uint32_t sipi =
	    APIC_ICR_STARTUP | APIC_ICR_LEVEL_ASSERT | SIPI_VECTOR;

	for (int i = 0; i < n; i++) {
		if (ids[i] == bsp)
			continue;
		/* SDM vol. 3, 9.4.4.1: INIT, then two STARTUPs. */
		if (apic_send_ipi(ids[i], init) ||
		    apic_send_ipi(ids[i], sipi) ||
		    apic_send_ipi(ids[i], sipi)) {
			printk("FAIL: smp: ICR stays busy sending to APIC id "
			       "%u\n",
			       ids[i]);
			return -1;
		}
	}
	return 0;
}

/* Every AP id seen exactly as listed; nothing else. */
static int check_seen(const uint32_t *ids, int n, uint32_t bsp)
{
	volatile uint8_t *seen = tramp_seen();
	int rc = 0;

	for (int i = 0; i < n; i++) {
		int want = ids[i] != bsp;

		if (ids[i] < MAX_CPUS && seen[ids[i]] != want) {
			printk("FAIL: smp: APIC id %u %s\n", ids[i],
			       want ? "never reported in (CPUID leaf 1 id)"
				    : "reported although it is the BSP");
			rc = -1;
		}
	}
	return rc;
}

int guest_main(const struct boot_info *bi)
{
	static uint32_t ids[MAX_CPUS];
	uint64_t cpus, start;
	uint32_t bsp;
	uint16_t count;
	int n;

	if (cmdline_u64(bi->cmdline, "cpus", &cpus) || !cpus ||
	    cpus > MAX_CPUS) {
		printk("FAIL: smp: cmdline needs cpus=N (1..%u)\n", MAX_CPUS);
		return GUEST_EXIT_CMDLINE;
	}
	n = madt_ids(bi, ids);
	if (n < 0)
		return GUEST_EXIT_ACPI;
	if ((uint64_t)n != cpus || n > MAX_CPUS) {
		printk("FAIL: smp: MADT lists %d CPUs, expected %lu\n", n,
		       cpus);
		return GUEST_EXIT_ACPI;
	}
	if (!trampoline_page_ok(bi))
		return GUEST_EXIT_SMP;
	memcpy((void *)(uintptr_t)SMP_TRAMPOLINE, ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));
	apic_enable();
	bsp = apic_id();
	printk("smp: %d CPUs in the MADT, BSP APIC id %u, trampoline at 0x%x\n",
	       n, bsp, SMP_TRAMPOLINE);
	if (start_aps(ids, n, bsp))
		return GUEST_EXIT_SMP;
	start = rdtsc();
	while (*tramp_count() < n - 1 && rdtsc() - start < SMP_WAIT_CYCLES)
		cpu_relax();
	count = *tramp_count();
	printk("APS_STARTED=%u\n", count);
	if (count != n - 1) {
		printk("FAIL: smp: %u of %d APs started\n", count, n - 1);
		return GUEST_EXIT_SMP;
	}
	if (check_seen(ids, n, bsp))
		return GUEST_EXIT_SMP;
	printk("SUCCESS\n");
	return 0;
}
