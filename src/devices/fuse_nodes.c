/* SPDX-License-Identifier: MIT */
/*
 * FUSE node table (fuse_nodes.h): ids from a fuse_idtab, plus a chained
 * hash on (st_dev, st_ino) so a second lookup of an inode, under any
 * name, finds the node it already has. While a node holds its O_PATH
 * fd the inode stays allocated, so its inode number cannot be reused
 * by another file and the hash key stays unique.
 */
#include "fuse_nodes.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>

static uint32_t hash_key(dev_t dev, ino_t ino, uint32_t nbuckets)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;

	return (uint32_t)(h ^ h >> 29) & (nbuckets - 1);
}

static void hash_insert(struct fuse_nodes *t, struct fuse_node *n)
{
	uint32_t b = hash_key(n->dev, n->ino, t->nbuckets);

	n->hnext = t->hash[b];
	t->hash[b] = n;
}

static void hash_remove(struct fuse_nodes *t, struct fuse_node *n)
{
	struct fuse_node **pp = &t->hash[hash_key(n->dev, n->ino, t->nbuckets)];

	while (*pp && *pp != n)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = n->hnext;
}

/* Keep chains short: double the buckets when nodes outnumber them. */
static void hash_grow(struct fuse_nodes *t)
{
	uint32_t old = t->nbuckets;
	struct fuse_node **oh = t->hash, **nh;

	nh = calloc((size_t)old * 2, sizeof(*nh));
	if (!nh)
		return; /* longer chains, still correct */
	t->hash = nh;
	t->nbuckets = old * 2;
	for (uint32_t i = 0; i < old; i++) {
		for (struct fuse_node *n = oh[i], *next; n; n = next) {
			next = n->hnext;
			hash_insert(t, n);
		}
	}
	free(oh);
}

int fuse_nodes_init(struct fuse_nodes *t, int root_fd)
{
	struct stat st;
	int r;

	*t = (struct fuse_nodes){.nbuckets = 1024};
	fuse_idtab_init(&t->ids, FUSE_NODES_MAX, FUSE_ROOT_ID + 1);
	t->hash = calloc(t->nbuckets, sizeof(*t->hash));
	if (!t->hash) {
		r = -ENOMEM;
		goto err_close;
	}
	if (fstat(root_fd, &st) < 0) {
		r = -errno;
		goto err_free;
	}
	t->root = (struct fuse_node){
	    .id = FUSE_ROOT_ID,
	    .fd = root_fd,
	    .type = st.st_mode & S_IFMT,
	    .dev = st.st_dev,
	    .ino = st.st_ino,
	    .nlookup = 1,
	};
	r = fuse_idtab_set(&t->ids, FUSE_ROOT_ID, &t->root);
	if (r)
		goto err_free;
	hash_insert(t, &t->root);
	return 0;

err_free:
	free(t->hash);
	t->hash = NULL;
	fuse_idtab_destroy(&t->ids);
err_close:
	close(root_fd);
	return r;
}

/*
 * The guest is done with @n: out of the table, so its id and inode key
 * may be used again; the fd goes now, or with the last hold.
 */
static void node_free(struct fuse_nodes *t, struct fuse_node *n)
{
	hash_remove(t, n);
	fuse_idtab_del(&t->ids, n->id);
	n->nlookup = 0;
	if (n->holds) {
		n->detached = true;
		return;
	}
	close(n->fd);
	free(n);
}

void fuse_node_hold(struct fuse_node *n)
{
	n->holds++;
}

void fuse_nodes_put(struct fuse_nodes *t, struct fuse_node *n)
{
	(void)t;
	if (--n->holds || !n->detached)
		return;
	close(n->fd);
	free(n);
}

void fuse_nodes_reset(struct fuse_nodes *t)
{
	for (uint32_t i = 0; t->hash && i < t->nbuckets; i++) {
		struct fuse_node *n = t->hash[i], *next;

		for (; n; n = next) {
			next = n->hnext;
			if (n != &t->root)
				node_free(t, n);
		}
	}
}

void fuse_nodes_destroy(struct fuse_nodes *t)
{
	if (!t->hash)
		return;
	fuse_nodes_reset(t);
	close(t->root.fd);
	free(t->hash);
	t->hash = NULL;
	fuse_idtab_destroy(&t->ids);
}

struct fuse_node *fuse_nodes_get(struct fuse_nodes *t, uint64_t id)
{
	return fuse_idtab_get(&t->ids, id);
}

int fuse_nodes_lookup(struct fuse_nodes *t, int fd, struct fuse_node **out)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fuse_nodes_lookup_st(t, fd, &st, out);
}

int fuse_nodes_lookup_st(struct fuse_nodes *t, int fd, const struct stat *st,
			 struct fuse_node **out)
{
	struct fuse_node *n;
	int r;

	n = t->hash[hash_key(st->st_dev, st->st_ino, t->nbuckets)];
	for (; n; n = n->hnext) {
		if (n->dev == st->st_dev && n->ino == st->st_ino) {
			close(fd);
			n->nlookup++;
			*out = n;
			return 0;
		}
	}
	n = malloc(sizeof(*n));
	if (!n) {
		r = -ENOMEM;
		goto err_close;
	}
	*n = (struct fuse_node){
	    .fd = fd,
	    .type = st->st_mode & S_IFMT,
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .nlookup = 1,
	};
	r = fuse_idtab_add(&t->ids, n, &n->id);
	if (r) {
		free(n);
		goto err_close;
	}
	if (t->ids.count > t->nbuckets)
		hash_grow(t);
	hash_insert(t, n);
	*out = n;
	return 0;

err_close:
	close(fd);
	return r;
}

void fuse_nodes_forget(struct fuse_nodes *t, uint64_t id, uint64_t n)
{
	struct fuse_node *node = fuse_nodes_get(t, id);

	if (!node || node == &t->root)
		return;
	if (n >= node->nlookup)
		node_free(t, node);
	else
		node->nlookup -= n;
}
