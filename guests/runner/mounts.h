/* SPDX-License-Identifier: MIT */
/*
 * The runner's file systems (docs/runner-protocol.md, Boot): the pseudo
 * file systems on the initramfs (so the init can find its ports before it
 * has a root), the container's root from the virtio-fs share "vmm-root",
 * and the move onto it. Each function names the step that failed in WHAT
 * (a static string) and returns -errno; 0 on success.
 */
#ifndef GUESTS_RUNNER_MOUNTS_H
#define GUESTS_RUNNER_MOUNTS_H

#define MOUNTS_ROOT_TAG "vmm-root"
#define MOUNTS_NEWROOT	"/newroot"

/* devtmpfs on /dev, proc on /proc, sysfs on /sys of the initramfs. */
int mounts_early(const char **what);

/*
 * The share MOUNTS_ROOT_TAG on MOUNTS_NEWROOT, then inside it: the early
 * /dev, /proc and /sys moved in, devpts on /dev/pts with /dev/ptmx a link
 * to pts/ptmx, /dev/fd and /dev/std{in,out,err}, tmpfs on /dev/shm and on
 * /tmp (only when the image has /tmp and it is empty), cgroup2 on
 * /sys/fs/cgroup. Mount points the image lacks are created.
 */
int mounts_root(const char **what);

/*
 * Make MOUNTS_NEWROOT the root: move it over / and chroot into it (the
 * initramfs, the kernel's rootfs, cannot be pivot_root()ed away). The
 * initramfs's /init and /vmm/process are deleted first: nothing needs
 * them any more, and they hold memory.
 */
int mounts_switch(const char **what);

#endif /* GUESTS_RUNNER_MOUNTS_H */
