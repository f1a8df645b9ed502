/* SPDX-License-Identifier: MIT */
/*
 * The fuzz harnesses' input reader and silent log sink (input.h).
 */
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "io/loop.h"

uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t lo = fuzz_u32(in);

	return lo | (uint64_t)fuzz_u32(in) << 32;
}

const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t max, size_t *len)
{
	const uint8_t *p = in->n ? in->p : NULL;

	*len = max < in->n ? max : in->n;
	in->p += *len;
	in->n -= *len;
	return p;
}

void *fuzz_dup(const void *p, size_t len, int nul)
{
	size_t size = len + (nul ? 1 : 0);
	/* malloc(0) may return NULL: ask for one byte then. */
	uint8_t *d = malloc(size ? size : 1);

	if (!d)
		abort();
	if (len)
		memcpy(d, p, len);
	if (nul)
		d[len] = 0;
	return d;
}

static void drop_line(void *opaque, enum vmm_log_level level, const char *line)
{
	(void)opaque;
	(void)level;
	(void)line;
}

void fuzz_quiet_logs(void)
{
	static struct log_sink sink = {.level = LOG_DEBUG, .fn = drop_line};

	log_sink_enter(&sink);
}

struct io_loop *fuzz_loop_create(int kind)
{
	struct timespec pause = {.tv_nsec = 20 * 1000 * 1000};
	struct io_loop *loop;
	int r = 0;

	for (int tries = 0; tries < 10; tries++) {
		r = io_loop_create(&loop, (enum io_loop_kind)kind);
		if (!r)
			return loop;
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "fuzz: no io loop: %s\n", strerror(-r));
	abort();
}
