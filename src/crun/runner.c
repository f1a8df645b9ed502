/* SPDX-License-Identifier: MIT */
/*
 * Reading the runner's kernel and init (runner.h), and the initramfs.
 * The annotations vmm.kernel and vmm.init name host files that the
 * handler reads with crun's privileges and hands to the guest, i.e. to
 * whoever wrote the annotations: only files that every user of the host
 * could read anyway are taken. The check is made on the file actually
 * opened (its mode, and the directories of the path /proc gives for the
 * descriptor), so a path swapped meanwhile gains nothing.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cpio.h"
#include "crun_paths.h"

const char *runner_dir(void)
{
	return VMM_CRUN_RUNNER_DIR;
}

/* May every user of the host read the file open on @fd? */
static int readable_by_all(int fd, const char *name, char *err, size_t err_len)
{
	char link[64], path[PATH_MAX], *slash;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) < 0 || !(st.st_mode & S_IROTH)) {
		snprintf(err, err_len,
			 "%s: refused: only files every user of the host may "
			 "read are taken from an annotation",
			 name);
		return -EACCES;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0 || path[0] != '/') {
		snprintf(err, err_len, "%s: cannot tell where it is (%s)", name,
			 n < 0 ? strerror(errno) : "no path");
		return -EACCES;
	}
	path[n] = '\0';
	while ((slash = strrchr(path, '/'))) {
		*slash = '\0';
		if (stat(*path ? path : "/", &st) < 0 ||
		    !(st.st_mode & S_IXOTH)) {
			snprintf(err, err_len,
				 "%s: refused: %s is not open to every user "
				 "of the host",
				 name, *path ? path : "/");
			return -EACCES;
		}
		if (!*path)
			break;
	}
	return 0;
}

/* All of the regular file @path (at most RUNNER_FILE_MAX bytes). */
static int read_all(const char *path, const char *what, int check_all,
		    uint8_t **buf, size_t *len, char *err, size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), r = 0;
	struct stat st;
	size_t got = 0;
	ssize_t n;

	*buf = NULL;
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, err_len, "runner %s %s: %s", what, path,
			 strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || !st.st_size ||
	    st.st_size > RUNNER_FILE_MAX) {
		snprintf(err, err_len,
			 "runner %s %s: not a regular file of 1 byte to %u "
			 "MiB",
			 what, path, RUNNER_FILE_MAX >> 20);
		r = -EINVAL;
		goto out;
	}
	if (check_all && (r = readable_by_all(fd, path, err, err_len)))
		goto out;
	*buf = malloc((size_t)st.st_size);
	if (!*buf) {
		r = -ENOMEM;
		snprintf(err, err_len, "runner %s %s: out of memory", what,
			 path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, *buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			snprintf(err, err_len, "runner %s %s: %s", what, path,
				 n < 0 ? strerror(-r) : "shorter than it was");
			goto out;
		}
		got += (size_t)n;
	}
	*len = got;
out:
	if (r) {
		free(*buf);
		*buf = NULL;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

int runner_files_read(struct runner_files *f, const char *kernel,
		      const char *init, char *err, size_t err_len)
{
	char kpath[PATH_MAX], ipath[PATH_MAX];
	int r;

	*f = (struct runner_files){0};
	snprintf(kpath, sizeof(kpath), "%s/bzImage", runner_dir());
	snprintf(ipath, sizeof(ipath), "%s/init", runner_dir());
	r = read_all(kernel ? kernel : kpath, "kernel", kernel != NULL,
		     &f->kernel, &f->kernel_len, err, err_len);
	if (!r)
		r = read_all(init ? init : ipath, "init", init != NULL,
			     &f->init, &f->init_len, err, err_len);
	if (r)
		runner_files_free(f);
	return r;
}

void runner_files_free(struct runner_files *f)
{
	free(f->kernel);
	free(f->init);
	*f = (struct runner_files){0};
}

int runner_initramfs(const struct runner_files *f, const char *desc,
		     size_t desc_len, uint8_t **buf, size_t *len, char *err,
		     size_t err_len)
{
	struct cpio c;
	int r;

	cpio_init(&c);
	cpio_add(&c, "dev", S_IFDIR | 0755, NULL, 0, 0, 0);
	cpio_add(&c, "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1);
	cpio_add(&c, "init", S_IFREG | 0755, f->init, f->init_len, 0, 0);
	cpio_add(&c, "vmm", S_IFDIR | 0755, NULL, 0, 0, 0);
	cpio_add(&c, "vmm/process", S_IFREG | 0400, desc, desc_len, 0, 0);
	r = cpio_finish(&c);
	if (r) {
		snprintf(err, err_len, "initramfs: %s", strerror(-r));
		return r;
	}
	*buf = c.buf;
	*len = c.len;
	return 0;
}
