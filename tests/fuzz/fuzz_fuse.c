/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the FUSE server (src/devices/fuse_*.c) with whatever a guest's
 * virtiofs driver could put in its chains. Each input is one session on
 * a fresh server over a temporary directory that is put back to the
 * same small tree first: a valid INIT (unless the input says not to),
 * then a stream of requests, each cut into iovec pieces, handled at once
 * or prepared, with up to four kept in flight, completed later or
 * abandoned as a device reset does.
 *
 * Input: u8 session flags, u16 async mask (FUSE_IO_STATX and up), then
 * records of u8 control, u16 reply room, u16 request length and the
 * request's bytes (struct fuse_in_header first; control bit 0 rewrites
 * its len to the record's, so that the fuzzer reaches the ops).
 *
 * Checked besides ASan/UBSan: every reply header agrees with what was
 * written and carries the request's unique; no fd outlives the server;
 * nothing next to the served directory changes (the server is confined:
 * an escape is a bug).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fuse.h>

#include "devices/fuse_server.h"
#include "input.h"

#define SLOTS	 4	    /* prepared requests kept in flight */
#define MAX_IOV	 3	    /* pieces a request or reply is cut into */
#define FILE_MAX (1u << 20) /* RLIMIT_FSIZE: no file grows past 1 MiB */
#define MAX_RECS 64

/* Session flags (the input's first byte). */
#define S_READONLY (1u << 0)
#define S_PREPARED (1u << 1) /* fuse_server_prepare(), not _handle() */
#define S_INLINE   (1u << 2) /* fuse_server_set_inline_stat() */
#define S_NO_INIT  (1u << 3)

/* Record control bits. */
#define R_FIX_LEN (1u << 0)
#define R_SPLIT	  (3u << 1) /* how the pieces are cut */
#define R_SLOT	  (3u << 3)
#define R_DEFER	  (1u << 5) /* leave prepared I/O in its slot */
#define R_ABANDON (1u << 6) /* end a deferred one as a reset does */

static char base[64], shared[96], outside[96], secret[128];
static struct stat outside_st, secret_st, base_st;
static bool trace; /* FUZZ_TRACE=1: each reply's error on stderr */

/* One request with its chain, possibly in flight. */
struct slot {
	bool busy;
	struct iovec in[MAX_IOV], out[MAX_IOV];
	unsigned int n_in, n_out;
	size_t in_len, out_len;
	uint64_t unique;
	struct fuse_io io;
};

static struct slot slots[SLOTS + 1]; /* the last one: not deferred */

/* Open fds (with @show, each and what it is on stderr). */
static int count_fds(bool show)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], target[256];
	ssize_t n;
	int count = 0;

	if (!d)
		abort();
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		count++;
		if (!show)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = 0;
		fprintf(stderr, "fuzz_fuse: fd %s: %s\n", e->d_name, target);
	}
	closedir(d);
	return count;
}

static void put(const char *rel, const char *data)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", shared, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) < 0)
		abort();
	close(fd);
}

static int remove_one(const char *path, const struct stat *st, int type,
		      struct FTW *ftw)
{
	(void)st;
	(void)type;
	if (ftw->level > 0 && remove(path) < 0)
		abort();
	return 0;
}

