/* SPDX-License-Identifier: MIT */
/*
 * Reading what a guest left in a file (a serial console, a stats file)
 * for the tests that boot one.
 */
#ifndef TESTS_UNIT_FILES_H
#define TESTS_UNIT_FILES_H

#include <stdbool.h>

/* Does the file at @path hold @needle in its first 64 KiB? */
bool file_has(const char *path, const char *needle);

#endif /* TESTS_UNIT_FILES_H */
