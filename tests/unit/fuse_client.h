/* SPDX-License-Identifier: MIT */
/*
 * A FUSE client for the server's unit tests: builds requests in memory
 * as the guest's virtiofs driver lays them out, optionally cut into odd
 * iovec pieces (to exercise split parsing), sends them to
 * fuse_server_handle() (or prepares the I/O and runs it with plain
 * preadv/pwritev as a device would), and checks the reply header.
 * Also a temp-directory fixture: a base dir holding "shared" (served)
 * and "outside" (must never be reached).
 */
#ifndef TESTS_UNIT_FUSE_CLIENT_H
#define TESTS_UNIT_FUSE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/fuse.h>

#include "devices/fuse_server.h"

struct fc {
	struct fuse_server *s;
	char base[64];	  /* mkdtemp */
	char shared[96];  /* base/shared: the served directory */
	char outside[96]; /* base/outside */
	uint64_t unique;
	bool split;		  /* cut requests and replies into odd pieces */
	bool prepared;		  /* fuse_server_prepare() + I/O here */
	int last_ret;		  /* what handle/prepare returned */
	uint32_t last_open_flags; /* of the last OPEN or CREATE reply */
	uint32_t init_flags;	  /* what the server's INIT reply offered */
	size_t last_written;
};

/* A request being built. */
struct fc_req {
	uint8_t *buf;
	size_t len, cap;
};

/* Make the fixture and a server on it (@flags: FUSE_SERVER_*); INIT. */
void fc_setup(struct fc *c, unsigned int flags);
/* The same with the base dir made in @tmp instead of /tmp. */
void fc_setup_in(struct fc *c, const char *tmp, unsigned int flags);
/* Destroy the server and remove the directories. */
void fc_teardown(struct fc *c);
/* A host path under the shared dir (static buffer, one at a time). */
const char *fc_path(struct fc *c, const char *rel);

void fc_begin(struct fc_req *q, uint32_t opcode, uint64_t nodeid);
void fc_add(struct fc_req *q, const void *p, size_t n);
void fc_add_str(struct fc_req *q, const char *s); /* with its NUL */

/*
 * Send @q (freed) with room for @reply_cap reply bytes after the out
 * header; the reply body goes to @reply (if not NULL), its length to
 * *reply_len (if not NULL). Returns the reply's error (0 or -errno),
 * 1 for no reply, or a value < -4095 if the reply header was wrong.
 */
int fc_send(struct fc *c, struct fc_req *q, void *reply, size_t reply_cap,
	    size_t *reply_len);

/* Lay out and send raw bytes as they are (malformed requests). */
int fc_send_raw(struct fc *c, const void *req, size_t len, void *reply,
		size_t reply_cap, size_t *reply_len);

int fc_init(struct fc *c);
int fc_lookup(struct fc *c, uint64_t parent, const char *name,
	      struct fuse_entry_out *e);
int fc_getattr(struct fc *c, uint64_t node, struct fuse_attr *a);
int fc_mkdir(struct fc *c, uint64_t parent, const char *name, uint32_t mode,
	     struct fuse_entry_out *e);
int fc_create(struct fc *c, uint64_t parent, const char *name, uint32_t flags,
	      uint32_t mode, struct fuse_entry_out *e, uint64_t *fh);
int fc_open(struct fc *c, uint64_t node, uint32_t flags, uint64_t *fh);
int fc_read(struct fc *c, uint64_t fh, uint64_t off, void *buf, size_t size,
	    size_t *got);
int fc_write(struct fc *c, uint64_t fh, uint64_t off, const void *buf,
	     size_t size, size_t *done);
int fc_release(struct fc *c, uint64_t fh);
void fc_forget(struct fc *c, uint64_t node, uint64_t n);

/* Host helpers: write/read a whole file under the shared dir. */
void fc_put_file(struct fc *c, const char *rel, const void *data, size_t n);
long fc_get_file(struct fc *c, const char *rel, void *buf, size_t cap);

#endif /* TESTS_UNIT_FUSE_CLIENT_H */
