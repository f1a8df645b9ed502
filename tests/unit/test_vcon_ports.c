/* SPDX-License-Identifier: MIT */
/*
 * virtio-console named ports as the runner uses them, without KVM: port 0
 * on "none", an input-only port on fd:PIPE,-1 and an output-only port on
 * fd:-1,PIPE, behind virtio-mmio with a fake driver. Checks that the end
 * of a named port's input reaches the driver as PORT_OPEN 0 after the
 * data before it, that vcon_set_size() reaches it as a RESIZE control
 * message and a configuration change, and that output the guest left in
 * a transmit queue when the loop stopped is written by vcon_flush() and
 * a drain, without any doorbell.
 */
#include "devices/virtio_console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "base/bus.h"
#include "io/loop.h"
#include "virtio/mmio.h"
#include "check.h"
#include "fake_mem.h"
#include "loop_kinds.h"
#include "vring_driver.h"
#include "waits.h"

#define BASE LAYOUT_VIRTIO_MMIO_BASE
#define NQ   8 /* port 0, control, port 1, port 2 */
#define QSZ  32
#define BUF  128

struct t {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct vcon *vc;
	struct virtio_mmio *m;
	struct vring_driver q[NQ];
	gpa_t ctrl_buf[QSZ];
	int in_pipe[2], out_pipe[2];
	pthread_t loop_thread;
	bool published; /* atomic: the output the flush is to find */
	/* Loop thread, after the loop stopped: the flush's verdict. */
	int drain_res;
};

static uint32_t rd(struct t *t, uint64_t off)
{
	uint32_t v = 0;

	bus_dispatch(&t->bus, BASE + off, &v, 4, false);
	return v;
}

static void wr(struct t *t, uint64_t off, uint32_t v)
{
	bus_dispatch(&t->bus, BASE + off, &v, 4, true);
}

/* Wait (bounded) for a used buffer on queue @q. */
static bool used(struct t *t, unsigned int q, uint32_t *id, uint32_t *len)
{
	for (int i = 0; i < WAIT_S * 10000; i++) {
		if (vrd_get_used(&t->q[q], id, len))
			return true;
		usleep(100);
	}
	return false;
}

static void ctrl_send(struct t *t, uint32_t id, uint16_t ev, uint16_t val)
{
	struct vring_driver *d = &t->q[3];
	gpa_t b = vrd_alloc(d, sizeof(struct virtio_console_control));
	struct vrd_seg s = {b, sizeof(struct virtio_console_control), false};
	uint32_t uid, len;

	*(struct virtio_console_control *)vrd_ptr(d, b, s.len) =
	    (struct virtio_console_control){
		.id = id, .event = ev, .value = val};
	vrd_publish(d, vrd_chain(d, &s, 1, (uint16_t)(d->avail_idx % QSZ)));
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 3);
	CHECK(used(t, 3, &uid, &len));
}

/* The next control message; @extra gets its payload (BUF bytes). */
static struct virtio_console_control ctrl_get(struct t *t, void *extra)
{
	struct virtio_console_control m = {.event = 0xffff};
	uint32_t id, len;
	uint8_t *p;

	if (!used(t, 2, &id, &len) || len < sizeof(m) || len > BUF) {
		CHECK(!"a control message");
		return m;
	}
	p = vrd_ptr(&t->q[2], t->ctrl_buf[id], BUF);
	memcpy(&m, p, sizeof(m));
	if (extra)
		memcpy(extra, p + sizeof(m), len - sizeof(m));
	/* Give the buffer back to the device. */
	vrd_publish(&t->q[2], (uint16_t)id);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	return m;
}

