/* SPDX-License-Identifier: MIT */
/*
 * Fuzz virtio-blk (src/devices/virtio_blk.c, virtio_blk_io.c) as a
 * device: behind virtio-mmio on a bus, over a 1 MiB image file made once,
 * with the io loop turned on this thread after each doorbell and worked
 * until the device has no request in flight. The guest (the input) writes the
 * registers in any order and lays out the rings, request headers (type,
 * sector), data buffers, status bytes and discard ranges in a fake guest
 * memory whose first KiBs come from the input. No KVM (vm_fd -1).
 *
 * Input: u8 flags (bit 0 read-only, bit 1 direct=on, bit 2 two queues,
 * bit 3 io_uring rather than epoll), u16 length of the RAM image, the
 * image (from guest address 0), then ops of a u8 kind and its
 * arguments: 0 write (u16 offset, u8 size, u64 value), 1 read (u16
 * offset, u8 size), 2 doorbell (u8 queue), 3 the guest writes a u16 of
 * RAM (u16 offset, u16 value).
 *
 * Checked besides ASan/UBSan: the image keeps its size (a request past
 * the end must not grow it), and the loop always drains.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "base/bus.h"
#include "base/mem.h"
#include "base/util.h"
#include "devices/virtio_blk.h"
#include "fake_mem.h"
#include "input.h"
#include "io/loop.h"
#include "virtio/mmio.h"

#define BASE	  0xd0000000ull
#define RAM	  (1u << 20)
#define DISK_SIZE (1u << 20)
#define MAX_OPS	  256

static struct mem mem;
static uint8_t *ram;
static char image[64];

static void cleanup(void)
{
	unlink(image);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	if (fake_mem_create(&mem, RAM))
		abort();
	ram = gpa_ptr(&mem, 0, RAM);
	snprintf(image, sizeof(image), "/tmp/vmm-fuzz-blk.XXXXXX");
	fd = mkstemp(image);
	if (!ram || fd < 0 || ftruncate(fd, DISK_SIZE) < 0)
		abort();
	close(fd);
	atexit(cleanup);
	return 0;
}

static void stop(void *arg)
{
	io_loop_stop(arg);
}

/*
 * One iteration of the loop on this thread (a call that stops it is
 * queued first): doorbells rung since the last one reach the device.
 */
static void turn(struct io_loop *loop)
{
	if (io_loop_call(loop, stop, loop) || io_loop_run(loop))
		abort();
}

/* Work the loop until the disk has nothing in flight. */
static void settle(struct io_loop *loop, struct vblk *b)
{
	int r = io_loop_drain(loop, vblk_busy, b, 10000);

	if (r) {
		fprintf(stderr, "fuzz_blk: draining the loop: %s\n",
			strerror(-r));
		abort();
	}
}

static void step(struct bus *bus, struct vblk *b, struct io_loop *loop,
		 struct fuzz_in *in)
{
	static const uint32_t sizes[] = {1, 2, 4, 8, 3};
	uint8_t kind = fuzz_u8(in) % 4;
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
	case 2: /* QueueNotify, then the loop's turn */
		v = fuzz_u8(in) % 3;
		(void)bus_dispatch(bus, BASE + VIRTIO_MMIO_QUEUE_NOTIFY, &v, 4,
				   true);
		turn(loop);
		settle(loop, b);
		break;
	default:
		off = fuzz_u16(in) % (RAM - 1);
		val = fuzz_u16(in);
		memcpy(ram + off, &val, 2);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	uint8_t flags = fuzz_u8(&in);
	struct vblk_config cfg = {.path = image,
				  .readonly = flags & 1,
				  .direct = flags & 2,
				  .serial = "fuzz",
				  .num_queues = flags & 4 ? 2 : 1};
	struct bus bus = {0};
	struct virtio_mmio_env env;
	struct virtio_mmio *m;
	struct io_loop *loop;
	struct vblk *b;
	const uint8_t *p;
	struct stat st;
	char err[256];
	size_t len;

	p = fuzz_bytes(&in, fuzz_u16(&in), &len);
	memset(ram, 0, RAM);
	if (len)
		memcpy(ram, p, len);
	loop = fuzz_loop_create(flags & 8 ? IO_LOOP_AUTO : IO_LOOP_EPOLL);
	if (vblk_create(&b, &cfg, &mem, loop, err, sizeof(err))) {
		fprintf(stderr, "fuzz_blk: %s\n", err);
		abort();
	}
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &mem, .loop = loop, .mmio_bus = &bus};
	if (virtio_mmio_create(&m, &env, vblk_dev(b), BASE, 16))
		abort();
	/* The first turn makes this thread the loop's owner for good. */
	turn(loop);
	for (unsigned int i = 0; i < MAX_OPS && in.n; i++)
		step(&bus, b, loop, &in);
	turn(loop);
	settle(loop, b);
	if (getenv("FUZZ_TRACE")) {
		struct vblk_stats vs;

		vblk_stats(b, &vs);
		fprintf(stderr,
			"fuzz_blk: %llu reads, %llu writes, %llu flushes, "
			"%llu discards, %llu zeroes, %llu bad\n",
			(unsigned long long)vs.reads,
			(unsigned long long)vs.writes,
			(unsigned long long)vs.flushes,
			(unsigned long long)vs.discards,
			(unsigned long long)vs.write_zeroes,
			(unsigned long long)vs.bad_requests);
	}
	virtio_mmio_destroy(m);
	vblk_destroy(b);
	io_loop_destroy(loop);
	bus_destroy(&bus);
	if (stat(image, &st) < 0 || st.st_size != DISK_SIZE) {
		fprintf(stderr, "fuzz_blk: the image is now %lld bytes\n",
			(long long)st.st_size);
		abort();
	}
	return 0;
}
