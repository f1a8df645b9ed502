/* SPDX-License-Identifier: MIT */
/*
 * The FUSE server's file, directory and xattr ops against a real temp
 * directory, each run three ways: one iovec per half, odd iovec pieces,
 * and prepared I/O (fuse_server_prepare(), the I/O done here with
 * preadv/pwritev as a device would, then fuse_server_complete()).
 * OPEN/CREATE (flags, O_TRUNC, O_EXCL, types), READ/WRITE of 1 MiB
 * compared byte for byte with the host file, READ at and past EOF and
 * clamped to the reply room, FLUSH, FSYNC, FALLOCATE, LSEEK over a
 * hole, RELEASE; OPENDIR/READDIR/READDIRPLUS over many entries in small
 * chunks (lookup counts: exactly one per entry), RELEASEDIR, FSYNCDIR;
 * GETXATTR/SETXATTR/LISTXATTR/REMOVEXATTR with the size-0 probe;
 * FOPEN_NOFLUSH for files of a local root (a tmpfs), never for a file on
 * another mount below the root (/proc under /).
 */
#include "fuse_client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>

#include <linux/magic.h>
#include <unistd.h>

#include "check.h"

#define BIG (1024 * 1024)

static void setup(struct fc *c, int mode)
{
	fc_setup(c, 0);
	c->split = mode == 1;
	c->prepared = mode == 2;
}

static void test_read_write(int mode)
{
	uint8_t *data = malloc(BIG), *back = malloc(BIG), *host = malloc(BIG);
	struct fuse_entry_out e;
	uint64_t fh, fh2;
	size_t n;
	struct stat st;
	struct fc c;

	setup(&c, mode);
	for (size_t i = 0; i < BIG; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 13));
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "big", O_RDWR, 0640, &e, &fh), 0);
	CHECK_EQ(stat(fc_path(&c, "big"), &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(e.attr.ino, st.st_ino);
	CHECK_EQ(fc_write(&c, fh, 0, data, BIG, &n), 0);
	CHECK_EQ(n, BIG);
	CHECK_EQ(fc_get_file(&c, "big", host, BIG), BIG);
	CHECK(!memcmp(host, data, BIG));
	CHECK_EQ(fc_read(&c, fh, 0, back, BIG, &n), 0);
	CHECK_EQ(n, BIG);
	CHECK(!memcmp(back, data, BIG));
	/* Unaligned, in the middle. */
	CHECK_EQ(fc_read(&c, fh, 12345, back, 777, &n), 0);
	CHECK_EQ(n, 777);
	CHECK(!memcmp(back, data + 12345, 777));
	/* At and past EOF. */
	CHECK_EQ(fc_read(&c, fh, BIG - 10, back, 100, &n), 0);
	CHECK_EQ(n, 10);
	CHECK_EQ(fc_read(&c, fh, BIG * 2, back, 100, &n), 0);
	CHECK_EQ(n, 0);
	/* A second write in the middle, seen on the host. */
	CHECK_EQ(fc_write(&c, fh, 100, "middle", 6, &n), 0);
	CHECK_EQ(fc_get_file(&c, "big", host, BIG), BIG);
	CHECK(!memcmp(host + 100, "middle", 6));
	CHECK(!memcmp(host + 106, data + 106, 1000));
	CHECK_EQ(fc_release(&c, fh), 0);
	CHECK_EQ(fc_read(&c, fh, 0, back, 10, &n), -EBADF);
	CHECK_EQ(fc_release(&c, fh), -EBADF);

	/* OPEN read-only: writes fail; O_TRUNC empties; O_APPEND appends. */
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(fc_write(&c, fh, 0, "x", 1, &n), -EBADF);
	CHECK_EQ(fc_open(&c, e.nodeid, O_WRONLY | O_TRUNC, &fh2), 0);
	CHECK_EQ(fc_get_file(&c, "big", host, BIG), 0);
	CHECK_EQ(fc_release(&c, fh2), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_WRONLY | O_APPEND, &fh2), 0);
	CHECK_EQ(fc_write(&c, fh2, 0, "ab", 2, &n), 0);
	CHECK_EQ(fc_write(&c, fh2, 0, "cd", 2, &n), 0);
	CHECK_EQ(fc_get_file(&c, "big", host, BIG), 4);
	CHECK(!memcmp(host, "abcd", 4));
	CHECK_EQ(fc_read(&c, fh, 0, back, 10, &n), 0);
	CHECK_EQ(n, 4);
	CHECK_EQ(fc_release(&c, fh2), 0);
	CHECK_EQ(fc_release(&c, fh), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_ACCMODE, &fh), -EINVAL);
	CHECK_EQ(fc_open(&c, FUSE_ROOT_ID, O_RDONLY, &fh), -EISDIR);
	CHECK_EQ(fc_open(&c, 0xbad, O_RDONLY, &fh), -ENOENT);
	fc_teardown(&c);
	free(data);
	free(back);
	free(host);
}