/* Feature negotiation, every queue, control receive buffers, the ports. */
static void driver_start(struct t *t)
{
	struct virtio_console_control m;
	int opened = 0, resized = 0;

	wr(t, VIRTIO_MMIO_STATUS, 3);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES,
	   (1u << VIRTIO_CONSOLE_F_MULTIPORT) | (1u << VIRTIO_CONSOLE_F_SIZE));
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(t, VIRTIO_MMIO_STATUS, 0xb);
	for (unsigned int q = 0; q < NQ; q++) {
		struct vring_driver *d = &t->q[q];

		CHECK_EQ(
		    vrd_init(d, &t->mem, MiB + q * 256 * KiB, 256 * KiB, QSZ),
		    0);
		wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc_gpa);
		wr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->avail_gpa);
		wr(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->used_gpa);
		wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(t, VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(t, VIRTIO_MMIO_STATUS), 0xf);
	for (uint16_t i = 0; i < QSZ; i++) {
		struct vrd_seg s;

		t->ctrl_buf[i] = vrd_alloc(&t->q[2], BUF);
		s = (struct vrd_seg){t->ctrl_buf[i], BUF, true};
		vrd_publish(&t->q[2], vrd_chain(&t->q[2], &s, 1, i));
	}
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	ctrl_send(t, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (uint32_t i = 0; i < 3; i++) {
		m = ctrl_get(t, NULL);
		CHECK_EQ(m.event, VIRTIO_CONSOLE_PORT_ADD);
		CHECK_EQ(m.id, i);
	}
	for (uint32_t i = 0; i < 3; i++)
		ctrl_send(t, i, VIRTIO_CONSOLE_PORT_READY, 1);
	/*
	 * CONSOLE_PORT, RESIZE (the configured size), two PORT_NAMEs and
	 * three PORT_OPENs, all open.
	 */
	for (int i = 0; i < 7; i++) {
		uint16_t size[2] = {0, 0};

		m = ctrl_get(t, size);
		if (m.event == VIRTIO_CONSOLE_PORT_OPEN) {
			CHECK_EQ(m.value, 1);
			opened++;
		} else if (m.event == VIRTIO_CONSOLE_RESIZE) {
			CHECK_EQ(size[0], 80); /* columns, then rows */
			CHECK_EQ(size[1], 24);
			resized++;
		}
	}
	CHECK_EQ(opened, 3);
	CHECK_EQ(resized, 1);
	ctrl_send(t, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
	ctrl_send(t, 2, VIRTIO_CONSOLE_PORT_OPEN, 1);
}

/* Input, then its end: the data first, then PORT_OPEN 0 for port 1. */
static void test_input_eof(struct t *t)
{
	struct vring_driver *d = &t->q[4];
	gpa_t b = vrd_alloc(d, BUF);
	struct vrd_seg s = {b, BUF, true};
	struct virtio_console_control m;
	uint32_t id, len = 0;

	CHECK_EQ(write(t->in_pipe[1], "last words", 10), 10);
	close(t->in_pipe[1]);
	vrd_publish(d, vrd_chain(d, &s, 1, 0));
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 4);
	CHECK(used(t, 4, &id, &len));
	CHECK_EQ(len, 10);
	CHECK(!memcmp(vrd_ptr(d, b, 10), "last words", 10));
	/* A second buffer reads the EOF: the host side closes. */
	vrd_publish(d, vrd_chain(d, &s, 1, 1));
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 4);
	m = ctrl_get(t, NULL);
	CHECK_EQ(m.event, VIRTIO_CONSOLE_PORT_OPEN);
	CHECK_EQ(m.id, 1);
	CHECK_EQ(m.value, 0);
	/* The buffer stays with the device; no data came. */
	CHECK(!vrd_get_used(d, &id, &len));
}

