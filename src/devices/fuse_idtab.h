/* SPDX-License-Identifier: MIT */
/*
 * A table of 64-bit ids for the FUSE server: node ids and file handles
 * are handed to the guest as numbers and come back untrusted. An id is
 * a slot index in the low 32 bits and the slot's generation in the high
 * 32, so a stale or made-up id finds nothing instead of another object.
 * Not thread-safe: the server that owns it serializes every call.
 */
#ifndef DEVICES_FUSE_IDTAB_H
#define DEVICES_FUSE_IDTAB_H

#include <stdint.h>

struct fuse_idtab_slot;

struct fuse_idtab {
	struct fuse_idtab_slot *slots;
	uint32_t nslots;    /* allocated */
	uint32_t used;	    /* slots handed out (live + free-listed) */
	uint32_t free_head; /* first free slot + 1, 0: none */
	uint32_t count;	    /* live entries */
	uint32_t cap;	    /* most live entries allowed */
	uint32_t first;	    /* the lowest slot index handed out */
};

/*
 * Set up an empty table holding at most @cap entries; ids start at slot
 * @first (so id 0, and FUSE_ROOT_ID if reserved, mean nothing). No
 * allocation until the first insert.
 */
void fuse_idtab_init(struct fuse_idtab *t, uint32_t cap, uint32_t first);

/* Free the table's memory (not what its entries point to). */
void fuse_idtab_destroy(struct fuse_idtab *t);

/*
 * Store @p and return its new id in @id. Returns 0, -ENFILE when the
 * table holds @cap entries, or -ENOMEM.
 */
int fuse_idtab_add(struct fuse_idtab *t, void *p, uint64_t *id);

/* Store @p under slot @slot, generation 0 (the root node). 0 or -errno. */
int fuse_idtab_set(struct fuse_idtab *t, uint32_t slot, void *p);

/* What @id names, or NULL for an unknown, stale or free id. */
void *fuse_idtab_get(const struct fuse_idtab *t, uint64_t id);

/*
 * What slot @slot holds, or NULL: for walking every entry (slots
 * 0 .. t->used - 1).
 */
void *fuse_idtab_at(const struct fuse_idtab *t, uint32_t slot);

/* Forget @id (a no-op if it names nothing); its slot is reused later. */
void fuse_idtab_del(struct fuse_idtab *t, uint64_t id);

#endif /* DEVICES_FUSE_IDTAB_H */