static int fh_req(struct fc *c, uint32_t op, uint64_t node, const void *in,
		  size_t len, void *out, size_t out_len)
{
	struct fc_req q;

	fc_begin(&q, op, node);
	fc_add(&q, in, len);
	return fc_send(c, &q, out, out_len, NULL);
}

static mode_t host_mode(struct fc *c, const char *rel)
{
	struct stat st;

	return stat(fc_path(c, rel), &st) ? (mode_t)-1 : st.st_mode & 07777;
}

/* A one-byte WRITE at 0 with @write_flags. */
static int write_flagged(struct fc *c, uint64_t fh, uint32_t write_flags)
{
	struct fuse_write_in in = {
	    .fh = fh, .size = 1, .write_flags = write_flags};
	struct fuse_write_out o;
	struct fc_req q;

	fc_begin(&q, FUSE_WRITE, 0);
	fc_add(&q, &in, sizeof(in));
	fc_add(&q, "w", 1);
	return fc_send(c, &q, &o, sizeof(o), NULL);
}

/*
 * FUSE_HANDLE_KILLPRIV_V2: offered, and set-id bits cleared as Linux's
 * VFS would when (only when) the guest asks, on WRITE, on a truncating
 * SETATTR and on an O_TRUNC OPEN: set-user-ID always, set-group-ID only
 * on a group-executable file.
 */
static void test_kill_suidgid(int mode)
{
	struct fuse_setattr_in sa = {.valid = FATTR_SIZE | FATTR_KILL_SUIDGID};
	struct fuse_open_in oi = {.flags = O_WRONLY | O_TRUNC,
				  .open_flags = FUSE_OPEN_KILL_SUIDGID};
	struct fuse_attr_out ao;
	struct fuse_open_out oo;
	struct fuse_entry_out e;
	uint64_t fh;
	struct fc c;

	setup(&c, mode);
	CHECK(c.init_flags & FUSE_HANDLE_KILLPRIV_V2);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "sx", O_RDWR, 0755, &e, &fh), 0);
	CHECK_EQ(chmod(fc_path(&c, "sx"), 06755), 0);
	CHECK_EQ(write_flagged(&c, fh, 0), 0); /* a writer with CAP_FSETID */
	CHECK_EQ(host_mode(&c, "sx"), 06755);
	CHECK_EQ(write_flagged(&c, fh, FUSE_WRITE_KILL_SUIDGID), 0);
	CHECK_EQ(host_mode(&c, "sx"), 0755);
	CHECK_EQ(chmod(fc_path(&c, "sx"), 06745), 0); /* group: no x */
	CHECK_EQ(write_flagged(&c, fh, FUSE_WRITE_KILL_SUIDGID), 0);
	CHECK_EQ(host_mode(&c, "sx"), 02745);
	CHECK_EQ(fc_release(&c, fh), 0);

	CHECK_EQ(chmod(fc_path(&c, "sx"), 06755), 0);
	sa.valid = FATTR_SIZE;
	CHECK_EQ(fh_req(&c, FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), &ao,
			sizeof(ao)),
		 0);
	CHECK_EQ(host_mode(&c, "sx"), 06755);
	sa.valid = FATTR_SIZE | FATTR_KILL_SUIDGID;
	CHECK_EQ(fh_req(&c, FUSE_SETATTR, e.nodeid, &sa, sizeof(sa), &ao,
			sizeof(ao)),
		 0);
	CHECK_EQ(host_mode(&c, "sx"), 0755);
	CHECK_EQ(ao.attr.mode & 07777, 0755);

	CHECK_EQ(chmod(fc_path(&c, "sx"), 06755), 0);
	CHECK_EQ(
	    fh_req(&c, FUSE_OPEN, e.nodeid, &oi, sizeof(oi), &oo, sizeof(oo)),
	    0);
	CHECK_EQ(host_mode(&c, "sx"), 0755);
	CHECK_EQ(fc_release(&c, oo.fh), 0);
	fc_teardown(&c);
}

