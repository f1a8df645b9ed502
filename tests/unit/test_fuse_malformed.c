/* SPDX-License-Identifier: MIT */
/*
 * Malformed FUSE requests, each on its own: chains shorter than a
 * header (in or out), a header length that disagrees with the chain,
 * op arguments shorter than the op's struct, names without a NUL,
 * counts and sizes beyond the request (BATCH_FORGET, WRITE, SETXATTR),
 * READ larger than the reply room (clamped), a reply room too small for
 * the op, iovecs shorter than the length claimed, unknown ids, and a
 * seeded stream of random requests. Every one gets an error reply (or
 * none, for forgets), never a crash: run it under `make SANITIZE=1`.
 */
#include "fuse_client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static struct fc c;

static void test_in_shorter_than_header(void)
{
	uint8_t req[39] = {0}, out[64];
	struct iovec in = {req, sizeof(req)}, o = {out, sizeof(out)};
	size_t written = 99;

	CHECK(fuse_server_handle(c.s, &in, 1, sizeof(req), &o, 1, sizeof(out),
				 &written) < 0);
	CHECK_EQ(written, 0);
	CHECK(fuse_server_handle(c.s, &in, 1, 0, &o, 1, sizeof(out), &written) <
	      0);
}

static void test_out_shorter_than_header(void)
{
	struct fuse_in_header h = {
	    .len = sizeof(h), .opcode = FUSE_GETATTR, .nodeid = FUSE_ROOT_ID};
	uint8_t out[15];
	struct iovec in = {&h, sizeof(h)}, o = {out, sizeof(out)};
	size_t written = 99;

	CHECK(fuse_server_handle(c.s, &in, 1, sizeof(h), &o, 1, sizeof(out),
				 &written) < 0);
	CHECK_EQ(written, 0);
	CHECK(fuse_server_handle(c.s, &in, 1, sizeof(h), NULL, 0, 0, &written) <
	      0);
}

static void test_header_len_mismatch(void)
{
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in g;
	} req = {.h = {.len = 1000,
		       .opcode = FUSE_GETATTR,
		       .nodeid = FUSE_ROOT_ID,
		       .unique = 7}};
	struct fuse_attr_out o;

	CHECK_EQ(fc_send_raw(&c, &req, sizeof(req), &o, sizeof(o), NULL),
		 -EINVAL);
	req.h.len = 10;
	CHECK_EQ(fc_send_raw(&c, &req, sizeof(req), &o, sizeof(o), NULL),
		 -EINVAL);
}

static void test_args_too_short(void)
{
	static const uint32_t ops[] = {
	    FUSE_GETATTR, FUSE_SETATTR,	    FUSE_MKNOD,	   FUSE_MKDIR,
	    FUSE_RENAME,  FUSE_RENAME2,	    FUSE_LINK,	   FUSE_OPEN,
	    FUSE_CREATE,  FUSE_READ,	    FUSE_WRITE,	   FUSE_RELEASE,
	    FUSE_FSYNC,	  FUSE_FLUSH,	    FUSE_GETXATTR, FUSE_SETXATTR,
	    FUSE_OPENDIR, FUSE_READDIR,	    FUSE_ACCESS,   FUSE_FALLOCATE,
	    FUSE_LSEEK,	  FUSE_READDIRPLUS, FUSE_INIT};
	uint8_t four[4] = {1, 2, 3, 4}, out[256];
	struct fc_req q;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		fc_begin(&q, ops[i], FUSE_ROOT_ID);
		fc_add(&q, four, sizeof(four));
		CHECK_EQ(fc_send(&c, &q, out, sizeof(out), NULL), -EINVAL);
	}
}

