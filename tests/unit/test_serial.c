/* SPDX-License-Identifier: MIT */
/*
 * The 16550's output path and the io loop, without KVM: a "vCPU" thread
 * writes THR through the PIO bus while a reader that arrived late is
 * still getting the replay of what it missed (the console makes the write
 * wait for it) and the user types. The loop must be able to deliver that
 * input while the vCPU waits: if the vCPU waited holding the UART's lock,
 * the loop would block on that lock and never finish the replay the vCPU
 * waits for, a deadlock. Bounded waits turn one into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/serial_reg.h>

#include "backends/console.h"
#include "base/bus.h"
#include "devices/devices.h"
#include "io/loop.h"
#include "check.h"
#include "loop_kinds.h"
#include "waits.h"

#define PORT 0x3f8

/* A backend whose reader comes later (as a pty's or a socket's). */
static int late_open(struct console *c, const char *arg)
{
	(void)arg;
	return console_ring_init(c, 4096);
}

static void late_close(struct console *c)
{
	(void)c;
}

static const struct console_backend_ops late_ops = {
    .name = "late",
    .open = late_open,
    .close = late_close,
};

struct t {
	struct bus pio_bus;
	struct io_loop *loop;
	struct device_env env;
	struct console con;
	struct serial *serial;
	pthread_t loop_thread, vcpu;
	int in[2], out[2];
	pid_t vcpu_tid;
	bool attached, marked, vcpu_started, vcpu_done; /* atomic */
};

static void *loop_main(void *arg)
{
	struct t *t = arg;

	CHECK_EQ(io_loop_run(t->loop), 0);
	return NULL;
}

static void thr(struct t *t, uint8_t v)
{
	bus_dispatch(&t->pio_bus, PORT + UART_TX, &v, 1, true);
}

static uint8_t reg(struct t *t, unsigned int r)
{
	uint8_t v = 0;

	bus_dispatch(&t->pio_bus, PORT + r, &v, 1, false);
	return v;
}

static void attach(void *arg)
{
	struct t *t = arg;

	/* The pipe is full: the replay waits for the reader. */
	console_attach(&t->con, t->in[0], t->out[1]);
	__atomic_store_n(&t->attached, true, __ATOMIC_RELEASE);
}

/* Runs after attach()'s own follow-ups (the input event). */
static void mark(void *arg)
{
	struct t *t = arg;

	__atomic_store_n(&t->marked, true, __ATOMIC_RELEASE);
}

static void stop(void *arg)
{
	io_loop_stop(arg);
}

static void *vcpu_main(void *arg)
{
	struct t *t = arg;

	t->vcpu_tid = gettid();
	__atomic_store_n(&t->vcpu_started, true, __ATOMIC_RELEASE);
	thr(t, 'X'); /* waits until the replay is out */
	__atomic_store_n(&t->vcpu_done, true, __ATOMIC_RELEASE);
	return NULL;
}

int main(void)
{
	static struct t t;
	char early[64], got[8192 + 128], err[128];
	size_t fill = 0, n;
	ssize_t k;

	test_loop_kinds();
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(test_loop_create(&t.loop), 0);
	t.env = (struct device_env){
	    .vm_fd = -1, /* IER stays 0: no interrupt line */
	    .pio_bus = &t.pio_bus,
	    .loop = t.loop,
	};
	CHECK_EQ(
	    console_open_ops(&t.con, &late_ops, NULL, "late", err, sizeof(err)),
	    0);
	CHECK_EQ(serial_create(&t.serial, &t.env, &t.con, PORT, 4), 0);
	CHECK_EQ(pipe2(t.in, O_CLOEXEC | O_NONBLOCK), 0);
	CHECK_EQ(pipe2(t.out, O_CLOEXEC | O_NONBLOCK), 0);
	(void)fcntl(t.out[1], F_SETPIPE_SZ, 4096);

	/* Output before any reader: kept for the replay. */
	for (size_t i = 0; i < sizeof(early); i++) {
		early[i] = (char)('a' + i % 26);
		thr(&t, (uint8_t)early[i]);
	}
	CHECK_EQ(t.con.ring.len, sizeof(early));
	/* The reader's pipe is full; it will read later. */
	memset(got, 'J', sizeof(got));
	while ((k = write(t.out[1], got, sizeof(got))) > 0)
		fill += (size_t)k;
	CHECK(fill > 0);

	pthread_create(&t.loop_thread, NULL, loop_main, &t);
	CHECK_EQ(io_loop_call(t.loop, attach, &t), 0);
	CHECK(wait_flag(&t.attached));
	CHECK_EQ(io_loop_call(t.loop, mark, &t), 0);
	CHECK(wait_flag(&t.marked));
	CHECK(t.con.replaying);

	/* The guest writes: the vCPU waits for the replay. */
	pthread_create(&t.vcpu, NULL, vcpu_main, &t);
	CHECK(wait_flag(&t.vcpu_started) && wait_asleep(t.vcpu_tid));
	/* The user types meanwhile: the loop delivers it to the UART. */
	CHECK_EQ(write(t.in[1], "i", 1), 1);
	/* The reader reads: the replay, then the vCPU's byte. */
	n = read_for(t.out[0], got, fill + sizeof(early) + 1);
	if (!wait_flag(&t.vcpu_done)) {
		fprintf(stderr, "deadlock: the vCPU never got its byte out\n");
		CHECK(false);
		/* Threads are stuck: no clean-up, just the verdict. */
		return check_done("test_serial");
	}
	pthread_join(t.vcpu, NULL);
	CHECK_EQ(n, fill + sizeof(early) + 1);
	CHECK(!memcmp(got + fill, early, sizeof(early)));
	CHECK_EQ(got[fill + sizeof(early)], 'X');
	/* The typed byte reached the receive FIFO. */
	for (int i = 0; i < WAIT_S * 1000 && !(reg(&t, UART_LSR) & UART_LSR_DR);
	     i++)
		usleep(1000);
	CHECK(reg(&t, UART_LSR) & UART_LSR_DR);
	CHECK_EQ(reg(&t, UART_RX), 'i');

	CHECK_EQ(io_loop_call(t.loop, stop, t.loop), 0);
	pthread_join(t.loop_thread, NULL);
	serial_destroy(t.serial);
	console_close(&t.con);
	io_loop_destroy(t.loop);
	bus_destroy(&t.pio_bus);
	for (int i = 0; i < 2; i++) {
		close(t.in[i]);
		close(t.out[i]);
	}
	return check_done("test_serial");
}
