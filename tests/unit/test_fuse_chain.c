/* SPDX-License-Identifier: MIT */
/*
 * Metadata ops as chains of prepared syscalls (fuse_meta.c), with every
 * metadata step enabled as a device on a full io_uring would: each op
 * through the test client (which runs every step with fuse_io_run()),
 * the exact steps of LOOKUP, GETATTR, MKDIR, CREATE, UNLINK, RENAME,
 * RELEASE, LINK (its /proc/self/fd way too), SETXATTR and GETXATTR, a
 * FORGET of the parent while its LOOKUP is in flight, and a reset in the
 * middle of a chain, which must leave no fd open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <stdio.h>
#include <sys/statfs.h>

#include <linux/magic.h>

#include "check.h"
#include "fuse_client.h"

#define ALL_META                                                               \
	(FUSE_IO_BIT(FUSE_IO_STATX) | FUSE_IO_BIT(FUSE_IO_OPENAT2) |           \
	 FUSE_IO_BIT(FUSE_IO_UNLINKAT) | FUSE_IO_BIT(FUSE_IO_MKDIRAT) |        \
	 FUSE_IO_BIT(FUSE_IO_RENAMEAT) | FUSE_IO_BIT(FUSE_IO_SYMLINKAT) |      \
	 FUSE_IO_BIT(FUSE_IO_LINKAT) | FUSE_IO_BIT(FUSE_IO_CLOSE) |            \
	 FUSE_IO_BIT(FUSE_IO_GETXATTR) | FUSE_IO_BIT(FUSE_IO_SETXATTR))

static struct fuse_io io; /* 16 KiB: not on the stack */
static uint8_t out[4096];
static struct iovec out_iov = {out, sizeof(out)};

static void setup_flags(struct fc *c, unsigned int flags)
{
	fc_setup(c, flags);
	fuse_server_set_async(c->s, ALL_META);
	c->prepared = true;
}

static void setup(struct fc *c)
{
	setup_flags(c, 0);
}

static void link_req(struct fc_req *q, uint64_t parent, uint64_t old,
		     const char *name)
{
	struct fuse_link_in li = {.oldnodeid = old};

	fc_begin(q, FUSE_LINK, parent);
	fc_add(q, &li, sizeof(li));
	fc_add_str(q, name);
}

/* A GETXATTR of @name asking @size bytes (0: the length). */
static void getxattr_req(struct fc_req *q, uint64_t node, const char *name,
			 uint32_t size)
{
	struct fuse_getxattr_in gi = {.size = size};

	fc_begin(q, FUSE_GETXATTR, node);
	fc_add(q, &gi, sizeof(gi));
	fc_add_str(q, name);
}

