/* SPDX-License-Identifier: MIT */
/*
 * virtio-console end to end without KVM: a fake guest driver (a thread
 * doing register accesses through the bus and rings through vring_driver)
 * against devices/virtio_console.c behind virtio-mmio, with port 0 on the stdio
 * backend whose fds 0/1 are pipes here, and a named port on socket:PATH.
 * Checks the F_MULTIPORT handshake, output byte-exact (1 MiB in many
 * chains), input only while receive buffers are posted, the named port
 * both ways, F_EMERG_WRITE, a driver repeating a failing control message
 * (a bounded number of host log lines), and a malformed chain ending in
 * NEEDS_RESET with the loop still serving.
 */
#include "devices/virtio_console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "arch/x86/layout.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "virtio/mmio.h"
#include "base/bus.h"
#include "capture.h"
#include "check.h"
#include "loop_kinds.h"
#include "fake_mem.h"
#include "vring_driver.h"

#define BASE  LAYOUT_VIRTIO_MMIO_BASE
#define NQ    6
#define QSZ   256
#define BULK  (1u << 20)
#define CHUNK 4096

struct t {
	struct mem mem;
	struct bus bus;
	struct io_loop *loop;
	struct vcon *vc;
	struct virtio_mmio *m;
	struct vring_driver q[NQ];
	int in_pipe[2], out_pipe[2];
	char sock[100];
	/* The output drain thread. */
	unsigned char *out;
	size_t out_len; /* atomic */
	/*
	 * Bytes the guest has sent on port 0 and checked so far (guest
	 * thread): where the next output must appear. Never taken from
	 * out_len, which lags behind by whatever the drain has not read.
	 */
	size_t out_checked;
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

static void kick(struct t *t, unsigned int q)
{
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* Poll the used ring like a guest without interrupts. */
static void wait_used(struct t *t, unsigned int q, uint32_t *id, uint32_t *len)
{
	while (!vrd_get_used(&t->q[q], id, len))
		usleep(100);
}

static void *drain(void *arg)
{
	struct t *t = arg;
	ssize_t n;

	for (;;) {
		size_t have = __atomic_load_n(&t->out_len, __ATOMIC_ACQUIRE);

		n = read(t->out_pipe[0], t->out + have, 2 * BULK - have);
		if (n <= 0)
			break;
		__atomic_store_n(&t->out_len, have + (size_t)n,
				 __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * The next @n bytes of port 0's output must be @want: wait until the drain
 * has read them, compare, and move on past them.
 */
static void expect_out(struct t *t, const void *want, size_t n)
{
	size_t from = t->out_checked;

	while (__atomic_load_n(&t->out_len, __ATOMIC_ACQUIRE) < from + n)
		usleep(100);
	CHECK(!memcmp(t->out + from, want, n));
	t->out_checked = from + n;
}

static void setup_queue(struct t *t, unsigned int q)
{
	struct vring_driver *d = &t->q[q];
	/* Port 0's transmit queue gets room for the bulk buffers. */
	uint64_t span = q == 1 ? 4 * MiB : 512 * KiB;
	gpa_t base = q == 1 ? 8 * MiB : MiB + q * 512 * KiB;

	CHECK_EQ(vrd_init(d, &t->mem, base, span, QSZ), 0);
	wr(t, VIRTIO_MMIO_QUEUE_SEL, q);
	CHECK_EQ(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX), QSZ);
	wr(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
	wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d->desc_gpa);
	wr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)d->avail_gpa);
	wr(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)d->used_gpa);
	wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
}

static void send_ctrl(struct t *t, uint32_t id, uint16_t ev, uint16_t val)
{
	struct vring_driver *d = &t->q[3];
	gpa_t b = vrd_alloc(d, 8);
	struct virtio_console_control *m = vrd_ptr(d, b, 8);
	struct vrd_seg s = {b, 8, false};
	uint32_t uid, len;

	*m = (struct virtio_console_control){
	    .id = id, .event = ev, .value = val};
	vrd_publish(d, vrd_chain(d, &s, 1, (uint16_t)(d->avail_idx % QSZ)));
	kick(t, 3);
	wait_used(t, 3, &uid, &len);
}

/* Post @n control receive buffers of 128 bytes. */
static gpa_t ctrl_bufs[QSZ];

static void post_ctrl_bufs(struct t *t, unsigned int n)
{
	struct vring_driver *d = &t->q[2];

	for (unsigned int i = 0; i < n; i++) {
		uint16_t slot = (uint16_t)(d->avail_idx % QSZ);
		struct vrd_seg s;

		if (!ctrl_bufs[slot])
			ctrl_bufs[slot] = vrd_alloc(d, 128);
		s = (struct vrd_seg){ctrl_bufs[slot], 128, true};
		vrd_publish(d, vrd_chain(d, &s, 1, slot));
	}
	kick(t, 2);
}

static struct virtio_console_control get_ctrl(struct t *t, char *name)
{
	struct virtio_console_control m;
	uint32_t id, len;

