/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's name and attribute ops against a real temp
 * directory, each request also sent cut into odd iovec pieces: INIT
 * (version, flags) and DESTROY, LOOKUP/FORGET/BATCH_FORGET and node
 * identity, GETATTR, SETATTR (mode, owner, size by path and by handle,
 * times with NOW and OMIT), MKDIR, MKNOD, SYMLINK, READLINK, UNLINK,
 * RMDIR, RENAME, RENAME2 (NOREPLACE, EXCHANGE), LINK, STATFS, ACCESS,
 * and ENOSYS for the rest. Results are checked on the host.
 */
#include "fuse_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"

static bool as_root;

static void test_init_destroy(bool split)
{
	struct fuse_init_in in = {.major = 7,
				  .minor = 99,
				  .flags = FUSE_DO_READDIRPLUS |
					   FUSE_POSIX_ACL | FUSE_ASYNC_READ};
	struct fuse_entry_out e;
	struct fuse_init_out o;
	struct fc_req q;
	struct fc c;
	size_t len;

	fc_setup(&c, 0);
	c.split = split;
	fc_begin(&q, FUSE_INIT, 0);
	fc_add(&q, &in, sizeof(in));
	CHECK_EQ(fc_send(&c, &q, &o, sizeof(o), &len), 0);
	CHECK_EQ(len, sizeof(o));
	CHECK_EQ(o.major, 7);
	CHECK_EQ(o.minor, FUSE_KERNEL_MINOR_VERSION); /* min(99, ours) */
	CHECK_EQ(o.flags, FUSE_DO_READDIRPLUS | FUSE_ASYNC_READ);
	CHECK_EQ(o.max_write, FUSE_SERVER_MAX_WRITE);

	in.minor = 36;
	fc_begin(&q, FUSE_INIT, 0);
	fc_add(&q, &in, sizeof(in));
	CHECK_EQ(fc_send(&c, &q, &o, sizeof(o), NULL), 0);
	CHECK_EQ(o.minor, 36);
	/* An old kernel's short INIT gets the short reply. */
	in.minor = 20;
	fc_begin(&q, FUSE_INIT, 0);
	fc_add(&q, &in, 16);
	CHECK_EQ(fc_send(&c, &q, &o, sizeof(o), &len), 0);
	CHECK_EQ(len, FUSE_COMPAT_22_INIT_OUT_SIZE);
	in.major = 6;
	fc_begin(&q, FUSE_INIT, 0);
	fc_add(&q, &in, sizeof(in));
	CHECK_EQ(fc_send(&c, &q, &o, sizeof(o), NULL), -EPROTO);

	/* DESTROY forgets nodes; nothing but INIT works until the next. */
	fc_put_file(&c, "f", "x", 1);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	fc_begin(&q, FUSE_DESTROY, 0);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	CHECK_EQ(fc_getattr(&c, FUSE_ROOT_ID, NULL), -EIO);
	CHECK_EQ(fc_init(&c), 0);
	CHECK_EQ(fc_getattr(&c, e.nodeid, NULL), -ENOENT);
	CHECK_EQ(fc_getattr(&c, FUSE_ROOT_ID, NULL), 0);
	fc_teardown(&c);
}

