/* SPDX-License-Identifier: MIT */
/*
 * Capture what the code under test writes to stderr (fd 2): messages are
 * part of the behaviour (one line, not one per guest request). Into a
 * temporary file, so a flood cannot block the writer.
 */
#ifndef TESTS_UNIT_CAPTURE_H
#define TESTS_UNIT_CAPTURE_H

#include <stddef.h>

/* Send fd 2 to a fresh temporary file until capture_end(). */
void capture_begin(void);

/*
 * Restore fd 2 and return what was written meanwhile, NUL-terminated,
 * malloc'd (the caller frees). NULL if capture_begin() failed.
 */
char *capture_end(void);

/* Lines in @text containing @needle (all lines when @needle is ""). */
unsigned int capture_count(const char *text, const char *needle);

#endif /* TESTS_UNIT_CAPTURE_H */
