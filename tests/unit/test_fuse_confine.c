/* SPDX-License-Identifier: MIT */
/*
 * Confinement of the FUSE server to its directory, one way out per
 * test: names that are "..", ".", empty or hold '/'; an absolute symlink
 * looked up and then used as a directory; a symlink to a file outside
 * as the final component, then OPEN, CREATE, SETATTR and xattrs on it;
 * /proc/self/fd names and links; a hard link made on the host (which
 * we cannot prevent: documented) and LINK of an unknown node; a
 * read-only server refusing every modifying op; and a race: a thread
 * swaps a subdirectory with a symlink to the outside (RENAME_EXCHANGE
 * on the host) while the server looks up, opens and reads under it.
 * A sentinel file outside must never be read or changed.
 */
#include "fuse_client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"

#define SECRET "SENTINEL-outside-must-not-be-read"

static char sentinel[160];

static void setup(struct fc *c, unsigned int flags)
{
	int fd;

	fc_setup(c, flags);
	snprintf(sentinel, sizeof(sentinel), "%s/f", c->outside);
	fd = open(sentinel, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0666);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, SECRET, strlen(SECRET)), (ssize_t)strlen(SECRET));
	close(fd);
	CHECK_EQ(setxattr(sentinel, "user.secret", "s", 1, 0), 0);
}

/* The sentinel is as it was. */
static void check_sentinel(void)
{
	char buf[64] = {0};
	struct stat st;
	int fd = open(sentinel, O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0);
	CHECK_EQ(read(fd, buf, sizeof(buf)), (ssize_t)strlen(SECRET));
	CHECK(!strcmp(buf, SECRET));
	close(fd);
	CHECK_EQ(stat(sentinel, &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0666 & ~umask(022) /* as created */);
	umask(022);
}

static void test_bad_names(void)
{
	static const char *const names[] = {"..",   ".",	  "",	 "a/b",
					    "/etc", "../outside", "./x", "x/"};
	struct fuse_entry_out e;
	struct fc c;

	setup(&c, 0);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "a", 0755, &e), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, names[i], &e), -EINVAL);
		CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, names[i], 0755, &e),
			 -EINVAL);
	}
	check_sentinel();
	fc_teardown(&c);
}

static void test_absolute_symlink(void)
{
	struct fuse_entry_out e, e2;
	struct fuse_open_in oi = {.flags = O_RDONLY};
	struct fuse_open_out oo;
	char buf[64];
	struct fc_req q;
	size_t len;
	struct fc c;

	setup(&c, 0);
	CHECK_EQ(symlink("/", fc_path(&c, "abs")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "abs", &e), 0);
	CHECK(S_ISLNK(e.attr.mode)); /* the link, not "/" */
	fc_begin(&q, FUSE_READLINK, e.nodeid);
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 1);
	CHECK_EQ(buf[0], '/');
	/* Used as a directory, it leads nowhere. */
	CHECK_EQ(fc_lookup(&c, e.nodeid, "etc", &e2), -ENOTDIR);
	CHECK_EQ(fc_lookup(&c, e.nodeid, "tmp", &e2), -ENOTDIR);
	CHECK_EQ(fc_mkdir(&c, e.nodeid, "x", 0755, &e2), -ENOTDIR);
	fc_begin(&q, FUSE_OPENDIR, e.nodeid);
	fc_add(&q, &oi, sizeof(oi));
	CHECK_EQ(fc_send(&c, &q, &oo, sizeof(oo), NULL), -ENOTDIR);
	/* A path through a link to the outside dir: same. */
	CHECK_EQ(symlink(c.outside, fc_path(&c, "out")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "out", &e), 0);
	CHECK_EQ(fc_lookup(&c, e.nodeid, "f", &e2), -ENOTDIR);
	check_sentinel();
	fc_teardown(&c);
}