static void setxattr_req(struct fc_req *q, uint64_t node, const char *name,
			 const char *value, uint32_t flags)
{
	struct fuse_setxattr_in si = {.size = (uint32_t)strlen(value),
				      .flags = flags};

	fc_begin(q, FUSE_SETXATTR, node);
	fc_add(q, &si, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fc_add_str(q, name);
	fc_add(q, value, si.size);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* Prepare the request in @q (freed); what prepare returned. */
static int prepare(struct fc *c, struct fc_req *q)
{
	struct iovec in = {q->buf, q->len};
	size_t written;
	int ret;

	((struct fuse_in_header *)q->buf)->len = (uint32_t)q->len;
	((struct fuse_in_header *)q->buf)->unique = ++c->unique;
	memset(out, 0xa5, sizeof(out));
	ret = fuse_server_prepare(c->s, &in, 1, q->len, &out_iov, 1,
				  sizeof(out), &written, &io);
	free(q->buf);
	return ret;
}

/* Run the prepared step, which must be @op; what complete returned. */
static int step(struct fc *c, enum fuse_io_op op)
{
	size_t written;

	CHECK_EQ(io.op, op);
	return fuse_server_complete(c->s, &io, fuse_io_run(&io), &out_iov, 1,
				    sizeof(out), &written);
}

static int reply_error(void)
{
	return ((struct fuse_out_header *)out)->error;
}

static void *reply_body(void)
{
	return out + sizeof(struct fuse_out_header);
}

/* Every op through the client: the chains reply as the plain code did. */
static void test_ops(void)
{
	struct fuse_entry_out e, d, d2;
	struct fuse_rename_in rn = {0};
	struct fuse_getxattr_out go;
	struct fuse_attr a;
	struct fc_req q;
	uint64_t fh;
	size_t got;
	char buf[16];
	struct fc c;

	setup(&c);
	fc_put_file(&c, "f", "hello", 5);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(e.attr.size, 5);
	CHECK(S_ISREG(e.attr.mode));
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "nope", &e), -ENOENT);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "..", &e), -EINVAL);
	CHECK_EQ(fc_getattr(&c, e.nodeid, &a), 0);
	CHECK_EQ(a.size, 5);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fc_read(&c, fh, 0, buf, sizeof(buf), &got), 0);
	CHECK_EQ(got, 5);
	CHECK_EQ(fc_release(&c, fh), 0);
	CHECK_EQ(fc_release(&c, fh), -EBADF);

	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0750, &d), 0);
	CHECK(S_ISDIR(d.attr.mode));
	CHECK_EQ(d.attr.mode & 07777, 0750);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0750, &d2), -EEXIST);
	CHECK_EQ(fc_create(&c, d.nodeid, "n", O_RDWR, 0640, &e, &fh), 0);
	CHECK_EQ(e.attr.mode & 07777, 0640);
	CHECK_EQ(fc_write(&c, fh, 0, "xyz", 3, &got), 0);
	CHECK_EQ(fc_release(&c, fh), 0);
	CHECK_EQ(fc_create(&c, d.nodeid, "n", O_RDWR | O_EXCL, 0640, &e, &fh),
		 -EEXIST);
	CHECK_EQ(fc_create(&c, d.nodeid, "n", O_RDWR, 0640, &d2, &fh), 0);
	CHECK_EQ(d2.nodeid, e.nodeid);
	CHECK_EQ(d2.attr.size, 3);
	CHECK_EQ(fc_release(&c, fh), 0);

	rn.newdir = FUSE_ROOT_ID;
	fc_begin(&q, FUSE_RENAME, d.nodeid);
	fc_add(&q, &rn, sizeof(rn));
	fc_add_str(&q, "n");
	fc_add_str(&q, "m");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	CHECK(access(fc_path(&c, "m"), F_OK) == 0);
	fc_begin(&q, FUSE_UNLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "m");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	CHECK(access(fc_path(&c, "m"), F_OK) < 0);
	fc_begin(&q, FUSE_RMDIR, FUSE_ROOT_ID);
	fc_add_str(&q, "d");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	fc_begin(&q, FUSE_SYMLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "l");
	fc_add_str(&q, "/etc/passwd");
	CHECK_EQ(fc_send(&c, &q, &e, sizeof(e), NULL), 0);
	CHECK(S_ISLNK(e.attr.mode));

	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	link_req(&q, FUSE_ROOT_ID, e.nodeid, "f2");
	CHECK_EQ(fc_send(&c, &q, &d, sizeof(d), NULL), 0);
	CHECK_EQ(d.nodeid, e.nodeid);
	CHECK_EQ(d.attr.nlink, 2);
	link_req(&q, FUSE_ROOT_ID, e.nodeid, "f2");
	CHECK_EQ(fc_send(&c, &q, &d, sizeof(d), NULL), -EEXIST);
	link_req(&q, FUSE_ROOT_ID, FUSE_ROOT_ID, "d2");
	CHECK_EQ(fc_send(&c, &q, &d, sizeof(d), NULL), -EPERM);

	setxattr_req(&q, e.nodeid, "user.k", "v1", 0);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	setxattr_req(&q, e.nodeid, "user.k", "v2", XATTR_CREATE);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EEXIST);
	setxattr_req(&q, e.nodeid, "trusted.k", "v", 0);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EPERM);
	getxattr_req(&q, e.nodeid, "user.k", 0);
	CHECK_EQ(fc_send(&c, &q, &go, sizeof(go), NULL), 0);
	CHECK_EQ(go.size, 2);
	getxattr_req(&q, e.nodeid, "user.k", sizeof(buf));
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), &got), 0);
	CHECK(got == 2 && memcmp(buf, "v1", 2) == 0);
	getxattr_req(&q, e.nodeid, "user.k", 1);
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), NULL), -ERANGE);
	getxattr_req(&q, e.nodeid, "user.none", sizeof(buf));
	CHECK_EQ(fc_send(&c, &q, buf, sizeof(buf), NULL), -ENODATA);
	fc_teardown(&c);
}

