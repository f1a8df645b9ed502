/* SPDX-License-Identifier: MIT */
/*
 * The few libc string and memory functions the test guests need. gcc may
 * also emit calls to memcpy/memset/memcmp for struct copies, so these names
 * must exist with their standard contracts.
 */
#ifndef GUESTS_LIB_STRING_H
#define GUESTS_LIB_STRING_H

#include <stddef.h>

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* Length of @s, but at most @max (no read past s[max - 1]). */
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* GUESTS_LIB_STRING_H */
