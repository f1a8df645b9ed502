/* SPDX-License-Identifier: MIT */
/*
 * The test FUSE client (fuse_client.h). Requests are laid out exactly as
 * Linux's virtiofs driver does: fuse_in_header, the op's struct, names
 * with their NULs, WRITE data last.
 */
#include "fuse_client.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* Piece sizes when splitting: odd, tiny and large, cycled. */
static const size_t pieces[] = {3, 1, 29, 4096, 7, 65536, 40};

static void die_if(bool cond, const char *what)
{
	if (cond) {
		fprintf(stderr, "fuse_client: %s failed\n", what);
		abort();
	}
}

void fc_setup(struct fc *c, unsigned int flags)
{
	fc_setup_in(c, "/tmp", flags);
}

void fc_setup_in(struct fc *c, const char *tmp, unsigned int flags)
{
	char err[256];
	int r;

	*c = (struct fc){.unique = 1};
	snprintf(c->base, sizeof(c->base), "%s/fuse-test-XXXXXX", tmp);
	die_if(!mkdtemp(c->base), "mkdtemp");
	snprintf(c->shared, sizeof(c->shared), "%s/shared", c->base);
	snprintf(c->outside, sizeof(c->outside), "%s/outside", c->base);
	die_if(mkdir(c->shared, 0755) < 0, "mkdir shared");
	die_if(mkdir(c->outside, 0755) < 0, "mkdir outside");
	r = fuse_server_create(&c->s, c->shared, flags, err, sizeof(err));
	if (r)
		fprintf(stderr, "fuse_server_create: %s\n", err);
	die_if(r != 0, "fuse_server_create");
	die_if(fc_init(c) != 0, "INIT");
}

