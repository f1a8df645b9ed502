/* SPDX-License-Identifier: MIT */
/*
 * AML byte-code emitter (ACPI 6.x, "ACPI Machine Language (AML)
 * Specification"). Objects with a PkgLength are emitted content first and
 * the length is inserted when they are closed, because its own size (one
 * to four bytes) depends on the content's.
 */
#include "aml.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

/* Opcodes and prefixes (AML Specification, "AML Grammar Definition"). */
#define AML_ZERO_OP	      0x00
#define AML_ONE_OP	      0x01
#define AML_NAME_OP	      0x08
#define AML_BYTE_PREFIX	      0x0a
#define AML_WORD_PREFIX	      0x0b
#define AML_DWORD_PREFIX      0x0c
#define AML_STRING_PREFIX     0x0d
#define AML_QWORD_PREFIX      0x0e
#define AML_SCOPE_OP	      0x10
#define AML_BUFFER_OP	      0x11
#define AML_PACKAGE_OP	      0x12
#define AML_EXT_OP_PREFIX     0x5b
#define AML_DEVICE_OP	      0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR	      '\\'
#define AML_DUAL_NAME_PREFIX  0x2e
#define AML_MULTI_NAME_PREFIX 0x2f

/* Largest length the four-byte PkgLength encoding can hold. */
#define AML_PKGLEN_MAX ((1u << 28) - 1)

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	*a = (struct aml){.buf = buf, .cap = cap};
}

int aml_err(const struct aml *a)
{
	return a->full ? -ENOSPC : 0;
}

void aml_bytes(struct aml *a, const void *data, size_t n)
{
	if (a->full || n > a->cap - a->len) {
		a->full = true;
		return;
	}
	memcpy(a->buf + a->len, data, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* One NameSeg: a lead character (A-Z or _), then A-Z, 0-9 or _. */
static void aml_nameseg(struct aml *a, const char *seg, size_t n)
{
	char out[4] = {'_', '_', '_', '_'};

	assert(n >= 1 && n <= 4);
	assert(isupper((unsigned char)seg[0]) || seg[0] == '_');
	for (size_t i = 0; i < n; i++) {
		assert(isupper((unsigned char)seg[i]) ||
		       isdigit((unsigned char)seg[i]) || seg[i] == '_');
		out[i] = seg[i];
	}
	aml_bytes(a, out, sizeof(out));
}

void aml_namestring(struct aml *a, const char *path)
{
	size_t segs = 1;

	if (*path == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	}
	for (const char *p = path; *p; p++)
		segs += *p == '.';
	assert(*path && segs <= 255);
	if (segs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (segs > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)segs);
	}
	while (*path) {
		size_t n = strcspn(path, ".");

		aml_nameseg(a, path, n);
		path += n + (path[n] == '.');
	}
}

void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, path);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v <= 1) {
		aml_byte(a, v ? AML_ONE_OP : AML_ZERO_OP);
	} else if (v <= UINT8_MAX) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= UINT16_MAX) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= UINT32_MAX) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

/*
 * The compressed EISA id: each letter as 5 bits (A = 1), then the four
 * hex digits, stored with the first letter in the most significant bits
 * of a big-endian DWord (ASL EisaId() macro).
 */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	assert(strlen(id) == 7);
	for (int i = 0; i < 3; i++) {
		assert(isupper((unsigned char)id[i]));
		v = v << 5 | (uint32_t)(id[i] - '@');
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];

		assert(isxdigit((unsigned char)c));
		v = v << 4 |
		    (uint32_t)(isdigit((unsigned char)c)
				   ? c - '0'
				   : toupper((unsigned char)c) - 'A' + 10);
	}
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, __builtin_bswap32(v), 4);
}

size_t aml_scope(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_SCOPE_OP);
	mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_device(struct aml *a, const char *path)
{
	size_t mark;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_package(struct aml *a, uint8_t num_elements)
{
	size_t mark;

	aml_byte(a, AML_PACKAGE_OP);
	mark = a->len;
	aml_byte(a, num_elements);
	return mark;
}

/*
 * PkgLength counts itself plus what follows. One byte holds up to 63;
 * otherwise the lead byte's bits 7-6 give the number of extra bytes, its
 * low nibble the low four bits, and each extra byte eight more bits.
 */
void aml_close(struct aml *a, size_t mark)
{
	size_t content, total = 0, n;
	uint8_t enc[4];

	if (a->full)
		return;
	assert(mark <= a->len);
	content = a->len - mark;
	for (n = 1; n <= 4; n++) {
		total = content + n;
		if (n == 1 ? total <= 0x3f : total < (1u << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4 || total > AML_PKGLEN_MAX || n > a->cap - a->len) {
		a->full = true;
		return;
	}
	if (n == 1) {
		enc[0] = (uint8_t)total;
	} else {
		enc[0] = (uint8_t)((n - 1) << 6 | (total & 0xf));
		for (size_t i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	memmove(a->buf + mark + n, a->buf + mark, content);
	memcpy(a->buf + mark, enc, n);
	a->len += n;
}

void aml_buffer(struct aml *a, const uint8_t *data, size_t n)
{
	size_t mark;

	aml_byte(a, AML_BUFFER_OP);
	mark = a->len;
	aml_integer(a, n);
	aml_bytes(a, data, n);
	aml_close(a, mark);
}

/* I/O Port Descriptor, 16-bit decode, fixed base. */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, 0x47);
	aml_byte(a, 0x01);  /* decodes 16 address bits */
	aml_le(a, base, 2); /* minimum base */
	aml_le(a, base, 2); /* maximum base */
	aml_byte(a, 1);	    /* alignment */
	aml_byte(a, len);
}

/* IRQ Descriptor without the flags byte: edge, active high, exclusive. */
void aml_res_irq_noflags(struct aml *a, uint8_t irq)
{
	assert(irq < 16);
	aml_byte(a, 0x22);
	aml_le(a, 1u << irq, 2);
}

/* 32-Bit Fixed Memory Range Descriptor (large item 0x06). */
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t size,
			 bool writable)
{
	aml_byte(a, 0x86);
	aml_le(a, 9, 2); /* length of what follows */
	aml_byte(a, writable ? 1 : 0);
	aml_le(a, base, 4);
	aml_le(a, size, 4);
}

/* Extended Interrupt Descriptor (large item 0x09) with one interrupt. */
void aml_res_interrupt(struct aml *a, unsigned int flags, uint32_t gsi)
{
	aml_byte(a, 0x89);
	aml_le(a, 6, 2); /* flags, count, one DWord */
	aml_byte(a, (uint8_t)flags);
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

/* End Tag; a zero checksum means "the sum is not checked". */
void aml_res_end(struct aml *a)
{
	aml_byte(a, 0x79);
	aml_byte(a, 0);
}