/* The steps themselves, one by one. */
static void test_steps(void)
{
	struct fuse_rename_in rn = {0};
	struct fuse_mkdir_in mk = {.mode = 0700};
	struct fuse_create_in cr = {.flags = O_RDWR, .mode = 0600};
	struct fuse_release_in rel = {0};
	struct fuse_getattr_in ga = {0};
	struct fuse_entry_out e;
	struct fc_req q;
	struct fc c;

	setup(&c);
	fc_put_file(&c, "f", "abc", 3);

	fc_begin(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	fc_add_str(&q, "f");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&e, reply_body(), sizeof(e));
	CHECK_EQ(e.attr.size, 3);

	fc_begin(&q, FUSE_GETATTR, e.nodeid);
	fc_add(&q, &ga, sizeof(ga));
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);

	fc_begin(&q, FUSE_MKDIR, FUSE_ROOT_ID);
	fc_add(&q, &mk, sizeof(mk));
	fc_add_str(&q, "d");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_MKDIRAT), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);

	/* A failed first step ends the chain with its error. */
	fc_begin(&q, FUSE_MKDIR, FUSE_ROOT_ID);
	fc_add(&q, &mk, sizeof(mk));
	fc_add_str(&q, "d");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_MKDIRAT), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EEXIST);

	fc_begin(&q, FUSE_CREATE, FUSE_ROOT_ID);
	fc_add(&q, &cr, sizeof(cr));
	fc_add_str(&q, "new");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&rel.fh, (uint8_t *)reply_body() + sizeof(e), sizeof(rel.fh));

	fc_begin(&q, FUSE_RELEASE, FUSE_ROOT_ID);
	fc_add(&q, &rel, sizeof(rel));
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_CLOSE), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);

	rn.newdir = FUSE_ROOT_ID;
	fc_begin(&q, FUSE_RENAME, FUSE_ROOT_ID);
	fc_add(&q, &rn, sizeof(rn));
	fc_add_str(&q, "new");
	fc_add_str(&q, "old");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_RENAMEAT), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);

	fc_begin(&q, FUSE_UNLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "old");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_UNLINKAT), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	CHECK(access(fc_path(&c, "old"), F_OK) < 0);

	/* Names are checked before anything is prepared. */
	fc_begin(&q, FUSE_UNLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "../outside");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EINVAL);
	fc_teardown(&c);
}

/* Complete the prepared step with @res instead of running it. */
static int step_res(struct fc *c, enum fuse_io_op op, ssize_t res)
{
	size_t written;

	CHECK_EQ(io.op, op);
	return fuse_server_complete(c->s, &io, res, &out_iov, 1, sizeof(out),
				    &written);
}

/*
 * A RELEASE whose CLOSE the ring cancelled (-ECANCELED: it never ran)
 * with room for the reply: the guest hears success and the server closes
 * the fd itself; one that ran and failed is not closed twice.
 */
static void test_cancelled_close(void)
{
	struct fuse_create_in cr = {.flags = O_RDWR, .mode = 0600};
	struct fuse_release_in rel = {0};
	struct fuse_entry_out e;
	struct fc_req q;
	struct fc c;
	int fds;

	setup(&c);
	for (int round = 0; round < 2; round++) {
		fds = count_fds();
		fc_begin(&q, FUSE_CREATE, FUSE_ROOT_ID);
		fc_add(&q, &cr, sizeof(cr));
		fc_add_str(&q, round ? "g" : "f");
		CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
		CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
		CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
		CHECK_EQ(reply_error(), 0);
		memcpy(&e, reply_body(), sizeof(e));
		memcpy(&rel.fh, (uint8_t *)reply_body() + sizeof(e),
		       sizeof(rel.fh));
		CHECK_EQ(count_fds(),
			 fds + 2); /* the node's and the handle's */
		fc_begin(&q, FUSE_RELEASE, e.nodeid);
		fc_add(&q, &rel, sizeof(rel));
		CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
		if (round == 0) {
			CHECK_EQ(step_res(&c, FUSE_IO_CLOSE, -ECANCELED),
				 FUSE_SERVER_REPLY);
		} else {
			/* It ran (closed) and reported an error. */
			CHECK_EQ(close(io.fd), 0);
			CHECK_EQ(step_res(&c, FUSE_IO_CLOSE, -EIO),
				 FUSE_SERVER_REPLY);
		}
		CHECK_EQ(reply_error(), 0);
		CHECK_EQ(count_fds(), fds + 1);
		fc_forget(&c, e.nodeid, 1);
		CHECK_EQ(count_fds(), fds);
	}
	fc_teardown(&c);
}

