/* SPDX-License-Identifier: MIT */
/*
 * The terminal escape of the stdio console: in raw mode every key goes to
 * the guest, so Ctrl-A x quits vmm (as in QEMU and kvmtool) and Ctrl-A
 * Ctrl-A sends one Ctrl-A. Pure, unit-tested.
 */
#ifndef IO_CONSOLE_ESCAPE_H
#define IO_CONSOLE_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE_CHAR 0x01 /* Ctrl-A */

struct console_escape {
	bool pending; /* the last byte seen was the escape character */
};

/*
 * Filter @len input bytes from @in into @out, which has room for len + 1
 * bytes (an escape pending from the previous read may be passed on in
 * front). Escape sequences are removed; an escape followed by any other
 * key passes both keys. Returns the output length; *@quit is set when
 * Ctrl-A x was typed (what follows it is dropped).
 */
size_t console_escape_filter(struct console_escape *e, const uint8_t *in,
			     size_t len, uint8_t *out, bool *quit);

#endif /* IO_CONSOLE_ESCAPE_H */
