/* SPDX-License-Identifier: MIT */
/*
 * Ctrl-A escapes of the stdio console.
 */
#include <string.h>

#include "check.h"
#include "backends/console_escape.h"

static size_t run(struct console_escape *e, const char *in, char *out,
		  bool *quit)
{
	return console_escape_filter(e, (const uint8_t *)in, strlen(in),
				     (uint8_t *)out, quit);
}

int main(void)
{
	struct console_escape e = {0};
	char buf[64];
	bool quit;
	size_t n;

	n = run(&e, "hello", buf, &quit);
	CHECK_EQ(n, 5);
	CHECK(!memcmp(buf, "hello", 5) && !quit);

	n = run(&e, "ab\x01xcd", buf, &quit);
	CHECK(quit);
	CHECK_EQ(n, 2);
	CHECK(!memcmp(buf, "ab", 2));

	e.pending = false;
	n = run(&e, "a\x01\x01z", buf, &quit); /* Ctrl-A Ctrl-A: one Ctrl-A */
	CHECK(!quit);
	CHECK_EQ(n, 3);
	CHECK(!memcmp(buf, "a\x01z", 3));

	n = run(&e, "q\x01y", buf, &quit); /* other key: both go through */
	CHECK(!quit);
	CHECK_EQ(n, 3);
	CHECK(!memcmp(buf, "q\x01y", 3));

	/* The escape at the end of one read, the key in the next. */
	n = run(&e, "w\x01", buf, &quit);
	CHECK_EQ(n, 1);
	CHECK(e.pending && !quit);
	n = run(&e, "x", buf, &quit);
	CHECK(quit);
	CHECK_EQ(n, 0);

	/* Escape at the end of a read, another key at the start of the next. */
	n = run(&e, "\x01", buf, &quit);
	CHECK_EQ(n, 0);
	n = run(&e, "k", buf, &quit);
	CHECK_EQ(n, 2);
	CHECK(!memcmp(buf, "\x01k", 2));

	e.pending = false;
	n = run(&e, "\x01", buf, &quit);
	CHECK_EQ(n, 0);
	n = run(&e, "\x01", buf, &quit);
	CHECK_EQ(n, 1);
	CHECK_EQ(buf[0], 1);
	CHECK(!e.pending);
	return check_done("test_console_escape");
}