static void test_create_flush_sync(int mode)
{
	struct fuse_entry_out e, e2;
	struct fuse_flush_in fl = {0};
	struct fuse_fsync_in fs = {0};
	struct fuse_fallocate_in fa = {0};
	struct fuse_lseek_in li = {0};
	struct fuse_lseek_out lo;
	struct stat st;
	uint64_t fh, fh2;
	struct fc c;
	int fd;

	setup(&c, mode);
	fc_put_file(&c, "old", "old content", 11);
	/* CREATE of an existing file without O_EXCL opens it... */
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "old", O_RDWR, 0600, &e, &fh), 0);
	CHECK_EQ(stat(fc_path(&c, "old"), &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0644); /* not created: mode kept */
	CHECK_EQ(st.st_size, 11);
	/* ...with O_EXCL it fails, with O_TRUNC it empties. */
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "old", O_RDWR | O_EXCL, 0600, &e2,
			   &fh2),
		 -EEXIST);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "old", O_WRONLY | O_TRUNC, 0600,
			   &e2, &fh2),
		 0);
	CHECK_EQ(e2.nodeid, e.nodeid);
	CHECK_EQ(stat(fc_path(&c, "old"), &st), 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(fc_release(&c, fh2), 0);
	/* A directory or a FIFO by that name is not opened. */
	CHECK_EQ(mkfifo(fc_path(&c, "fifo"), 0600), 0);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "fifo", O_RDONLY, 0600, &e2, &fh2),
		 -ENXIO);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "fifo", &e2), 0);
	CHECK_EQ(fc_open(&c, e2.nodeid, O_RDONLY, &fh2), -ENXIO);

	fl.fh = fh;
	CHECK_EQ(fh_req(&c, FUSE_FLUSH, e.nodeid, &fl, sizeof(fl), NULL, 0), 0);
	fs.fh = fh;
	CHECK_EQ(fh_req(&c, FUSE_FSYNC, e.nodeid, &fs, sizeof(fs), NULL, 0), 0);
	fs.fsync_flags = FUSE_FSYNC_FDATASYNC;
	CHECK_EQ(fh_req(&c, FUSE_FSYNC, e.nodeid, &fs, sizeof(fs), NULL, 0), 0);
	fs.fh = 0xbad;
	CHECK_EQ(fh_req(&c, FUSE_FSYNC, e.nodeid, &fs, sizeof(fs), NULL, 0),
		 -EBADF);

	/* FALLOCATE grows the file; with KEEP_SIZE it does not. */
	fa = (struct fuse_fallocate_in){.fh = fh, .offset = 0, .length = 8192};
	CHECK_EQ(fh_req(&c, FUSE_FALLOCATE, e.nodeid, &fa, sizeof(fa), NULL, 0),
		 0);
	CHECK_EQ(stat(fc_path(&c, "old"), &st), 0);
	CHECK_EQ(st.st_size, 8192);
	fa = (struct fuse_fallocate_in){.fh = fh,
					.offset = 8192,
					.length = 4096,
					.mode = FALLOC_FL_KEEP_SIZE};
	CHECK_EQ(fh_req(&c, FUSE_FALLOCATE, e.nodeid, &fa, sizeof(fa), NULL, 0),
		 0);
	CHECK_EQ(stat(fc_path(&c, "old"), &st), 0);
	CHECK_EQ(st.st_size, 8192);
	CHECK(st.st_blocks * 512 >= 12288);
	CHECK_EQ(fc_release(&c, fh), 0);

	/* LSEEK over a sparse file: data at 1 MiB, a hole before it. */
	fd = open(fc_path(&c, "sparse"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, "data", 4, BIG), 4);
	close(fd);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "sparse", &e), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), 0);
	li = (struct fuse_lseek_in){.fh = fh, .offset = 0, .whence = SEEK_DATA};
	CHECK_EQ(
	    fh_req(&c, FUSE_LSEEK, e.nodeid, &li, sizeof(li), &lo, sizeof(lo)),
	    0);
	CHECK_EQ(lo.offset, BIG);
	li.whence = SEEK_HOLE;
	CHECK_EQ(
	    fh_req(&c, FUSE_LSEEK, e.nodeid, &li, sizeof(li), &lo, sizeof(lo)),
	    0);
	CHECK_EQ(lo.offset, 0);
	li = (struct fuse_lseek_in){
	    .fh = fh, .offset = BIG + 10, .whence = SEEK_DATA};
	CHECK_EQ(
	    fh_req(&c, FUSE_LSEEK, e.nodeid, &li, sizeof(li), &lo, sizeof(lo)),
	    -ENXIO);
	li.whence = 77;
	CHECK_EQ(
	    fh_req(&c, FUSE_LSEEK, e.nodeid, &li, sizeof(li), &lo, sizeof(lo)),
	    -EINVAL);
	CHECK_EQ(fc_release(&c, fh), 0);
	fc_teardown(&c);
}

