/* SPDX-License-Identifier: MIT */
/*
 * printf-style output to COM1 and into buffers. Supported conversions:
 * %c %s %d %i %u %x %X %p %%, with flags '0' and '-', a field width, a
 * precision for %s (%.4s: at most 4 bytes) and the length modifiers l, ll
 * and z. No floating point (the guests are built
 * with -mgeneral-regs-only). "\n" is written as a single LF byte.
 */
#ifndef GUESTS_LIB_PRINT_H
#define GUESTS_LIB_PRINT_H

#include <stdarg.h>
#include <stddef.h>

/* Print to COM1. Returns the number of bytes written. */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char *fmt, va_list ap);

/*
 * Format into @buf (capacity @size, always NUL-terminated when size > 0).
 * Returns the length the full output would have had, as snprintf does.
 */
int snprintk(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Print @s followed by a newline. */
void puts_serial(const char *s);

#endif /* GUESTS_LIB_PRINT_H */
