/* SPDX-License-Identifier: MIT */
/*
 * The crun handler's initramfs (src/crun/cpio.c, src/crun/runner.c):
 * what the newc writer wrote is read back field by field by a reader
 * here, and by GNU cpio where it is installed (names and contents);
 * malformed entries are refused; the runner's files are read from the
 * annotations only when every user of the host could read them, and a
 * missing runner is named in the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crun/cpio.h"
#include "crun/runner.h"
#include "check.h"

struct entry {
	char name[64];
	uint32_t ino, mode, uid, gid, nlink, mtime, size;
	uint32_t rmaj, rmin, namesize, check;
	const uint8_t *data;
};

static uint32_t hex8(const uint8_t *p)
{
	char s[9];

	memcpy(s, p, 8);
	s[8] = '\0';
	return (uint32_t)strtoul(s, NULL, 16);
}

/*
 * Read the entries of @buf into @e (at most @max); the count, or -1 if
 * the archive is malformed (bad magic, padding, no trailer).
 */
static int read_newc(const uint8_t *buf, size_t len, struct entry *e, int max)
{
	size_t off = 0;
	int n = 0;

	while (off + 110 <= len) {
		const uint8_t *h = buf + off;
		struct entry tmp, *x = n < max ? &e[n] : &tmp;

		if (memcmp(h, "070701", 6) || off % 4)
			return -1;
		x->ino = hex8(h + 6);
		x->mode = hex8(h + 14);
		x->uid = hex8(h + 22);
		x->gid = hex8(h + 30);
		x->nlink = hex8(h + 38);
		x->mtime = hex8(h + 46);
		x->size = hex8(h + 54);
		x->rmaj = hex8(h + 78);
		x->rmin = hex8(h + 86);
		x->namesize = hex8(h + 94);
		x->check = hex8(h + 102);
		off += 110;
		if (!x->namesize || x->namesize > sizeof(x->name) ||
		    off + x->namesize > len || buf[off + x->namesize - 1])
			return -1;
		memcpy(x->name, buf + off, x->namesize);
		off = (off + x->namesize + 3) & ~(size_t)3;
		x->data = buf + off;
		off = (off + x->size + 3) & ~(size_t)3;
		if (off > len)
			return -1;
		if (!strcmp(x->name, "TRAILER!!!"))
			return off == len ? n : -1;
		if (++n > max)
			return -1;
	}
	return -1;
}

static void test_writer(void)
{
	struct cpio c;
	struct entry e[4];
	static const uint8_t data[5] = "hello";

	cpio_init(&c);
	cpio_add(&c, "d", S_IFDIR | 0700, NULL, 0, 0, 0);
	cpio_add(&c, "d/f", S_IFREG | 0644, data, 5, 0, 0);
	cpio_add(&c, "d/empty", S_IFREG | 0600, NULL, 0, 0, 0);
	cpio_add(&c, "null", S_IFCHR | 0666, NULL, 0, 1, 3);
	CHECK_EQ(cpio_finish(&c), 0);
	CHECK_EQ(c.len % 4, 0);
	CHECK_EQ(read_newc(c.buf, c.len, e, 4), 4);
	CHECK(!strcmp(e[0].name, "d"));
	CHECK_EQ(e[0].mode, S_IFDIR | 0700);
	CHECK_EQ(e[0].nlink, 2);
	CHECK(!strcmp(e[1].name, "d/f"));
	CHECK_EQ(e[1].mode, S_IFREG | 0644);
	CHECK_EQ(e[1].size, 5);
	CHECK(!memcmp(e[1].data, "hello", 5));
	CHECK_EQ(e[1].nlink, 1);
	CHECK_EQ(e[1].uid, 0);
	CHECK_EQ(e[1].gid, 0);
	CHECK_EQ(e[1].mtime, 0);
	CHECK_EQ(e[1].check, 0);
	CHECK_EQ(e[2].size, 0);
	CHECK_EQ(e[3].mode, S_IFCHR | 0666);
	CHECK_EQ(e[3].rmaj, 1);
	CHECK_EQ(e[3].rmin, 3);
	/* Distinct inode numbers: hard links would merge files. */
	for (int i = 0; i < 4; i++)
		for (int j = i + 1; j < 4; j++)
			CHECK(e[i].ino != e[j].ino);
	free(c.buf);

	/* Refused: the first failure sticks, and nothing is returned. */
	cpio_init(&c);
	cpio_add(&c, "/abs", S_IFREG | 0644, NULL, 0, 0, 0);
	cpio_add(&c, "ok", S_IFREG | 0644, NULL, 0, 0, 0);
	CHECK_EQ(cpio_finish(&c), -EINVAL);
	CHECK(c.buf == NULL);
	cpio_init(&c);
	cpio_add(&c, "", S_IFREG | 0644, NULL, 0, 0, 0);
	CHECK_EQ(cpio_finish(&c), -EINVAL);
	cpio_init(&c);
	cpio_add(&c, "dir", S_IFDIR | 0755, data, 5, 0, 0);
	CHECK_EQ(cpio_finish(&c), -EINVAL);
}