/* Names seen in a listing, by index: "f0".."f299". */
#define NFILES 300

static int opendir_req(struct fc *c, uint64_t node, uint64_t *fh)
{
	struct fuse_open_in in = {.flags = O_RDONLY};
	struct fuse_open_out o;
	int r = fh_req(c, FUSE_OPENDIR, node, &in, sizeof(in), &o, sizeof(o));

	if (!r)
		*fh = o.fh;
	return r;
}

/*
 * List the directory in chunks of @size bytes; count each name once in
 * @seen, and (READDIRPLUS) check and collect the entries' node ids.
 */
static void list_dir(struct fc *c, uint64_t fh, bool plus, size_t size,
		     int *seen, uint64_t *nodes, int *dots)
{
	uint8_t *buf = malloc(size);
	uint64_t off = 0;
	size_t len;

	for (int rounds = 0; rounds < 10000; rounds++) {
		struct fuse_read_in in = {
		    .fh = fh, .offset = off, .size = (uint32_t)size};
		struct fc_req q;
		size_t p = 0;

		fc_begin(&q, plus ? FUSE_READDIRPLUS : FUSE_READDIR, 0);
		fc_add(&q, &in, sizeof(in));
		CHECK_EQ(fc_send(c, &q, buf, size, &len), 0);
		if (len == 0)
			break;
		while (p < len) {
			struct fuse_entry_out e = {0};
			struct fuse_dirent d;
			char name[256] = {0};
			int i;

			if (plus) {
				memcpy(&e, buf + p, sizeof(e));
				p += sizeof(e);
			}
			memcpy(&d, buf + p, sizeof(d));
			CHECK(d.namelen < sizeof(name));
			memcpy(name, buf + p + sizeof(d), d.namelen);
			p += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
			off = d.off;
			if (!strcmp(name, ".") || !strcmp(name, "..")) {
				(*dots)++;
				CHECK_EQ(e.nodeid, 0);
				continue;
			}
			CHECK(sscanf(name, "f%d", &i) == 1 && i >= 0 &&
			      i < NFILES);
			if (i < 0 || i >= NFILES)
				continue;
			seen[i]++;
			CHECK_EQ(d.type, DT_REG);
			if (plus) {
				CHECK(e.nodeid != 0);
				CHECK_EQ(e.attr.ino, d.ino);
				CHECK_EQ(e.attr.size, (uint64_t)i);
				nodes[i] = e.nodeid;
			}
		}
	}
	free(buf);
}

