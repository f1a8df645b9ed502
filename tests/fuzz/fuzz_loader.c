/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the kernel loaders (src/arch/x86/: load.c, bzimage.c, pvh.c,
 * elfload.c, loader.c) with arbitrary kernel files: boot_load() picks
 * bzImage or ELF/PVH by the magic, as `vmm --kernel` does, parses the
 * setup header or the program headers and notes, places kernel, command
 * line and initrd in a fake guest memory (tests/unit/fake_mem.c) of one
 * of four sizes, and writes them there.
 *
 * Input: u8 RAM size choice, u8 command line length and its bytes, u16
 * initrd length and its bytes, then the kernel file. Seeds start the
 * file with "HdrS" at 0x202 or the ELF magic.
 *
 * Checked besides ASan/UBSan: a failure has a message; a success puts
 * the kernel and the initrd inside guest RAM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"
#include "base/mem.h"
#include "base/util.h"
#include "fake_mem.h"
#include "input.h"

static const uint64_t ram_sizes[] = {2 * MiB, 16 * MiB, 64 * MiB, 256 * MiB};
static struct mem mems[4];

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	/* calloc'd once: pages the loaders never write stay untouched. */
	for (unsigned int i = 0; i < 4; i++)
		if (fake_mem_create(&mems[i], ram_sizes[i]))
			abort();
	return 0;
}

static bool in_ram(const struct mem *mem, uint64_t start, uint64_t end)
{
	return start <= end && gpa_ptr(mem, start, end - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct mem *mem = &mems[fuzz_u8(&in) % 4];
	struct boot_config cfg = {.rsdp_addr = LAYOUT_ACPI_RSDP};
	struct boot_entry entry;
	const uint8_t *p;
	const char *err;
	char *cmdline, *initrd = NULL;
	uint8_t *kernel;
	size_t len;
	int r;

	p = fuzz_bytes(&in, fuzz_u8(&in), &len);
	cmdline = fuzz_dup(p, len, 1);
	cfg.cmdline = cmdline;
	p = fuzz_bytes(&in, fuzz_u16(&in), &len);
	if (len) {
		initrd = fuzz_dup(p, len, 0);
		cfg.initrd = (const uint8_t *)initrd;
		cfg.initrd_len = len;
	}
	/* Its own allocation, so that a read past the file's end is seen. */
	p = fuzz_bytes(&in, in.n, &cfg.kernel_len);
	kernel = fuzz_dup(p, cfg.kernel_len, 0);
	cfg.kernel = kernel;
	r = boot_load(mem, &cfg, &entry, &err);
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "fuzz_loader: %d %s\n", r, r ? err : "loaded");
	if (r && (!err || !*err)) {
		fprintf(stderr, "fuzz_loader: error %d without a message\n", r);
		abort();
	}
	if (!r && (!in_ram(mem, entry.kernel_start, entry.kernel_end) ||
		   (entry.initrd_start &&
		    !in_ram(mem, entry.initrd_start,
			    entry.initrd_start + cfg.initrd_len)))) {
		fprintf(stderr, "fuzz_loader: placed outside RAM\n");
		abort();
	}
	free(kernel);
	free(initrd);
	free(cmdline);
	return 0;
}
