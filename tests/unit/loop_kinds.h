/* SPDX-License-Identifier: MIT */
/*
 * Run a unit test once per kind of io loop (io/loop.h): io_uring, then
 * the epoll fallback. test_loop_kinds(), first thing in main(), forks one
 * child per kind and returns in each child with test_loop_kind set; the
 * parent waits for them and exits with the verdict of both (1 if either
 * failed, 77 if both skipped). io_uring is left out, with a note, where
 * the kernel refuses it. VMM_TEST_IO_LOOP=uring|epoll runs one kind only
 * (the guest tier's variable: tests/guest/lib.bash).
 */
#ifndef TESTS_UNIT_LOOP_KINDS_H
#define TESTS_UNIT_LOOP_KINDS_H

#include "io/loop.h"

/* The kind this process tests (after test_loop_kinds()). */
extern enum io_loop_kind test_loop_kind;

/* Before any thread is created. Returns in each child only. */
void test_loop_kinds(void);

/* io_loop_create() of test_loop_kind. */
int test_loop_create(struct io_loop **l);

/* "uring" or "epoll". */
const char *test_loop_name(enum io_loop_kind kind);

#endif /* TESTS_UNIT_LOOP_KINDS_H */
