/* SPDX-License-Identifier: MIT */
/*
 * Reading an x86 ELF executable (ELF32 or ELF64, little endian) from a
 * file buffer: header and program-header validation, note lookup and
 * loading of PT_LOAD segments at their physical addresses. Every offset
 * and size comes from the untrusted file and is checked against its
 * length. Used by the PVH loader.
 */
#ifndef BOOT_ELFLOAD_H
#define BOOT_ELFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot.h"

/* An accepted ELF file; points into the caller's buffer. */
struct elf_image {
	const uint8_t *buf;
	size_t len;
	bool is64;
	uint64_t phoff;
	unsigned int phnum;
	size_t phentsize;
};

/* One program header, widened to 64 bits. */
struct elf_segment {
	uint32_t type;
	uint64_t offset;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

/* True if @buf starts with the ELF magic. */
bool elf_is_elf(const uint8_t *buf, size_t len);

/*
 * Validate the ELF header (class, little endian, ET_EXEC, x86 machine) and
 * that the program header table lies inside the file. Returns 0 or
 * -ENOEXEC with the reason in @entry->err.
 */
int elf_open(struct elf_image *elf, const uint8_t *buf, size_t len,
	     struct boot_entry *entry);

/* Program header @i (< elf->phnum) of an opened image. */
void elf_segment(const struct elf_image *elf, unsigned int i,
		 struct elf_segment *seg);

/*
 * Find the first note named @name with type @type in the PT_NOTE segments.
 * On success *@desc / *@desc_len point at its descriptor inside the file.
 * Returns 0, -ENOENT if there is none, or -ENOEXEC for a malformed note
 * segment (reason in @entry->err).
 */
int elf_find_note(const struct elf_image *elf, const char *name, uint32_t type,
		  const uint8_t **desc, uint32_t *desc_len,
		  struct boot_entry *entry);

/*
 * Check every PT_LOAD segment: file part inside the file, filesz <=
 * memsz, and [paddr, paddr + memsz) inside guest RAM between @min and
 * @max. Sets *@start / *@end to the lowest and highest byte + 1 loaded.
 * Returns 0 or -ENOEXEC / -ENOSPC with the reason set. Writes nothing.
 */
int elf_check_segments(const struct elf_image *elf, const struct mem *mem,
		       uint64_t min, uint64_t max, uint64_t *start,
		       uint64_t *end, struct boot_entry *entry);

/*
 * Copy every PT_LOAD segment of a checked image to its physical address
 * and zero its bss part. Returns 0 or -EFAULT.
 */
int elf_load_segments(const struct elf_image *elf, struct mem *mem);

#endif /* BOOT_ELFLOAD_H */