	wait_used(t, 2, &id, &len);
	CHECK(len >= sizeof(m));
	memcpy(&m, vrd_ptr(&t->q[2], ctrl_bufs[id], 128), sizeof(m));
	if (name) {
		memcpy(name,
		       (char *)vrd_ptr(&t->q[2], ctrl_bufs[id], 128) +
			   sizeof(m),
		       len - sizeof(m));
		name[len - sizeof(m)] = '\0';
	}
	return m;
}

static void handshake(struct t *t)
{
	struct virtio_console_control m;
	char name[128];
	int seen_name = 0, seen_console = 0, seen_open = 0;

	wr(t, VIRTIO_MMIO_STATUS, 0);
	wr(t, VIRTIO_MMIO_STATUS, 3);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CHECK_EQ(rd(t, VIRTIO_MMIO_DEVICE_FEATURES) & 7, 7);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES,
	   (1u << VIRTIO_CONSOLE_F_MULTIPORT) |
	       (1u << VIRTIO_CONSOLE_F_EMERG_WRITE));
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	wr(t, VIRTIO_MMIO_STATUS, 0xb);
	CHECK_EQ(rd(t, VIRTIO_MMIO_STATUS), 0xb);
	CHECK_EQ(rd(t, VIRTIO_MMIO_CONFIG + 4), VCON_MAX_PORTS);
	for (unsigned int q = 0; q < NQ; q++)
		setup_queue(t, q);
	wr(t, VIRTIO_MMIO_STATUS, 0xf);
	CHECK_EQ(rd(t, VIRTIO_MMIO_STATUS), 0xf);

