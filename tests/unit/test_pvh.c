/* SPDX-License-Identifier: MIT */
/*
 * PVH loading through boot_load() with synthetic ELF64 and ELF32 kernels
 * built here: the XEN_ELFNOTE_PHYS32_ENTRY note (found behind another
 * note, or missing), every truncation length, malformed program headers
 * and notes, segments outside RAM, and the hvm_start_info that results.
 */
#include "arch/x86/boot.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/layout.h"
#include "arch/x86/pvh.h"
#include "check.h"
#include "fake_mem.h"

#define PADDR	 (16 * MiB)
#define ENTRY	 (PADDR + 0x40)
#define TEXT_OFF 512
#define TEXT_LEN 4096
#define BSS_LEN	 4096
#define FILE_LEN (TEXT_OFF + TEXT_LEN)
#define RAM	 (64 * MiB)

static uint8_t file[FILE_LEN];
static size_t note_off, note_len, ph_off;

/* A "GNU" build-id note, then (optionally) Xen's PVH entry note. */
static size_t put_notes(uint8_t *p, bool pvh)
{
	uint32_t gnu[3] = {4, 20, NT_GNU_BUILD_ID};
	uint32_t xen[3] = {4, 4, XEN_ELFNOTE_PHYS32_ENTRY};
	uint32_t entry = ENTRY;
	size_t n = 0;

	memcpy(p + n, gnu, 12);
	memcpy(p + n + 12, "GNU", 4);
	memset(p + n + 16, 0xab, 20);
	n += 36;
	if (!pvh)
		return n;
	memcpy(p + n, xen, 12);
	memcpy(p + n + 12, "Xen", 4);
	memcpy(p + n + 16, &entry, 4);
	return n + 20;
}

static void fill_text(void)
{
	for (size_t i = 0; i < TEXT_LEN; i++)
		file[TEXT_OFF + i] = (uint8_t)(i * 13 + 1);
}

static void make_elf64(bool pvh)
{
	Elf64_Ehdr eh = {
	    .e_type = ET_EXEC,
	    .e_machine = EM_X86_64,
	    .e_version = EV_CURRENT,
	    .e_entry = 0xffffffff81000000,
	    .e_phoff = sizeof(Elf64_Ehdr),
	    .e_ehsize = sizeof(eh),
	    .e_phentsize = sizeof(Elf64_Phdr),
	    .e_phnum = 2,
	};
	Elf64_Phdr ph[2] = {
	    {.p_type = PT_LOAD,
	     .p_offset = TEXT_OFF,
	     .p_vaddr = 0xffffffff81000000,
	     .p_paddr = PADDR,
	     .p_filesz = TEXT_LEN,
	     .p_memsz = TEXT_LEN + BSS_LEN,
	     .p_align = 4096},
	    {.p_type = PT_NOTE, .p_align = 4},
	};

	memset(file, 0, sizeof(file));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	ph_off = sizeof(eh);
	note_off = ph_off + sizeof(ph);
	note_len = put_notes(file + note_off, pvh);
	ph[1].p_offset = note_off;
	ph[1].p_filesz = note_len;
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + ph_off, ph, sizeof(ph));
	fill_text();
}

static void make_elf32(void)
{
	Elf32_Ehdr eh = {
	    .e_type = ET_EXEC,
	    .e_machine = EM_386,
	    .e_version = EV_CURRENT,
	    .e_entry = 0xc1000000,
	    .e_phoff = sizeof(Elf32_Ehdr),
	    .e_ehsize = sizeof(eh),
	    .e_phentsize = sizeof(Elf32_Phdr),
	    .e_phnum = 2,
	};
	Elf32_Phdr ph[2] = {
	    {.p_type = PT_NOTE, .p_align = 4},
	    {.p_type = PT_LOAD,
	     .p_offset = TEXT_OFF,
	     .p_vaddr = 0xc1000000,
	     .p_paddr = PADDR,
	     .p_filesz = TEXT_LEN,
	     .p_memsz = TEXT_LEN + BSS_LEN,
	     .p_align = 4096},
	};

	memset(file, 0, sizeof(file));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	ph_off = sizeof(eh);
	note_off = ph_off + sizeof(ph);
	note_len = put_notes(file + note_off, true);
	ph[0].p_offset = (uint32_t)note_off;
	ph[0].p_filesz = (uint32_t)note_len;
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + ph_off, ph, sizeof(ph));
	fill_text();
}

/* The PT_LOAD program header of the ELF64 image. */
static Elf64_Phdr *load64(void)
{
	return (Elf64_Phdr *)(file + ph_off);
}