/* vcon_set_size(): the driver gets RESIZE and a configuration change. */
static void test_resize(struct t *t)
{
	uint32_t gen = rd(t, VIRTIO_MMIO_CONFIG_GENERATION);
	struct virtio_console_control m;
	uint16_t size[2] = {0, 0};
	uint32_t cfg;

	CHECK_EQ(vcon_set_size(t->vc, 50, 132), 0);
	m = ctrl_get(t, size);
	CHECK_EQ(m.event, VIRTIO_CONSOLE_RESIZE);
	CHECK_EQ(m.id, 0);
	CHECK_EQ(size[0], 132); /* columns, then rows (virtio 1.2 5.3.6.2) */
	CHECK_EQ(size[1], 50);
	cfg = rd(t, VIRTIO_MMIO_CONFIG); /* cols, rows */
	CHECK_EQ(cfg & 0xffff, 132);
	CHECK_EQ(cfg >> 16, 50);
	CHECK(rd(t, VIRTIO_MMIO_CONFIG_GENERATION) != gen);
	CHECK(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
}

static void *loop_main(void *arg)
{
	struct t *t = arg;

	CHECK_EQ(io_loop_run(t->loop), 0);
	/* As vm_run() does once the guest powered off. */
	CHECK(wait_flag(&t->published));
	vcon_flush(t->vc);
	t->drain_res = io_loop_drain(t->loop, vcon_busy, t->vc, WAIT_S * 1000);
	return NULL;
}

static void stop(void *arg)
{
	io_loop_stop(arg);
}

/* Output published without a doorbell, then the loop stops. */
static void test_flush(struct t *t)
{
	struct vring_driver *d = &t->q[7];
	gpa_t b = vrd_alloc(d, 64);
	struct vrd_seg s = {b, 21, false};
	char got[64] = "";

	/* No doorbell: the loop never hears of it. */
	memcpy(vrd_ptr(d, b, 21), "output before S5 ...\n", 21);
	vrd_publish(d, vrd_chain(d, &s, 1, 0));
	CHECK_EQ(io_loop_call(t->loop, stop, t->loop), 0);
	__atomic_store_n(&t->published, true, __ATOMIC_RELEASE);
	pthread_join(t->loop_thread, NULL);
	CHECK_EQ(t->drain_res, 0);
	CHECK_EQ(read_for(t->out_pipe[0], got, 21), 21);
	CHECK(!memcmp(got, "output before S5 ...\n", 21));
}

int main(void)
{
	struct vcon_config cfg = {.nr_ports = 3};
	struct virtio_mmio_env env;
	static struct t t;
	char in_spec[32], out_spec[32], err[256];

	test_loop_kinds();
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe2(t.in_pipe, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(t.out_pipe, O_CLOEXEC | O_NONBLOCK), 0);
	snprintf(in_spec, sizeof(in_spec), "fd:%d,-1", t.in_pipe[0]);
	snprintf(out_spec, sizeof(out_spec), "fd:-1,%d", t.out_pipe[1]);
	CHECK_EQ(fake_mem_create(&t.mem, 16 * MiB), 0);
	CHECK_EQ(test_loop_create(&t.loop), 0);
	cfg.ports[0] = (struct vcon_port_config){.backend = "none"};
	cfg.ports[1] =
	    (struct vcon_port_config){.name = "in", .backend = in_spec};
	cfg.ports[2] =
	    (struct vcon_port_config){.name = "out", .backend = out_spec};
	cfg.rows = 24;
	cfg.cols = 80;
	CHECK_EQ(vcon_create(&t.vc, &cfg, &t.mem, t.loop, err, sizeof(err)), 0);
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &t.mem, .loop = t.loop, .mmio_bus = &t.bus};
	CHECK_EQ(virtio_mmio_create(&t.m, &env, vcon_dev(t.vc), BASE, 16), 0);
	/* The configured size, since "none" is no terminal. */
	CHECK_EQ(rd(&t, VIRTIO_MMIO_CONFIG), 80 | 24u << 16);
	pthread_create(&t.loop_thread, NULL, loop_main, &t);
	driver_start(&t);
	test_input_eof(&t);
	test_resize(&t);
	test_flush(&t);

	virtio_mmio_destroy(t.m);
	vcon_destroy(t.vc); /* closes the ports' descriptors */
	io_loop_destroy(t.loop);
	close(t.out_pipe[0]);
	bus_destroy(&t.bus);
	fake_mem_destroy(&t.mem);
	return check_done("test_vcon_ports");
}
