/* SPDX-License-Identifier: MIT */
/*
 * mkbzimage: package a test guest as a bzImage (host build tool).
 *
 *   mkbzimage REALMODE.bin GUEST.elf GUEST.bin OUT [NAME]
 *
 * GUEST.elf is the linked guest (lib/guest.lds.S), GUEST.bin its
 * objcopy -O binary image (the protected-mode part), REALMODE.bin the
 * assembled lib/realmode.S. The output is the setup sectors (boot sector
 * area + setup header + the real-mode stub + a version string) followed
 * by GUEST.bin, with the kernel_info block of GUEST.bin filled in. Every
 * header field is set by name through struct setup_header from
 * <asm/bootparam.h>; Documentation/arch/x86/boot.rst is the reference for
 * each value.
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>

#include "guests/lib/image.h"

#define SECTOR		  512
#define HDR_OFFSET	  0x1f1 /* struct setup_header in the boot sector */
#define BOOT_FLAG	  0xaa55
#define HDR_MAGIC	  0x53726448 /* "HdrS" */
#define BOOT_PROTOCOL	  0x020f     /* 2.15: kernel_info_offset exists */
#define KERNEL_INFO_MAGIC 0x506f544c /* "LToP" */
#define CMDLINE_SIZE	  2047	     /* as Linux's COMMAND_LINE_SIZE - 1 */
#define INITRD_ADDR_MAX	  0x7fffffff
#define VID_MODE_NORMAL	  0xffff
#define OBSOLETE_SYS_SEG  0x1000
#define JMP_SHORT	  0xeb	      /* jmp rel8 */
#define MAX_SETUP	  (64 * 1024) /* real-mode code + data fit one segment */
/*
 * SETUP_TYPE_MAX of <asm/bootparam.h>, but unsigned: the header's
 * SETUP_INDIRECT is (1<<31), a signed overflow that UBSan rejects.
 */
#define SETUP_TYPE_MAX_U (SETUP_ENUM_MAX | 0x80000000u)

/* boot.rst "The kernel_info": fixed part, no variable data. */
struct kernel_info {
	uint32_t header;
	uint32_t size;
	uint32_t size_total;
	uint32_t setup_type_max;
} __attribute__((packed));

_Static_assert(sizeof(struct kernel_info) == IMAGE_KERNEL_INFO_SIZE,
	       "kernel_info size");
_Static_assert(offsetof(struct setup_header, jump) + HDR_OFFSET == 0x200,
	       "setup_header layout");

struct buf {
	uint8_t *data;
	size_t len;
};