/* The runner's initramfs, as the guest's kernel will unpack it. */
static void test_initramfs(void)
{
	static const char desc[] = "version=1\0arg=/bin/sh\0";
	struct runner_files f = {
	    .init = (uint8_t *)(uintptr_t) "\177ELF-init",
	    .init_len = 9,
	};
	struct entry e[8];
	uint8_t *buf;
	size_t len;
	char err[256];

	CHECK_EQ(runner_initramfs(&f, desc, sizeof(desc) - 1, &buf, &len, err,
				  sizeof(err)),
		 0);
	CHECK_EQ(read_newc(buf, len, e, 8), 5);
	CHECK(!strcmp(e[0].name, "dev") && e[0].mode == (S_IFDIR | 0755));
	CHECK(!strcmp(e[1].name, "dev/console"));
	CHECK_EQ(e[1].mode, S_IFCHR | 0600);
	CHECK_EQ(e[1].rmaj, 5);
	CHECK_EQ(e[1].rmin, 1);
	CHECK(!strcmp(e[2].name, "init") && e[2].mode == (S_IFREG | 0755));
	CHECK(e[2].size == 9 && !memcmp(e[2].data, "\177ELF-init", 9));
	CHECK(!strcmp(e[3].name, "vmm") && e[3].mode == (S_IFDIR | 0755));
	CHECK(!strcmp(e[4].name, "vmm/process"));
	CHECK_EQ(e[4].mode, S_IFREG | 0400);
	CHECK_EQ(e[4].size, sizeof(desc) - 1);
	CHECK(!memcmp(e[4].data, desc, sizeof(desc) - 1));

	/* GNU cpio agrees, where it is installed (tools/install-deps.sh). */
	if (access("/usr/bin/cpio", X_OK) == 0) {
		char path[] = "/tmp/test_crun_cpio.XXXXXX", cmd[160];
		char out[256] = "";
		int fd = mkstemp(path);
		FILE *p;
		size_t n;

		CHECK_EQ(write(fd, buf, len), (ssize_t)len);
		close(fd);
		snprintf(cmd, sizeof(cmd), "cpio -it --quiet <%s 2>&1", path);
		p = popen(cmd, "r");
		n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = '\0';
		CHECK_EQ(pclose(p), 0);
		CHECK(
		    !strcmp(out, "dev\ndev/console\ninit\nvmm\nvmm/process\n"));
		snprintf(cmd, sizeof(cmd),
			 "cpio -i --quiet --to-stdout vmm/process <%s", path);
		p = popen(cmd, "r");
		n = fread(out, 1, sizeof(out), p);
		CHECK_EQ(pclose(p), 0);
		CHECK_EQ(n, sizeof(desc) - 1);
		CHECK(!memcmp(out, desc, sizeof(desc) - 1));
		unlink(path);
	} else {
		printf("no /usr/bin/cpio: checked with our reader only\n");
	}
	free(buf);
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	CHECK_EQ(chmod(path, mode), 0);
}

static void test_files(void)
{
	char dir[] = "/tmp/test_crun_runner.XXXXXX", k[64], i[64], err[256];
	struct runner_files f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(k, sizeof(k), "%s/bzImage", dir);
	snprintf(i, sizeof(i), "%s/init", dir);
	put_file(k, "kernel", 0644);
	put_file(i, "init!", 0644);
	/* mkdtemp's 0700: other users could not reach the files. */
	CHECK_EQ(runner_files_read(&f, k, i, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, "is not open to every user") != NULL);
	CHECK_EQ(chmod(dir, 0755), 0);
	CHECK_EQ(runner_files_read(&f, k, i, err, sizeof(err)), 0);
	CHECK(f.kernel_len == 6 && !memcmp(f.kernel, "kernel", 6));
	CHECK(f.init_len == 5 && !memcmp(f.init, "init!", 5));
	runner_files_free(&f);
	CHECK(f.kernel == NULL && f.init == NULL);
	/* A file others may not read (a host secret, say) is refused. */
	CHECK_EQ(chmod(i, 0600), 0);
	CHECK_EQ(runner_files_read(&f, k, i, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, i) != NULL);
	CHECK(strstr(err, "every user of the host may read") != NULL);
	CHECK(f.kernel == NULL);
	/* Empty, a directory, missing. */
	put_file(i, "", 0644);
	CHECK_EQ(runner_files_read(&f, k, i, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "runner init") != NULL);
	CHECK_EQ(runner_files_read(&f, dir, i, err, sizeof(err)), -EINVAL);
	unlink(i);
	CHECK_EQ(runner_files_read(&f, k, i, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "No such file") != NULL);
	unlink(k);
	rmdir(dir);
	/* Without annotations: the installed runner, named when missing. */
	if (access(runner_dir(), F_OK)) {
		CHECK_EQ(runner_files_read(&f, NULL, NULL, err, sizeof(err)),
			 -ENOENT);
		CHECK(strstr(err, runner_dir()) != NULL);
		CHECK(strstr(err, "/bzImage") != NULL);
	}
}

int main(void)
{
	test_writer();
	test_initramfs();
	test_files();
	return check_done("test_crun_cpio");
}
