/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's tables on their own: ids with generations (a stale
 * or made-up id finds nothing), the cap, node identity by dev/ino
 * (hard links share a node), lookup counts and FORGET, and handles
 * that outlive RELEASE while a prepared I/O holds them.
 */
#include "devices/fuse_nodes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "check.h"
#include "devices/fuse_handles.h"
#include "devices/fuse_idtab.h"

static void test_idtab(void)
{
	struct fuse_idtab t;
	uint64_t a, b, c;
	int x, y, z;

	fuse_idtab_init(&t, 2, 2);
	CHECK_EQ(fuse_idtab_add(&t, &x, &a), 0);
	CHECK_EQ(fuse_idtab_add(&t, &y, &b), 0);
	CHECK_EQ(fuse_idtab_add(&t, &z, &c), -ENFILE);
	CHECK(a >= 2 && b >= 2 && a != b);
	CHECK(fuse_idtab_get(&t, a) == &x);
	CHECK(fuse_idtab_get(&t, 0) == NULL);
	CHECK(fuse_idtab_get(&t, 1) == NULL);
	CHECK(fuse_idtab_get(&t, ~0ull) == NULL);
	fuse_idtab_del(&t, a);
	CHECK(fuse_idtab_get(&t, a) == NULL);
	fuse_idtab_del(&t, a); /* twice: nothing */
	CHECK_EQ(t.count, 1);
	/* The slot is reused under a new generation: the old id is dead. */
	CHECK_EQ(fuse_idtab_add(&t, &z, &c), 0);
	CHECK(c != a);
	CHECK_EQ((uint32_t)c, (uint32_t)a);
	CHECK(fuse_idtab_get(&t, a) == NULL);
	CHECK(fuse_idtab_get(&t, c) == &z);
	/* Many entries: the table grows. */
	t.cap = 100000;
	for (int i = 0; i < 5000; i++)
		CHECK_EQ(fuse_idtab_add(&t, &x, &a), 0);
	CHECK(fuse_idtab_get(&t, a) == &x);
	fuse_idtab_destroy(&t);
}

static int open_path(const char *p)
{
	return open(p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

static void test_nodes(void)
{
	char dir[] = "/tmp/fuse-nodes-XXXXXX", a[64], b[64];
	struct fuse_node *n1, *n2, *n3;
	struct fuse_nodes t;
	uint64_t id;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	close(open(a, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	CHECK_EQ(link(a, b), 0);
	CHECK_EQ(fuse_nodes_init(&t, open(dir, O_PATH | O_CLOEXEC)), 0);
	CHECK(fuse_nodes_get(&t, FUSE_ROOT_ID) == &t.root);
	CHECK(fuse_nodes_get(&t, 0) == NULL);

	/* Two names of one inode: one node, two lookups. */
	CHECK_EQ(fuse_nodes_lookup(&t, open_path(a), &n1), 0);
	CHECK_EQ(fuse_nodes_lookup(&t, open_path(b), &n2), 0);
	CHECK(n1 == n2);
	CHECK_EQ(n1->nlookup, 2);
	CHECK(n1->id != FUSE_ROOT_ID);
	/* The root directory looked up again is the root node. */
	CHECK_EQ(fuse_nodes_lookup(&t, open(dir, O_PATH | O_CLOEXEC), &n3), 0);
	CHECK(n3 == &t.root);

	id = n1->id;
	fuse_nodes_forget(&t, id, 1);
	CHECK(fuse_nodes_get(&t, id) == n1);
	fuse_nodes_forget(&t, id, 5); /* more than it has: gone */
	CHECK(fuse_nodes_get(&t, id) == NULL);
	fuse_nodes_forget(&t, FUSE_ROOT_ID, 100);
	CHECK(fuse_nodes_get(&t, FUSE_ROOT_ID) == &t.root);
	fuse_nodes_forget(&t, 12345, 1); /* unknown: ignored */

	/* The cap: ENFILE, and the fd is not leaked (closed). */
	t.ids.cap = t.ids.count;
	CHECK_EQ(fuse_nodes_lookup(&t, open_path(a), &n1), -ENFILE);
	t.ids.cap = FUSE_NODES_MAX;
	CHECK_EQ(fuse_nodes_lookup(&t, open_path(a), &n1), 0);
	id = n1->id;
	fuse_nodes_reset(&t);
	CHECK(fuse_nodes_get(&t, id) == NULL);
	CHECK(fuse_nodes_get(&t, FUSE_ROOT_ID) == &t.root);
	fuse_nodes_destroy(&t);
	unlink(a);
	unlink(b);
	rmdir(dir);
}

static void test_handles(void)
{
	struct fuse_handles t;
	struct fuse_handle *h, *d;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), dfd;
	uint64_t fh;

	dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fuse_handles_init(&t);
	CHECK_EQ(fuse_handles_add(&t, fd, false, &h), 0);
	CHECK_EQ(fuse_handles_add(&t, dfd, true, &d), 0);
	CHECK(h->fh != 0 && h->fh != d->fh);
	CHECK(fuse_handles_get(&t, h->fh, false) == h);
	CHECK(fuse_handles_get(&t, h->fh, true) == NULL); /* wrong kind */
	CHECK(fuse_handles_get(&t, d->fh, false) == NULL);
	CHECK(fuse_handles_get(&t, 0, false) == NULL);
	CHECK_EQ(fuse_handles_release(&t, d->fh, false), -EBADF);

	/* A held handle: released by the guest, the fd stays open. */
	fh = h->fh;
	fuse_handle_hold(h);
	CHECK_EQ(fuse_handles_release(&t, fh, false), 0);
	CHECK(fuse_handles_get(&t, fh, false) == NULL);
	CHECK_EQ(fuse_handles_release(&t, fh, false), -EBADF);
	CHECK(fcntl(fd, F_GETFD) >= 0);
	fuse_handle_put(h);
	CHECK(fcntl(fd, F_GETFD) < 0);

	fuse_handles_reset(&t);
	CHECK(fcntl(dfd, F_GETFD) < 0);
	fuse_handles_destroy(&t);
}

int main(void)
{
	test_idtab();
	test_nodes();
	test_handles();
	return check_done("test_fuse_nodes");
}
