/* SPDX-License-Identifier: MIT */
/*
 * Kernel command line parsing: space-separated words, each either "key" or
 * "key=value". Values have no quoting. A key that appears twice resolves to
 * its first occurrence.
 */
#ifndef GUESTS_LIB_CMDLINE_H
#define GUESTS_LIB_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest command line the guests look at; the rest is ignored. */
#define CMDLINE_MAX 4096

/*
 * Find "key=value" in @cmdline and copy the value, NUL-terminated, into
 * @buf (capacity @size). Returns the value's length, -1 if the key is
 * absent (or present without '='), -2 if the value does not fit.
 */
int cmdline_get(const char *cmdline, const char *key, char *buf, size_t size);

/* True if the word "key" or "key=..." appears. */
bool cmdline_has(const char *cmdline, const char *key);

/*
 * Parse "key=N" where N is decimal or 0x-prefixed hex. Returns 0 and
 * stores the value, -1 if absent, -2 if malformed or out of range.
 */
int cmdline_u64(const char *cmdline, const char *key, uint64_t *val);

/*
 * Parse @len characters at @s as an unsigned number in @base (10 or 16;
 * base 0 means decimal unless prefixed with 0x). Returns 0 or -1 if any
 * character is not a digit, @len is 0 or the value overflows 64 bits.
 */
int parse_u64(const char *s, size_t len, unsigned int base, uint64_t *val);

#endif /* GUESTS_LIB_CMDLINE_H */
