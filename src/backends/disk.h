/* SPDX-License-Identifier: MIT */
/*
 * A raw disk image on the host: a regular file or a block device, opened
 * for a virtio-blk device (devices/virtio_blk.c), which does the I/O on
 * the fd through the io loop. disk_open() checks everything a user could
 * have got wrong before the VM is built: the file is there, readable (and
 * writable unless read-only), not in use by another writer (an OFD lock,
 * as QEMU takes one), and of a usable size.
 */
#ifndef VMM_BACKENDS_DISK_H
#define VMM_BACKENDS_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR 512

struct disk {
	int fd;			 /* O_CLOEXEC, O_DIRECT with @direct */
	uint64_t size;		 /* bytes, a multiple of DISK_SECTOR */
	uint32_t logical_block;	 /* I/O alignment for O_DIRECT (>= 512) */
	uint32_t physical_block; /* the host's, for the guest's topology */
	bool readonly, direct;
	bool blockdev; /* discard/zero with ioctls, not fallocate */
};

/*
 * Open @path. A size that is not a multiple of 512 is rounded down with a
 * warning; an empty one is refused. Returns 0 or -errno with a one-line
 * reason in @err (the caller reports it as bad input).
 */
int disk_open(struct disk *d, const char *path, bool readonly, bool direct,
	      char *err, size_t err_len);

/* Close (and unlock) the image. Safe on a closed or zeroed disk. */
void disk_close(struct disk *d);

/*
 * Discard (@zero false) or zero (@zero true; @unmap: may deallocate) the
 * byte range [@off, @off + @len) of a block device, synchronously
 * (BLKDISCARD / BLKZEROOUT: io_uring has no opcode for them). Returns 0
 * or -errno.
 */
int disk_blk_discard(const struct disk *d, uint64_t off, uint64_t len,
		     bool zero);

/* fallocate(2) mode that discards / zeroes a range of a regular file. */
int disk_file_mode(bool zero, bool unmap);

#endif /* VMM_BACKENDS_DISK_H */
