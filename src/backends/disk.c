/* SPDX-License-Identifier: MIT */
/*
 * Raw disk images: open, size, alignment and the OFD lock (disk.h).
 */
#define pr_fmt(fmt) "disk: " fmt

#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/falloc.h>
#include <linux/fs.h>

#include "base/log.h"
#include "base/util.h"

/* When the kernel cannot tell a file's O_DIRECT alignment (STATX_DIOALIGN). */
#define DISK_DIRECT_FALLBACK_ALIGN 4096

static int disk_fail(char *err, size_t err_len, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int disk_fail(char *err, size_t err_len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return r;
}

/* A regular file's O_DIRECT alignment (memory and offsets), or 0. */
static uint32_t file_dio_align(int fd)
{
#ifdef STATX_DIOALIGN
	struct statx sx;

	if (!statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) &&
	    (sx.stx_mask & STATX_DIOALIGN) && sx.stx_dio_offset_align)
		return MAX(sx.stx_dio_offset_align, sx.stx_dio_mem_align);
#else
	(void)fd;
#endif
	return 0;
}

static int disk_probe(struct disk *d, const char *path, const struct stat *st,
		      char *err, size_t err_len)
{
	if (S_ISBLK(st->st_mode)) {
		uint64_t bytes;
		int lbs = 0;
		unsigned int pbs = 0;

		if (ioctl(d->fd, BLKGETSIZE64, &bytes) ||
		    ioctl(d->fd, BLKSSZGET, &lbs) ||
		    ioctl(d->fd, BLKPBSZGET, &pbs))
			return disk_fail(err, err_len, -errno,
					 "disk %s: cannot read its size: %s",
					 path, strerror(errno));
		d->blockdev = true;
		d->size = bytes;
		d->logical_block = lbs >= DISK_SECTOR ? (uint32_t)lbs : 512;
		d->physical_block = MAX(pbs, d->logical_block);
		return 0;
	}
	if (!S_ISREG(st->st_mode))
		return disk_fail(err, err_len, -EINVAL,
				 "disk %s: not a regular file or block device",
				 path);
	d->size = (uint64_t)st->st_size;
	d->logical_block = DISK_SECTOR;
	if (d->direct) {
		uint32_t a = file_dio_align(d->fd);

		d->logical_block =
		    a >= DISK_SECTOR && a <= 65536 && !(a & (a - 1))
			? a
			: DISK_DIRECT_FALLBACK_ALIGN;
	}
	d->physical_block = MAX((uint32_t)st->st_blksize, d->logical_block);
	if (d->physical_block > 65536 ||
	    (d->physical_block & (d->physical_block - 1)))
		d->physical_block = d->logical_block;
	return 0;
}

/* An exclusive lock for a writer, a shared one for a reader. */
static int disk_lock(struct disk *d, const char *path, char *err,
		     size_t err_len)
{
	struct flock fl = {
	    .l_type = d->readonly ? F_RDLCK : F_WRLCK,
	    .l_whence = SEEK_SET,
	};

	if (!fcntl(d->fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return disk_fail(
		    err, err_len, -EBUSY,
		    "disk %s: locked by another user of the image (another "
		    "VM, or this one twice); only read-only users may share "
		    "it (readonly=on on every one)",
		    path);
	return disk_fail(err, err_len, -errno, "disk %s: cannot lock it: %s",
			 path, strerror(errno));
}

int disk_open(struct disk *d, const char *path, bool readonly, bool direct,
	      char *err, size_t err_len)
{
	/* O_NONBLOCK: a FIFO must not hang the open; cleared below. */
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK |
		    (direct ? O_DIRECT : 0);
	struct stat st;
	int r;

	*d = (struct disk){.fd = -1, .readonly = readonly, .direct = direct};
	if (!path || !*path)
		return disk_fail(err, err_len, -EINVAL, "no image path given");
	d->fd = open(path, flags);
	if (d->fd < 0) {
		r = -errno;
		if (!readonly && (r == -EACCES || r == -EROFS || r == -EPERM) &&
		    !access(path, R_OK))
			return disk_fail(err, err_len, r,
					 "disk %s: not writable (%s); add "
					 "readonly=on to use it read-only",
					 path, strerror(-r));
		if (direct && r == -EINVAL)
			return disk_fail(
			    err, err_len, r,
			    "disk %s: its file system does not support "
			    "direct=on (O_DIRECT)",
			    path);
		return disk_fail(err, err_len, r, "disk %s: %s", path,
				 strerror(-r));
	}
	if (fstat(d->fd, &st)) {
		r = disk_fail(err, err_len, -errno, "disk %s: %s", path,
			      strerror(errno));
		goto fail;
	}
	r = disk_probe(d, path, &st, err, err_len);
	/* io_uring would answer EAGAIN instead of waiting for the disk. */
	if (!r && fcntl(d->fd, F_SETFL,
			flags & ~(O_NONBLOCK | O_CLOEXEC) & ~O_ACCMODE))
		r = disk_fail(err, err_len, -errno, "disk %s: %s", path,
			      strerror(errno));
	if (!r)
		r = disk_lock(d, path, err, err_len);
	if (r)
		goto fail;
	if (d->size % DISK_SECTOR)
		pr_warn("%s: size %llu is not a multiple of %d; the guest sees "
			"the first %llu bytes",
			path, (unsigned long long)d->size, DISK_SECTOR,
			(unsigned long long)ALIGN_DOWN(d->size, DISK_SECTOR));
	d->size = ALIGN_DOWN(d->size, DISK_SECTOR);
	if (!d->size) {
		r = disk_fail(err, err_len, -EINVAL,
			      "disk %s: empty (a disk needs at least %d bytes)",
			      path, DISK_SECTOR);
		goto fail;
	}
	return 0;
fail:
	disk_close(d);
	return r;
}

void disk_close(struct disk *d)
{
	if (d->fd >= 0)
		close(d->fd); /* drops the OFD lock */
	d->fd = -1;
}

int disk_blk_discard(const struct disk *d, uint64_t off, uint64_t len,
		     bool zero)
{
	uint64_t range[2] = {off, len};

	if (ioctl(d->fd, zero ? BLKZEROOUT : BLKDISCARD, range))
		return -errno;
	return 0;
}

int disk_file_mode(bool zero, bool unmap)
{
	if (zero && !unmap)
		return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
}