/*
 * LINK: linkat(AT_EMPTY_PATH) of the old node's fd; where that says
 * ENOENT (no CAP_DAC_READ_SEARCH), linkat of its /proc/self/fd path
 * following it, never for a symlink; then the new entry's lookup.
 */
static void test_link_steps(void)
{
	struct fuse_entry_out e, l, s;
	struct fc_req q;
	char path[32];
	struct fc c;
	int ret;

	setup(&c);
	fc_put_file(&c, "f", "abc", 3);
	CHECK_EQ(symlink("f", fc_path(&c, "sl")), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "sl", &s), 0);

	link_req(&q, FUSE_ROOT_ID, e.nodeid, "h");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(io.op, FUSE_IO_LINKAT);
	CHECK_EQ(io.flags, AT_EMPTY_PATH);
	CHECK_EQ(strcmp(io.name, ""), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", io.dirfd);
	CHECK_EQ(step_res(&c, FUSE_IO_LINKAT, -ENOENT), FUSE_SERVER_IO);
	CHECK_EQ(io.op, FUSE_IO_LINKAT);
	CHECK_EQ(io.dirfd, AT_FDCWD);
	CHECK_EQ(strcmp(io.name, path), 0);
	CHECK_EQ(io.flags, AT_SYMLINK_FOLLOW);
	CHECK_EQ(strcmp(io.name2, "h"), 0);
	CHECK_EQ(step(&c, FUSE_IO_LINKAT), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&l, reply_body(), sizeof(l));
	CHECK_EQ(l.nodeid, e.nodeid);
	CHECK_EQ(l.attr.nlink, 2);

	/* Any other error is the reply; no second way. */
	link_req(&q, FUSE_ROOT_ID, e.nodeid, "h2");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step_res(&c, FUSE_IO_LINKAT, -EMLINK), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EMLINK);

	/* A symlink never goes through /proc (that would follow it). */
	link_req(&q, FUSE_ROOT_ID, s.nodeid, "sl2");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	ret = step_res(&c, FUSE_IO_LINKAT, -ENOENT);
	if (ret == FUSE_SERVER_IO) { /* the syscall linked it */
		CHECK_EQ(io.op, FUSE_IO_OPENAT2);
		CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
		CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
		CHECK_EQ(reply_error(), 0);
		memcpy(&l, reply_body(), sizeof(l));
		CHECK_EQ(l.nodeid, s.nodeid);
	} else {
		CHECK_EQ(ret, FUSE_SERVER_REPLY);
		CHECK_EQ(reply_error(), -ENOENT);
	}
	fc_teardown(&c);
}

/*
 * SETXATTR and GETXATTR: one step each, on the node's /proc/self/fd
 * path, with the value copied out of the request (freed by prepare()
 * here); checks that fail come before anything is prepared.
 */