static void test_readdir(int mode)
{
	static int seen[NFILES];
	static uint64_t nodes[NFILES];
	struct fuse_fsync_in fs = {0};
	struct fuse_release_in rel = {0};
	char name[16], content[NFILES];
	int dots = 0, once = 1;
	uint64_t fh = 0;
	struct fc c;

	setup(&c, mode);
	memset(content, 'x', sizeof(content));
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		fc_put_file(&c, name, content, (size_t)i);
	}
	CHECK_EQ(opendir_req(&c, FUSE_ROOT_ID, &fh), 0);
	memset(seen, 0, sizeof(seen));
	list_dir(&c, fh, false, 200, seen, nodes, &dots);
	CHECK_EQ(dots, 2);
	for (int i = 0; i < NFILES; i++)
		once &= seen[i] == 1;
	CHECK(once);

	/* READDIRPLUS from the start again, in 1000-byte chunks. */
	memset(seen, 0, sizeof(seen));
	dots = 0;
	list_dir(&c, fh, true, 1000, seen, nodes, &dots);
	CHECK_EQ(dots, 2);
	once = 1;
	for (int i = 0; i < NFILES; i++)
		once &= seen[i] == 1;
	CHECK(once);
	/* Each entry carried exactly one lookup: one FORGET frees it. */
	for (int i = 0; i < NFILES; i += 37) {
		CHECK_EQ(fc_getattr(&c, nodes[i], NULL), 0);
		fc_forget(&c, nodes[i], 1);
		CHECK_EQ(fc_getattr(&c, nodes[i], NULL), -ENOENT);
	}
	fs.fh = fh;
	CHECK_EQ(
	    fh_req(&c, FUSE_FSYNCDIR, FUSE_ROOT_ID, &fs, sizeof(fs), NULL, 0),
	    0);
	/* A file handle is not a directory handle, and the other way. */
	rel.fh = fh;
	CHECK_EQ(fh_req(&c, FUSE_RELEASE, 0, &rel, sizeof(rel), NULL, 0),
		 -EBADF);
	CHECK_EQ(fh_req(&c, FUSE_RELEASEDIR, 0, &rel, sizeof(rel), NULL, 0), 0);
	CHECK_EQ(fh_req(&c, FUSE_RELEASEDIR, 0, &rel, sizeof(rel), NULL, 0),
		 -EBADF);
	CHECK_EQ(opendir_req(&c, nodes[1], &fh), -ENOTDIR);
	fc_teardown(&c);
}

/*
 * One READDIR of @size bytes at *@off: the inode number of each f<n>
 * appended to @inos at index n, *@off moved past the last entry, the
 * names in the order they came appended to @order (at most @cap).
 * Returns how many entries came back (0: the end).
 */
static int readdir_chunk(struct fc *c, uint64_t fh, uint64_t *off, size_t size,
			 uint64_t *inos, int *order, int *n)
{
	struct fuse_read_in in = {
	    .fh = fh, .offset = *off, .size = (uint32_t)size};
	uint8_t buf[512];
	struct fc_req q;
	size_t len = 0, p = 0;
	int got = 0;

	CHECK(size <= sizeof(buf));
	fc_begin(&q, FUSE_READDIR, 0);
	fc_add(&q, &in, sizeof(in));
	CHECK_EQ(fc_send(c, &q, buf, size, &len), 0);
	while (p < len) {
		struct fuse_dirent d;
		char name[256] = {0};
		int i;

		memcpy(&d, buf + p, sizeof(d));
		CHECK(d.namelen < sizeof(name));
		memcpy(name, buf + p + sizeof(d), d.namelen);
		p += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + d.namelen);
		*off = d.off;
		got++;
		if (sscanf(name, "f%d", &i) == 1 && i >= 0 && i < NFILES &&
		    *n < NFILES) {
			inos[i] = d.ino;
			order[(*n)++] = i;
		}
	}
	return got;
}

