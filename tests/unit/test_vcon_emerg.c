/* SPDX-License-Identifier: MIT */
/*
 * virtio-console's F_EMERG_WRITE and the io loop, without KVM: a "vCPU"
 * thread writes the emergency register while a socket client that
 * connected late is still getting the replay of what it missed (the
 * console makes the write wait for it), and the client types into a
 * posted receive buffer. The loop must be able to deliver that input
 * (it takes the device lock) while the vCPU waits: a vCPU waiting with
 * the device lock held would deadlock. Bounded waits turn one into a
 * failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "base/bus.h"
#include "devices/virtio_console.h"
#include "devices/virtio_console_int.h"
#include "io/loop.h"
#include "virtio/mmio.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"
#include "waits.h"

#define BASE  LAYOUT_VIRTIO_MMIO_BASE
#define QSZ   16
#define EARLY (512 * 1024) /* more than a socket buffer holds */
#define EMERG                                                                  \
	(VIRTIO_MMIO_CONFIG + offsetof(struct virtio_console_config, emerg_wr))

struct t {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct vcon *vc;
	struct virtio_mmio *m;
	struct vring_driver q[2];
	pthread_t loop_thread, vcpu;
	pid_t vcpu_tid;
	bool vcpu_started, vcpu_done; /* atomic */
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

static void emerg(struct t *t, uint8_t ch)
{
	uint32_t v = ch;

	bus_dispatch(&t->bus, BASE + EMERG, &v, 4, true);
}

/* Single port: F_EMERG_WRITE, queues 0 (receive) and 1, DRIVER_OK. */
static void driver_start(struct t *t)
{
	wr(t, VIRTIO_MMIO_STATUS, 0);
	wr(t, VIRTIO_MMIO_STATUS, 3);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_CONSOLE_F_EMERG_WRITE);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(t, VIRTIO_MMIO_STATUS, 0xb);
	for (unsigned int q = 0; q < 2; q++) {
		struct vring_driver *d = &t->q[q];

		CHECK_EQ(
		    vrd_init(d, &t->mem, MiB + q * 512 * KiB, 512 * KiB, QSZ),
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
}

static void *loop_main(void *arg)
{
	struct t *t = arg;

	CHECK_EQ(io_loop_run(t->loop), 0);
	return NULL;
}

static void *vcpu_main(void *arg)
{
	struct t *t = arg;

	t->vcpu_tid = gettid();
	__atomic_store_n(&t->vcpu_started, true, __ATOMIC_RELEASE);
	emerg(t, 'X'); /* waits until the replay is out */
	__atomic_store_n(&t->vcpu_done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* The loop thread sets it under the console's lock. */
static bool replaying(struct console *c)
{
	bool r;

	pthread_mutex_lock(&c->lock);
	r = c->replaying;
	pthread_mutex_unlock(&c->lock);
	return r;
}

static void stop(void *arg)
{
	io_loop_stop(arg);
}

int main(void)
{
	char dir[] = "/tmp/test_vcon_emerg.XXXXXX", spec[160], err[256];
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	struct vcon_config cfg = {.nr_ports = 1};
	struct virtio_mmio_env env;
	static struct t t;
	struct console *con;
	static char got[EARLY + 1];
	struct vrd_seg s;
	uint32_t id, len = 0;
	size_t n;
	gpa_t b;
	int cl;

	test_loop_kinds();
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 77;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/con.sock", dir);
	snprintf(spec, sizeof(spec), "socket:%s", a.sun_path);
	CHECK_EQ(fake_mem_create(&t.mem, 16 * MiB), 0);
	CHECK_EQ(test_loop_create(&t.loop), 0);
	cfg.ports[0] = (struct vcon_port_config){.backend = spec};
	CHECK_EQ(vcon_create(&t.vc, &cfg, &t.mem, t.loop, err, sizeof(err)), 0);
	con = &t.vc->ports[0].con;
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &t.mem, .loop = t.loop, .mmio_bus = &t.bus};
	CHECK_EQ(virtio_mmio_create(&t.m, &env, vcon_dev(t.vc), BASE, 16), 0);
	driver_start(&t);
	/* A receive buffer, so that input is read (under the lock). */
	b = vrd_alloc(&t.q[0], 64);
	s = (struct vrd_seg){b, 64, true};
	vrd_publish(&t.q[0], vrd_chain(&t.q[0], &s, 1, 0));
	wr(&t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);

	/* Emergency output before any client: kept for the replay. */
	for (size_t i = 0; i < EARLY; i++)
		emerg(&t, (uint8_t)('a' + i % 26));
	CHECK_EQ(con->ring.len, EARLY);

	pthread_create(&t.loop_thread, NULL, loop_main, &t);
	/* A client that does not read yet: the replay stalls. */
	cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	for (int i = 0; i < WAIT_S * 1000 && !replaying(con); i++)
		usleep(1000);
	CHECK(replaying(con));

	/* The guest writes: the vCPU waits for the replay. */
	pthread_create(&t.vcpu, NULL, vcpu_main, &t);
	CHECK(wait_flag(&t.vcpu_started) && wait_asleep(t.vcpu_tid));
	/* The user types meanwhile: the loop delivers it to the guest. */
	CHECK_EQ(write(cl, "i", 1), 1);
	/* The client reads: the replay, then the vCPU's byte. */
	CHECK_EQ(fcntl(cl, F_SETFL, O_NONBLOCK), 0);
	n = read_for(cl, got, EARLY + 1);
	if (!wait_flag(&t.vcpu_done)) {
		fprintf(stderr, "deadlock: the vCPU never got its byte out\n");
		CHECK(false);
		/* Threads are stuck: no clean-up, just the verdict. */
		return check_done("test_vcon_emerg");
	}
	pthread_join(t.vcpu, NULL);
	CHECK_EQ(n, EARLY + 1);
	for (size_t i = 0; i < EARLY && i < n; i++)
		if (got[i] != (char)('a' + i % 26)) {
			CHECK_EQ(got[i], 'a' + i % 26);
			break;
		}
	CHECK_EQ(got[EARLY], 'X');
	/* The typed byte reached the receive buffer. */
	for (int i = 0; i < WAIT_S * 1000 && !vrd_get_used(&t.q[0], &id, &len);
	     i++)
		usleep(1000);
	CHECK_EQ(len, 1);
	CHECK_EQ(*(char *)vrd_ptr(&t.q[0], b, 1), 'i');

	CHECK_EQ(io_loop_call(t.loop, stop, t.loop), 0);
	pthread_join(t.loop_thread, NULL);
	close(cl);
	virtio_mmio_destroy(t.m);
	vcon_destroy(t.vc);
	io_loop_destroy(t.loop);
	bus_destroy(&t.bus);
	fake_mem_destroy(&t.mem);
	unlink(a.sun_path);
	rmdir(dir);
	return check_done("test_vcon_emerg");
}