static void test_symlink_final_component(void)
{
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE, .size = 0};
	struct fuse_getxattr_in gi = {.size = 64};
	struct fuse_attr_out ao;
	struct fuse_entry_out e, e2;
	char rel[200], buf[64];
	struct fc_req q;
	uint64_t fh;
	struct fc c;

	setup(&c, 0);
	CHECK_EQ(symlink(sentinel, fc_path(&c, "esc")), 0);
	snprintf(rel, sizeof(rel), "../outside/f");
	CHECK_EQ(symlink(rel, fc_path(&c, "rel")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "esc", &e), 0);
	CHECK(S_ISLNK(e.attr.mode));
	CHECK(e.attr.size != strlen(SECRET)); /* the link's attributes */
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), -ELOOP);
	CHECK_EQ(fc_open(&c, e.nodeid, O_WRONLY | O_TRUNC, &fh), -ELOOP);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "esc", O_RDWR | O_TRUNC, 0600, &e2,
			   &fh),
		 -ELOOP);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "rel", O_RDWR, 0600, &e2, &fh),
		 -ELOOP);
	CHECK_EQ(
	    fc_create(&c, FUSE_ROOT_ID, "esc", O_RDWR | O_EXCL, 0600, &e2, &fh),
	    -EEXIST);
	fc_begin(&q, FUSE_SETATTR, e.nodeid);
	fc_add(&q, &sa, sizeof(sa));
	CHECK_EQ(fc_send(&c, &q, &ao, sizeof(ao), NULL), -EINVAL);
	sa = (struct fuse_setattr_in){.valid = FATTR_MODE, .mode = 0777};
	fc_begin(&q, FUSE_SETATTR, e.nodeid);
	fc_add(&q, &sa, sizeof(sa));
	CHECK(fc_send(&c, &q, &ao, sizeof(ao), NULL) < 0);
	/* xattrs through the link act on the link: no secret. */
	fc_begin(&q, FUSE_GETXATTR, e.nodeid);
	fc_add(&q, &gi, sizeof(gi));
	fc_add_str(&q, "user.secret");
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), NULL), -ENODATA);
	/* A guest symlink pointing out is only text. */
	fc_begin(&q, FUSE_SYMLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "mine");
	fc_add_str(&q, sentinel);
	CHECK_EQ(fc_send(&c, &q, &e2, sizeof(e2), NULL), 0);
	CHECK_EQ(fc_open(&c, e2.nodeid, O_RDONLY, &fh), -ELOOP);
	check_sentinel();
	fc_teardown(&c);
}

static void test_proc_self_fd(void)
{
	static const char *const names[] = {"/proc/self/fd/3", "proc/self",
					    "/proc/self/root"};
	struct fuse_entry_out e, e2;
	uint64_t fh;
	char target[32];
	struct fc c;

	setup(&c, 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, names[i], &e), -EINVAL);
	/* Links to magic links: returned as links, never followed. */
	for (int fd = 0; fd < 12; fd++) {
		char name[16];

		snprintf(name, sizeof(name), "m%d", fd);
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
		CHECK_EQ(symlink(target, fc_path(&c, name)), 0);
		CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, name, &e), 0);
		CHECK(S_ISLNK(e.attr.mode));
		CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), -ELOOP);
		CHECK_EQ(fc_lookup(&c, e.nodeid, "f", &e2), -ENOTDIR);
	}
	CHECK_EQ(symlink("/proc/self/root", fc_path(&c, "root")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "root", &e), 0);
	CHECK_EQ(fc_lookup(&c, e.nodeid, "etc", &e2), -ENOTDIR);
	check_sentinel();
	fc_teardown(&c);
}

