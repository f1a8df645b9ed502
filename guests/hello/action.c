/* SPDX-License-Identifier: MIT */
/*
 * action=...: ways for the guest to end the VM other than debug-exit, so
 * tests can check vmm's exit status for each (poweroff 0, reset 3, i8042
 * 3, triple fault 4, exit:V V). If the VM is still running a while after
 * the request, the action failed: report it and exit GUEST_EXIT_ACTION.
 */
#include "hello.h"

#include "lib/acpi.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

#define I8042_COMMAND	  0x64
#define I8042_PULSE_RESET 0xfe
/*
 * How long a stop request may take to end the VM: about a second at the
 * 2 GHz TSC of our hosts, 0.3 s on a 6 GHz one. Not a test threshold:
 * the guest only gives up waiting.
 */
#define ACTION_GRACE_CYCLES 2000000000ULL

static void grace_period(void)
{
	uint64_t start = rdtsc();

	while (rdtsc() - start < ACTION_GRACE_CYCLES)
		cpu_relax();
}

static const struct acpi_fadt *find_fadt(const struct boot_info *bi,
					 const char **err)
{
	uint64_t addr = bi->rsdp_addr ? bi->rsdp_addr : acpi_rsdp_scan();
	const struct acpi_rsdp *rsdp;

	if (!addr) {
		*err = "no RSDP";
		return NULL;
	}
	rsdp = acpi_rsdp_at(addr, err);
	if (!rsdp)
		return NULL;
	return (const struct acpi_fadt *)acpi_find(rsdp, "FACP", err);
}

static int acpi_action(const struct boot_info *bi, const char *action)
{
	const struct acpi_fadt *fadt;
	const char *err = NULL;

	fadt = find_fadt(bi, &err);
	if (!fadt) {
		printk("FAIL: action %s: FADT: %s\n", action, err);
		return GUEST_EXIT_ACTION;
	}
	if (!strcmp(action, "poweroff"))
		acpi_poweroff(fadt, &err);
	else
		acpi_reset(fadt, &err);
	grace_period();
	printk("FAIL: action %s: %s\n", action, err);
	return GUEST_EXIT_ACTION;
}

int run_action(const struct boot_info *bi, const char *action)
{
	uint64_t v;

	printk("hello: action %s\n", action);
	if (!strcmp(action, "poweroff") || !strcmp(action, "reset"))
		return acpi_action(bi, action);
	if (!strcmp(action, "i8042")) {
		outb(I8042_COMMAND, I8042_PULSE_RESET);
		grace_period();
		printk("FAIL: action i8042: the VM kept running\n");
		return GUEST_EXIT_ACTION;
	}
	if (!strcmp(action, "triple"))
		cpu_triple_fault();
	if (!strncmp(action, "exit:", 5) &&
	    !parse_u64(action + 5, strlen(action + 5), 0, &v) && v <= 255)
		guest_exit((unsigned int)v);
	printk("FAIL: action %s: unknown (poweroff, reset, i8042, triple, "
	       "exit:V)\n",
	       action);
	return GUEST_EXIT_USAGE;
}
