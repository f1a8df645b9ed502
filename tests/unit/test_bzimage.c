/* SPDX-License-Identifier: MIT */
/*
 * bzImage loading through boot_load() with a synthetic image: header
 * validation (every truncation length, bad magic, old protocol, no 64-bit
 * entry, setup_sects past the end), kernel placement, command line limits,
 * initrd placement under initrd_addr_max and the end of RAM, and the zero
 * page that comes out.
 */
#include "arch/x86/boot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>

#include "arch/x86/layout.h"
#include "check.h"
#include "fake_mem.h"

#define SETUP_SECTS 4
#define SETUP_LEN   ((SETUP_SECTS + 1) * 512)
#define PAYLOAD_LEN 8192
#define IMAGE_LEN   (SETUP_LEN + PAYLOAD_LEN)
#define PREF_ADDR   (16 * MiB)
#define INIT_SIZE   (4 * MiB)

static uint8_t image[IMAGE_LEN];

static struct setup_header *hdr(void)
{
	return (struct setup_header *)(image + 0x1f1);
}

/* A minimal valid protocol 2.15 image: header, then a patterned payload. */
static void make_image(void)
{
	struct setup_header *h = hdr();

	memset(image, 0, sizeof(image));
	h->setup_sects = SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->jump = 0x66eb; /* jmp; the header ends at 0x202 + 0x66 */
	memcpy(&h->header, "HdrS", 4);
	h->version = 0x020f;
	h->xloadflags = XLF_KERNEL_64;
	h->syssize = PAYLOAD_LEN / 16;
	h->init_size = INIT_SIZE;
	h->pref_address = PREF_ADDR;
	h->relocatable_kernel = 1;
	h->kernel_alignment = 2 * MiB;
	h->cmdline_size = 2047;
	h->initrd_addr_max = 0x7fffffff;
	for (size_t i = SETUP_LEN; i < IMAGE_LEN; i++)
		image[i] = (uint8_t)(i * 7);
}

struct run {
	struct boot_entry entry;
	const char *msg;
	int ret;
};

static void load(struct mem *mem, const uint8_t *k, size_t len,
		 const char *cmdline, const uint8_t *initrd, size_t initrd_len,
		 struct run *run)
{
	struct boot_config cfg = {
	    .kernel = k,
	    .kernel_len = len,
	    .initrd = initrd,
	    .initrd_len = initrd_len,
	    .cmdline = cmdline,
	    .rsdp_addr = LAYOUT_ACPI_RSDP,
	};

	run->ret = boot_load(mem, &cfg, &run->entry, &run->msg);
}

/* Load @image as it is into @ram bytes; expect @ret and @needle. */
static void expect(uint64_t ram, int ret, const char *needle)
{
	struct mem mem;
	struct run run;

	CHECK_EQ(fake_mem_create(&mem, ram), 0);
	load(&mem, image, IMAGE_LEN, "", NULL, 0, &run);
	CHECK_EQ(run.ret, ret);
	if (needle && !strstr(run.msg, needle)) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", run.msg,
			needle);
		CHECK(0);
	}
	fake_mem_destroy(&mem);
}

