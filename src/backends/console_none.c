/* SPDX-License-Identifier: MIT */
/*
 * none console backend: output is discarded (console.c drops what no
 * capture() keeps), there is no input.
 */
#include "console.h"

static int none_open(struct console *c, const char *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static void none_close(struct console *c)
{
	(void)c;
}

const struct console_backend_ops console_none_ops = {
    .name = "none",
    .open = none_open,
    .close = none_close,
};
