/* SPDX-License-Identifier: MIT */
/*
 * A minimal reader for x86 ELF executables (System V gABI, "ELF Header",
 * "Program Header", "Note Section"). The file is untrusted: headers are
 * copied out with memcpy (the buffer need not be aligned) and every
 * offset/size pair is checked against the file length with overflow-safe
 * arithmetic before it is dereferenced.
 */
#include "elfload.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "loader.h"

/* Note header: namesz, descsz, type; the same three words in both classes. */
#define ELF_NOTE_HDR_LEN 12

bool elf_is_elf(const uint8_t *buf, size_t len)
{
	return len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG);
}

/* The class-independent fields of the ELF header we need. */
struct elf_hdr_fields {
	uint16_t type, machine, phentsize, phnum;
	uint64_t phoff;
};

/* Elf32_* and Elf64_* share field names: widen either with one macro. */
#define ELF_HDR_FIELDS(eh)                                                     \
	(struct elf_hdr_fields)                                                \
	{                                                                      \
		.type = (eh).e_type, .machine = (eh).e_machine,                \
		.phentsize = (eh).e_phentsize, .phnum = (eh).e_phnum,          \
		.phoff = (eh).e_phoff,                                         \
	}

#define ELF_SEGMENT(ph)                                                        \
	(struct elf_segment)                                                   \
	{                                                                      \
		.type = (ph).p_type, .offset = (ph).p_offset,                  \
		.paddr = (ph).p_paddr, .filesz = (ph).p_filesz,                \
		.memsz = (ph).p_memsz, .align = (ph).p_align,                  \
	}

static int elf_read_header(const uint8_t *buf, size_t len, bool is64,
			   struct elf_hdr_fields *f, struct boot_entry *entry)
{
	if (is64) {
		Elf64_Ehdr eh;

		if (len < sizeof(eh))
			return boot_fail(entry, -ENOEXEC,
					 "ELF file truncated in its header");
		memcpy(&eh, buf, sizeof(eh));
		*f = ELF_HDR_FIELDS(eh);
	} else {
		Elf32_Ehdr eh;

		if (len < sizeof(eh))
			return boot_fail(entry, -ENOEXEC,
					 "ELF file truncated in its header");
		memcpy(&eh, buf, sizeof(eh));
		*f = ELF_HDR_FIELDS(eh);
	}
	return 0;
}

int elf_open(struct elf_image *elf, const uint8_t *buf, size_t len,
	     struct boot_entry *entry)
{
	struct elf_hdr_fields f = {0};
	uint64_t table_len, table_end;
	int r;

	memset(elf, 0, sizeof(*elf));
	if (len < EI_NIDENT || !elf_is_elf(buf, len))
		return boot_fail(entry, -ENOEXEC, "not an ELF file");
	if (buf[EI_CLASS] != ELFCLASS64 && buf[EI_CLASS] != ELFCLASS32)
		return boot_fail(entry, -ENOEXEC, "ELF class %u is unknown",
				 buf[EI_CLASS]);
	if (buf[EI_DATA] != ELFDATA2LSB)
		return boot_fail(entry, -ENOEXEC,
				 "ELF kernel is not little endian");
	elf->is64 = buf[EI_CLASS] == ELFCLASS64;
	r = elf_read_header(buf, len, elf->is64, &f, entry);
	if (r)
		return r;
	if (f.type != ET_EXEC)
		return boot_fail(entry, -ENOEXEC,
				 "ELF kernel is not an executable (e_type %u)",
				 f.type);
	if (f.machine != (elf->is64 ? EM_X86_64 : EM_386))
		return boot_fail(entry, -ENOEXEC,
				 "ELF kernel is not for x86 (e_machine %u)",
				 f.machine);
	elf->phentsize = elf->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	if (f.phentsize != elf->phentsize)
		return boot_fail(entry, -ENOEXEC,
				 "ELF e_phentsize %u is not %zu", f.phentsize,
				 elf->phentsize);
	/* PN_XNUM would move the count to section 0: not for a kernel. */
	if (f.phnum == 0 || f.phnum == PN_XNUM)
		return boot_fail(
		    entry, -ENOEXEC,
		    "ELF kernel has no usable program headers (e_phnum %u)",
		    f.phnum);
	table_len = (uint64_t)f.phnum * elf->phentsize;
	if (__builtin_add_overflow(f.phoff, table_len, &table_end) ||
	    table_end > len)
		return boot_fail(entry, -ENOEXEC,
				 "ELF program headers (%u at 0x%llx) lie "
				 "beyond the end of the file (%zu bytes)",
				 f.phnum, (unsigned long long)f.phoff, len);
	elf->buf = buf;
	elf->len = len;
	elf->phoff = f.phoff;
	elf->phnum = f.phnum;
	return 0;
}

void elf_segment(const struct elf_image *elf, unsigned int i,
		 struct elf_segment *seg)
{
	const uint8_t *p = elf->buf + elf->phoff + (uint64_t)i * elf->phentsize;

	if (elf->is64) {
		Elf64_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*seg = ELF_SEGMENT(ph);
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*seg = ELF_SEGMENT(ph);
	}
}

