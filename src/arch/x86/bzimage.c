/* SPDX-License-Identifier: MIT */
/*
 * bzImage setup-header parsing and kernel placement for the 64-bit boot
 * protocol (Documentation/arch/x86/boot.rst). The file is untrusted input:
 * every offset and size read from it is checked against its length before
 * use, and nothing is written to guest RAM until the image has been
 * accepted and placed.
 */
#define pr_fmt(fmt) "bzimage: " fmt

#include "bzimage.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "base/log.h"
#include "layout.h"
#include "loader.h"

/* The header is little endian and so is every host we build for. */
BUILD_BUG_ON(__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__);

/* The last field we rely on for protocol 2.12 is init_size. */
#define BZIMAGE_HDR_MIN_END                                                    \
	(BZIMAGE_HDR_OFFSET + offsetof(struct setup_header, init_size) + 4)

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

/* Magic, boot flag and protocol version: is this a kernel we can boot? */
static int bzimage_check_ident(const uint8_t *buf, size_t len,
			       struct boot_entry *entry)
{
	uint16_t version;

	if (len < BZIMAGE_MAGIC_OFFSET + 4 ||
	    get_le32(buf + BZIMAGE_MAGIC_OFFSET) != BZIMAGE_MAGIC)
		return boot_fail(entry, -ENOEXEC,
				 "not a bzImage (no \"HdrS\" at 0x202)");
	if (len < BZIMAGE_MAGIC_OFFSET + 6)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage truncated in the setup header (%zu bytes)", len);
	if (get_le16(buf + 0x1fe) != BZIMAGE_BOOT_FLAG)
		return boot_fail(entry, -ENOEXEC,
				 "bzImage boot flag is 0x%04x, not 0xaa55",
				 get_le16(buf + 0x1fe));
	version = get_le16(buf + BZIMAGE_MAGIC_OFFSET + 4);
	if (version < BZIMAGE_MIN_VERSION)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage boot protocol %u.%02u is older than 2.12",
		    version >> 8, version & 0xff);
	return 0;
}

/* Copy the setup header out of the file, as far as the file has one. */
static int bzimage_read_header(const uint8_t *buf, size_t len,
			       struct bzimage *bz, struct boot_entry *entry)
{
	size_t n;

	/* boot.rst, 64-bit Boot Protocol: header ends at 0x202 + [0x201]. */
	bz->hdr_end = BZIMAGE_MAGIC_OFFSET + (size_t)buf[0x201];
	if (bz->hdr_end < BZIMAGE_HDR_MIN_END)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage setup header ends at 0x%zx, before init_size",
		    bz->hdr_end);
	if (bz->hdr_end > len)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage truncated in the setup header (%zu bytes)", len);
	memset(&bz->hdr, 0, sizeof(bz->hdr));
	n = MIN(bz->hdr_end - BZIMAGE_HDR_OFFSET, sizeof(bz->hdr));
	memcpy(&bz->hdr, buf + BZIMAGE_HDR_OFFSET, n);
	return 0;
}

/* Real-mode part and protected-mode payload must both be in the file. */
static int bzimage_check_sizes(struct bzimage *bz, struct boot_entry *entry)
{
	const struct setup_header *h = &bz->hdr;
	/* boot.rst: "If this field is 0, the real value is 4." */
	unsigned int sects = h->setup_sects ? h->setup_sects : 4;
	uint64_t end;

	bz->setup_len = ((size_t)sects + 1) * 512;
	if (bz->setup_len < bz->hdr_end)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage setup_sects %u is smaller than its own header",
		    h->setup_sects);
	if (bz->setup_len > bz->image_len)
		return boot_fail(entry, -ENOEXEC,
				 "bzImage setup_sects %u reaches beyond the "
				 "end of the file (%zu bytes)",
				 h->setup_sects, bz->image_len);
	/* syssize is 32 bits wide (hence trustworthy) since protocol 2.04. */
	bz->payload_len = (uint64_t)h->syssize * 16;
	if (!bz->payload_len)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage has an empty protected-mode kernel (syssize 0)");
	end = bz->setup_len + bz->payload_len;
	if (end > bz->image_len)
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage truncated: %zu bytes, its header says %llu",
		    bz->image_len, (unsigned long long)end);
	if (h->init_size < bz->payload_len)
		return boot_fail(entry, -ENOEXEC,
				 "bzImage init_size 0x%x is smaller than the "
				 "kernel (0x%llx)",
				 h->init_size,
				 (unsigned long long)bz->payload_len);
	return 0;
}

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage *bz,
		  struct boot_entry *entry)
{
	const struct setup_header *h = &bz->hdr;
	int r;

