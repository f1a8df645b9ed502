/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the other virtio devices as fuzz_blk does virtio-blk: console
 * (two ports, multiport and its control queues), rng, net, vsock and fs,
 * each behind virtio-mmio on a bus over a fake guest memory whose first
 * KiBs come from the input, with the io loop turned on this thread after
 * each doorbell and worked until the device has nothing in flight. The
 * guest (the input) writes the registers in any order and lays out the
 * rings and buffers. No KVM (vm_fd -1). Backends are real and harmless:
 * the console ports write to /dev/null; net is a socket backend whose
 * peer (a listener of the harness) is drained and writes bytes from the
 * input into it (the receive path and its length framing); vsock listens in a
 * scratch directory where nothing answers (a guest's connection is refused); fs
 * shares a small scratch tree read-only (the FUSE server's writes are
 * fuzz_fuse's).
 *
 * Input: u8 device (% 5: console, rng, net, vsock, fs) and flags (bit 3
 * io_uring rather than epoll), u16 length of the RAM image, the image
 * (from guest address 0), then ops of a u8 kind and its arguments: 0
 * write (u16 offset, u8 size, u64 value), 1 read (u16 offset, u8 size),
 * 2 doorbell (u8 queue), 3 the guest writes a u16 of RAM (u16 offset, u16
 * value), 4 bytes from the net peer (u16 length, bytes; other devices:
 * a doorbell of queue 0).
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "backends/net.h"
#include "base/bus.h"
#include "base/mem.h"
#include "base/util.h"
#include "devices/virtio_console.h"
#include "devices/virtio_fs.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "devices/virtio_vsock.h"
#include "fake_mem.h"
#include "input.h"
#include "io/loop.h"
#include "virtio/mmio.h"

#define BASE	0xd0000000ull
#define RAM	(1u << 20)
#define MAX_OPS 256

enum dev_kind { DEV_CONSOLE, DEV_RNG, DEV_NET, DEV_VSOCK, DEV_FS, DEV_KINDS };

static struct mem mem;
static uint8_t *ram;
static char scratch[64]; /* the fs share and the vsock socket */
static char share[96], vsock_path[96], net_path[96];
static int net_listener = -1;

static void cleanup(void)
{
	char p[160];

	snprintf(p, sizeof(p), "%s/file", share);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dir", share);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/link", share);
	unlink(p);
	rmdir(share);
	unlink(vsock_path);
	unlink(net_path);
	rmdir(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[160];
	int fd;

	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	if (fake_mem_create(&mem, RAM))
		abort();
	ram = gpa_ptr(&mem, 0, RAM);
	snprintf(scratch, sizeof(scratch), "/tmp/vmm-fuzz-devices.XXXXXX");
	if (!ram || !mkdtemp(scratch))
		abort();
	snprintf(share, sizeof(share), "%s/share", scratch);
	snprintf(vsock_path, sizeof(vsock_path), "%s/v.sock", scratch);
	snprintf(p, sizeof(p), "%s/file", share);
	if (mkdir(share, 0755))
		abort();
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "fuzz\n", 5) != 5)
		abort();
	close(fd);
	snprintf(p, sizeof(p), "%s/dir", share);
	if (mkdir(p, 0755))
		abort();
	snprintf(p, sizeof(p), "%s/link", share);
	if (symlink("../..", p))
		abort();
	snprintf(net_path, sizeof(net_path), "%s/net.sock", scratch);
	net_listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_un a = {.sun_family = AF_UNIX};

		snprintf(a.sun_path, sizeof(a.sun_path), "%s", net_path);
		if (net_listener < 0 ||
		    bind(net_listener, (struct sockaddr *)&a, sizeof(a)) ||
		    listen(net_listener, 16))
			abort();
	}
	atexit(cleanup);
	return 0;
}

/* The device under test and its peer end. */
struct dut {
	enum dev_kind kind;
	struct io_loop *loop;
	struct virtio_dev *vd;
	void *dev;
	bool (*busy)(void *dev);
	int peer; /* net: the harness's end of the socketpair, else -1 */
};

static void stop(void *arg)
{
	io_loop_stop(arg);
}

/* One iteration of the loop on this thread. */
static void turn(struct io_loop *loop)
{
	if (io_loop_call(loop, stop, loop) || io_loop_run(loop))
		abort();
}

/* Work the loop until the device has nothing in flight. */
static void settle(struct dut *d)
{
	char buf[4096];
	int r;

	if (d->peer >= 0)
		while (read(d->peer, buf, sizeof(buf)) > 0)
			;
	turn(d->loop);
	if (!d->busy)
		return;
	r = io_loop_drain(d->loop, d->busy, d->dev, 10000);
	if (r) {
		fprintf(stderr, "fuzz_devices: draining the loop: %s\n",
			strerror(-r));
		abort();
	}
}

static void doorbell(struct bus *bus, struct dut *d, uint64_t q)
{
	(void)bus_dispatch(bus, BASE + VIRTIO_MMIO_QUEUE_NOTIFY, &q, 4, true);
	settle(d);
}

/* Bytes from the net peer, framed or not as the input has it. */
static void peer_frame(struct dut *d, struct fuzz_in *in)
{
	size_t len;
	const uint8_t *p = fuzz_bytes(in, fuzz_u16(in) % 2048, &len);

	if (len)
		(void)!write(d->peer, p, len);
	settle(d);
}