/* True if [off, off + size) lies inside the file. */
static bool elf_in_file(const struct elf_image *elf, uint64_t off,
			uint64_t size)
{
	uint64_t end;

	return !__builtin_add_overflow(off, size, &end) && end <= elf->len;
}

static uint32_t elf_word(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Walk the notes of one PT_NOTE segment. Notes are 4-byte aligned in
 * vmlinux; a segment declaring 8-byte alignment (GNU property notes)
 * pads name and descriptor to 8.
 */
static int elf_scan_notes(const struct elf_image *elf,
			  const struct elf_segment *seg, unsigned int idx,
			  const char *name, uint32_t type, const uint8_t **desc,
			  uint32_t *desc_len, struct boot_entry *entry)
{
	const uint8_t *p = elf->buf + seg->offset;
	uint64_t left = seg->filesz, align = seg->align == 8 ? 8 : 4;
	size_t name_len = strlen(name) + 1;

	while (left >= ELF_NOTE_HDR_LEN) {
		uint32_t namesz = elf_word(p), descsz = elf_word(p + 4);
		uint64_t desc_off =
		    ALIGN_UP(ELF_NOTE_HDR_LEN + (uint64_t)namesz, align);
		uint64_t next = ALIGN_UP(desc_off + descsz, align);

		if (desc_off + descsz > left)
			return boot_fail(entry, -ENOEXEC,
					 "ELF note segment %u is malformed",
					 idx);
		if (namesz == name_len && elf_word(p + 8) == type &&
		    !memcmp(p + ELF_NOTE_HDR_LEN, name, name_len)) {
			*desc = p + desc_off;
			*desc_len = descsz;
			return 0;
		}
		if (next >= left)
			break;
		p += next;
		left -= next;
	}
	return -ENOENT;
}

int elf_find_note(const struct elf_image *elf, const char *name, uint32_t type,
		  const uint8_t **desc, uint32_t *desc_len,
		  struct boot_entry *entry)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;
		int r;

		elf_segment(elf, i, &seg);
		if (seg.type != PT_NOTE)
			continue;
		if (!elf_in_file(elf, seg.offset, seg.filesz))
			return boot_fail(entry, -ENOEXEC,
					 "ELF note segment %u lies beyond the "
					 "end of the file",
					 i);
		r = elf_scan_notes(elf, &seg, i, name, type, desc, desc_len,
				   entry);
		if (r != -ENOENT)
			return r;
	}
	return -ENOENT;
}

static int elf_check_load(const struct elf_image *elf, const struct mem *mem,
			  unsigned int i, const struct elf_segment *seg,
			  uint64_t min, uint64_t max, struct boot_entry *entry)
{
	uint64_t end;

	if (seg->filesz > seg->memsz)
		return boot_fail(
		    entry, -ENOEXEC,
		    "ELF segment %u has p_filesz 0x%llx > p_memsz 0x%llx", i,
		    (unsigned long long)seg->filesz,
		    (unsigned long long)seg->memsz);
	if (!elf_in_file(elf, seg->offset, seg->filesz))
		return boot_fail(entry, -ENOEXEC,
				 "ELF segment %u lies beyond the end of the "
				 "file (%zu bytes)",
				 i, elf->len);
	if (__builtin_add_overflow(seg->paddr, seg->memsz, &end) ||
	    seg->paddr < min || end > max ||
	    !gpa_ptr(mem, seg->paddr, seg->memsz))
		return boot_fail(entry, -ENOSPC,
				 "ELF segment %u at 0x%llx (0x%llx bytes) is "
				 "outside guest RAM 0x%llx-0x%llx",
				 i, (unsigned long long)seg->paddr,
				 (unsigned long long)seg->memsz,
				 (unsigned long long)min,
				 (unsigned long long)max);
	return 0;
}

int elf_check_segments(const struct elf_image *elf, const struct mem *mem,
		       uint64_t min, uint64_t max, uint64_t *start,
		       uint64_t *end, struct boot_entry *entry)
{
	bool any = false;

	*start = UINT64_MAX;
	*end = 0;
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;
		int r;

		elf_segment(elf, i, &seg);
		if (seg.type != PT_LOAD || !seg.memsz)
			continue;
		r = elf_check_load(elf, mem, i, &seg, min, max, entry);
		if (r)
			return r;
		any = true;
		*start = MIN(*start, seg.paddr);
		*end = MAX(*end, seg.paddr + seg.memsz);
	}
	if (!any)
		return boot_fail(entry, -ENOEXEC,
				 "ELF kernel has no loadable segment");
	return 0;
}

int elf_load_segments(const struct elf_image *elf, struct mem *mem)
{
	for (unsigned int i = 0; i < elf->phnum; i++) {
		struct elf_segment seg;
		uint8_t *dst;

		elf_segment(elf, i, &seg);
		if (seg.type != PT_LOAD || !seg.memsz)
			continue;
		dst = gpa_ptr(mem, seg.paddr, seg.memsz);
		if (!dst || seg.filesz > seg.memsz ||
		    !elf_in_file(elf, seg.offset, seg.filesz))
			return -EFAULT;
		memcpy(dst, elf->buf + seg.offset, seg.filesz);
		/* The bss: guest RAM may not be fresh (reboot), so clear it. */
		memset(dst + seg.filesz, 0, seg.memsz - seg.filesz);
	}
	return 0;
}