static void test_good(void)
{
	static const char cmdline[] = "console=ttyS0 panic=-1";
	static uint8_t initrd[MiB + 100];
	const struct boot_params *bp;
	struct mem mem;
	struct run run;
	uint64_t start;

	make_image();
	memset(initrd, 0x5a, sizeof(initrd));
	CHECK_EQ(fake_mem_create(&mem, 64 * MiB), 0);
	load(&mem, image, IMAGE_LEN, cmdline, initrd, sizeof(initrd), &run);
	CHECK_EQ(run.ret, 0);
	CHECK_EQ(run.entry.protocol, BOOT_LINUX64);
	CHECK_EQ(run.entry.rip, PREF_ADDR + 0x200);
	CHECK_EQ(run.entry.boot_info, LAYOUT_ZERO_PAGE);
	CHECK_EQ(run.entry.kernel_end, PREF_ADDR + INIT_SIZE);
	CHECK(!memcmp(gpa_ptr(&mem, PREF_ADDR, PAYLOAD_LEN), image + SETUP_LEN,
		      PAYLOAD_LEN));
	CHECK(!strcmp(gpa_ptr(&mem, LAYOUT_CMDLINE, sizeof(cmdline)), cmdline));

	/* The initrd: as high as RAM allows, page aligned, intact. */
	start = run.entry.initrd_start;
	CHECK_EQ(start, (64 * MiB - sizeof(initrd)) & ~0xfffULL);
	CHECK(!memcmp(gpa_ptr(&mem, start, sizeof(initrd)), initrd,
		      sizeof(initrd)));

	bp = gpa_ptr(&mem, LAYOUT_ZERO_PAGE, sizeof(*bp));
	CHECK_EQ(bp->hdr.boot_flag, 0xaa55);
	CHECK(!memcmp(&bp->hdr.header, "HdrS", 4));
	CHECK_EQ(bp->hdr.version, 0x020f);
	CHECK_EQ(bp->hdr.init_size, INIT_SIZE);
	CHECK_EQ(bp->hdr.type_of_loader, 0xff);
	CHECK_EQ(bp->hdr.vid_mode, 0xffff);
	CHECK_EQ(bp->hdr.loadflags & CAN_USE_HEAP, 0);
	CHECK_EQ(bp->hdr.code32_start, PREF_ADDR);
	CHECK_EQ(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	CHECK_EQ(bp->ext_cmd_line_ptr, 0);
	CHECK_EQ(bp->hdr.ramdisk_image, start);
	CHECK_EQ(bp->hdr.ramdisk_size, sizeof(initrd));
	CHECK_EQ(bp->ext_ramdisk_image, 0);
	CHECK_EQ(bp->acpi_rsdp_addr, LAYOUT_ACPI_RSDP);
	CHECK_EQ(bp->e820_entries, 3);
	CHECK_EQ(bp->e820_table[2].addr, MiB);
	CHECK_EQ(bp->e820_table[2].size, 63 * MiB);
	/* Nothing past the header was copied from the image. */
	CHECK_EQ(bp->sentinel, 0);
	fake_mem_destroy(&mem);
}

/* Every prefix of a valid image is refused, without reading past it. */
static void test_truncated(void)
{
	struct mem mem;
	struct run run;
	int bad = 0;

	make_image();
	CHECK_EQ(fake_mem_create(&mem, 64 * MiB), 0);
	for (size_t len = 0; len < IMAGE_LEN; len++) {
		/* An exact-size copy, so ASan sees any over-read. */
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, image, len);
		load(&mem, copy, len, "", NULL, 0, &run);
		if (run.ret != -ENOEXEC || !run.msg[0]) {
			fprintf(stderr, "truncated to %zu: %d \"%s\"\n", len,
				run.ret, run.msg);
			bad++;
		}
		free(copy);
	}
	CHECK_EQ(bad, 0);
	/* Nothing was written while refusing them. */
	CHECK_EQ(*(uint8_t *)gpa_ptr(&mem, PREF_ADDR + 1, 1), 0);
	fake_mem_destroy(&mem);
}

static void test_bad_headers(void)
{
	make_image();
	memcpy(image + 0x202, "HdrX", 4);
	expect(64 * MiB, -ENOEXEC, "not a bzImage or ELF vmlinux");

	make_image();
	hdr()->boot_flag = 0x1234;
	expect(64 * MiB, -ENOEXEC, "boot flag");

	make_image();
	hdr()->version = 0x020a;
	expect(64 * MiB, -ENOEXEC, "protocol 2.10 is older than 2.12");

	make_image();
	hdr()->xloadflags = 0;
	expect(64 * MiB, -ENOEXEC, "XLF_KERNEL_64");

	make_image();
	hdr()->setup_sects = 200;
	expect(64 * MiB, -ENOEXEC, "setup_sects 200 reaches beyond");

	make_image();
	hdr()->syssize = PAYLOAD_LEN / 16 + 1;
	expect(64 * MiB, -ENOEXEC, "truncated");

	make_image();
	hdr()->syssize = 0;
	expect(64 * MiB, -ENOEXEC, "syssize 0");

	make_image();
	hdr()->jump = 0x10eb; /* header would end before init_size */
	expect(64 * MiB, -ENOEXEC, "before init_size");

	make_image();
	hdr()->kernel_alignment = 3 * MiB;
	expect(64 * MiB, -ENOEXEC, "power of two");

	/* setup_sects 0 means 4: the same image still loads. */
	make_image();
	hdr()->setup_sects = 0;
	expect(64 * MiB, 0, NULL);
}