	post_ctrl_bufs(t, 16);
	send_ctrl(t, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	for (int i = 0; i < 2; i++) {
		m = get_ctrl(t, NULL);
		CHECK_EQ(m.event, VIRTIO_CONSOLE_PORT_ADD);
		CHECK_EQ(m.id, (uint32_t)i);
	}
	send_ctrl(t, 0, VIRTIO_CONSOLE_PORT_READY, 1);
	send_ctrl(t, 1, VIRTIO_CONSOLE_PORT_READY, 1);
	for (int i = 0; i < 4; i++) {
		m = get_ctrl(t, name);
		if (m.event == VIRTIO_CONSOLE_CONSOLE_PORT && m.id == 0)
			seen_console++;
		if (m.event == VIRTIO_CONSOLE_PORT_NAME && m.id == 1 &&
		    !strcmp(name, "data"))
			seen_name++;
		if (m.event == VIRTIO_CONSOLE_PORT_OPEN && m.value == 1)
			seen_open++;
	}
	CHECK_EQ(seen_console, 1);
	CHECK_EQ(seen_name, 1);
	CHECK_EQ(seen_open, 2);
	send_ctrl(t, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
}

/* 1 MiB in 4 KiB chains, 128 in flight at a time, byte-exact. */
static void bulk(struct t *t)
{
	struct vring_driver *d = &t->q[1];
	gpa_t bufs = vrd_alloc(d, 128 * CHUNK);
	unsigned char *pat = malloc(BULK);
	uint32_t id, len;

	for (size_t i = 0; i < BULK; i++)
		pat[i] = (unsigned char)(i * 31 + (i >> 12));
	for (size_t off = 0; off < BULK; off += 128 * CHUNK) {
		for (unsigned int k = 0; k < 128; k++) {
			gpa_t b = bufs + (gpa_t)k * CHUNK;
			struct vrd_seg s = {b, CHUNK, false};

			memcpy(vrd_ptr(d, b, CHUNK), pat + off + k * CHUNK,
			       CHUNK);
			vrd_publish(d, vrd_chain(d, &s, 1, (uint16_t)k));
		}
		kick(t, 1);
		for (unsigned int k = 0; k < 128; k++)
			wait_used(t, 1, &id, &len);
	}
	expect_out(t, pat, BULK);
	free(pat);
}

static void *guest(void *arg)
{
	struct t *t = arg;
	struct vring_driver *d;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char buf[64];
	int avail = 0, cl;
	uint32_t id, len;
	gpa_t b, b2;
	struct vrd_seg s[2];

	handshake(t);

	/* A failing control message 1000 times: one burst of warnings. */
	capture_begin();
	for (int i = 0; i < 1000; i++)
		send_ctrl(t, 0, VIRTIO_CONSOLE_DEVICE_READY, 0);
	{
		char *log = capture_end();

		CHECK_EQ(capture_count(log, "vmm: "), LOG_RATELIMIT_BURST);
		CHECK_EQ(capture_count(log, "driver failed to set up"),
			 LOG_RATELIMIT_BURST);
		free(log);
	}

	/* Output on port 0: two segments in one chain. */
	d = &t->q[1];
	b = vrd_alloc(d, 16);
	b2 = vrd_alloc(d, 16);
	memcpy(vrd_ptr(d, b, 6), "hello ", 6);
	memcpy(vrd_ptr(d, b2, 5), "world", 5);
	s[0] = (struct vrd_seg){b, 6, false};
	s[1] = (struct vrd_seg){b2, 5, false};
	vrd_publish(d, vrd_chain(d, s, 2, 200));
	kick(t, 1);
	wait_used(t, 1, &id, &len);
	CHECK_EQ(id, 200);
	expect_out(t, "hello world", 11);

	/* Input typed before any receive buffer stays in the pipe. */
	CHECK_EQ(write(t->in_pipe[1], "abc", 3), 3);
	vrd_publish(d, vrd_chain(d, s, 1, 201));
	kick(t, 1);
	wait_used(t, 1, &id, &len); /* one loop round trip later */
	expect_out(t, "hello ", 6);
	CHECK_EQ(ioctl(t->in_pipe[0], FIONREAD, &avail), 0);
	CHECK_EQ(avail, 3);
	/* A buffer arrives: the input goes straight into it. */
	d = &t->q[0];
	b = vrd_alloc(d, 64);
	s[0] = (struct vrd_seg){b, 64, true};
	vrd_publish(d, vrd_chain(d, s, 1, 0));
	kick(t, 0);
	wait_used(t, 0, &id, &len);
	CHECK_EQ(len, 3);
	CHECK(!memcmp(vrd_ptr(d, b, 3), "abc", 3));
	/* The next one waits for input. */
	vrd_publish(d, vrd_chain(d, s, 1, 1));
	kick(t, 0);
	CHECK_EQ(write(t->in_pipe[1], "typed", 5), 5);
	wait_used(t, 0, &id, &len);
	CHECK_EQ(len, 5);
	CHECK(!memcmp(vrd_ptr(d, b, 5), "typed", 5));

	bulk(t);

	/* The named port over its socket, both ways. */
	cl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", t->sock);
	CHECK_EQ(connect(cl, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(write(cl, "sock-in", 7), 7);
	d = &t->q[4];
	b = vrd_alloc(d, 64);
	s[0] = (struct vrd_seg){b, 64, true};
	vrd_publish(d, vrd_chain(d, s, 1, 0));
	kick(t, 4);
	wait_used(t, 4, &id, &len);
	CHECK_EQ(len, 7);
	CHECK(!memcmp(vrd_ptr(d, b, 7), "sock-in", 7));
	d = &t->q[5];
	b = vrd_alloc(d, 64);
	memcpy(vrd_ptr(d, b, 8), "sock-out", 8);
	s[0] = (struct vrd_seg){b, 8, false};
	vrd_publish(d, vrd_chain(d, s, 1, 0));
	kick(t, 5);
	wait_used(t, 5, &id, &len);
	CHECK_EQ(read(cl, buf, sizeof(buf)), 8);
	CHECK(!memcmp(buf, "sock-out", 8));
	close(cl);

	/*
	 * Emergency writes: right after the bulk data, and a byte pair the
	 * pattern does not end with, so only these writes can match.
	 */
	wr(t, VIRTIO_MMIO_CONFIG + 8, '!');
	wr(t, VIRTIO_MMIO_CONFIG + 8, 'E');
	expect_out(t, "!E", 2);

	/* A looping chain: NEEDS_RESET; the loop keeps serving. */
	d = &t->q[1];
	vrd_desc(d, 7, b2, 4, VRING_DESC_F_NEXT, 8);
	vrd_desc(d, 8, b2, 4, VRING_DESC_F_NEXT, 7);
	vrd_publish(d, 7);
	kick(t, 1);
	while (!(rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
		usleep(100);
	/* Reset and a plain single-port start work again. */
	wr(t, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(rd(t, VIRTIO_MMIO_STATUS), 0);
	io_loop_stop(t->loop);
	return NULL;
}

int main(void)
{
	char dir[] = "/tmp/test_console_virtio.XXXXXX", spec[160], err[256];
	struct vcon_config cfg = {.nr_ports = 2};
	struct virtio_mmio_env env;
	struct t *t = calloc(1, sizeof(*t));
	int saved_in, saved_out;
	pthread_t g, dr;

	test_loop_kinds();
	alarm(60);
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 77;
	snprintf(t->sock, sizeof(t->sock), "%s/data.sock", dir);
	snprintf(spec, sizeof(spec), "socket:%s", t->sock);
	CHECK_EQ(pipe2(t->in_pipe, O_CLOEXEC), 0);
	CHECK_EQ(pipe2(t->out_pipe, O_CLOEXEC), 0);
	t->out = malloc(2 * BULK);
	/* The stdio backend's fds 0 and 1 are our pipes for a while. */
	saved_in = dup(0);
	saved_out = dup(1);
	dup2(t->in_pipe[0], 0);
	dup2(t->out_pipe[1], 1);

	CHECK_EQ(fake_mem_create(&t->mem, 32 * MiB), 0);
	CHECK_EQ(test_loop_create(&t->loop), 0);
	cfg.ports[0] = (struct vcon_port_config){.backend = "stdio"};
	cfg.ports[1] =
	    (struct vcon_port_config){.name = "data", .backend = spec};
	CHECK_EQ(vcon_create(&t->vc, &cfg, &t->mem, t->loop, err, sizeof(err)),
		 0);
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &t->mem, .loop = t->loop, .mmio_bus = &t->bus};
	CHECK_EQ(virtio_mmio_create(&t->m, &env, vcon_dev(t->vc), BASE, 16), 0);
	/* Warning counts must not depend on how fast this runs. */
	log_ratelimit_init(&vcon_dev(t->vc)->warn_rl, LOG_RATELIMIT_BURST,
			   UINT64_MAX);
	pthread_create(&dr, NULL, drain, t);
	pthread_create(&g, NULL, guest, t);
	CHECK_EQ(io_loop_run(t->loop), 0);
	pthread_join(g, NULL);

	virtio_mmio_destroy(t->m);
	vcon_destroy(t->vc);
	io_loop_destroy(t->loop);
	/* Restore fds 0/1; closing the last write end ends the drain. */
	dup2(saved_out, 1);
	dup2(saved_in, 0);
	close(saved_in);
	close(saved_out);
	close(t->out_pipe[1]);
	pthread_join(dr, NULL);
	/* Not a byte more than the guest sent. */
	CHECK_EQ(t->out_len, t->out_checked);
	close(t->out_pipe[0]);
	close(t->in_pipe[0]);
	close(t->in_pipe[1]);
	bus_destroy(&t->bus);
	fake_mem_destroy(&t->mem);
	rmdir(dir);
	free(t->out);
	free(t);
	return check_done("test_console_virtio");
}
