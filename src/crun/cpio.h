/* SPDX-License-Identifier: MIT */
/*
 * A cpio archive in the "newc" format (the kernel's initramfs format,
 * Documentation/driver-api/early-userspace/buffer-format.rst), written in
 * memory: 110-byte ASCII headers with 8-digit hex fields, names and data
 * padded to 4 bytes, ended by the TRAILER!!! entry.
 */
#ifndef CRUN_CPIO_H
#define CRUN_CPIO_H

#include <stddef.h>
#include <stdint.h>

struct cpio {
	uint8_t *buf; /* malloc'd; the caller frees it after cpio_finish() */
	size_t len, cap;
	uint32_t next_ino;
	int err; /* the first failure, sticky */
};

/* An empty archive. */
void cpio_init(struct cpio *c);

/*
 * Add an entry: @name without a leading "/" ("vmm/process"), @mode with
 * its type bits (S_IFREG | 0755, S_IFDIR | 0755, S_IFCHR | 0600), owned
 * by root; @data (@len bytes) for a regular file, @rdev_major and
 * @rdev_minor for a device node. Directories come before what they hold.
 * Failures (-ENOMEM, -EFBIG past 4 GiB, -EINVAL) are kept in c->err.
 */
void cpio_add(struct cpio *c, const char *name, uint32_t mode, const void *data,
	      size_t len, uint32_t rdev_major, uint32_t rdev_minor);

/*
 * Write the trailer. Returns 0, or the first failure (then c->buf is
 * freed).
 */
int cpio_finish(struct cpio *c);

#endif /* CRUN_CPIO_H */