/* Directory @dir of the share with the files f000.. (long names). */
static uint64_t make_listed_dir(struct fc *c, const char *dir, uint64_t *inos)
{
	char rel[96];
	struct fuse_entry_out e;
	struct stat st;

	CHECK_EQ(mkdir(fc_path(c, dir), 0755), 0);
	for (int i = 0; i < NFILES; i++) {
		snprintf(rel, sizeof(rel),
			 "%s/f%03d-a-name-long-enough-to-fill-pages", dir, i);
		fc_put_file(c, rel, "", 0);
		CHECK_EQ(stat(fc_path(c, rel), &st), 0);
		inos[i] = st.st_ino;
	}
	CHECK_EQ(fc_lookup(c, FUSE_ROOT_ID, dir, &e), 0);
	return e.nodeid;
}

/*
 * What one getdents64 read ahead belongs to one handle at one offset.
 * Two directories with the same names (so the same offsets, on file
 * systems whose cookies hash the name or count entries), listed in
 * turns by equal chunks, each get their own entries, all of them once;
 * a listing restarted at an offset it had passed gets the same tail.
 */
static void test_readdir_interleaved(int mode)
{
	static uint64_t host_a[NFILES], host_b[NFILES], got_a[NFILES],
	    got_b[NFILES], unused[NFILES];
	static int order_a[NFILES], order_b[NFILES], again[NFILES];
	uint64_t fa = 0, fb = 0, oa = 0, ob = 0, mid = 0;
	int na = 0, nb = 0, nagain = 0, mid_at = 0, ra = 1, rb = 1;
	uint64_t da, db;
	struct fc c;

	setup(&c, mode);
	da = make_listed_dir(&c, "da", host_a);
	db = make_listed_dir(&c, "db", host_b);
	CHECK_EQ(opendir_req(&c, da, &fa), 0);
	CHECK_EQ(opendir_req(&c, db, &fb), 0);
	for (int rounds = 0; (ra || rb) && rounds < 10000; rounds++) {
		if (ra)
			ra = readdir_chunk(&c, fa, &oa, 400, got_a, order_a,
					   &na);
		if (ra && !mid_at && na >= NFILES / 2) {
			mid = oa;
			mid_at = na;
		}
		if (rb)
			rb = readdir_chunk(&c, fb, &ob, 400, got_b, order_b,
					   &nb);
	}
	CHECK_EQ(na, NFILES);
	CHECK_EQ(nb, NFILES);
	CHECK(!memcmp(got_a, host_a, sizeof(got_a)));
	CHECK(!memcmp(got_b, host_b, sizeof(got_b)));
	/* Back to the middle: the same tail again. */
	CHECK(mid_at > 0);
	while (readdir_chunk(&c, fa, &mid, 400, unused, again, &nagain))
		;
	CHECK_EQ(nagain, NFILES - mid_at);
	CHECK(!memcmp(again, order_a + mid_at,
		      sizeof(int) * (size_t)(NFILES - mid_at)));
	fc_teardown(&c);
}

static int xattr_req(struct fc *c, uint32_t op, uint64_t node, uint32_t size,
		     const char *name, void *out, size_t out_cap, size_t *len)
{
	struct fuse_getxattr_in in = {.size = size};
	struct fc_req q;

	fc_begin(&q, op, node);
	fc_add(&q, &in, sizeof(in));
	if (name)
		fc_add_str(&q, name);
	return fc_send(c, &q, out, out_cap, len);
}

static int setxattr_req(struct fc *c, uint64_t node, const char *name,
			const char *value, uint32_t flags)
{
	struct fuse_setxattr_in in = {.size = (uint32_t)strlen(value),
				      .flags = flags};
	struct fc_req q;

	fc_begin(&q, FUSE_SETXATTR, node);
	fc_add(&q, &in, FUSE_COMPAT_SETXATTR_IN_SIZE);
	fc_add_str(&q, name);
	fc_add(&q, value, strlen(value));
	return fc_send(c, &q, NULL, 0, NULL);
}