static void test_hard_link_from_host(void)
{
	struct fuse_link_in li = {.oldnodeid = 0xbadbad};
	struct fuse_entry_out e;
	char buf[64];
	struct fc_req q;
	uint64_t fh;
	size_t n;
	struct fc c;

	setup(&c, 0);
	/*
	 * A hard link the host makes to a file outside is the same inode
	 * inside: the guest sees it. Nothing in the server can tell, so it
	 * is the host's choice (documented in fuse_path.h).
	 */
	CHECK_EQ(link(sentinel, fc_path(&c, "hl")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "hl", &e), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fc_read(&c, fh, 0, buf, sizeof(buf), &n), 0);
	CHECK_EQ(n, strlen(SECRET));
	CHECK_EQ(fc_release(&c, fh), 0);
	/* The guest itself can only link nodes it has. */
	fc_begin(&q, FUSE_LINK, FUSE_ROOT_ID);
	fc_add(&q, &li, sizeof(li));
	fc_add_str(&q, "new");
	CHECK_EQ(fc_send(&c, &q, &e, sizeof(e), NULL), -ENOENT);
	fc_teardown(&c);
}

static void test_readonly(void)
{
	struct fuse_setattr_in sa = {.valid = FATTR_MODE, .mode = 0777};
	struct fuse_mknod_in mk = {.mode = S_IFREG | 0644};
	struct fuse_rename2_in rn = {.newdir = FUSE_ROOT_ID};
	struct fuse_link_in li;
	struct fuse_setxattr_in sx = {.size = 1};
	struct fuse_fallocate_in fa = {.length = 4096};
	struct fuse_entry_out e, e2;
	struct fuse_attr_out ao;
	uint64_t fh, fh2;
	char buf[16];
	struct stat st;
	struct fc_req q;
	size_t n;
	struct fc c;

	setup(&c, FUSE_SERVER_READONLY);
	fc_put_file(&c, "f", "content", 7);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	li.oldnodeid = e.nodeid;
	fc_begin(&q, FUSE_SETATTR, e.nodeid);
	fc_add(&q, &sa, sizeof(sa));
	CHECK_EQ(fc_send(&c, &q, &ao, sizeof(ao), NULL), -EROFS);
	fc_begin(&q, FUSE_SYMLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "l");
	fc_add_str(&q, "t");
	CHECK_EQ(fc_send(&c, &q, &e2, sizeof(e2), NULL), -EROFS);
	fc_begin(&q, FUSE_MKNOD, FUSE_ROOT_ID);
	fc_add(&q, &mk, sizeof(mk));
	fc_add_str(&q, "n");
	CHECK_EQ(fc_send(&c, &q, &e2, sizeof(e2), NULL), -EROFS);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0755, &e2), -EROFS);
	fc_begin(&q, FUSE_UNLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "f");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EROFS);
	fc_begin(&q, FUSE_RMDIR, FUSE_ROOT_ID);
	fc_add_str(&q, "f");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EROFS);
	for (int op = 0; op < 2; op++) {
		fc_begin(&q, op ? FUSE_RENAME2 : FUSE_RENAME, FUSE_ROOT_ID);
		fc_add(&q, &rn,
		       op ? sizeof(rn) : sizeof(struct fuse_rename_in));
		fc_add_str(&q, "f");
		fc_add_str(&q, "g");
		CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EROFS);
	}
	fc_begin(&q, FUSE_LINK, FUSE_ROOT_ID);
	fc_add(&q, &li, sizeof(li));
	fc_add_str(&q, "h");
	CHECK_EQ(fc_send(&c, &q, &e2, sizeof(e2), NULL), -EROFS);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "new", O_RDWR, 0644, &e2, &fh),
		 -EROFS);
	CHECK_EQ(fc_open(&c, e.nodeid, O_WRONLY, &fh), -EROFS);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDWR, &fh), -EROFS);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY | O_TRUNC, &fh), -EROFS);
	fc_begin(&q, FUSE_SETXATTR, e.nodeid);
	fc_add(&q, &sx, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fc_add_str(&q, "user.a");
	fc_add(&q, "1", 1);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EROFS);
	fc_begin(&q, FUSE_REMOVEXATTR, e.nodeid);
	fc_add_str(&q, "user.a");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EROFS);
	/* Reading works; WRITE and FALLOCATE on a read handle: EROFS. */
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh2), 0);
	CHECK_EQ(fc_read(&c, fh2, 0, buf, sizeof(buf), &n), 0);
	CHECK_EQ(n, 7);
	CHECK_EQ(fc_write(&c, fh2, 0, "x", 1, NULL), -EROFS);
	fa.fh = fh2;
	fc_begin(&q, FUSE_FALLOCATE, e.nodeid);
	fc_add(&q, &fa, sizeof(fa));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EROFS);
	CHECK_EQ(fc_release(&c, fh2), 0);
	/* Nothing changed on the host. */
	CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
	CHECK_EQ(st.st_size, 7);
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(access(fc_path(&c, "d"), F_OK), -1);
	CHECK_EQ(access(fc_path(&c, "new"), F_OK), -1);
	CHECK_EQ(access(fc_path(&c, "g"), F_OK), -1);
	fc_teardown(&c);
}

