/* SPDX-License-Identifier: MIT */
/*
 * A small emitter of ACPI Machine Language byte code (ACPI 6.x, "ACPI
 * Machine Language (AML) Specification") for static DSDT content: scopes,
 * devices, named objects, integers, strings, EISA ids, packages, buffers
 * and the resource descriptors a _CRS needs. No methods. Enough for the
 * VMM's DSDT; not a general AML compiler.
 *
 * Usage: aml_init() over a caller-owned buffer, emit, then check aml_err().
 * Emitters never write past the buffer: once it is full they stop and
 * aml_err() returns -ENOSPC. Objects with a PkgLength are opened by
 * aml_scope()/aml_device()/aml_package(), which return a mark, and closed
 * with aml_close(mark) in reverse order of opening.
 */
#ifndef BOOT_AML_H
#define BOOT_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool full; /* something did not fit; the output is unusable */
};

/* Flags of the Extended Interrupt Descriptor (ACPI 6.x). */
#define AML_IRQ_CONSUMER   (1u << 0) /* else ResourceProducer */
#define AML_IRQ_EDGE	   (1u << 1) /* else level-triggered */
#define AML_IRQ_ACTIVE_LOW (1u << 2) /* else active-high */
#define AML_IRQ_SHARED	   (1u << 3) /* else exclusive */

/* Start emitting into @buf (@cap bytes, owned by the caller). */
void aml_init(struct aml *a, uint8_t *buf, size_t cap);

/* 0, or -ENOSPC if anything emitted so far did not fit. */
int aml_err(const struct aml *a);

/* Raw bytes. */
void aml_bytes(struct aml *a, const void *data, size_t n);

/*
 * A NameString: "\\_SB_.COM1", "_S5" ... Segments are padded with '_' to
 * four characters. @path is ours, never guest data; a malformed one asserts.
 */
void aml_namestring(struct aml *a, const char *path);

/* Name (path, ...): NameOp and the name; the value must follow. */
void aml_name(struct aml *a, const char *path);

/* Integer in its shortest encoding (ZeroOp, OneOp, Byte..QWord). */
void aml_integer(struct aml *a, uint64_t v);

/* String constant. */
void aml_string(struct aml *a, const char *s);

/* EisaId ("PNP0501"): three capitals and four hex digits, as a DWord. */
void aml_eisaid(struct aml *a, const char *id);

/* Buffer (n) { data }: a resource template is emitted as one. */
void aml_buffer(struct aml *a, const uint8_t *data, size_t n);

/* Open Scope (path), Device (path) or Package (n). Returns the mark. */
size_t aml_scope(struct aml *a, const char *path);
size_t aml_device(struct aml *a, const char *path);
size_t aml_package(struct aml *a, uint8_t num_elements);

/* Close the object opened at @mark: insert its PkgLength. */
void aml_close(struct aml *a, size_t mark);

/* Resource descriptors (ACPI 6.x, "Resource Data Types for ACPI"). */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq_noflags(struct aml *a, uint8_t irq);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t size,
			 bool writable);
void aml_res_interrupt(struct aml *a, unsigned int flags, uint32_t gsi);
void aml_res_end(struct aml *a);

#endif /* BOOT_AML_H */