/* The served tree, as every input finds it. */
static void reset_tree(void)
{
	char path[160];

	if (chmod(shared, 0755) < 0 ||
	    nftw(shared, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		abort();
	put("a", "hello, world\n");
	snprintf(path, sizeof(path), "%s/d", shared);
	if (mkdir(path, 0755) < 0)
		abort();
	put("d/b", "b");
	snprintf(path, sizeof(path), "%s/l", shared);
	if (symlink("../outside/secret", path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/root", shared);
	if (symlink("/", path) < 0)
		abort();
}

static bool same(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
	       a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	       a->st_size == b->st_size && a->st_nlink == b->st_nlink &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Nothing beside the served directory may have changed. */
static void check_outside(void)
{
	struct stat st;

	if (lstat(outside, &st) < 0 || !same(&st, &outside_st) ||
	    lstat(secret, &st) < 0 || !same(&st, &secret_st) ||
	    lstat(base, &st) < 0 || !same(&st, &base_st)) {
		fprintf(stderr, "fuzz_fuse: something outside %s changed\n",
			shared);
		abort();
	}
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_fuse: could not remove %s\n", base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct rlimit fsize = {FILE_MAX, FILE_MAX};
	int fd;

	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	trace = getenv("FUZZ_TRACE");
	if (setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		abort();
	snprintf(base, sizeof(base), "/tmp/vmm-fuzz-fuse.XXXXXX");
	if (!mkdtemp(base))
		abort();
	atexit(cleanup);
	snprintf(shared, sizeof(shared), "%s/shared", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	snprintf(secret, sizeof(secret), "%s/secret", outside);
	if (mkdir(shared, 0755) < 0 || mkdir(outside, 0755) < 0)
		abort();
	fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, "secret\n", 7) != 7)
		abort();
	close(fd);
	if (lstat(outside, &outside_st) < 0 || lstat(secret, &secret_st) < 0 ||
	    lstat(base, &base_st) < 0)
		abort();
	return 0;
}

/*
 * Cut @len bytes at @p into pieces, each its own exact allocation so
 * that ASan sees any read or write past one.
 */
static unsigned int cut(struct iovec *iov, const uint8_t *p, size_t len,
			unsigned int how)
{
	size_t at[MAX_IOV + 1] = {0};
	unsigned int n = 0;

	switch (how) {
	case 0:
		at[1] = len;
		n = 1;
		break;
	case 1: /* the header on its own, as Linux does */
		at[1] = len < sizeof(struct fuse_in_header)
			    ? len
			    : sizeof(struct fuse_in_header);
		at[2] = len;
		n = 2;
		break;
	case 2:
		at[1] = len / 3;
		at[2] = 2 * len / 3;
		at[3] = len;
		n = 3;
		break;
	default:
		at[1] = len ? 1 : 0;
		at[2] = len > 41 ? 41 : len;
		at[3] = len;
		n = 3;
		break;
	}
	for (unsigned int i = 0; i < n; i++) {
		size_t l = at[i + 1] - at[i];

		iov[i].iov_base =
		    p ? fuzz_dup(p + at[i], l, 0) : calloc(1, l ? l : 1);
		if (!iov[i].iov_base)
			abort();
		iov[i].iov_len = l;
	}
	return n;
}

static void slot_free(struct slot *sl)
{
	for (unsigned int i = 0; i < sl->n_in; i++)
		free(sl->in[i].iov_base);
	for (unsigned int i = 0; i < sl->n_out; i++)
		free(sl->out[i].iov_base);
	sl->n_in = sl->n_out = 0;
	sl->busy = false;
}

/* A reply must say what was written, for the request that was asked. */
static void check_reply(const struct slot *sl, int ret, size_t written)
{
	struct fuse_out_header h;
	size_t got = 0;

	if (ret == FUSE_SERVER_NOREPLY || ret < 0) {
		if (written != 0)
			abort();
		return;
	}
	if (ret != FUSE_SERVER_REPLY || written < sizeof(h) ||
	    written > sl->out_len)
		abort();
	for (unsigned int i = 0; i < sl->n_out && got < sizeof(h); i++) {
		size_t l = sl->out[i].iov_len;

		if (l > sizeof(h) - got)
			l = sizeof(h) - got;
		memcpy((uint8_t *)&h + got, sl->out[i].iov_base, l);
		got += l;
	}
	if (h.len != written || h.unique != sl->unique || h.error > 0 ||
	    h.error < -4095)
		abort();
	if (trace)
		fprintf(stderr, "fuzz_fuse: unique %llu: error %d, %zu bytes\n",
			(unsigned long long)h.unique, h.error, written);
}

/* Run the slot's I/O step by step to its reply, or abandon it. */
static void finish(struct fuse_server *s, struct slot *sl, bool abandon)
{
	size_t written = 0;
	int ret = FUSE_SERVER_IO;

	while (ret == FUSE_SERVER_IO) {
		if (abandon) {
			ret = fuse_server_complete(s, &sl->io, -ECANCELED, NULL,
						   0, 0, &written);
			break;
		}
		ret = fuse_server_complete(s, &sl->io, fuse_io_run(&sl->io),
					   sl->out, sl->n_out, sl->out_len,
					   &written);
	}
	if (!abandon)
		check_reply(sl, ret, written);
	slot_free(sl);
}

static void init_request(struct fuse_server *s)
{
	struct {
		struct fuse_in_header h;
		struct fuse_init_in i;
	} req = {.h = {.len = sizeof(req), .opcode = FUSE_INIT, .unique = 1},
		 .i = {.major = 7,
		       .minor = 36,
		       .max_readahead = 65536,
		       .flags = FUSE_ASYNC_READ | FUSE_DO_READDIRPLUS |
				FUSE_MAX_PAGES}};
	uint8_t out[256];
	struct iovec in = {&req, sizeof(req)}, o = {out, sizeof(out)};
	size_t written;

	if (fuse_server_handle(s, &in, 1, sizeof(req), &o, 1, sizeof(out),
			       &written) != FUSE_SERVER_REPLY)
		abort();
}

static void one_request(struct fuse_server *s, bool prepared, uint8_t ctl,
			size_t room, const uint8_t *req, size_t len)
{
	unsigned int split = (ctl & R_SPLIT) >> 1;
	struct slot *sl = &slots[SLOTS];
	uint8_t *copy = fuzz_dup(req, len, 0);
	size_t written = 0;
	int ret;

	if (ctl & R_DEFER) {
		sl = &slots[(ctl & R_SLOT) >> 3];
		if (sl->busy)
			finish(s, sl, ctl & R_ABANDON);
	}
	if ((ctl & R_FIX_LEN) && len >= sizeof(struct fuse_in_header))
		((struct fuse_in_header *)copy)->len = (uint32_t)len;
	sl->unique = len >= sizeof(struct fuse_in_header)
			 ? ((struct fuse_in_header *)copy)->unique
			 : 0;
	sl->n_in = cut(sl->in, copy, len, split);
	sl->in_len = len;
	sl->n_out = cut(sl->out, NULL, room, split ^ 1);
	sl->out_len = room;
	free(copy);
	if (!prepared) {
		ret = fuse_server_handle(s, sl->in, sl->n_in, len, sl->out,
					 sl->n_out, room, &written);
		check_reply(sl, ret, written);
		slot_free(sl);
		return;
	}
	ret = fuse_server_prepare(s, sl->in, sl->n_in, len, sl->out, sl->n_out,
				  room, &written, &sl->io);
	if (ret != FUSE_SERVER_IO) {
		check_reply(sl, ret, written);
		slot_free(sl);
	} else if (ctl & R_DEFER) {
		sl->busy = true;
	} else {
		finish(s, sl, ctl & R_ABANDON);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_u8(&in);
	unsigned int async = fuzz_u16(&in);
	struct fuse_server *s;
	char err[256];
	int fds;

	/*
	 * A WRITE, SETATTR size or FALLOCATE past RLIMIT_FSIZE: EFBIG, not
	 * the signal (set here: libFuzzer installs its own handler after
	 * LLVMFuzzerInitialize(), unless -handle_xfsz=0).
	 */
	signal(SIGXFSZ, SIG_IGN);
	/*
	 * Counted here, not once: libFuzzer itself may open fds between
	 * inputs (two pipes to llvm-symbolizer for its first NEW_FUNC).
	 */
	fds = count_fds(false);
	reset_tree();
	if (fuse_server_create(&s, shared,
			       flags & S_READONLY ? FUSE_SERVER_READONLY : 0,
			       err, sizeof(err)))
		abort();
	fuse_server_set_async(s, (async << FUSE_IO_STATX) &
				     (FUSE_IO_BIT(FUSE_IO_NR_OPS) - 1));
	fuse_server_set_inline_stat(s, flags & S_INLINE);
	if (!(flags & S_NO_INIT))
		init_request(s);
	for (unsigned int i = 0; i < MAX_RECS && in.n; i++) {
		uint8_t ctl = fuzz_u8(&in);
		size_t room = fuzz_u16(&in), len;
		const uint8_t *req = fuzz_bytes(&in, fuzz_u16(&in), &len);

		one_request(s, flags & S_PREPARED, ctl, room, req, len);
		if (trace && len >= sizeof(struct fuse_in_header)) {
			struct fuse_in_header h;

			memcpy(&h, req, sizeof(h));
			fprintf(stderr, "fuzz_fuse: op %u ctl %#x: %d fds\n",
				h.opcode, ctl, count_fds(false));
		}
	}
	for (unsigned int i = 0; i < SLOTS; i++)
		if (slots[i].busy)
			finish(s, &slots[i], false);
	fuse_server_destroy(s);
	if (count_fds(false) != fds) {
		fprintf(stderr, "fuzz_fuse: %d fds open, %d before\n",
			count_fds(true), fds);
		abort();
	}
	check_outside();
	return 0;
}