static void test_lookup_forget(bool split)
{
	struct fuse_entry_out e1, e2, e3;
	struct fuse_batch_forget_in b = {.count = 2};
	struct fuse_forget_one one[2];
	struct fuse_attr a;
	struct fc_req q;
	struct stat st;
	char path[256];
	struct fc c;

	fc_setup(&c, 0);
	c.split = split;
	fc_put_file(&c, "file", "hello", 5);
	snprintf(path, sizeof(path), "%s", fc_path(&c, "file"));
	CHECK_EQ(link(path, fc_path(&c, "hard")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "file", &e1), 0);
	CHECK_EQ(stat(fc_path(&c, "file"), &st), 0);
	CHECK_EQ(e1.attr.ino, st.st_ino);
	CHECK_EQ(e1.attr.size, 5);
	CHECK_EQ(e1.attr.mode, st.st_mode);
	CHECK_EQ(e1.attr.nlink, 2);
	CHECK_EQ(e1.entry_valid, 1);
	CHECK(e1.nodeid != FUSE_ROOT_ID && e1.nodeid != 0);
	/* Same inode, same node: again, and under its other name. */
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "file", &e2), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "hard", &e3), 0);
	CHECK_EQ(e2.nodeid, e1.nodeid);
	CHECK_EQ(e3.nodeid, e1.nodeid);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "missing", &e2), -ENOENT);
	CHECK_EQ(fc_getattr(&c, e1.nodeid, &a), 0);
	CHECK_EQ(a.ino, st.st_ino);
	CHECK_EQ(fc_getattr(&c, FUSE_ROOT_ID, &a), 0);
	CHECK(S_ISDIR(a.mode));
	CHECK_EQ(fc_getattr(&c, 0x123456789ull, &a), -ENOENT);

	/* Three lookups: FORGET 1, then a BATCH_FORGET of 2 frees it. */
	fc_forget(&c, e1.nodeid, 1);
	CHECK_EQ(fc_getattr(&c, e1.nodeid, &a), 0);
	one[0] = (struct fuse_forget_one){.nodeid = e1.nodeid, .nlookup = 2};
	one[1] = (struct fuse_forget_one){.nodeid = 999, .nlookup = 1};
	fc_begin(&q, FUSE_BATCH_FORGET, 0);
	fc_add(&q, &b, sizeof(b));
	fc_add(&q, one, sizeof(one));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 1);
	CHECK_EQ(fc_getattr(&c, e1.nodeid, &a), -ENOENT);
	/* Looked up again: a new node id, the old one stays dead. */
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "file", &e2), 0);
	CHECK(e2.nodeid != e1.nodeid);
	CHECK_EQ(fc_getattr(&c, e1.nodeid, &a), -ENOENT);
	fc_teardown(&c);
}

static int mknod_req(struct fc *c, const char *name, uint32_t mode,
		     struct fuse_entry_out *e)
{
	struct fuse_mknod_in in = {.mode = mode};
	struct fc_req q;

	fc_begin(&q, FUSE_MKNOD, FUSE_ROOT_ID);
	fc_add(&q, &in, sizeof(in));
	fc_add_str(&q, name);
	return fc_send(c, &q, e, sizeof(*e), NULL);
}

static int symlink_req(struct fc *c, const char *name, const char *target,
		       struct fuse_entry_out *e)
{
	struct fc_req q;

	fc_begin(&q, FUSE_SYMLINK, FUSE_ROOT_ID);
	fc_add_str(&q, name);
	fc_add_str(&q, target);
	return fc_send(c, &q, e, sizeof(*e), NULL);
}

