/* SPDX-License-Identifier: MIT */
/*
 * Ctrl-A escapes of the stdio console (see console_escape.h).
 */
#include "console_escape.h"

size_t console_escape_filter(struct console_escape *e, const uint8_t *in,
			     size_t len, uint8_t *out, bool *quit)
{
	size_t n = 0;

	*quit = false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];

		if (!e->pending) {
			if (c == CONSOLE_ESCAPE_CHAR)
				e->pending = true;
			else
				out[n++] = c;
			continue;
		}
		e->pending = false;
		if (c == 'x' || c == 'X') {
			*quit = true;
			return n;
		}
		/* Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A + other: both keys. */
		if (c != CONSOLE_ESCAPE_CHAR)
			out[n++] = CONSOLE_ESCAPE_CHAR;
		out[n++] = c;
	}
	return n;
}
