/* SPDX-License-Identifier: MIT */
/*
 * file:PATH console backend: output truncates and fills PATH, no input.
 * Losslessness comes from console.c (every byte written before a request
 * completes); ENOSPC and other write errors are reported once there.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static int file_open(struct console *c, const char *path)
{
	/* O_APPEND: see fd_written_at_pos() in console.c. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		      0644);

	if (fd < 0) {
		int err = -errno;

		console_set_error(c, "file:%s: %s", path, strerror(-err));
		return err;
	}
	c->out_fd = fd;
	return 0;
}

static void file_close(struct console *c)
{
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->out_fd = -1;
}

const struct console_backend_ops console_file_ops = {
    .name = "file",
    .needs_arg = true,
    .arg_name = "PATH",
    .open = file_open,
    .close = file_close,
};