static void test_xattr(int mode)
{
	struct fuse_getxattr_out go;
	struct fuse_entry_out e;
	char buf[256];
	size_t len;
	struct fc_req q;
	struct fc c;

	setup(&c, mode);
	fc_put_file(&c, "f", "x", 1);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(setxattr_req(&c, e.nodeid, "user.color", "blue", 0), 0);
	CHECK_EQ(getxattr(fc_path(&c, "f"), "user.color", buf, sizeof(buf)), 4);
	CHECK(!memcmp(buf, "blue", 4));
	CHECK_EQ(setxattr_req(&c, e.nodeid, "user.color", "red", XATTR_CREATE),
		 -EEXIST);
	CHECK_EQ(setxattr_req(&c, e.nodeid, "user.shape", "round", 0), 0);
	/* The size-0 probe, then the value; too small a size: ERANGE. */
	CHECK_EQ(xattr_req(&c, FUSE_GETXATTR, e.nodeid, 0, "user.color", &go,
			   sizeof(go), &len),
		 0);
	CHECK_EQ(len, sizeof(go));
	CHECK_EQ(go.size, 4);
	CHECK_EQ(xattr_req(&c, FUSE_GETXATTR, e.nodeid, 64, "user.color", buf,
			   64, &len),
		 0);
	CHECK_EQ(len, 4);
	CHECK(!memcmp(buf, "blue", 4));
	CHECK_EQ(xattr_req(&c, FUSE_GETXATTR, e.nodeid, 2, "user.color", buf, 2,
			   &len),
		 -ERANGE);
	CHECK_EQ(xattr_req(&c, FUSE_GETXATTR, e.nodeid, 64, "user.none", buf,
			   64, &len),
		 -ENODATA);
	/* LISTXATTR: probe, then the NUL-separated names. */
	CHECK_EQ(xattr_req(&c, FUSE_LISTXATTR, e.nodeid, 0, NULL, &go,
			   sizeof(go), &len),
		 0);
	CHECK(go.size >= 22); /* user.color\0user.shape\0 (and perhaps more) */
	CHECK_EQ(
	    xattr_req(&c, FUSE_LISTXATTR, e.nodeid, 256, NULL, buf, 256, &len),
	    0);
	CHECK_EQ(len, go.size);
	CHECK(memmem(buf, len, "user.color", 11) != NULL);
	CHECK(memmem(buf, len, "user.shape", 11) != NULL);
	/* REMOVEXATTR, seen on the host. */
	fc_begin(&q, FUSE_REMOVEXATTR, e.nodeid);
	fc_add_str(&q, "user.color");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), 0);
	CHECK_EQ(getxattr(fc_path(&c, "f"), "user.color", buf, sizeof(buf)),
		 -1);
	CHECK_EQ(errno, ENODATA);
	/* Outside user.*: refused, whoever we run as. */
	CHECK_EQ(setxattr_req(&c, e.nodeid, "trusted.x", "1", 0), -EPERM);
	CHECK_EQ(setxattr_req(&c, e.nodeid, "security.capability", "1", 0),
		 -EPERM);
	fc_begin(&q, FUSE_REMOVEXATTR, e.nodeid);
	fc_add_str(&q, "security.selinux");
	CHECK_EQ(fc_send(&c, &q, NULL, 0, NULL), -EPERM);
	CHECK_EQ(setxattr_req(&c, e.nodeid, "", "1", 0), -EINVAL);
	fc_teardown(&c);
}

/*
 * A prepared READ whose file the guest releases before the I/O is done:
 * the fd must stay valid until fuse_server_complete().
 */