static void fail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("mkbzimage: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static struct buf read_file(const char *path)
{
	struct buf b = {0};
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		fail("%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		fail("%s: cannot get size", path);
	b.len = (size_t)len;
	b.data = malloc(b.len ? b.len : 1);
	if (!b.data)
		fail("out of memory");
	if (fread(b.data, 1, b.len, f) != b.len)
		fail("%s: short read", path);
	fclose(f);
	return b;
}

/* Memory extent of the ELF's PT_LOAD segments, checked against image.h. */
static void elf_extent(const struct buf *elf, const char *path,
		       uint64_t *file_end, uint64_t *mem_end)
{
	const Elf64_Ehdr *eh = (const void *)elf->data;
	uint64_t start = UINT64_MAX;

	if (elf->len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		fail("%s: not an x86-64 ELF64 file", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > elf->len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > elf->len - eh->e_phoff)
		fail("%s: bad program header table", path);
	*file_end = *mem_end = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, elf->data + eh->e_phoff + i * sizeof(ph),
		       sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		if (ph.p_paddr < start)
			start = ph.p_paddr;
		if (ph.p_paddr + ph.p_filesz > *file_end)
			*file_end = ph.p_paddr + ph.p_filesz;
		if (ph.p_paddr + ph.p_memsz > *mem_end)
			*mem_end = ph.p_paddr + ph.p_memsz;
	}
	if (start != IMAGE_LOAD_ADDR)
		fail("%s: first PT_LOAD at 0x%llx, not 0x%x", path,
		     (unsigned long long)start, IMAGE_LOAD_ADDR);
}

int main(int argc, char **argv)
{
	struct buf rm, elf, bin;
	struct setup_header hdr = {0};
	struct kernel_info ki;
	const char *name = argc > 5 ? argv[5] : "vmm test guest";
	uint64_t file_end, mem_end;
	size_t stub_off, name_off, setup_len;
	uint8_t *setup;
	FILE *out;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: mkbzimage REALMODE.bin GUEST.elf "
				"GUEST.bin OUT [NAME]\n");
		return 2;
	}
	rm = read_file(argv[1]);
	elf = read_file(argv[2]);
	bin = read_file(argv[3]);
	elf_extent(&elf, argv[2], &file_end, &mem_end);
	if (bin.len != file_end - IMAGE_LOAD_ADDR)
		fail("%s: %zu bytes, but the ELF's loadable file data is %llu",
		     argv[3], bin.len,
		     (unsigned long long)(file_end - IMAGE_LOAD_ADDR));
	if (bin.len < IMAGE_ENTRY64_OFFSET + 1)
		fail("%s: too small to hold the 64-bit entry", argv[3]);

	/* Setup area: boot sector, header, stub, name; whole sectors. */
	stub_off = (HDR_OFFSET + sizeof(hdr) + 15) & ~(size_t)15;
	name_off = stub_off + rm.len;
	setup_len = name_off + strlen(name) + 1;
	setup_len = (setup_len + SECTOR - 1) / SECTOR * SECTOR;
	if (setup_len > MAX_SETUP || stub_off - 0x202 > 127)
		fail("setup area too large (%zu bytes)", setup_len);
	setup = calloc(1, setup_len);
	if (!setup)
		fail("out of memory");
	memcpy(setup + stub_off, rm.data, rm.len);
	memcpy(setup + name_off, name, strlen(name) + 1);

	/* boot.rst "Details of header fields", in header order. */
	hdr.setup_sects = (uint8_t)(setup_len / SECTOR - 1); /* never 0 */
	hdr.root_flags = 0;
	hdr.syssize = (uint32_t)((bin.len + 15) / 16);
	hdr.vid_mode = VID_MODE_NORMAL;
	hdr.boot_flag = BOOT_FLAG;
	/* jmp rel8 from the end of the 2-byte jump (0x202) to the stub. */
	hdr.jump = JMP_SHORT | (uint16_t)((stub_off - 0x202) << 8);
	hdr.header = HDR_MAGIC;
	hdr.version = BOOT_PROTOCOL;
	hdr.start_sys_seg = OBSOLETE_SYS_SEG;
	hdr.kernel_version = (uint16_t)(name_off - 0x200);
	hdr.loadflags = LOADED_HIGH;
	hdr.code32_start = IMAGE_LOAD_ADDR;
	hdr.initrd_addr_max = INITRD_ADDR_MAX;
	hdr.kernel_alignment = IMAGE_LOAD_ADDR; /* loaded at 1 MiB only */
	hdr.relocatable_kernel = 0;
	hdr.min_alignment = 20; /* log2(kernel_alignment) */
	hdr.xloadflags = XLF_KERNEL_64;
	hdr.cmdline_size = CMDLINE_SIZE;
	hdr.pref_address = IMAGE_LOAD_ADDR;
	hdr.init_size = (uint32_t)(mem_end - IMAGE_LOAD_ADDR + 4095) & ~4095u;
	hdr.kernel_info_offset = IMAGE_KERNEL_INFO_OFFSET;
	memcpy(setup + HDR_OFFSET, &hdr, sizeof(hdr));

	/* kernel_info sits in the protected-mode part, reserved as zeros. */
	for (size_t i = 0; i < sizeof(ki); i++)
		if (bin.data[IMAGE_KERNEL_INFO_OFFSET + i])
			fail("%s: kernel_info area is not zero", argv[3]);
	ki = (struct kernel_info){
	    .header = KERNEL_INFO_MAGIC,
	    .size = sizeof(ki),
	    .size_total = sizeof(ki),
	    .setup_type_max = SETUP_TYPE_MAX_U,
	};
	memcpy(bin.data + IMAGE_KERNEL_INFO_OFFSET, &ki, sizeof(ki));

	out = fopen(argv[4], "wb");
	if (!out)
		fail("%s: %s", argv[4], strerror(errno));
	if (fwrite(setup, 1, setup_len, out) != setup_len ||
	    fwrite(bin.data, 1, bin.len, out) != bin.len || fclose(out))
		fail("%s: write failed", argv[4]);
	free(setup);
	free(rm.data);
	free(elf.data);
	free(bin.data);
	return 0;
}
