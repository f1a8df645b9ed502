/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz harness shares: a reader that takes little-endian
 * fields off the front of libFuzzer's input (running dry gives zeros,
 * so every input means something), and a log sink that formats every
 * line, debug ones too, and prints none of them.
 */
#ifndef TESTS_FUZZ_INPUT_H
#define TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);

/*
 * Up to @max bytes off the front: *len set to how many there are, the
 * pointer into the input returned (NULL with *len 0 when dry).
 */
const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t max, size_t *len);

/*
 * A malloc'd copy of @len bytes of @p, exactly that size (so that ASan
 * sees a read one past its end), NUL-terminated at [len] when @nul.
 * Aborts when out of memory.
 */
void *fuzz_dup(const void *p, size_t len, int nul);

/* Send this thread's log lines, every level, to a sink that drops them. */
void fuzz_quiet_logs(void);

struct io_loop;

/*
 * A new io loop of @kind (enum io_loop_kind). The host refusing one is
 * not a finding about the input: a failure is retried a few times, a
 * short sleep apart (the kernel frees a closed ring in a worker, after
 * close returns), then said on stderr before the abort.
 */
struct io_loop *fuzz_loop_create(int kind);

#endif /* TESTS_FUZZ_INPUT_H */