static void test_create_nodes(bool split)
{
	struct fuse_entry_out e;
	char buf[64];
	struct fc_req q;
	struct stat st;
	struct fc c;
	size_t len;

	fc_setup(&c, 0);
	c.split = split;
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0777, &e), 0);
	CHECK_EQ(stat(fc_path(&c, "d"), &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0777); /* the host umask did not apply */
	CHECK_EQ(e.attr.ino, st.st_ino);
	if (as_root) {
		CHECK_EQ(st.st_uid, 1234);
		CHECK_EQ(st.st_gid, 5678);
	}
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0755, &e), -EEXIST);

	CHECK_EQ(mknod_req(&c, "reg", S_IFREG | 0640, &e), 0);
	CHECK_EQ(stat(fc_path(&c, "reg"), &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(mknod_req(&c, "fifo", S_IFIFO | 0600, &e), 0);
	CHECK_EQ(stat(fc_path(&c, "fifo"), &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK(S_ISFIFO(e.attr.mode));
	CHECK_EQ(mknod_req(&c, "sock", S_IFSOCK | 0600, &e), 0);
	CHECK_EQ(stat(fc_path(&c, "sock"), &st), 0);
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(mknod_req(&c, "chr", S_IFCHR | 0600, &e), -EPERM);
	CHECK_EQ(mknod_req(&c, "blk", S_IFBLK | 0600, &e), -EPERM);
	CHECK_EQ(access(fc_path(&c, "chr"), F_OK), -1);

	CHECK_EQ(symlink_req(&c, "ln", "/some/where/else", &e), 0);
	CHECK(S_ISLNK(e.attr.mode));
	CHECK_EQ(readlink(fc_path(&c, "ln"), buf, sizeof(buf)), 16);
	CHECK(!memcmp(buf, "/some/where/else", 16));
	fc_begin(&q, FUSE_READLINK, e.nodeid);
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), &len), 0);
	CHECK_EQ(len, 16);
	CHECK(!memcmp(buf, "/some/where/else", 16));
	/* READLINK of a non-link. */
	fc_begin(&q, FUSE_READLINK, FUSE_ROOT_ID);
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), &len), -EINVAL);
	fc_teardown(&c);
}

static int name_req(struct fc *c, uint32_t op, uint64_t parent,
		    const char *name)
{
	struct fc_req q;

	fc_begin(&q, op, parent);
	fc_add_str(&q, name);
	return fc_send(c, &q, NULL, 0, NULL);
}

static int rename_req(struct fc *c, uint64_t from, const char *name,
		      uint64_t to, const char *newname, int flags)
{
	struct fuse_rename2_in in = {.newdir = to, .flags = (uint32_t)flags};
	struct fc_req q;

	if (flags < 0) {
		fc_begin(&q, FUSE_RENAME, from);
		fc_add(&q, &in, sizeof(struct fuse_rename_in));
	} else {
		fc_begin(&q, FUSE_RENAME2, from);
		fc_add(&q, &in, sizeof(in));
	}
	fc_add_str(&q, name);
	fc_add_str(&q, newname);
	return fc_send(c, &q, NULL, 0, NULL);
}

static void test_namespace(bool split)
{
	struct fuse_entry_out d, f, l;
	struct fuse_link_in li;
	struct stat st1, st2;
	struct fc_req q;
	char buf[16];
	struct fc c;

	fc_setup(&c, 0);
	c.split = split;
	fc_put_file(&c, "a", "AAAA", 4);
	fc_put_file(&c, "b", "BB", 2);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "dir", 0755, &d), 0);

	CHECK_EQ(rename_req(&c, FUSE_ROOT_ID, "a", d.nodeid, "a2", -1), 0);
	CHECK_EQ(fc_get_file(&c, "dir/a2", buf, sizeof(buf)), 4);
	CHECK_EQ(access(fc_path(&c, "a"), F_OK), -1);
	CHECK_EQ(
	    rename_req(&c, d.nodeid, "a2", FUSE_ROOT_ID, "b", RENAME_NOREPLACE),
	    -EEXIST);
	CHECK_EQ(
	    rename_req(&c, d.nodeid, "a2", FUSE_ROOT_ID, "b", RENAME_EXCHANGE),
	    0);
	CHECK_EQ(fc_get_file(&c, "b", buf, sizeof(buf)), 4);
	CHECK_EQ(fc_get_file(&c, "dir/a2", buf, sizeof(buf)), 2);
	CHECK_EQ(rename_req(&c, FUSE_ROOT_ID, "b", FUSE_ROOT_ID, "c",
			    RENAME_WHITEOUT),
		 -EINVAL);
	CHECK_EQ(rename_req(&c, FUSE_ROOT_ID, "b", 0xdead, "c", 0), -ENOENT);

	/* LINK the node of "b" as dir/hl. */
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "b", &f), 0);
	li.oldnodeid = f.nodeid;
	fc_begin(&q, FUSE_LINK, d.nodeid);
	fc_add(&q, &li, sizeof(li));
	fc_add_str(&q, "hl");
	CHECK_EQ(fc_send(&c, &q, &l, sizeof(l), NULL), 0);
	CHECK_EQ(l.nodeid, f.nodeid);
	CHECK_EQ(l.attr.nlink, 2);
	CHECK_EQ(stat(fc_path(&c, "b"), &st1), 0);
	CHECK_EQ(stat(fc_path(&c, "dir/hl"), &st2), 0);
	CHECK_EQ(st1.st_ino, st2.st_ino);
	CHECK_EQ(st1.st_mode & 07777, 0644); /* LINK changed no mode */

	CHECK_EQ(name_req(&c, FUSE_UNLINK, d.nodeid, "hl"), 0);
	CHECK_EQ(access(fc_path(&c, "dir/hl"), F_OK), -1);
	CHECK_EQ(name_req(&c, FUSE_UNLINK, d.nodeid, "hl"), -ENOENT);
	CHECK_EQ(name_req(&c, FUSE_RMDIR, FUSE_ROOT_ID, "dir"), -ENOTEMPTY);
	CHECK_EQ(name_req(&c, FUSE_UNLINK, d.nodeid, "a2"), 0);
	CHECK_EQ(name_req(&c, FUSE_UNLINK, FUSE_ROOT_ID, "dir"), -EISDIR);
	CHECK_EQ(name_req(&c, FUSE_RMDIR, FUSE_ROOT_ID, "dir"), 0);
	CHECK_EQ(access(fc_path(&c, "dir"), F_OK), -1);
	/* The removed directory's node still answers GETATTR (nlink 0). */
	CHECK_EQ(fc_getattr(&c, d.nodeid, NULL), 0);
	fc_teardown(&c);
}