struct run {
	struct boot_entry entry;
	const char *msg;
	int ret;
};

static void load(struct mem *mem, const uint8_t *k, size_t len,
		 const uint8_t *initrd, size_t initrd_len, struct run *run)
{
	struct boot_config cfg = {
	    .kernel = k,
	    .kernel_len = len,
	    .initrd = initrd,
	    .initrd_len = initrd_len,
	    .cmdline = "console=hvc0",
	    .rsdp_addr = LAYOUT_ACPI_RSDP,
	};

	run->ret = boot_load(mem, &cfg, &run->entry, &run->msg);
}

static void expect(int ret, const char *needle)
{
	struct mem mem;
	struct run run;

	CHECK_EQ(fake_mem_create(&mem, RAM), 0);
	load(&mem, file, FILE_LEN, NULL, 0, &run);
	CHECK_EQ(run.ret, ret);
	if (needle && !strstr(run.msg, needle)) {
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", run.msg,
			needle);
		CHECK(0);
	}
	fake_mem_destroy(&mem);
}

static void check_loaded(const struct mem *mem, const struct run *run)
{
	const uint8_t *text = gpa_ptr(mem, PADDR, TEXT_LEN + BSS_LEN);
	const struct hvm_start_info *si;
	const struct hvm_memmap_table_entry *mm;
	size_t nonzero = 0;

	CHECK_EQ(run->ret, 0);
	CHECK_EQ(run->entry.protocol, BOOT_PVH);
	CHECK_EQ(run->entry.rip, ENTRY);
	CHECK_EQ(run->entry.boot_info, LAYOUT_PVH_START_INFO);
	CHECK(!memcmp(text, file + TEXT_OFF, TEXT_LEN));
	for (size_t i = TEXT_LEN; i < TEXT_LEN + BSS_LEN; i++)
		nonzero += text[i] != 0;
	CHECK_EQ(nonzero, 0);

	si = gpa_ptr(mem, LAYOUT_PVH_START_INFO, sizeof(*si));
	CHECK_EQ(si->magic, 0x336ec578);
	CHECK_EQ(si->version, 1);
	CHECK_EQ(si->cmdline_paddr, LAYOUT_CMDLINE);
	CHECK(!strcmp(gpa_ptr(mem, LAYOUT_CMDLINE, 13), "console=hvc0"));
	CHECK_EQ(si->rsdp_paddr, LAYOUT_ACPI_RSDP);
	CHECK_EQ(si->memmap_paddr, LAYOUT_PVH_MEMMAP);
	CHECK_EQ(si->memmap_entries, 3);
	mm = gpa_ptr(mem, LAYOUT_PVH_MEMMAP, 3 * sizeof(*mm));
	CHECK_EQ(mm[0].addr, 0);
	CHECK_EQ(mm[0].type, XEN_HVM_MEMMAP_TYPE_RAM);
	CHECK_EQ(mm[1].addr, LAYOUT_EBDA_START);
	CHECK_EQ(mm[1].type, XEN_HVM_MEMMAP_TYPE_RESERVED);
	CHECK_EQ(mm[2].addr, MiB);
	CHECK_EQ(mm[2].size, RAM - MiB);
	CHECK_EQ(mm[2].type, XEN_HVM_MEMMAP_TYPE_RAM);
	CHECK_EQ(mm[2].reserved, 0);
}

static void test_good(void)
{
	static uint8_t initrd[3 * 4096 + 5];
	const struct hvm_start_info *si;
	const struct hvm_modlist_entry *mod;
	struct mem mem;
	struct run run;

	/* ELF64, RAM dirty beforehand so the bss must really be cleared. */
	make_elf64(true);
	CHECK_EQ(fake_mem_create(&mem, RAM), 0);
	memset(gpa_ptr(&mem, PADDR, 2 * MiB), 0xff, 2 * MiB);
	load(&mem, file, FILE_LEN, NULL, 0, &run);
	check_loaded(&mem, &run);
	si = gpa_ptr(&mem, LAYOUT_PVH_START_INFO, sizeof(*si));
	CHECK_EQ(si->nr_modules, 0);

	/* With an initrd: module 0, at the top of RAM. */
	memset(initrd, 0x77, sizeof(initrd));
	load(&mem, file, FILE_LEN, initrd, sizeof(initrd), &run);
	check_loaded(&mem, &run);
	CHECK_EQ(si->nr_modules, 1);
	CHECK_EQ(si->modlist_paddr, LAYOUT_PVH_MODLIST);
	mod = gpa_ptr(&mem, LAYOUT_PVH_MODLIST, sizeof(*mod));
	CHECK_EQ(mod->paddr, (RAM - sizeof(initrd)) & ~0xfffULL);
	CHECK_EQ(mod->size, sizeof(initrd));
	CHECK(!memcmp(gpa_ptr(&mem, mod->paddr, sizeof(initrd)), initrd,
		      sizeof(initrd)));
	fake_mem_destroy(&mem);

	/* The same kernel as ELF32, note segment first. */
	make_elf32();
	CHECK_EQ(fake_mem_create(&mem, RAM), 0);
	load(&mem, file, FILE_LEN, NULL, 0, &run);
	check_loaded(&mem, &run);
	fake_mem_destroy(&mem);
}