	memset(bz, 0, sizeof(*bz));
	bz->image = buf;
	bz->image_len = len;
	r = bzimage_check_ident(buf, len, entry);
	if (r)
		return r;
	r = bzimage_read_header(buf, len, bz, entry);
	if (r)
		return r;
	if (!(h->xloadflags & XLF_KERNEL_64))
		return boot_fail(entry, -ENOEXEC,
				 "bzImage has no 64-bit entry point "
				 "(XLF_KERNEL_64 clear in xloadflags 0x%x)",
				 h->xloadflags);
	r = bzimage_check_sizes(bz, entry);
	if (r)
		return r;
	if (h->relocatable_kernel &&
	    (h->kernel_alignment == 0 ||
	     (h->kernel_alignment & (h->kernel_alignment - 1))))
		return boot_fail(
		    entry, -ENOEXEC,
		    "bzImage kernel_alignment 0x%x is not a power of two",
		    h->kernel_alignment);
	pr_debug("protocol %u.%02u, setup %zu bytes, kernel %llu bytes, "
		 "init_size 0x%x, pref_address 0x%llx%s",
		 h->version >> 8, h->version & 0xff, bz->setup_len,
		 (unsigned long long)bz->payload_len, h->init_size,
		 (unsigned long long)h->pref_address,
		 h->relocatable_kernel ? ", relocatable" : "");
	return 0;
}

/*
 * Where the kernel will run once it has decompressed itself. boot.rst
 * (init_size) gives align_up(load, kernel_alignment) for a relocatable
 * kernel and pref_address otherwise; arch/x86/boot/compressed/head_64.S
 * also never goes below LOAD_PHYSICAL_ADDR, which pref_address holds.
 */
static uint64_t bzimage_runtime_start(const struct bzimage *bz)
{
	const struct setup_header *h = &bz->hdr;
	uint64_t start;

	if (!h->relocatable_kernel)
		return h->pref_address ? h->pref_address : bz->load_addr;
	start = ALIGN_UP(bz->load_addr, (uint64_t)h->kernel_alignment);
	return MAX(start, h->pref_address);
}

static bool bzimage_fits(const struct bzimage *bz, gpa_t low_end, uint64_t *end)
{
	uint64_t run = bzimage_runtime_start(bz), run_end;

	if (run < LAYOUT_HIGH_MEMORY ||
	    __builtin_add_overflow(run, (uint64_t)bz->hdr.init_size, &run_end))
		return false;
	*end = MAX(run_end, bz->load_addr + bz->payload_len);
	return *end <= low_end;
}

int bzimage_place(const struct mem *mem, struct bzimage *bz,
		  struct boot_entry *entry)
{
	gpa_t low_end = mem_low_end(mem);
	uint64_t end = 0;

	bz->load_addr = bz->hdr.pref_address;
	if (!bz->hdr.relocatable_kernel || bz->load_addr < LAYOUT_HIGH_MEMORY ||
	    !bzimage_fits(bz, low_end, &end)) {
		bz->load_addr = LAYOUT_KERNEL_DEFAULT;
		if (!bzimage_fits(bz, low_end, &end))
			return boot_fail(
			    entry, -ENOSPC,
			    "kernel needs 0x%x bytes (init_size) from 0x%llx, "
			    "more than the 0x%llx bytes of low RAM",
			    bz->hdr.init_size,
			    (unsigned long long)bzimage_runtime_start(bz),
			    (unsigned long long)low_end);
	}
	entry->protocol = BOOT_LINUX64;
	entry->rip = bz->load_addr + BZIMAGE_ENTRY64_OFFSET;
	entry->kernel_start = bz->load_addr;
	entry->kernel_end = end;
	pr_debug("kernel at 0x%llx, runs up to 0x%llx",
		 (unsigned long long)bz->load_addr, (unsigned long long)end);
	return 0;
}

int bzimage_write(struct mem *mem, const struct bzimage *bz)
{
	void *dst = gpa_ptr(mem, bz->load_addr, bz->payload_len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, bz->image + bz->setup_len, bz->payload_len);
	return 0;
}
