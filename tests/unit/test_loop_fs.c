/* SPDX-License-Identifier: MIT */
/*
 * The io loop's file-system submissions (io/loop_fs.h) on a real
 * io_uring and on the epoll loop: the probe, then mkdirat, openat2,
 * statx, symlinkat, linkat, renameat, unlinkat, setxattr and getxattr
 * (through the O_PATH fd's /proc/self/fd path, as the FUSE server does;
 * the size probe, the value, ERANGE) and close in a temp directory, each
 * submitted from the loop thread and checked in its done(). An opcode
 * the kernel lacks must be refused with -EOPNOTSUPP.
 */
#include "io/loop_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "base/util.h"
#include "check.h"
#include "loop_kinds.h"
#include "io/loop.h"

struct fs_test {
	struct io_loop *loop;
	struct io_request req;
	int dir;
	int step;
	int fd;
	struct open_how how;
	struct statx stx;
	char path[32]; /* /proc/self/fd/N of fd */
	char val[8];
};

#define XATTRS	   (IO_LOOP_FS_GETXATTR | IO_LOOP_FS_SETXATTR)
#define STEP_CLOSE 12

static void next(struct fs_test *t);

static void done(struct io_request *req, int res)
{
	struct fs_test *t = container_of(req, struct fs_test, req);

	switch (t->step) {
	case 0: CHECK_EQ(res, 0); break; /* mkdirat */
	case 1:				 /* openat2 */
		CHECK(res >= 0);
		t->fd = res;
		CHECK(fcntl(t->fd, F_GETFD) & FD_CLOEXEC);
		break;
	case 2: /* statx */
		CHECK_EQ(res, 0);
		CHECK(S_ISDIR(t->stx.stx_mode));
		break;
	case 3: CHECK_EQ(res, 0); break;       /* symlinkat */
	case 4: CHECK_EQ(res, 0); break;       /* linkat */
	case 5: CHECK_EQ(res, 0); break;       /* renameat */
	case 6: CHECK_EQ(res, -EEXIST); break; /* renameat, NOREPLACE */
	case 7: CHECK_EQ(res, 0); break;       /* unlinkat */
	case 8: CHECK_EQ(res, 0); break;       /* setxattr */
	case 9: CHECK_EQ(res, 3); break;       /* getxattr, size 0 */
	case 10:			       /* getxattr */
		CHECK_EQ(res, 3);
		CHECK(memcmp(t->val, "red", 3) == 0);
		break;
	case 11: CHECK_EQ(res, -ERANGE); break; /* getxattr, too small */
	case STEP_CLOSE: CHECK_EQ(res, 0); break;
	}
	t->step++;
	next(t);
}

static void next(struct fs_test *t)
{
	struct io_loop *l = t->loop;
	int r = 0;

	switch (t->step) {
	case 0: r = io_loop_mkdirat(l, &t->req, t->dir, "sub", 0700); break;
	case 1:
		t->how =
		    (struct open_how){.flags = O_PATH | O_CLOEXEC | O_DIRECTORY,
				      .resolve = RESOLVE_BENEATH};
		r = io_loop_openat2(l, &t->req, t->dir, "sub", &t->how);
		break;
	case 2:
		r = io_loop_statx(l, &t->req, t->fd, "",
				  AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
				  STATX_BASIC_STATS, &t->stx);
		break;
	case 3: r = io_loop_symlinkat(l, &t->req, "sub", t->dir, "ln"); break;
	case 4:
		r = io_loop_linkat(l, &t->req, t->dir, "ln", t->fd, "hard", 0);
		break;
	case 5:
		r = io_loop_renameat(l, &t->req, t->fd, "hard", t->dir, "moved",
				     0);
		break;
	case 6:
		r = io_loop_renameat(l, &t->req, t->dir, "ln", t->dir, "moved",
				     RENAME_NOREPLACE);
		break;
	case 7: r = io_loop_unlinkat(l, &t->req, t->dir, "moved", 0); break;
	case 8:
		snprintf(t->path, sizeof(t->path), "/proc/self/fd/%d", t->fd);
		r = io_loop_setxattr(l, &t->req, t->path, "user.c", "red", 3,
				     XATTR_CREATE);
		break;
	case 9:
		r = io_loop_getxattr(l, &t->req, t->path, "user.c", NULL, 0);
		break;
	case 10:
	case 11:
		r = io_loop_getxattr(l, &t->req, t->path, "user.c", t->val,
				     t->step == 10 ? sizeof(t->val) : 2);
		break;
	case STEP_CLOSE: r = io_loop_close(l, &t->req, t->fd); break;
	default: io_loop_stop(l); return;
	}
	if (r == -EOPNOTSUPP && t->step >= 8 && t->step < STEP_CLOSE &&
	    !(io_loop_fs_ops(l) & XATTRS)) {
		/* A ring before 5.19: refused, not submitted. */
		t->step = STEP_CLOSE;
		next(t);
		return;
	}
	CHECK_EQ(r, 0);
	if (r)
		io_loop_stop(l);
}

static void start(void *arg)
{
	next(arg);
}

int main(void)
{
	const unsigned int all = IO_LOOP_FS_OPENAT2 | IO_LOOP_FS_STATX |
				 IO_LOOP_FS_UNLINKAT | IO_LOOP_FS_MKDIRAT |
				 IO_LOOP_FS_RENAMEAT | IO_LOOP_FS_SYMLINKAT |
				 IO_LOOP_FS_LINKAT | IO_LOOP_FS_CLOSE;
	char base[] = "/tmp/loop-fs-XXXXXX", path[64];
	struct fs_test t = {.fd = -1};
	struct stat st;
	int r;

	test_loop_kinds();
	r = test_loop_create(&t.loop);
	if (r == -ENOSYS || r == -EPERM) {
		printf("SKIP: no io_uring (%s)\n", strerror(-r));
		return 77;
	}
	CHECK_EQ(r, 0);
	if ((io_loop_fs_ops(t.loop) & all) != all) {
		/* An old kernel: what it lacks is refused, not submitted. */
		printf("SKIP: ring lacks opcodes (0x%x)\n",
		       io_loop_fs_ops(t.loop));
		io_loop_destroy(t.loop);
		return 77;
	}
	CHECK(mkdtemp(base) != NULL);
	t.dir = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	CHECK(t.dir >= 0);
	t.req.done = done;
	CHECK_EQ(io_loop_call(t.loop, start, &t), 0);
	CHECK_EQ(io_loop_run(t.loop), 0);
	CHECK_EQ(t.step, STEP_CLOSE + 1);
	CHECK(fcntl(t.fd, F_GETFD) < 0); /* closed by the ring */
	snprintf(path, sizeof(path), "%s/sub/hard", base);
	CHECK(lstat(path, &st) < 0);
	snprintf(path, sizeof(path), "%s/sub", base);
	if (io_loop_fs_ops(t.loop) & XATTRS)
		CHECK_EQ(getxattr(path, "user.c", t.val, sizeof(t.val)), 3);
	snprintf(path, sizeof(path), "%s/ln", base);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/sub", base);
	CHECK(rmdir(path) == 0);
	CHECK(rmdir(base) == 0);
	close(t.dir);
	io_loop_destroy(t.loop);
	return check_done("test_loop_fs");
}
