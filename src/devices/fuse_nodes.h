/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's inodes: node id -> an O_PATH fd on the host inode,
 * its identity (st_dev, st_ino), its file type and the guest's lookup
 * count. The same host inode always has the same node id while the
 * guest remembers it (a hash on dev/ino), as FUSE requires for hard
 * links. FUSE_ROOT_ID is the shared directory and is never forgotten.
 * Not thread-safe: the owning server serializes every call.
 */
#ifndef DEVICES_FUSE_NODES_H
#define DEVICES_FUSE_NODES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fuse_idtab.h"

/* The most inodes the guest may hold at once (each is an open fd). */
#define FUSE_NODES_MAX (1u << 20)

struct fuse_node {
	uint64_t id;
	int fd;	     /* O_PATH|O_NOFOLLOW, owned */
	mode_t type; /* S_IFMT bits: an inode's type never changes */
	dev_t dev;
	ino_t ino;
	uint64_t nlookup;   /* the guest's references (FUSE lookup count) */
	unsigned int holds; /* prepared I/O using @fd (fuse_node_hold()) */
	bool detached;	    /* forgotten while held: freed by the last put */
	struct fuse_node *hnext;
};

struct fuse_nodes {
	struct fuse_idtab ids;
	struct fuse_node **hash; /* by dev/ino, chained */
	uint32_t nbuckets;	 /* a power of two */
	struct fuse_node root;
};

/*
 * Make @root_fd (an O_PATH directory fd, ownership passes in) node
 * FUSE_ROOT_ID. Returns 0 or -errno (then @root_fd is closed).
 */
int fuse_nodes_init(struct fuse_nodes *t, int root_fd);

/*
 * Close every fd, the root's too, and free the table. No node may be
 * held (complete the prepared I/O first).
 */
void fuse_nodes_destroy(struct fuse_nodes *t);

/* Forget every node but the root (the guest unmounted: FUSE_DESTROY). */
void fuse_nodes_reset(struct fuse_nodes *t);

/* The node @id names, or NULL (unknown, stale or 0). */
struct fuse_node *fuse_nodes_get(struct fuse_nodes *t, uint64_t id);

/*
 * The guest has looked up the inode @fd (O_PATH) refers to: return its
 * node with the lookup count raised by one in @out. @fd is consumed:
 * kept by a new node, or closed when the inode already has one.
 * Returns 0, -ENFILE (table full), -ENOMEM or fstat's -errno.
 */
int fuse_nodes_lookup(struct fuse_nodes *t, int fd, struct fuse_node **out);

/* As fuse_nodes_lookup(), with @fd's stat already known (@st). */
int fuse_nodes_lookup_st(struct fuse_nodes *t, int fd, const struct stat *st,
			 struct fuse_node **out);

/*
 * Drop @n lookups from node @id; at zero the node and its fd go. An
 * unknown id, or the root, is ignored (FORGET has no reply to carry an
 * error). A node that is held leaves the table at once (its id and its
 * dev/ino entry) but keeps its fd until the last fuse_nodes_put().
 */
void fuse_nodes_forget(struct fuse_nodes *t, uint64_t id, uint64_t n);

/*
 * Keep @n's fd open for a prepared I/O that names it (a dirfd, or the
 * number in a /proc/self/fd path) until fuse_nodes_put(), whatever the
 * guest forgets meanwhile: a closed fd's number could be reused by
 * another file before the I/O runs.
 */
void fuse_node_hold(struct fuse_node *n);

/* Drop a hold; a forgotten node's fd and memory go with the last one. */
void fuse_nodes_put(struct fuse_nodes *t, struct fuse_node *n);

#endif /* DEVICES_FUSE_NODES_H */
