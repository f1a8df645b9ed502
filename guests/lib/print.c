/* SPDX-License-Identifier: MIT */
/*
 * A small vsnprintf core with two sinks: the serial port and a bounded
 * buffer. Numbers are formatted right to left into a 24-byte scratch
 * buffer (enough for 2^64 - 1 in decimal plus sign).
 */
#include "print.h"

#include <stdbool.h>
#include <stdint.h>

#include "serial.h"

struct sink {
	char *buf; /* NULL: serial */
	size_t size;
	size_t len; /* bytes produced so far (even if not stored) */
};

static void sink_put(struct sink *s, char c)
{
	if (!s->buf)
		serial_putc(c);
	else if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

static void sink_pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		sink_put(s, c);
}

struct spec {
	bool zero;
	bool left;
	int width;
	int precision; /* -1: none; for %s, the most bytes printed */
};

static void put_str(struct sink *s, const struct spec *sp, const char *str)
{
	int n = 0;

	if (!str)
		str = "(null)";
	while (str[n] && (sp->precision < 0 || n < sp->precision))
		n++;
	if (!sp->left)
		sink_pad(s, ' ', sp->width - n);
	for (int i = 0; i < n; i++)
		sink_put(s, str[i]);
	if (sp->left)
		sink_pad(s, ' ', sp->width - n);
}

static void put_num(struct sink *s, const struct spec *sp, uint64_t v,
		    unsigned int base, bool neg, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, len;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	len = n + neg;
	if (sp->left) {
		if (neg)
			sink_put(s, '-');
		while (n)
			sink_put(s, tmp[--n]);
		sink_pad(s, ' ', sp->width - len);
		return;
	}
	if (sp->zero) {
		if (neg)
			sink_put(s, '-');
		sink_pad(s, '0', sp->width - len);
	} else {
		sink_pad(s, ' ', sp->width - len);
		if (neg)
			sink_put(s, '-');
	}
	while (n)
		sink_put(s, tmp[--n]);
}

/* Fetch an integer argument of the given length modifier (0, 1 l, 2 ll). */
static uint64_t arg_unsigned(va_list *ap, int lmod)
{
	if (lmod >= 2)
		return va_arg(*ap, unsigned long long);
	if (lmod == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(va_list *ap, int lmod)
{
	if (lmod >= 2)
		return va_arg(*ap, long long);
	if (lmod == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void format(struct sink *s, const char *fmt, va_list *ap)
{
	for (; *fmt; fmt++) {
		struct spec sp = {.precision = -1};
		int lmod = 0;

		if (*fmt != '%') {
			sink_put(s, *fmt);
			continue;
		}
		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++) {
			if (*fmt == '0')
				sp.zero = true;
			else
				sp.left = true;
		}
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + (*fmt - '0');
		if (*fmt == '.') {
			sp.precision = 0;
			for (fmt++; *fmt >= '0' && *fmt <= '9'; fmt++)
				sp.precision = sp.precision * 10 + (*fmt - '0');
		}
		/* 'z': size_t is unsigned long here, so it counts as 'l'. */
		for (; *fmt == 'l' || *fmt == 'z'; fmt++)
			lmod++;
		switch (*fmt) {
		case 'c': sink_put(s, (char)va_arg(*ap, int)); break;
		case 's': put_str(s, &sp, va_arg(*ap, const char *)); break;
		case 'd':
		case 'i': {
			int64_t v = arg_signed(ap, lmod);

			put_num(s, &sp, v < 0 ? -(uint64_t)v : (uint64_t)v, 10,
				v < 0, false);
			break;
		}
		case 'u':
			put_num(s, &sp, arg_unsigned(ap, lmod), 10, false,
				false);
			break;
		case 'x':
		case 'X':
			put_num(s, &sp, arg_unsigned(ap, lmod), 16, false,
				*fmt == 'X');
			break;
		case 'p':
			sink_put(s, '0');
			sink_put(s, 'x');
			put_num(s, &sp, (uintptr_t)va_arg(*ap, void *), 16,
				false, false);
			break;
		case '%': sink_put(s, '%'); break;
		case '\0': return;
		default:
			sink_put(s, '%');
			sink_put(s, *fmt);
			break;
		}
	}
}

int vprintk(const char *fmt, va_list ap)
{
	struct sink s = {0};
	va_list copy;

	va_copy(copy, ap);
	format(&s, fmt, &copy);
	va_end(copy);
	return (int)s.len;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

int snprintk(char *buf, size_t size, const char *fmt, ...)
{
	struct sink s = {.buf = buf, .size = size};
	va_list ap;

	va_start(ap, fmt);
	format(&s, fmt, &ap);
	va_end(ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

void puts_serial(const char *s)
{
	while (*s)
		serial_putc(*s++);
	serial_putc('\n');
}
