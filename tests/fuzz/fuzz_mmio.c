/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the virtio-mmio register file (src/virtio/mmio.c) and the device
 * model behind it (src/virtio/device.c) as a guest's MMIO reaches them
 * through the bus: status and feature negotiation in any order, queue
 * selection and addresses, QueueReady, notifications, interrupt
 * acknowledgement, config space reads and writes of any size and
 * offset, resets. Behind the transport is a fake two-queue device (as
 * in tests/unit/test_mmio.c) whose queues are worked by the harness
 * (virtio_dev_kick(), the io thread's call) over a fake guest memory
 * whose first KiBs come from the input. No KVM (vm_fd -1) and no loop
 * thread: doorbells and interrupts only reach eventfds.
 *
 * Input: u16 length of the RAM image, the image (from guest address
 * 0), then ops of a u8 kind and its arguments: 0 write (u16 offset, u8
 * size, u64 value), 1 read (u16 offset, u8 size), 2 kick (u8 queue;
 * 252-255: an InterruptACK of 1, 2, 3, 3 counted as KVM's ioeventfd
 * would, mmio_irq.h), 3 the guest writes a u16 of RAM (u16 offset, u16
 * value).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_mmio.h>

#include "base/bus.h"
#include "base/mem.h"
#include "base/util.h"
#include "fake_mem.h"
#include "input.h"
#include "io/loop.h"
#include "kvm/eventfd.h"
#include "virtio/device.h"
#include "virtio/mmio.h"

#define BASE	0xd0000000ull
#define RAM	(1u << 20)
#define QSZ	16
#define MAX_OPS 512

struct fake_dev {
	struct virtio_dev vd;
	uint8_t config[8];
};

static struct fake_dev *to_fake(struct virtio_dev *vd)
{
	return container_of(vd, struct fake_dev, vd);
}

static void fake_read_config(struct virtio_dev *vd, size_t off, void *buf,
			     size_t len)
{
	struct fake_dev *f = to_fake(vd);

	if (off > sizeof(f->config) || len > sizeof(f->config) - off)
		abort(); /* the transport must bound config accesses */
	memcpy(buf, f->config + off, len);
}

static void fake_write_config(struct virtio_dev *vd, size_t off,
			      const void *buf, size_t len)
{
	struct fake_dev *f = to_fake(vd);

	if (off > sizeof(f->config) || len > sizeof(f->config) - off)
		abort();
	memcpy(f->config + off, buf, len);
}

/* Fill every writable byte, complete each chain, interrupt. */
static void fake_queue_notify(struct virtio_dev *vd, unsigned int q)
{
	struct iovec iov[QSZ];
	struct vq_chain c = {.iov = iov, .max = QSZ};
	bool pushed = false;

	while (virtio_dev_pop(vd, q, &c) == 1) {
		/* A zero-length descriptor is a NULL iovec: skip it. */
		for (unsigned int i = c.n_out; i < c.n_out + c.n_in; i++)
			if (iov[i].iov_len)
				memset(iov[i].iov_base, 0xab, iov[i].iov_len);
		vq_push(&vd->vqs[q], c.head, c.in_len);
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(vd, q);
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake",
    .device_id = 3,
    .features = 1ULL << 1,
    .num_queues = 2,
    .queue_size = QSZ,
    .config_size = sizeof(((struct fake_dev *)0)->config),
    .read_config = fake_read_config,
    .write_config = fake_write_config,
    .queue_notify = fake_queue_notify,
};

static struct mem mem;
static uint8_t *ram;

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_logs();
	if (fake_mem_create(&mem, RAM))
		abort();
	ram = gpa_ptr(&mem, 0, RAM);
	if (!ram)
		abort();
	return 0;
}

static void step(struct bus *bus, struct fake_dev *dev, struct virtio_mmio *m,
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
		/* Any offset in the window, and a few bytes past it. */
		off = fuzz_u16(in) % (VIRTIO_MMIO_WINDOW_SIZE + 8);
		size = sizes[fuzz_u8(in) % 5];
		if (kind == 0)
			v = fuzz_u64(in);
		(void)bus_dispatch(bus, BASE + off, &v, size, kind == 0);
		break;
	case 2:
		/* A kick, or (1 in 64) an InterruptACK taken by KVM. */
		val = fuzz_u8(in);
		if (val >= 252)
			(void)io_eventfd_signal(
			    virtio_mmio_ack_fd(m, val == 255 ? 3 : val - 251));
		else
			virtio_dev_kick(&dev->vd, val % 3);
		break;
	default:
		off = fuzz_u16(in) % (RAM - 1);
		val = fuzz_u16(in);
		memcpy(ram + off, &val, 2);
		break;
	}
}

/*
 * The register page says what reads through the bus say, whatever the
 * guest did (the page is what a guest reads where KVM maps it).
 */
static void check_page(struct bus *bus, struct virtio_mmio *m,
		       const struct fake_dev *dev)
{
	const uint8_t *page = virtio_mmio_regs(m);
	uint8_t cfg[sizeof(dev->config)];
	uint32_t v;

	for (uint64_t off = 0; off < VIRTIO_MMIO_CONFIG; off += 4) {
		(void)bus_dispatch(bus, BASE + off, &v, 4, false);
		if (memcmp(page + off, &v, 4))
			abort();
	}
	(void)bus_dispatch(bus, BASE + VIRTIO_MMIO_CONFIG, cfg, sizeof(cfg),
			   false);
	if (memcmp(page + VIRTIO_MMIO_CONFIG, cfg, sizeof(cfg)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct fake_dev dev = {0};
	struct bus bus = {0};
	struct virtio_mmio *m;
	struct io_loop *loop;
	struct virtio_mmio_env env;
	const uint8_t *image;
	size_t len;

	image = fuzz_bytes(&in, fuzz_u16(&in), &len);
	memset(ram, 0, RAM);
	if (len)
		memcpy(ram, image, len);
	if (io_loop_create(&loop, IO_LOOP_EPOLL) ||
	    virtio_dev_init(&dev.vd, &fake_ops, &mem, loop))
		abort();
	env = (struct virtio_mmio_env){
	    .vm_fd = -1, .mem = &mem, .loop = loop, .mmio_bus = &bus};
	if (virtio_mmio_create(&m, &env, &dev.vd, BASE, 16))
		abort();
	for (unsigned int i = 0; i < MAX_OPS && in.n; i++)
		step(&bus, &dev, m, &in);
	check_page(&bus, m, &dev);
	if (getenv("FUZZ_TRACE"))
		fprintf(stderr, "fuzz_mmio: status %#x, used idx %u\n",
			dev.vd.status, ram[0x1202] | ram[0x1203] << 8);
	virtio_mmio_destroy(m);
	virtio_dev_uninit(&dev.vd);
	io_loop_destroy(loop);
	bus_destroy(&bus);
	return 0;
}
