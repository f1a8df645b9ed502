/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's open files and directories: fh -> an fd opened for
 * I/O (never O_PATH) and, for a directory, where its getdents position
 * is. A handle is reference counted so that RELEASE from the guest
 * cannot close an fd that a prepared I/O (struct fuse_io) still uses:
 * the fh stops working at once, the fd is closed by the last put.
 * Not thread-safe: the owning server serializes every call.
 */
#ifndef DEVICES_FUSE_HANDLES_H
#define DEVICES_FUSE_HANDLES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fuse_idtab.h"

/* The most files and directories the guest may hold open at once. */
#define FUSE_HANDLES_MAX (1u << 16)

struct fuse_handle {
	uint64_t fh;
	uint64_t serial; /* never reused by the table */
	int fd;		 /* owned */
	bool dir;
	unsigned int refs; /* 1 while open + 1 per prepared I/O */
};

/* Bytes of getdents64 output kept between READDIRs. */
#define FUSE_DENTS_SIZE 8192

/*
 * What the last getdents64 of a directory handle read and no READDIR
 * has sent yet. The next READDIR of that handle at the offset where the
 * last one stopped goes on from here, with no seek and no second read
 * of the same entries. One per table: a guest walks one directory at a
 * time, and a hostile one cannot make it grow.
 */
struct fuse_dents {
	uint64_t owner; /* the handle's serial; 0: none */
	off_t pos;	/* the directory offset of buf[next] */
	size_t len;	/* bytes in buf */
	size_t next;	/* the first entry not sent */
	char buf[FUSE_DENTS_SIZE];
};

struct fuse_handles {
	struct fuse_idtab ids;
	uint64_t serials; /* the last one given */
	struct fuse_dents dents;
};

void fuse_handles_init(struct fuse_handles *t);

/* Close every handle's fd (even those with I/O out) and free the table. */
void fuse_handles_destroy(struct fuse_handles *t);

/* Release every handle (the guest unmounted: FUSE_DESTROY). */
void fuse_handles_reset(struct fuse_handles *t);

/*
 * A new handle owning @fd (closed on failure too) in @out. Returns 0,
 * -ENFILE or -ENOMEM.
 */
int fuse_handles_add(struct fuse_handles *t, int fd, bool dir,
		     struct fuse_handle **out);

/*
 * The open handle @fh if it is a directory handle exactly when @dir
 * says so; NULL for an unknown fh or the wrong kind. No reference taken.
 */
struct fuse_handle *fuse_handles_get(struct fuse_handles *t, uint64_t fh,
				     bool dir);

/* Take a reference for a prepared I/O. */
void fuse_handle_hold(struct fuse_handle *h);

/* Drop a reference; the last one closes the fd and frees @h. */
void fuse_handle_put(struct fuse_handle *h);

/*
 * The guest closed @fh (RELEASE/RELEASEDIR): forget the id and drop
 * the open reference. Returns 0 or -EBADF for an unknown fh.
 */
int fuse_handles_release(struct fuse_handles *t, uint64_t fh, bool dir);

/*
 * As fuse_handles_release(), but when no prepared I/O holds the handle
 * its fd is handed to the caller in *fd to close (asynchronously);
 * otherwise *fd is -1 and the last put closes it. 0 or -EBADF.
 */
int fuse_handles_take(struct fuse_handles *t, uint64_t fh, bool dir, int *fd);

#endif /* DEVICES_FUSE_HANDLES_H */