static void test_xattr_steps(void)
{
	struct fuse_getxattr_out go;
	struct fuse_entry_out e;
	struct fc_req q;
	char buf[8];
	struct fc c;

	setup(&c);
	fc_put_file(&c, "f", "abc", 3);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);

	setxattr_req(&q, e.nodeid, "user.k", "val", XATTR_CREATE);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(io.op, FUSE_IO_SETXATTR);
	CHECK_EQ(strncmp(io.name, "/proc/self/fd/", 14), 0);
	CHECK_EQ(strcmp(io.name2, "user.k"), 0);
	CHECK_EQ(io.size, 3);
	CHECK_EQ(io.flags, XATTR_CREATE);
	CHECK_EQ(step(&c, FUSE_IO_SETXATTR), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	CHECK_EQ(getxattr(fc_path(&c, "f"), "user.k", buf, sizeof(buf)), 3);
	CHECK_EQ(memcmp(buf, "val", 3), 0);

	getxattr_req(&q, e.nodeid, "user.k", 0);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK(io.value == NULL && io.size == 0);
	CHECK_EQ(step(&c, FUSE_IO_GETXATTR), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&go, reply_body(), sizeof(go));
	CHECK_EQ(go.size, 3);

	getxattr_req(&q, e.nodeid, "user.k", 64);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_GETXATTR), FUSE_SERVER_REPLY);
	CHECK_EQ(((struct fuse_out_header *)out)->len,
		 sizeof(struct fuse_out_header) + 3);
	CHECK_EQ(memcmp(reply_body(), "val", 3), 0);

	getxattr_req(&q, e.nodeid, "user.k", 2);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_GETXATTR), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -ERANGE);

	/* Refused before a step: namespace, name, flags. */
	setxattr_req(&q, e.nodeid, "security.capability", "x", 0);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EPERM);
	setxattr_req(&q, e.nodeid, "", "x", 0);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EINVAL);
	setxattr_req(&q, e.nodeid, "user.k", "x", 0x80);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EINVAL);
	{
		char name[XATTR_NAME_MAX + 2];

		memset(name, 'a', sizeof(name) - 1);
		name[sizeof(name) - 1] = '\0';
		getxattr_req(&q, e.nodeid, name, 0);
		CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
		CHECK_EQ(reply_error(), -ERANGE);
	}
	fc_teardown(&c);

	setup_flags(&c, FUSE_SERVER_READONLY);
	setxattr_req(&q, FUSE_ROOT_ID, "user.k", "x", 0);
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -EROFS);
	fc_teardown(&c);
}

/* FORGET of the parent while its child's LOOKUP is prepared. */
static void test_forget_parent(void)
{
	struct fuse_entry_out d, e;
	struct fuse_attr a;
	struct fc_req q;
	struct fc c;
	int fds;

	setup(&c);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0755, &d), 0);
	fc_put_file(&c, "d/x", "12345", 5);
	fds = count_fds();
	fc_begin(&q, FUSE_LOOKUP, d.nodeid);
	fc_add_str(&q, "x");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(io.op, FUSE_IO_OPENAT2);
	fc_forget(&c, d.nodeid, 1); /* the guest is done with "d" */
	/* The node is gone for the guest, its fd is not (held). */
	CHECK_EQ(fc_getattr(&c, d.nodeid, &a), -ENOENT);
	CHECK(fcntl(io.dirfd, F_GETFD) >= 0);
	CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&e, reply_body(), sizeof(e));
	CHECK_EQ(e.attr.size, 5);
	/* The parent's fd went with the hold; x's node has one now. */
	CHECK_EQ(count_fds(), fds);
	fc_forget(&c, e.nodeid, 1);
	CHECK_EQ(count_fds(), fds - 1);
	fc_teardown(&c);
}

/* Complete with no chain (a device reset) after @steps steps. */
static void reset_after(struct fc *c, struct fc_req *q, int steps)
{
	size_t written;
	ssize_t res;

	CHECK_EQ(prepare(c, q), FUSE_SERVER_IO);
	for (int i = 0; i < steps; i++)
		CHECK_EQ(step(c, io.op), FUSE_SERVER_IO);
	res = fuse_io_run(&io);
	CHECK_EQ(fuse_server_complete(c->s, &io, res, NULL, 0, 0, &written),
		 -ENOBUFS);
	CHECK_EQ(written, 0);
}