struct swapper {
	char a[160], b[160];
	int stop; /* atomic */
	long swaps;
};

/* Swap the real subdirectory and the symlink to the outside, forever. */
static void *swap_loop(void *arg)
{
	struct swapper *sw = arg;

	while (!__atomic_load_n(&sw->stop, __ATOMIC_ACQUIRE)) {
		if (renameat2(AT_FDCWD, sw->a, AT_FDCWD, sw->b,
			      RENAME_EXCHANGE) == 0)
			sw->swaps++;
	}
	return NULL;
}

static void test_swap_race(void)
{
	struct swapper sw = {0};
	pthread_t t;
	struct fc c;
	long reads = 0, leaks = 0, links = 0;

	setup(&c, 0);
	CHECK_EQ(mkdir(fc_path(&c, "sub"), 0755), 0);
	fc_put_file(&c, "sub/f", "inside", 6);
	CHECK_EQ(symlink(c.outside, fc_path(&c, "swap")), 0);
	snprintf(sw.a, sizeof(sw.a), "%s", fc_path(&c, "sub"));
	snprintf(sw.b, sizeof(sw.b), "%s", fc_path(&c, "swap"));
	CHECK_EQ(pthread_create(&t, NULL, swap_loop, &sw), 0);
	for (int i = 0; i < 20000; i++) {
		const char *name = i & 1 ? "sub" : "swap";
		struct fuse_entry_out d, f;
		char buf[64];
		uint64_t fh;
		size_t n;

		if (fc_lookup(&c, FUSE_ROOT_ID, name, &d))
			continue;
		if (S_ISLNK(d.attr.mode))
			links++;
		if (!fc_lookup(&c, d.nodeid, "f", &f)) {
			if (!fc_open(&c, f.nodeid, O_RDONLY, &fh)) {
				memset(buf, 0, sizeof(buf));
				if (!fc_read(&c, fh, 0, buf, sizeof(buf), &n)) {
					reads++;
					leaks +=
					    n != 6 || memcmp(buf, "inside", 6);
				}
				CHECK_EQ(fc_release(&c, fh), 0);
			}
			fc_forget(&c, f.nodeid, 1);
		}
		fc_forget(&c, d.nodeid, 1);
	}
	__atomic_store_n(&sw.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	CHECK_EQ(leaks, 0);
	/*
	 * Reads happened: whenever a lookup found the directory, its node
	 * kept working wherever the swaps moved it. (How often each side
	 * was seen depends on scheduling, so it is not checked.)
	 */
	CHECK(reads > 0);
	(void)links;
	check_sentinel();
	fc_teardown(&c);
}

int main(void)
{
	umask(022);
	test_bad_names();
	test_absolute_symlink();
	test_symlink_final_component();
	test_proc_self_fd();
	test_hard_link_from_host();
	test_readonly();
	test_swap_race();
	return check_done("test_fuse_confine");
}