static void step(struct bus *bus, struct dut *d, struct fuzz_in *in)
{
	static const uint32_t sizes[] = {1, 2, 4, 8, 3};
	uint8_t kind = fuzz_u8(in) % 5;
	uint64_t off, v = 0;
	uint32_t size;
	uint16_t val;

	switch (kind) {
	case 0:
	case 1:
		off = fuzz_u16(in) % (VIRTIO_MMIO_WINDOW_SIZE + 8);
		size = sizes[fuzz_u8(in) % 5];
		if (kind == 0)
			v = fuzz_u64(in);
		(void)bus_dispatch(bus, BASE + off, &v, size, kind == 0);
		break;
	case 2: doorbell(bus, d, fuzz_u8(in) % 8); break;
	case 3:
		off = fuzz_u16(in) % (RAM - 1);
		val = fuzz_u16(in);
		memcpy(ram + off, &val, 2);
		break;
	default:
		if (d->peer >= 0)
			peer_frame(d, in);
		else
			doorbell(bus, d, 0);
		break;
	}
}

/* Make device @kind on @d->loop; aborts on a set-up failure. */
static void make_device(struct dut *d)
{
	char err[256];
	int r = 0;

	d->peer = -1;
	d->busy = NULL;
	switch (d->kind) {
	case DEV_CONSOLE: {
		struct vcon_config cfg = {
		    .ports = {{.backend = "file:/dev/null"},
			      {.name = "fuzz", .backend = "file:/dev/null"}},
		    .nr_ports = 2,
		    .rows = 24,
		    .cols = 80};
		struct vcon *vc;

		r = vcon_create(&vc, &cfg, &mem, d->loop, err, sizeof(err));
		if (!r) {
			d->dev = vc;
			d->vd = vcon_dev(vc);
			d->busy = vcon_busy;
		}
		break;
	}
	case DEV_RNG: {
		struct vrng *rng;

		r = vrng_create(&rng, 0, &mem, d->loop, err, sizeof(err));
		if (!r) {
			d->dev = rng;
			d->vd = vrng_dev(rng);
		}
		break;
	}
	case DEV_NET: {
		struct net_spec spec = {.kind = NET_SOCKET};
		struct vnet *n;

		snprintf(spec.path, sizeof(spec.path), "%s", net_path);
		r = vnet_create(&n, &spec, &mem, d->loop, err, sizeof(err));
		if (!r) {
			d->peer = accept4(net_listener, NULL, NULL,
					  SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (d->peer < 0)
				abort();
			d->dev = n;
			d->vd = vnet_dev(n);
			d->busy = vnet_busy;
		}
		break;
	}
	case DEV_VSOCK: {
		struct vvsock *v;

		r = vvsock_create(&v, 3, vsock_path, &mem, d->loop, err,
				  sizeof(err));
		if (!r) {
			d->dev = v;
			d->vd = vvsock_dev(v);
		}
		break;
	}
	default: {
		struct vfs *f;

		r = vfs_create(&f, "fuzz", share, VFS_READONLY, &mem, d->loop,
			       err, sizeof(err));
		if (!r) {
			d->dev = f;
			d->vd = vfs_dev(f);
			d->busy = vfs_busy;
		}
		break;
	}
	}
	if (r) {
		fprintf(stderr, "fuzz_devices: device %d: %s\n", d->kind, err);
		abort();
	}
}

static void destroy_device(struct dut *d)
{
	switch (d->kind) {
	case DEV_CONSOLE: vcon_destroy(d->dev); break;
	case DEV_RNG: vrng_destroy(d->dev); break;
	case DEV_NET: vnet_destroy(d->dev); break;
	case DEV_VSOCK: vvsock_destroy(d->dev); break;
	default: vfs_destroy(d->dev); break;
	}
	if (d->peer >= 0)
		close(d->peer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_u8(&in);
	struct dut d = {.kind = (enum dev_kind)(flags % DEV_KINDS)};
	struct bus bus = {0};
	struct virtio_mmio_env env;
	struct virtio_mmio *m;
	const uint8_t *p;
	size_t len;

	p = fuzz_bytes(&in, fuzz_u16(&in), &len);
	memset(ram, 0, RAM);
	if (len)
		memcpy(ram, p, len);
	d.loop = fuzz_loop_create(flags & 8 ? IO_LOOP_AUTO : IO_LOOP_EPOLL);
	make_device(&d);
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &mem, .loop = d.loop, .mmio_bus = &bus};
	if (virtio_mmio_create(&m, &env, d.vd, BASE, 16))
		abort();
	/* The first turn makes this thread the loop's owner for good. */
	turn(d.loop);
	for (unsigned int i = 0; i < MAX_OPS && in.n; i++)
		step(&bus, &d, &in);
	settle(&d);
	if (getenv("FUZZ_TRACE")) {
		struct virtio_mmio_state st;

		virtio_mmio_get_state(m, &st);
		fprintf(stderr, "fuzz_devices: device %d, status %#x:", d.kind,
			st.status);
		for (unsigned int q = 0; q < st.nr_queues; q++)
			fprintf(stderr, " q%u used %u", q, st.q[q].used_idx);
		fprintf(stderr, "\n");
	}
	virtio_mmio_destroy(m);
	destroy_device(&d);
	io_loop_destroy(d.loop);
	bus_destroy(&bus);
	return 0;
}