static void test_reset_midway(void)
{
	struct fuse_create_in cr = {.flags = O_RDWR, .mode = 0600};
	struct fuse_mkdir_in mk = {.mode = 0700};
	struct fuse_entry_out d, x;
	struct fc_req q;
	struct fc c;
	int fds;

	setup(&c);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0755, &d), 0);
	fc_put_file(&c, "d/x", "1", 1);
	CHECK_EQ(fc_lookup(&c, d.nodeid, "x", &x), 0);
	fds = count_fds();
	for (int steps = 0; steps < 2; steps++) {
		char name[8];

		/* LOOKUP: after OPENAT2 (its fd in res), after STATX. */
		fc_begin(&q, FUSE_LOOKUP, d.nodeid);
		fc_add_str(&q, "x");
		reset_after(&c, &q, steps);
		CHECK_EQ(count_fds(), fds);
		/* CREATE: a new file's fd in res; its two fds in the state. */
		snprintf(name, sizeof(name), "c%d", steps);
		fc_begin(&q, FUSE_CREATE, d.nodeid);
		fc_add(&q, &cr, sizeof(cr));
		fc_add_str(&q, name);
		reset_after(&c, &q, steps);
		CHECK_EQ(count_fds(), fds);
	}
	for (int steps = 0; steps < 3; steps++) {
		char name[8];

		snprintf(name, sizeof(name), "m%d", steps);
		fc_begin(&q, FUSE_MKDIR, d.nodeid);
		fc_add(&q, &mk, sizeof(mk));
		fc_add_str(&q, name);
		reset_after(&c, &q, steps);
		CHECK_EQ(count_fds(), fds);
	}
	/* LINK: after LINKAT, OPENAT2 (its fd in res), STATX. */
	for (int steps = 0; steps < 3; steps++) {
		char name[8];

		snprintf(name, sizeof(name), "h%d", steps);
		link_req(&q, d.nodeid, x.nodeid, name);
		reset_after(&c, &q, steps);
		CHECK_EQ(count_fds(), fds);
	}
	/* The xattr ops' one step, whose buffers go with the state. */
	setxattr_req(&q, x.nodeid, "user.k", "v", 0);
	reset_after(&c, &q, 0);
	getxattr_req(&q, x.nodeid, "user.k", 64);
	reset_after(&c, &q, 0);
	CHECK_EQ(count_fds(), fds);
	/* A FORGET in between: the held parent goes with the reset. */
	fc_begin(&q, FUSE_LOOKUP, d.nodeid);
	fc_add_str(&q, "x");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	fc_forget(&c, d.nodeid, 1);
	CHECK_EQ(count_fds(), fds);
	{
		size_t written;

		CHECK_EQ(fuse_server_complete(c.s, &io, fuse_io_run(&io), NULL,
					      0, 0, &written),
			 -ENOBUFS);
	}
	CHECK_EQ(count_fds(), fds - 1);
	fc_teardown(&c);
}

/* Is @path on a file system the server counts as local? */
static bool local_fs(const char *path)
{
	static const unsigned long local[] = {
	    EXT4_SUPER_MAGIC, XFS_SUPER_MAGIC,	BTRFS_SUPER_MAGIC,
	    TMPFS_MAGIC,      F2FS_SUPER_MAGIC, OVERLAYFS_SUPER_MAGIC,
	};
	struct statfs sfs;

	CHECK_EQ(statfs(path, &sfs), 0);
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if ((unsigned long)sfs.f_type == local[i])
			return true;
	return false;
}

/* Is @path on tmpfs, where the server runs every step itself? */
static bool in_memory(const char *path)
{
	struct statfs sfs;

	CHECK_EQ(statfs(path, &sfs), 0);
	return (unsigned long)sfs.f_type == TMPFS_MAGIC ||
	       (unsigned long)sfs.f_type == RAMFS_MAGIC;
}

/*
 * With inline stats, a local tree's STATX and GETXATTR steps run inside
 * the server.
 */
