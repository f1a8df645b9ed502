/* SPDX-License-Identifier: MIT */
/*
 * guests/hello entry: read the expectations from the command line, run
 * every check (or the requested action) and report. See hello.h for the
 * command line and the exit statuses.
 */
#include "hello.h"

#include "lib/cmdline.h"
#include "lib/exit.h"
#include "lib/print.h"
#include "lib/string.h"

#define INITRD_SUM_DIGITS 8

static int parse_expect(const struct boot_info *bi, struct hello_expect *ex)
{
	const char *cl = bi->cmdline;
	char sum[16];
	uint64_t v;
	int n;

	if (cmdline_u64(cl, "mem_mb", &ex->mem_mb) || !ex->mem_mb) {
		printk("FAIL: cmdline: no valid mem_mb=N\n");
		return GUEST_EXIT_CMDLINE;
	}
	if (cmdline_u64(cl, "cpus", &ex->cpus) || !ex->cpus) {
		printk("FAIL: cmdline: no valid cpus=N\n");
		return GUEST_EXIT_CMDLINE;
	}
	n = cmdline_u64(cl, "initrd_size", &ex->initrd_size);
	if (n == -2) {
		printk("FAIL: cmdline: bad initrd_size\n");
		return GUEST_EXIT_CMDLINE;
	}
	ex->has_initrd = n == 0;
	ex->uart_irq = cmdline_u64(cl, "uart_irq", &v) == 0 && v;
	n = cmdline_get(cl, "initrd_sum", sum, sizeof(sum));
	if (ex->has_initrd != (n >= 0)) {
		printk("FAIL: cmdline: initrd_size needs initrd_sum\n");
		return GUEST_EXIT_CMDLINE;
	}
	if (ex->has_initrd) {
		n = n == INITRD_SUM_DIGITS ? parse_u64(sum, 8, 16, &v) : -1;
		if (n) {
			printk("FAIL: cmdline: initrd_sum: 8 hex digits\n");
			return GUEST_EXIT_CMDLINE;
		}
		ex->initrd_sum = (uint32_t)v;
	}
	return 0;
}

/* The command line must be a bounded C string before anything prints it. */
static int check_cmdline(const struct boot_info *bi)
{
	size_t len;

	if (!bi->cmdline_addr) {
		printk("FAIL: cmdline: the loader passed no command line\n");
		return GUEST_EXIT_CMDLINE;
	}
	len = strnlen(bi->cmdline, CMDLINE_MAX);
	if (len == CMDLINE_MAX) {
		printk("FAIL: cmdline: no NUL in the first %u bytes at 0x%lx\n",
		       CMDLINE_MAX, bi->cmdline_addr);
		return GUEST_EXIT_CMDLINE;
	}
	if (bi->zero_page && len > bi->zero_page->hdr.cmdline_size) {
		printk("FAIL: cmdline: %zu bytes, more than cmdline_size %u\n",
		       len, bi->zero_page->hdr.cmdline_size);
		return GUEST_EXIT_CMDLINE;
	}
	printk("hello: cmdline at 0x%lx: \"%s\"\n", bi->cmdline_addr,
	       bi->cmdline);
	return 0;
}

int guest_main(const struct boot_info *bi)
{
	struct hello_expect ex = {0};
	char action[32];
	int rc, first = 0;

	printk("hello: %s entry, boot info at 0x%lx, image 0x%lx-0x%lx\n",
	       boot_kind_name(bi->kind),
	       bi->zero_page ? (uint64_t)(uintptr_t)bi->zero_page
			     : (uint64_t)(uintptr_t)bi->start_info,
	       bi->image_start, bi->image_end);
	rc = check_cmdline(bi);
	if (rc)
		return rc;
	if (cmdline_get(bi->cmdline, "action", action, sizeof(action)) >= 0)
		return run_action(bi, action);
	rc = parse_expect(bi, &ex);
	if (rc)
		return rc;

	/* Run every check so one run reports every problem; keep the first. */
	rc = check_bootinfo(bi);
	first = first ? first : rc;
	rc = check_memmap(bi, &ex);
	first = first ? first : rc;
	rc = check_initrd(bi, &ex);
	first = first ? first : rc;
	rc = check_acpi(bi, &ex);
	first = first ? first : rc;
	rc = check_mptable(bi, &ex);
	first = first ? first : rc;
	if (ex.uart_irq) {
		rc = check_uart_irq();
		first = first ? first : rc;
	}
	if (!first)
		printk("SUCCESS\n");
	return first;
}