static void test_release_during_io(void)
{
	struct {
		struct fuse_in_header h;
		struct fuse_read_in r;
	} req = {.h = {.len = sizeof(req), .opcode = FUSE_READ, .unique = 77},
		 .r = {.size = 5}};
	uint8_t out[sizeof(struct fuse_out_header) + 5];
	struct iovec in = {&req, sizeof(req)}, o = {out, sizeof(out)};
	static struct fuse_io io;
	struct fuse_out_header oh;
	struct fuse_entry_out e;
	size_t written;
	struct fc c;

	setup(&c, 0);
	fc_put_file(&c, "f", "hello", 5);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "f", &e), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &req.r.fh), 0);
	CHECK_EQ(fuse_server_prepare(c.s, &in, 1, sizeof(req), &o, 1,
				     sizeof(out), &written, &io),
		 FUSE_SERVER_IO);
	CHECK_EQ(written, 0);
	CHECK_EQ(io.op, FUSE_IO_READ);
	CHECK_EQ(fc_release(&c, req.r.fh), 0);
	CHECK_EQ(preadv(io.fd, io.iov, (int)io.niov, io.off), 5);
	CHECK_EQ(
	    fuse_server_complete(c.s, &io, 5, &o, 1, sizeof(out), &written),
	    FUSE_SERVER_REPLY);
	memcpy(&oh, out, sizeof(oh));
	CHECK_EQ(written, sizeof(out));
	CHECK_EQ(oh.len, sizeof(out));
	CHECK_EQ(oh.error, 0);
	CHECK_EQ(oh.unique, 77);
	CHECK(!memcmp(out + sizeof(oh), "hello", 5));
	CHECK(fcntl(io.fd, F_GETFD) < 0); /* the last hold closed it */
	fc_teardown(&c);
}

/* A server on @dir (no fixture directories), INIT done. */
static void serve(struct fc *c, const char *dir, unsigned int flags)
{
	char err[256];

	*c = (struct fc){.unique = 1};
	CHECK_EQ(fuse_server_create(&c->s, dir, flags, err, sizeof(err)), 0);
	CHECK_EQ(fc_init(c), 0);
}

static void test_noflush(void)
{
	char dir[64] = "/dev/shm/fuse-test-XXXXXX", file[80];
	struct fuse_entry_out e, p;
	struct statfs sfs;
	uint64_t fh;
	struct fc c;

	/* A file on another mount below the root keeps FLUSH. */
	serve(&c, "/", FUSE_SERVER_READONLY);
	CHECK_EQ(fc_lookup(&c, FUSE_ROOT_ID, "proc", &p), 0);
	CHECK_EQ(fc_lookup(&c, p.nodeid, "version", &e), 0);
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(c.last_open_flags & FOPEN_NOFLUSH, 0);
	CHECK_EQ(fc_release(&c, fh), 0);
	fuse_server_destroy(c.s);

	if (statfs("/dev/shm", &sfs) < 0 || sfs.f_type != TMPFS_MAGIC) {
		printf(
		    "test_noflush: /dev/shm is no tmpfs, local case not run\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	serve(&c, dir, 0);
	CHECK_EQ(fc_create(&c, FUSE_ROOT_ID, "f", O_RDWR, 0600, &e, &fh), 0);
	CHECK_EQ(c.last_open_flags & FOPEN_NOFLUSH, FOPEN_NOFLUSH);
	CHECK_EQ(fc_release(&c, fh), 0);
	c.last_open_flags = 0;
	CHECK_EQ(fc_open(&c, e.nodeid, O_RDONLY, &fh), 0);
	CHECK_EQ(c.last_open_flags & FOPEN_NOFLUSH, FOPEN_NOFLUSH);
	CHECK_EQ(fc_release(&c, fh), 0);
	fuse_server_destroy(c.s);
	snprintf(file, sizeof(file), "%s/f", dir);
	CHECK_EQ(unlink(file), 0);
	CHECK_EQ(rmdir(dir), 0);
}

int main(void)
{
	test_noflush();
	test_release_during_io();
	for (int mode = 0; mode < 3; mode++) {
		test_read_write(mode);
		test_create_flush_sync(mode);
		test_readdir(mode);
		test_readdir_interleaved(mode);
		test_xattr(mode);
		test_kill_suidgid(mode);
	}
	return check_done("test_fuse_data");
}
