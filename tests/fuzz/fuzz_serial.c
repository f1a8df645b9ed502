/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the 16550A UART's register file (src/devices/serial.c) as a
 * guest's port I/O reaches it through the PIO bus: any port of its eight
 * (and the ones around them), any access size, any value, DLAB on or
 * off, FIFO, loopback and interrupt enables. Without KVM (vm_fd -1:
 * raising the interrupt line fails and is logged) and without running
 * the io loop; output goes to a backend with a replay ring and no
 * reader, or to "none".
 *
 * Input: u8 flags (bit 0: the "none" backend), then accesses of u8 port
 * offset from 0x3f6, u8 size and direction (bits 0-1: 1, 2, 4 or 3
 * bytes, bit 2: write), u32 value.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/console.h"
#include "base/bus.h"
#include "devices/devices.h"
#include "input.h"
#include "io/loop.h"

#define PORT	0x3f8
#define MAX_OPS 512

static int ring_open(struct console *c, const char *arg)
{
	(void)arg;
	return console_ring_init(c, 4096);
}

static void ring_close(struct console *c)
{
	(void)c;
}

/* A backend whose reader never comes (a pty nobody opened). */
static const struct console_backend_ops ring_ops = {
    .name = "ring",
    .open = ring_open,
    .close = ring_close,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t sizes[] = {1, 2, 4, 3};
	struct fuzz_in in = {data, size};
	struct bus bus = {0};
	struct device_env env = {.vm_fd = -1, .pio_bus = &bus};
	struct console con;
	struct serial *s;
	struct io_loop *loop;
	char err[256];
	int r;

	if (io_loop_create(&loop, IO_LOOP_EPOLL))
		abort();
	env.loop = loop;
	if (fuzz_u8(&in) & 1)
		r = console_open(&con, "none", err, sizeof(err));
	else
		r = console_open_ops(&con, &ring_ops, NULL, "ring", err,
				     sizeof(err));
	if (r || serial_create(&s, &env, &con, PORT, 4))
		abort();
	for (unsigned int i = 0; i < MAX_OPS && in.n; i++) {
		uint16_t port = (uint16_t)(PORT - 2 + fuzz_u8(&in) % 12);
		uint8_t how = fuzz_u8(&in);
		uint32_t v = fuzz_u32(&in);

		(void)bus_dispatch(&bus, port, &v, sizes[how & 3], how & 4);
	}
	serial_destroy(s);
	console_close(&con);
	io_loop_destroy(loop);
	bus_destroy(&bus);
	return 0;
}
