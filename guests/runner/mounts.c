/* SPDX-License-Identifier: MIT */
/*
 * The runner's mounts (mounts.h). The options follow what OCI runtimes
 * give a container: proc, sysfs and cgroup2 without suid, exec or device
 * files; devpts as a new instance whose ptys belong to group 5 (tty) with
 * mode 0620; tmpfs mode 1777. The early /dev, /proc and /sys are moved
 * into the new root rather than mounted again, so nothing stays mounted on
 * the initramfs that the new root hides. devtmpfs gets no options: every
 * mount of it is the kernel's one instance, which options would
 * reconfigure.
 */
#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define PSEUDO (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* mkdir that accepts an existing directory. */
static int mkdir_ok(const char *path, mode_t mode)
{
	struct stat st;

	if (!mkdir(path, mode))
		return 0;
	if (errno != EEXIST)
		return -errno;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

/* Mount (after creating the mount point) or say which step failed. */
static int mount_at(const char *src, const char *dst, const char *type,
		    unsigned long flags, const char *opts, const char *what,
		    const char **failed)
{
	int r = mkdir_ok(dst, 0755);

	if (!r && mount(src, dst, type, flags, opts))
		r = -errno;
	if (r)
		*failed = what;
	return r;
}

int mounts_early(const char **what)
{
	int r;

	r = mount_at("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, NULL,
		     "mount devtmpfs on /dev", what);
	if (!r)
		r = mount_at("proc", "/proc", "proc", PSEUDO, NULL,
			     "mount proc on /proc", what);
	if (!r)
		r = mount_at("sysfs", "/sys", "sysfs", PSEUDO, NULL,
			     "mount sysfs on /sys", what);
	if (!r) {
		r = mkdir_ok(MOUNTS_NEWROOT, 0755);
		if (r)
			*what = "mkdir " MOUNTS_NEWROOT;
	}
	return r;
}

/* A directory holding nothing but . and .. (false if not a directory). */
static bool dir_is_empty(const char *path)
{
	struct dirent *de;
	bool empty = true;
	DIR *d = opendir(path);

	if (!d)
		return false;
	while (empty && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/* A symbolic link; one already there (the image's own) is kept. */
static int link_at(const char *target, const char *path, const char *what,
		   const char **failed)
{
	if (symlink(target, path) && errno != EEXIST) {
		*failed = what;
		return -errno;
	}
	return 0;
}

#define NEW(path) MOUNTS_NEWROOT path

/* devpts, /dev/ptmx and the /dev/fd links, in the moved /dev. */
static int mounts_dev(const char **what)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", NEW("/dev/fd")},
	    {"/proc/self/fd/0", NEW("/dev/stdin")},
	    {"/proc/self/fd/1", NEW("/dev/stdout")},
	    {"/proc/self/fd/2", NEW("/dev/stderr")},
	};
	size_t i;
	int r;

	r = mount_at("devpts", NEW("/dev/pts"), "devpts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620,gid=5",
		     "mount devpts on /dev/pts", what);
	if (r)
		return r;
	/* devtmpfs has a /dev/ptmx of the initial devpts instance. */
	if (unlink(NEW("/dev/ptmx")) && errno != ENOENT) {
		*what = "remove /dev/ptmx";
		return -errno;
	}
	r = link_at("pts/ptmx", NEW("/dev/ptmx"), "link /dev/ptmx", what);
	for (i = 0; !r && i < sizeof(links) / sizeof(links[0]); i++)
		r = link_at(links[i][0], links[i][1], "link /dev/fd", what);
	if (!r)
		r = mount_at("shm", NEW("/dev/shm"), "tmpfs", PSEUDO,
			     "mode=1777", "mount tmpfs on /dev/shm", what);
	return r;
}

int mounts_root(const char **what)
{
	static const char *const moved[][2] = {
	    {"/dev", NEW("/dev")},
	    {"/proc", NEW("/proc")},
	    {"/sys", NEW("/sys")},
	};
	size_t i;
	int r;

	r = mount_at(MOUNTS_ROOT_TAG, MOUNTS_NEWROOT, "virtiofs", 0, NULL,
		     "mount virtio-fs " MOUNTS_ROOT_TAG " on " MOUNTS_NEWROOT,
		     what);
	for (i = 0; !r && i < sizeof(moved) / sizeof(moved[0]); i++)
		r = mount_at(moved[i][0], moved[i][1], NULL, MS_MOVE, NULL,
			     "move /dev, /proc or /sys into the new root",
			     what);
	if (!r)
		r = mounts_dev(what);
	if (!r && dir_is_empty(NEW("/tmp")))
		r = mount_at("tmpfs", NEW("/tmp"), "tmpfs",
			     MS_NOSUID | MS_NODEV, "mode=1777",
			     "mount tmpfs on /tmp", what);
	if (!r)
		r = mount_at("cgroup2", NEW("/sys/fs/cgroup"), "cgroup2",
			     PSEUDO, NULL, "mount cgroup2 on /sys/fs/cgroup",
			     what);
	return r;
}

int mounts_switch(const char **what)
{
	/* Best effort: a failure only costs the memory they hold. */
	(void)unlink("/init");
	(void)unlink("/vmm/process");
	(void)rmdir("/vmm");
	if (chdir(MOUNTS_NEWROOT)) {
		*what = "chdir " MOUNTS_NEWROOT;
		return -errno;
	}
	if (mount(".", "/", NULL, MS_MOVE, NULL)) {
		*what = "move " MOUNTS_NEWROOT " over /";
		return -errno;
	}
	if (chroot(".") || chdir("/")) {
		*what = "chroot into the new root";
		return -errno;
	}
	return 0;
}
