/* SPDX-License-Identifier: MIT */
/*
 * The runner image (docs/runner-protocol.md, "Boot"): its kernel and its
 * init, read from the installed runner directory (or the annotations
 * vmm.kernel and vmm.init), and the initramfs built around the init and
 * the process description.
 */
#ifndef CRUN_RUNNER_H
#define CRUN_RUNNER_H

#include <stddef.h>
#include <stdint.h>

/* The guest's command line: kernel messages on ttyS0, never the
 * workload's stdout; no restart after a panic. */
#define RUNNER_CMDLINE "console=ttyS0 quiet panic=-1 reboot=k"
/*
 * With a kernel log to read (the vmm.serial annotation): every message up
 * to info, the runner's own included (a later loglevel= overrides quiet).
 */
#define RUNNER_CMDLINE_VERBOSE RUNNER_CMDLINE " loglevel=7"
/* The virtio-fs tag of the container's root. */
#define RUNNER_ROOT_TAG "vmm-root"
/* The largest kernel or init the handler reads. */
#define RUNNER_FILE_MAX (256u << 20)

struct runner_files {
	uint8_t *kernel, *init;
	size_t kernel_len, init_len;
};

/* The installed runner directory, $(PREFIX)/share/vmm/runner. */
const char *runner_dir(void);

/*
 * Read the kernel and the init into memory: @kernel and @init when not
 * NULL (the annotations: files anybody on the host could read, since the
 * guest gets their contents), else runner_dir()'s bzImage and init. 0,
 * or -errno with a one-line reason naming the file in @err.
 */
int runner_files_read(struct runner_files *f, const char *kernel,
		      const char *init, char *err, size_t err_len);

void runner_files_free(struct runner_files *f);

/*
 * The initramfs: /init (0755), /vmm/process (0400, @desc of @desc_len
 * bytes), and /dev/console for the kernel to give init its first stdio.
 * 0 and a malloc'd *@buf of *@len bytes, or -errno with a reason.
 */
int runner_initramfs(const struct runner_files *f, const char *desc,
		     size_t desc_len, uint8_t **buf, size_t *len, char *err,
		     size_t err_len);

#endif /* CRUN_RUNNER_H */
