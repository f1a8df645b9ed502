/* SPDX-License-Identifier: MIT */
/*
 * Metadata ops as chains of prepared syscalls (fuse_meta.c), with every
 * metadata step enabled as a device on a full io_uring would: each op
 * through the test client (which runs every step with fuse_io_run()),
 * the exact steps of LOOKUP, GETATTR, MKDIR, CREATE, UNLINK, RENAME and
 * RELEASE, a FORGET of the parent while its LOOKUP is in flight, and a
 * reset in the middle of a chain, which must leave no fd open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fuse_client.h"

#define ALL_META                                                               \
	(FUSE_IO_BIT(FUSE_IO_STATX) | FUSE_IO_BIT(FUSE_IO_OPENAT2) |           \
	 FUSE_IO_BIT(FUSE_IO_UNLINKAT) | FUSE_IO_BIT(FUSE_IO_MKDIRAT) |        \
	 FUSE_IO_BIT(FUSE_IO_RENAMEAT) | FUSE_IO_BIT(FUSE_IO_SYMLINKAT) |      \
	 FUSE_IO_BIT(FUSE_IO_LINKAT) | FUSE_IO_BIT(FUSE_IO_CLOSE))

static struct fuse_io io; /* 16 KiB: not on the stack */
static uint8_t out[4096];
static struct iovec out_iov = {out, sizeof(out)};

static void setup(struct fc *c)
{
	fc_setup(c, 0);
	fuse_server_set_async(c->s, ALL_META);
	c->prepared = true;
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
	struct fuse_entry_out d;
	struct fc_req q;
	struct fc c;
	int fds;

	setup(&c);
	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "d", 0755, &d), 0);
	fc_put_file(&c, "d/x", "1", 1);
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

int main(void)
{
	test_ops();
	test_steps();
	test_forget_parent();
	test_reset_midway();
	return check_done("test_fuse_chain");
}