static void test_inline_stat(void)
{
	struct fuse_getxattr_in gx = {0};
	struct fuse_getattr_in ga = {0};
	struct fuse_entry_out e;
	struct fc_req q;
	struct fc c;

	setup(&c);
	if (!local_fs(c.shared) || in_memory(c.shared)) {
		printf("test_inline_stat: %s is not a local disk file system\n",
		       c.shared);
		fc_teardown(&c);
		return;
	}
	fc_put_file(&c, "f", "abcd", 4);
	fuse_server_set_inline_stat(c.s, true);
	/* LOOKUP: the open through the ring, its stat here. */
	fc_begin(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	fc_add_str(&q, "f");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_OPENAT2), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&e, reply_body(), sizeof(e));
	CHECK_EQ(e.attr.size, 4);
	/* GETATTR: answered by prepare itself. */
	fc_begin(&q, FUSE_GETATTR, e.nodeid);
	fc_add(&q, &ga, sizeof(ga));
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	/* GETXATTR (a write's security.capability): answered there too. */
	fc_begin(&q, FUSE_GETXATTR, e.nodeid);
	fc_add(&q, &gx, sizeof(gx));
	fc_add_str(&q, "security.capability");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -ENODATA);
	/* Off again: the stat and the getxattr are steps of their own. */
	fuse_server_set_inline_stat(c.s, false);
	fc_begin(&q, FUSE_GETATTR, e.nodeid);
	fc_add(&q, &ga, sizeof(ga));
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_STATX), FUSE_SERVER_REPLY);
	fc_begin(&q, FUSE_GETXATTR, e.nodeid);
	fc_add(&q, &gx, sizeof(gx));
	fc_add_str(&q, "security.capability");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_GETXATTR), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -ENODATA);
	fc_forget(&c, e.nodeid, 1);
	fc_teardown(&c);
}

/*
 * On a tmpfs (/dev/shm here), with inline stats on, every metadata op
 * is answered by prepare itself, none left for the ring; off, the same
 * ops are chains of steps again.
 */
static void test_inline_memory(void)
{
	struct fuse_rename_in rn = {.newdir = FUSE_ROOT_ID};
	struct fuse_mkdir_in mk = {.mode = 0700};
	struct fuse_create_in cr = {.flags = O_RDWR, .mode = 0600};
	struct fuse_entry_out e;
	struct statfs sfs;
	struct fc_req q;
	struct fc c;

	if (statfs("/dev/shm", &sfs) < 0 ||
	    (unsigned long)sfs.f_type != TMPFS_MAGIC) {
		printf("test_inline_memory: no tmpfs at /dev/shm, skipped\n");
		return;
	}
	fc_setup_in(&c, "/dev/shm", 0);
	fuse_server_set_async(c.s, ALL_META);
	c.prepared = true;
	fuse_server_set_inline_stat(c.s, true);
	fc_begin(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	fc_add_str(&q, "absent");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -ENOENT);
	fc_begin(&q, FUSE_MKDIR, FUSE_ROOT_ID);
	fc_add(&q, &mk, sizeof(mk));
	fc_add_str(&q, "d");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	fc_begin(&q, FUSE_CREATE, FUSE_ROOT_ID);
	fc_add(&q, &cr, sizeof(cr));
	fc_add_str(&q, "new");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	memcpy(&e, reply_body(), sizeof(e));
	CHECK(access(fc_path(&c, "new"), F_OK) == 0);
	fc_begin(&q, FUSE_RENAME, FUSE_ROOT_ID);
	fc_add(&q, &rn, sizeof(rn));
	fc_add_str(&q, "new");
	fc_add_str(&q, "old");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	fc_begin(&q, FUSE_UNLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "old");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	CHECK(access(fc_path(&c, "old"), F_OK) < 0);
	/* Off again: steps for the ring. */
	fuse_server_set_inline_stat(c.s, false);
	fc_begin(&q, FUSE_UNLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "absent");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_UNLINKAT), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), -ENOENT);
	fc_begin(&q, FUSE_RMDIR, FUSE_ROOT_ID);
	fc_add_str(&q, "d");
	CHECK_EQ(prepare(&c, &q), FUSE_SERVER_IO);
	CHECK_EQ(step(&c, FUSE_IO_UNLINKAT), FUSE_SERVER_REPLY);
	CHECK_EQ(reply_error(), 0);
	fc_forget(&c, e.nodeid, 1);
	fc_teardown(&c);
}

int main(void)
{
	test_inline_stat();
	test_inline_memory();
	test_cancelled_close();
	test_ops();
	test_steps();
	test_link_steps();
	test_xattr_steps();
	test_forget_parent();
	test_reset_midway();
	return check_done("test_fuse_chain");
}