static int setattr_req(struct fc *c, uint64_t node,
		       const struct fuse_setattr_in *in, struct fuse_attr *a)
{
	struct fuse_attr_out o;
	struct fc_req q;
	int r;

	fc_begin(&q, FUSE_SETATTR, node);
	fc_add(&q, in, sizeof(*in));
	r = fc_send(c, &q, &o, sizeof(o), NULL);
	if (!r)
		*a = o.attr;
	return r;
}

static void test_setattr(bool split)
{
	struct fuse_setattr_in in;
	struct fuse_entry_out e;
	struct fuse_attr a;
	struct stat st;
	uint64_t fh;
	struct fc c;

	fc_setup(&c, 0);
	c.split = split;
	fc_put_file(&c, "f", "0123456789", 10);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);

	in = (struct fuse_setattr_in){.valid = FATTR_MODE, .mode = 0600};
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), 0);
	CHECK_EQ(a.mode & 07777, 0600);
	CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0600);

	if (as_root) {
		in = (struct fuse_setattr_in){
		    .valid = FATTR_UID | FATTR_GID, .uid = 4321, .gid = 8765};
		CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), 0);
		CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
		CHECK_EQ(st.st_uid, 4321);
		CHECK_EQ(st.st_gid, 8765);
		CHECK_EQ(a.uid, 4321);
	}

	in = (struct fuse_setattr_in){.valid = FATTR_SIZE, .size = 3};
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), 0);
	CHECK_EQ(a.size, 3);
	CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
	CHECK_EQ(st.st_size, 3);
	/* By handle (FATTR_FH), on a file opened for writing. */
	CHECK_EQ(fc_open(&c, e.nodeid, O_WRONLY, &fh), 0);
	in = (struct fuse_setattr_in){
	    .valid = FATTR_SIZE | FATTR_FH, .size = 7000, .fh = fh};
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), 0);
	CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
	CHECK_EQ(st.st_size, 7000);
	in.fh = fh + 1000;
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), -EBADF);
	CHECK_EQ(fc_release(&c, fh), 0);
	/* Size of a directory. */
	in = (struct fuse_setattr_in){.valid = FATTR_SIZE, .size = 0};
	CHECK_EQ(setattr_req(&c, FUSE_ROOT_ID, &in, &a), -EISDIR);

	/* Times: explicit, then mtime NOW with atime left alone. */
	in = (struct fuse_setattr_in){.valid = FATTR_ATIME | FATTR_MTIME,
				      .atime = 1000000,
				      .atimensec = 5,
				      .mtime = 2000000,
				      .mtimensec = 7};
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), 0);
	CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000000);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	CHECK_EQ(st.st_mtim.tv_sec, 2000000);
	CHECK_EQ(st.st_mtim.tv_nsec, 7);
	CHECK_EQ(a.mtime, 2000000);
	in = (struct fuse_setattr_in){.valid = FATTR_MTIME | FATTR_MTIME_NOW};
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), 0);
	CHECK_EQ(stat(fc_path(&c, "f"), &st), 0);
	CHECK_EQ(st.st_atim.tv_sec, 1000000); /* omitted */
	CHECK(st.st_mtim.tv_sec > 2000000);
	in = (struct fuse_setattr_in){.valid = FATTR_ATIME,
				      .atimensec = 2000000000u};
	CHECK_EQ(setattr_req(&c, e.nodeid, &in, &a), -EINVAL);
	CHECK_EQ(setattr_req(&c, 0xbad, &in, &a), -ENOENT);
	fc_teardown(&c);
}