static void test_name_without_nul(void)
{
	struct fuse_entry_out e;
	struct fuse_mkdir_in m = {.mode = 0755};
	struct fc_req q;

	fc_begin(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	fc_add(&q, "abc", 3);
	CHECK_EQ(fc_send(&c, &q, &e, sizeof(e), NULL), -EINVAL);
	fc_begin(&q, FUSE_LOOKUP, FUSE_ROOT_ID); /* no name at all */
	CHECK_EQ(fc_send(&c, &q, &e, sizeof(e), NULL), -EINVAL);
	fc_begin(&q, FUSE_MKDIR, FUSE_ROOT_ID);
	fc_add(&q, &m, sizeof(m));
	fc_add(&q, "newdir", 6);
	CHECK_EQ(fc_send(&c, &q, &e, sizeof(e), NULL), -EINVAL);
	CHECK_EQ(access(fc_path(&c, "newdir"), F_OK), -1);
	/* SYMLINK whose target has no NUL; RENAME without a second name. */
	fc_begin(&q, FUSE_SYMLINK, FUSE_ROOT_ID);
	fc_add_str(&q, "ln");
	fc_add(&q, "/target", 7);
	CHECK_EQ(fc_send(&c, &q, &e, sizeof(e), NULL), -EINVAL);
	CHECK_EQ(access(fc_path(&c, "ln"), F_OK), -1);
	fc_put_file(&c, "a", "x", 1);
	{
		struct fuse_rename_in r = {.newdir = FUSE_ROOT_ID};

		fc_begin(&q, FUSE_RENAME, FUSE_ROOT_ID);
		fc_add(&q, &r, sizeof(r));
		fc_add_str(&q, "a");
		fc_add(&q, "b", 1);
		CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EINVAL);
		CHECK_EQ(access(fc_path(&c, "a"), F_OK), 0);
	}
}

static void test_batch_forget_count(void)
{
	struct fuse_batch_forget_in b = {.count = 0x10000000};
	struct fuse_forget_one one;
	struct fuse_entry_out e;
	struct fc_req q;

	fc_put_file(&c, "bf", "x", 1);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "bf", &e), 0);
	one = (struct fuse_forget_one){.nodeid = e.nodeid, .nlookup = 1};
	fc_begin(&q, FUSE_BATCH_FORGET, 0);
	fc_add(&q, &b, sizeof(b));
	fc_add(&q, &one, sizeof(one));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 1); /* no reply */
	/* The batch was refused whole: the node is still there. */
	CHECK_EQ(fc_getattr(&c, e.nodeid, NULL), 0);
	/* A short FORGET: ignored, no reply either. */
	fc_begin(&q, FUSE_FORGET, e.nodeid);
	fc_add(&q, "x", 1);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 1);
	CHECK_EQ(fc_getattr(&c, e.nodeid, NULL), 0);
}

static void test_read_clamped(void)
{
	static uint8_t data[8192], back[8192];
	struct fuse_read_in in = {.offset = 0, .size = 1u << 30};
	struct fuse_entry_out e;
	struct fc_req q;
	size_t len;

	memset(data, 'r', sizeof(data));
	fc_put_file(&c, "rc", data, sizeof(data));
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "rc", &e), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &in.fh), 0);
	fc_begin(&q, FUSE_READ, 0);
	fc_add(&q, &in, sizeof(in));
	CHECK_EQ(fc_send(&c, &q, back, 100, &len), 0);
	CHECK_EQ(len, 100); /* what the chain had room for */
	CHECK(!memcmp(back, data, 100));
	CHECK_EQ(fc_release(&c, in.fh), 0);
}

static void test_write_beyond_data(void)
{
	struct fuse_write_in in = {.offset = 0, .size = 100};
	struct fuse_write_out o;
	struct fuse_entry_out e;
	char buf[16];
	struct fc_req q;
	uint64_t fh;

	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "wb", O_RDWR, 0644, &e, &fh), 0);
	in.fh = fh;
	fc_begin(&q, FUSE_WRITE, 0);
	fc_add(&q, &in, sizeof(in));
	fc_add(&q, "only ten b", 10);
	CHECK_EQ(fc_send(&c, &q, &o, sizeof(o), NULL), -EINVAL);
	CHECK_EQ(fc_get_file(&c, "wb", buf, sizeof(buf)), 0);
	/* Larger than max_write, with the data there. */
	in.size = FUSE_SERVER_MAX_WRITE + 1;
	fc_begin(&q, FUSE_WRITE, 0);
	fc_add(&q, &in, sizeof(in));
	{
		uint8_t *big = calloc(1, in.size);

		fc_add(&q, big, in.size);
		free(big);
	}
	CHECK_EQ(fc_send(&c, &q, &o, sizeof(o), NULL), -EINVAL);
	/* Unknown handles. */
	CHECK_EQ(fc_write(&c, 0, 0, "x", 1, NULL), -EBADF);
	CHECK_EQ(fc_write(&c, fh ^ (1ull << 40), 0, "x", 1, NULL), -EBADF);
	CHECK_EQ(fc_read(&c, 12345, 0, buf, 1, NULL), -EBADF);
	CHECK_EQ(fc_release(&c, fh), 0);
}

