/* SPDX-License-Identifier: MIT */
/*
 * Slot table behind FUSE node ids and file handles (fuse_idtab.h): a
 * growing array of slots, a free list threaded through the free ones,
 * and a generation per slot bumped on every reuse.
 */
#include "fuse_idtab.h"

#include <errno.h>
#include <stdlib.h>

struct fuse_idtab_slot {
	void *p;	    /* NULL: free */
	uint32_t gen;	    /* the high half of the id */
	uint32_t next_free; /* next free slot + 1 */
};

void fuse_idtab_init(struct fuse_idtab *t, uint32_t cap, uint32_t first)
{
	*t = (struct fuse_idtab){.cap = cap, .first = first, .used = first};
}

void fuse_idtab_destroy(struct fuse_idtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = t->count = t->free_head = 0;
	t->used = t->first;
}

static int grow(struct fuse_idtab *t, uint32_t want)
{
	uint32_t n = t->nslots ? t->nslots : 64;
	struct fuse_idtab_slot *s;

	while (n < want)
		n *= 2;
	if (n == t->nslots)
		return 0;
	s = realloc(t->slots, (size_t)n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = t->nslots; i < n; i++)
		s[i] = (struct fuse_idtab_slot){0};
	t->slots = s;
	t->nslots = n;
	return 0;
}

int fuse_idtab_add(struct fuse_idtab *t, void *p, uint64_t *id)
{
	uint32_t i;
	int r;

	if (t->count >= t->cap)
		return -ENFILE;
	if (t->free_head) {
		i = t->free_head - 1;
		t->free_head = t->slots[i].next_free;
	} else {
		r = grow(t, t->used + 1);
		if (r)
			return r;
		i = t->used++;
	}
	t->slots[i].p = p;
	t->count++;
	*id = (uint64_t)t->slots[i].gen << 32 | i;
	return 0;
}

int fuse_idtab_set(struct fuse_idtab *t, uint32_t slot, void *p)
{
	int r = grow(t, slot + 1);

	if (r)
		return r;
	if (!t->slots[slot].p)
		t->count++;
	t->slots[slot].p = p;
	return 0;
}

void *fuse_idtab_get(const struct fuse_idtab *t, uint64_t id)
{
	uint32_t i = (uint32_t)id;

	if (i >= t->nslots || t->slots[i].gen != (uint32_t)(id >> 32))
		return NULL;
	return t->slots[i].p;
}

void *fuse_idtab_at(const struct fuse_idtab *t, uint32_t slot)
{
	return slot < t->nslots ? t->slots[slot].p : NULL;
}

void fuse_idtab_del(struct fuse_idtab *t, uint64_t id)
{
	uint32_t i = (uint32_t)id;

	if (!fuse_idtab_get(t, id))
		return;
	t->slots[i].p = NULL;
	/* A new generation: the guest's copy of this id now finds nothing. */
	t->slots[i].gen++;
	t->count--;
	if (i >= t->first) {
		t->slots[i].next_free = t->free_head;
		t->free_head = i + 1;
	}
}