static void test_statfs_access(void)
{
	struct fuse_access_in ai = {.mask = F_OK};
	struct fuse_statfs_out so;
	struct fuse_entry_out e;
	struct statvfs sv;
	struct fc_req q;
	struct fc c;

	fc_setup(&c, 0);
	fc_begin(&q, FUSE_STATFS, FUSE_ROOT_ID);
	CHECK_EQ(fc_send(&c, &q, &so, sizeof(so), NULL), 0);
	CHECK_EQ(statvfs(c.shared, &sv), 0);
	CHECK_EQ(so.st.blocks, sv.f_blocks);
	CHECK_EQ(so.st.bsize, sv.f_bsize);
	CHECK_EQ(so.st.namelen, sv.f_namemax);

	fc_put_file(&c, "f", "x", 1);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	fc_begin(&q, FUSE_ACCESS, e.nodeid);
	fc_add(&q, &ai, sizeof(ai));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	/* Not executable for anyone, root included. */
	ai.mask = X_OK;
	fc_begin(&q, FUSE_ACCESS, e.nodeid);
	fc_add(&q, &ai, sizeof(ai));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EACCES);
	ai.mask = R_OK | W_OK;
	fc_begin(&q, FUSE_ACCESS, e.nodeid);
	fc_add(&q, &ai, sizeof(ai));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	fc_begin(&q, FUSE_ACCESS, 0xbad);
	fc_add(&q, &ai, sizeof(ai));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -ENOENT);
	fc_teardown(&c);
}

static void test_enosys(void)
{
	const uint32_t ops[] = {FUSE_GETLK,
				FUSE_SETLK,
				FUSE_IOCTL,
				FUSE_POLL,
				FUSE_BMAP,
				FUSE_COPY_FILE_RANGE,
				FUSE_SETUPMAPPING,
				FUSE_SYNCFS,
				9999,
				CUSE_INIT,
				0};
	uint8_t pad[64] = {0};
	struct fc_req q;
	struct fc c;

	fc_setup(&c, 0);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		fc_begin(&q, ops[i], FUSE_ROOT_ID);
		fc_add(&q, pad, sizeof(pad));
		CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -ENOSYS);
	}
	fc_teardown(&c);
}

int main(void)
{
	as_root = geteuid() == 0;
	for (int split = 0; split < 2; split++) {
		test_init_destroy(split);
		test_lookup_forget(split);
		test_create_nodes(split);
		test_namespace(split);
		test_setattr(split);
	}
	test_statfs_access();
	test_enosys();
	return check_done("test_fuse_ops");
}