static int rm_one(const char *path, const struct stat *st, int type,
		  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

void fc_teardown(struct fc *c)
{
	fuse_server_destroy(c->s);
	c->s = NULL;
	(void)nftw(c->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fc_path(struct fc *c, const char *rel)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", c->shared, rel);
	return buf;
}

void fc_begin(struct fc_req *q, uint32_t opcode, uint64_t nodeid)
{
	struct fuse_in_header h = {.opcode = opcode,
				   .nodeid = nodeid,
				   .uid = 1234,
				   .gid = 5678,
				   .pid = 42};

	*q = (struct fc_req){0};
	fc_add(q, &h, sizeof(h));
}

void fc_add(struct fc_req *q, const void *p, size_t n)
{
	if (q->len + n > q->cap) {
		q->cap = (q->len + n) * 2;
		q->buf = realloc(q->buf, q->cap);
		die_if(!q->buf, "realloc");
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
}

void fc_add_str(struct fc_req *q, const char *s)
{
	fc_add(q, s, strlen(s) + 1);
}

/* Describe @len bytes at @p as iovecs, cut into pieces if c->split. */
static unsigned int cut(struct fc *c, uint8_t *p, size_t len, struct iovec *iov,
			unsigned int max, unsigned int k)
{
	unsigned int n = 0;

	while (len && n < max) {
		size_t take = c->split ? pieces[(k + n) % 7] : len;

		if (take > len || n == max - 1)
			take = len;
		iov[n++] = (struct iovec){p, take};
		p += take;
		len -= take;
	}
	return n;
}

int fc_send_raw(struct fc *c, const void *req, size_t len, void *reply,
		size_t reply_cap, size_t *reply_len)
{
	size_t out_len = sizeof(struct fuse_out_header) + reply_cap, written;
	uint8_t *in = malloc(len ? len : 1), *out = malloc(out_len);
	struct iovec iov_in[64], iov_out[64];
	struct fuse_out_header oh;
	unsigned int n_in, n_out;
	static struct fuse_io io;
	int ret;

	die_if(!in || !out, "malloc");
	memcpy(in, req, len);
	memset(out, 0xa5, out_len);
	n_in = cut(c, in, len, iov_in, 64, 0);
	n_out = cut(c, out, out_len, iov_out, 64, 3);
	if (c->prepared) {
		ret = fuse_server_prepare(c->s, iov_in, n_in, len, iov_out,
					  n_out, out_len, &written, &io);
		/* A metadata op may come back with its next step. */
		while (ret == FUSE_SERVER_IO)
			ret = fuse_server_complete(c->s, &io, fuse_io_run(&io),
						   iov_out, n_out, out_len,
						   &written);
	} else {
		ret = fuse_server_handle(c->s, iov_in, n_in, len, iov_out,
					 n_out, out_len, &written);
	}
	c->last_ret = ret;
	c->last_written = written;
	if (ret != FUSE_SERVER_REPLY) {
		ret = ret == FUSE_SERVER_NOREPLY && written == 0 ? 1 : ret;
		goto out;
	}
	memcpy(&oh, out, sizeof(oh));
	if (written < sizeof(oh) || oh.len != written || written > out_len ||
	    (len >= 16 &&
	     oh.unique != ((const struct fuse_in_header *)in)->unique) ||
	    oh.error > 0 || oh.error < -4095 || (oh.error && oh.len != 16)) {
		fprintf(stderr,
			"fuse_client: bad reply header: len %u written "
			"%zu error %d\n",
			oh.len, written, oh.error);
		ret = -100000;
		goto out;
	}
	if (reply)
		memcpy(reply, out + sizeof(oh), written - sizeof(oh));
	if (reply_len)
		*reply_len = written - sizeof(oh);
	ret = oh.error;
out:
	free(in);
	free(out);
	return ret;
}

int fc_send(struct fc *c, struct fc_req *q, void *reply, size_t reply_cap,
	    size_t *reply_len)
{
	struct fuse_in_header *h = (void *)q->buf;
	int ret;

	h->len = (uint32_t)q->len;
	h->unique = c->unique++;
	ret = fc_send_raw(c, q->buf, q->len, reply, reply_cap, reply_len);
	free(q->buf);
	q->buf = NULL;
	return ret;
}

int fc_init(struct fc *c)
{
	struct fuse_init_in in = {.major = 7,
				  .minor = 36,
				  .max_readahead = 65536,
				  .flags =
				      FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS |
				      FUSE_MAX_PAGES | FUSE_HANDLE_KILLPRIV_V2};
	struct fuse_init_out o = {0};
	struct fc_req q;
	int r;

	fc_begin(&q, FUSE_INIT, 0);
	fc_add(&q, &in, sizeof(in));
	r = fc_send(c, &q, &o, sizeof(o), NULL);
	c->init_flags = o.flags;
	return r;
}

int fc_lookup(struct fc *c, uint64_t parent, const char *name,
	      struct fuse_entry_out *e)
{
	struct fc_req q;

	fc_begin(&q, FUSE_LOOKUP, parent);
	fc_add_str(&q, name);
	return fc_send(c, &q, e, sizeof(*e), NULL);
}

int fc_getattr(struct fc *c, uint64_t node, struct fuse_attr *a)
{
	struct fuse_getattr_in in = {0};
	struct fuse_attr_out o;
	struct fc_req q;
	int r;

	fc_begin(&q, FUSE_GETATTR, node);
	fc_add(&q, &in, sizeof(in));
	r = fc_send(c, &q, &o, sizeof(o), NULL);
	if (!r && a)
		*a = o.attr;
	return r;
}

int fc_mkdir(struct fc *c, uint64_t parent, const char *name, uint32_t mode,
	     struct fuse_entry_out *e)
{
	struct fuse_mkdir_in in = {.mode = mode, .umask = 022};
	struct fc_req q;

	fc_begin(&q, FUSE_MKDIR, parent);
	fc_add(&q, &in, sizeof(in));
	fc_add_str(&q, name);
	return fc_send(c, &q, e, sizeof(*e), NULL);
}

int fc_create(struct fc *c, uint64_t parent, const char *name, uint32_t flags,
	      uint32_t mode, struct fuse_entry_out *e, uint64_t *fh)
{
	struct fuse_create_in in = {.flags = flags, .mode = mode};
	struct {
		struct fuse_entry_out e;
		struct fuse_open_out o;
	} out;
	struct fc_req q;
	int r;

	fc_begin(&q, FUSE_CREATE, parent);
	fc_add(&q, &in, sizeof(in));
	fc_add_str(&q, name);
	r = fc_send(c, &q, &out, sizeof(out), NULL);
	if (!r) {
		if (e)
			*e = out.e;
		*fh = out.o.fh;
		c->last_open_flags = out.o.open_flags;
	}
	return r;
}

int fc_open(struct fc *c, uint64_t node, uint32_t flags, uint64_t *fh)
{
	struct fuse_open_in in = {.flags = flags};
	struct fuse_open_out o;
	struct fc_req q;
	int r;

	fc_begin(&q, FUSE_OPEN, node);
	fc_add(&q, &in, sizeof(in));
	r = fc_send(c, &q, &o, sizeof(o), NULL);
	if (!r) {
		*fh = o.fh;
		c->last_open_flags = o.open_flags;
	}
	return r;
}

int fc_read(struct fc *c, uint64_t fh, uint64_t off, void *buf, size_t size,
	    size_t *got)
{
	struct fuse_read_in in = {
	    .fh = fh, .offset = off, .size = (uint32_t)size};
	struct fc_req q;

	fc_begin(&q, FUSE_READ, 0);
	fc_add(&q, &in, sizeof(in));
	return fc_send(c, &q, buf, size, got);
}

int fc_write(struct fc *c, uint64_t fh, uint64_t off, const void *buf,
	     size_t size, size_t *done)
{
	struct fuse_write_in in = {
	    .fh = fh, .offset = off, .size = (uint32_t)size};
	struct fuse_write_out o;
	struct fc_req q;
	int r;

	fc_begin(&q, FUSE_WRITE, 0);
	fc_add(&q, &in, sizeof(in));
	fc_add(&q, buf, size);
	r = fc_send(c, &q, &o, sizeof(o), NULL);
	if (!r && done)
		*done = o.size;
	return r;
}

int fc_release(struct fc *c, uint64_t fh)
{
	struct fuse_release_in in = {.fh = fh};
	struct fc_req q;

	fc_begin(&q, FUSE_RELEASE, 0);
	fc_add(&q, &in, sizeof(in));
	return fc_send(c, &q, NULL, 0, NULL);
}

void fc_forget(struct fc *c, uint64_t node, uint64_t n)
{
	struct fuse_forget_in in = {.nlookup = n};
	struct fc_req q;

	fc_begin(&q, FUSE_FORGET, node);
	fc_add(&q, &in, sizeof(in));
	die_if(fc_send(c, &q, NULL, 0, NULL) != 1, "FORGET");
}

void fc_put_file(struct fc *c, const char *rel, const void *data, size_t n)
{
	int fd = open(fc_path(c, rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		      0644);

	die_if(fd < 0, "open");
	die_if(write(fd, data, n) != (ssize_t)n, "write");
	close(fd);
}

long fc_get_file(struct fc *c, const char *rel, void *buf, size_t cap)
{
	int fd = open(fc_path(c, rel), O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap);
	close(fd);
	return n;
}