static void test_setxattr_size_beyond(void)
{
	struct fuse_setxattr_in in = {.size = 1000};
	struct fc_req q;

	fc_begin(&q, FUSE_SETXATTR, FUSE_ROOT_ID);
	fc_add(&q, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fc_add_str(&q, "user.x");
	fc_add(&q, "short", 5);
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EINVAL);
}

static void test_reply_room_too_small(void)
{
	struct fuse_entry_out e;
	struct fc_req q;

	fc_put_file(&c, "small", "x", 1);
	fc_begin(&q, FUSE_LOOKUP, FUSE_ROOT_ID);
	fc_add_str(&q, "small");
	CHECK_EQ(fc_send(&c, &q, &e, 10, NULL), -EINVAL);
	fc_begin(&q, FUSE_GETATTR, FUSE_ROOT_ID);
	fc_add(&q, &e, sizeof(struct fuse_getattr_in));
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EINVAL);
}

static void test_iov_shorter_than_claimed(void)
{
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in g;
	} req = {.h = {.len = 4096,
		       .opcode = FUSE_GETATTR,
		       .nodeid = FUSE_ROOT_ID,
		       .unique = 9}};
	uint8_t out[256];
	struct iovec in = {&req, sizeof(req)}, o = {out, sizeof(out)};
	struct fuse_out_header oh;
	size_t written;

	/* The caller claims 4096 bytes; the iovecs hold 56. */
	CHECK_EQ(
	    fuse_server_handle(c.s, &in, 1, 4096, &o, 1, sizeof(out), &written),
	    FUSE_SERVER_REPLY);
	memcpy(&oh, out, sizeof(oh));
	CHECK(oh.error < 0);
	CHECK_EQ(oh.unique, 9);
}

static void test_unknown_ids(void)
{
	struct fuse_entry_out e;

	CHECK_EQ(fc_lookup(&c, 0, "x", &e), -ENOENT);
	CHECK_EQ(fc_lookup(&c, 0xffffffffffffffffull, "x", &e), -ENOENT);
	CHECK_EQ(fc_mkdir(&c, 77777, "x", 0755, &e), -ENOENT);
	fc_forget(&c, 0xdeadbeef, 5);
	fc_forget(&c, FUSE_ROOT_ID, 1000);
	CHECK_EQ(fc_getattr(&c, FUSE_ROOT_ID, NULL), 0);
}

/* A fixed-seed stream of random requests over every opcode. */
static void test_random(void)
{
	uint8_t req[600], out[300];
	uint64_t seed = 0x5eed;
	struct fuse_entry_out e;

	CHECK_EQ(fc_mkdir(&c, FUSE_ROOT_ID, "fuzz", 0755, &e), 0);
	for (int i = 0; i < 20000; i++) {
		struct fuse_in_header *h = (void *)req;
		size_t len, cap;

		for (size_t k = 0; k < sizeof(req); k++) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			req[k] = (uint8_t)(seed >> 56);
		}
		/* Short names: random bytes, some NULs, in a dir of ours. */
		len = sizeof(*h) + (seed >> 20) % (sizeof(req) - sizeof(*h));
		h->len = (seed >> 8) & 1 ? (uint32_t)len : h->len;
		h->opcode = (uint32_t)((seed >> 12) % 52);
		h->nodeid = (seed >> 24) & 1 ? e.nodeid : h->nodeid % 8;
		if (h->opcode == FUSE_DESTROY || h->opcode == FUSE_INIT)
			continue;
		cap = (seed >> 32) % sizeof(out);
		(void)fc_send_raw(&c, req, len, out, cap, NULL);
	}
	CHECK_EQ(fc_getattr(&c, FUSE_ROOT_ID, NULL), 0);
}

int main(void)
{
	for (int split = 0; split < 2; split++) {
		fc_setup(&c, 0);
		c.split = split;
		test_in_shorter_than_header();
		test_out_shorter_than_header();
		test_header_len_mismatch();
		test_args_too_short();
		test_name_without_nul();
		test_batch_forget_count();
		test_read_clamped();
		test_write_beyond_data();
		test_setxattr_size_beyond();
		test_reply_room_too_small();
		test_iov_shorter_than_claimed();
		test_unknown_ids();
		test_random();
		fc_teardown(&c);
	}
	return check_done("test_fuse_malformed");
}