/* Every prefix of the file is refused without reading past it. */
static void test_truncated(void)
{
	struct mem mem;
	struct run run;
	int bad = 0;

	make_elf64(true);
	CHECK_EQ(fake_mem_create(&mem, RAM), 0);
	for (size_t len = 0; len < FILE_LEN; len++) {
		uint8_t *copy = malloc(len ? len : 1);

		memcpy(copy, file, len);
		load(&mem, copy, len, NULL, 0, &run);
		if (run.ret != -ENOEXEC || !run.msg[0]) {
			fprintf(stderr, "truncated to %zu: %d \"%s\"\n", len,
				run.ret, run.msg);
			bad++;
		}
		free(copy);
	}
	CHECK_EQ(bad, 0);
	fake_mem_destroy(&mem);

	/* Program headers cut short, the rest of the file intact. */
	make_elf64(true);
	((Elf64_Ehdr *)file)->e_phoff = FILE_LEN - sizeof(Elf64_Phdr);
	expect(-ENOEXEC, "program headers");
}

static void test_bad(void)
{
	make_elf64(false);
	expect(-ENOEXEC,
	       "ELF kernel has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");

	make_elf64(true);
	load64()->p_paddr = 256 * MiB; /* beyond the 64 MiB of RAM */
	expect(-ENOSPC, "outside guest RAM");

	make_elf64(true);
	load64()->p_paddr = LAYOUT_ZERO_PAGE; /* over our own tables */
	expect(-ENOSPC, "outside guest RAM");

	make_elf64(true);
	load64()->p_paddr = UINT64_MAX - 4096; /* wraps around */
	expect(-ENOSPC, "outside guest RAM");

	make_elf64(true);
	load64()->p_filesz = TEXT_LEN + BSS_LEN + 1;
	expect(-ENOEXEC, "p_filesz");

	make_elf64(true);
	load64()->p_offset = UINT64_MAX - 10;
	expect(-ENOEXEC, "beyond the end of the file");

	make_elf64(true);
	load64()->p_type = PT_NULL;
	expect(-ENOEXEC, "no loadable segment");

	/* Entry note pointing outside the image. */
	make_elf64(true);
	memset(file + note_off + 36 + 16, 0, 4);
	expect(-ENOEXEC, "outside the kernel image");

	/* The first note claims more descriptor than the segment holds. */
	make_elf64(true);
	memset(file + note_off + 4, 0xff, 4);
	expect(-ENOEXEC, "malformed");

	make_elf64(true);
	((Elf64_Ehdr *)file)->e_machine = EM_AARCH64;
	expect(-ENOEXEC, "x86");

	make_elf64(true);
	((Elf64_Ehdr *)file)->e_phentsize = 32;
	expect(-ENOEXEC, "e_phentsize");

	make_elf64(true);
	((Elf64_Ehdr *)file)->e_phnum = 0;
	expect(-ENOEXEC, "program headers");

	make_elf64(true);
	file[EI_DATA] = ELFDATA2MSB;
	expect(-ENOEXEC, "little endian");

	memset(file, 0, sizeof(file));
	expect(-ENOEXEC, "not a bzImage or ELF vmlinux");
}

static void test_initrd_too_big(void)
{
	size_t len = RAM - 16 * MiB;
	uint8_t *big = calloc(1, len);
	struct mem mem;
	struct run run;

	make_elf64(true);
	CHECK_EQ(fake_mem_create(&mem, RAM), 0);
	load(&mem, file, FILE_LEN, big, len, &run);
	CHECK_EQ(run.ret, -ENOSPC);
	CHECK(strstr(run.msg, "initrd") != NULL);
	fake_mem_destroy(&mem);
	free(big);
}

int main(void)
{
	test_good();
	test_truncated();
	test_bad();
	test_initrd_too_big();
	return check_done("test_pvh");
}