static void test_placement(void)
{
	struct mem mem;
	struct run run;

	/* Not relocatable: loaded at 1 MiB, runs at pref_address. */
	make_image();
	hdr()->relocatable_kernel = 0;
	CHECK_EQ(fake_mem_create(&mem, 64 * MiB), 0);
	load(&mem, image, IMAGE_LEN, "", NULL, 0, &run);
	CHECK_EQ(run.ret, 0);
	CHECK_EQ(run.entry.rip, LAYOUT_KERNEL_DEFAULT + 0x200);
	CHECK_EQ(run.entry.kernel_end, PREF_ADDR + INIT_SIZE);
	fake_mem_destroy(&mem);

	/* No usable pref_address: 1 MiB, running from the next 2 MiB. */
	make_image();
	hdr()->pref_address = 0;
	CHECK_EQ(fake_mem_create(&mem, 64 * MiB), 0);
	load(&mem, image, IMAGE_LEN, "", NULL, 0, &run);
	CHECK_EQ(run.ret, 0);
	CHECK_EQ(run.entry.rip, LAYOUT_KERNEL_DEFAULT + 0x200);
	CHECK_EQ(run.entry.kernel_end, 2 * MiB + INIT_SIZE);
	fake_mem_destroy(&mem);

	/* init_size must fit below the end of RAM. */
	make_image();
	expect(PREF_ADDR + INIT_SIZE, 0, NULL);
	expect(PREF_ADDR + INIT_SIZE - 4096, -ENOSPC, "init_size");
}

static void test_cmdline(void)
{
	char line[64];
	struct mem mem;
	struct run run;

	make_image();
	hdr()->cmdline_size = 16;
	CHECK_EQ(fake_mem_create(&mem, 64 * MiB), 0);
	/* cmdline_size counts characters without the NUL (boot.rst). */
	memset(line, 'a', sizeof(line));
	line[16] = '\0';
	load(&mem, image, IMAGE_LEN, line, NULL, 0, &run);
	CHECK_EQ(run.ret, 0);
	line[16] = 'a';
	line[17] = '\0';
	load(&mem, image, IMAGE_LEN, line, NULL, 0, &run);
	CHECK_EQ(run.ret, -EINVAL);
	CHECK(strstr(run.msg, "command line") != NULL);
	fake_mem_destroy(&mem);
}

static void test_initrd(void)
{
	static uint8_t small[MiB + 100];
	uint8_t *big = calloc(1, 45 * MiB);
	struct mem mem;
	struct run run;
	uint64_t start;

	make_image();
	CHECK_EQ(fake_mem_create(&mem, 64 * MiB), 0);
	/* 44 MiB lie between the kernel's end (20 MiB) and 64 MiB. */
	load(&mem, image, IMAGE_LEN, "", big, 45 * MiB, &run);
	CHECK_EQ(run.ret, -ENOSPC);
	CHECK(strstr(run.msg, "initrd (46080 KiB) does not fit") != NULL);
	load(&mem, image, IMAGE_LEN, "", big, 44 * MiB, &run);
	CHECK_EQ(run.ret, 0);
	CHECK_EQ(run.entry.initrd_start, 20 * MiB);

	/* initrd_addr_max is the last byte the initrd may use. */
	hdr()->initrd_addr_max = 32 * MiB - 1;
	load(&mem, image, IMAGE_LEN, "", small, sizeof(small), &run);
	CHECK_EQ(run.ret, 0);
	start = run.entry.initrd_start;
	CHECK_EQ(start, (32 * MiB - sizeof(small)) & ~0xfffULL);
	CHECK(start + sizeof(small) <= 32 * MiB);
	CHECK(start >= run.entry.kernel_end);
	load(&mem, image, IMAGE_LEN, "", big, 13 * MiB, &run);
	CHECK_EQ(run.ret, -ENOSPC);
	fake_mem_destroy(&mem);
	free(big);
}

int main(void)
{
	test_good();
	test_truncated();
	test_bad_headers();
	test_placement();
	test_cmdline();
	test_initrd();
	return check_done("test_bzimage");
}
