/* SPDX-License-Identifier: MIT */
/*
 * The virtio-console tests, at CPL 3 (see tests/guest/virtio_console.sh):
 *  bulk    N MiB of a pattern the host regenerates (4 KiB blocks: the
 *          block number as 8 little-endian bytes, then (block + j) & 0xff)
 *          in 64 KiB chains, GQ_N in flight;
 *  echo    "READY", then echo every input byte until "quit", then "BYE";
 *  port    F_MULTIPORT handshake, then echo on the port named NAME;
 *  hostile a looping chain and a chain pointing outside RAM: each must end
 *          in DEVICE_NEEDS_RESET, and a reset must bring the device back;
 *  resize  print the size, wait for a configuration change, print again.
 */
#include "vcon.h"

#include <linux/virtio_config.h>
#include <linux/virtio_console.h>
#include <linux/virtio_mmio.h>

#include "lib/io.h"
#include "lib/print.h"
#include "lib/string.h"

static void fill_blocks(uint8_t *buf, uint64_t first, unsigned int n)
{
	for (unsigned int b = 0; b < n; b++, buf += 4096) {
		uint64_t blk = first + b;

		memcpy(buf, &blk, 8);
		for (unsigned int j = 8; j < 4096; j++)
			buf[j] = (uint8_t)(blk + j - 8);
	}
}

long test_bulk(struct gdev *d, uint64_t mib)
{
	struct gq *q = &d->q[1];
	uint64_t blocks = mib * 256, k = 0;
	unsigned int inflight = 0, per = GQ_BULK / 4096;
	uint32_t id, len;

	while (k < blocks) {
		while (gq_reap(q, &id, &len))
			inflight--;
		if (inflight == GQ_N) {
			(void)gq_wait(q, &id);
			inflight--;
		}
		fill_blocks(gq_buf(q, q->avail_idx), k, per);
		gq_submit(d, q, GQ_BULK);
		inflight++;
		k += per;
	}
	while (inflight) {
		(void)gq_wait(q, &id);
		inflight--;
	}
	printk("vcon: bulk %lu MiB, %u doorbells, %lu used-buffer irqs\n", mib,
	       q->kicks, (unsigned long)vcon_irq_vring);
	return 0;
}

/* Echo from @rxq to @rxq + 1 until "quit" went through. */
static long echo_loop(struct gdev *d, unsigned int rxq)
{
	struct gq *rx = &d->q[rxq];
	char tail[4] = {0};
	uint32_t id, len;

	for (unsigned int i = 0; i < GQ_N; i++)
		gq_post(d, rx, i, GQ_SMALL);
	vcon_puts(d, rxq + 1, "READY\n");
	printk("vcon: READY sent\n");
	for (;;) {
		const uint8_t *p;

		len = gq_wait(rx, &id);
		if (id >= GQ_N || len > GQ_SMALL) {
			printk("FAIL: vcon: receive id %u len %u\n", id, len);
			return VCON_EXIT_TEST;
		}
		p = gq_buf(rx, id);
		vcon_write(d, rxq + 1, p, len);
		for (uint32_t i = 0; i < len; i++) {
			memmove(tail, tail + 1, 3);
			tail[3] = (char)p[i];
		}
		gq_post(d, rx, id, GQ_SMALL);
		if (!memcmp(tail, "quit", 4))
			break;
	}
	vcon_puts(d, rxq + 1, "BYE\n");
	return 0;
}

long test_echo(struct gdev *d)
{
	return echo_loop(d, 0);
}

static void ctrl_send(struct gdev *d, uint32_t id, uint16_t ev, uint16_t val)
{
	struct virtio_console_control m = {.id = id, .event = ev, .value = val};

	vcon_write(d, 3, &m, sizeof(m));
}

long test_port(struct gdev *d, const char *name)
{
	struct gq *crx = &d->q[2];
	int data = -1;
	bool open = false, console = false;
	uint32_t id, len;

	for (unsigned int i = 0; i < GQ_N; i++)
		gq_post(d, crx, i, GQ_SMALL);
	ctrl_send(d, 0, VIRTIO_CONSOLE_DEVICE_READY, 1);
	while (data < 0 || !open || !console) {
		struct virtio_console_control m;
		const char *extra;

		len = gq_wait(crx, &id);
		if (id >= GQ_N || len < sizeof(m) || len > GQ_SMALL) {
			printk("FAIL: vcon: control id %u len %u\n", id, len);
			return VCON_EXIT_TEST;
		}
		memcpy(&m, gq_buf(crx, id), sizeof(m));
		extra = (const char *)gq_buf(crx, id) + sizeof(m);
		if (m.event == VIRTIO_CONSOLE_PORT_ADD)
			ctrl_send(d, m.id, VIRTIO_CONSOLE_PORT_READY, 1);
		else if (m.event == VIRTIO_CONSOLE_CONSOLE_PORT)
			console = m.id == 0;
		else if (m.event == VIRTIO_CONSOLE_PORT_NAME &&
			 len - sizeof(m) == strlen(name) &&
			 !memcmp(extra, name, len - sizeof(m)))
			data = (int)m.id;
		else if (m.event == VIRTIO_CONSOLE_PORT_OPEN && data >= 0 &&
			 m.id == (uint32_t)data)
			open = m.value == 1;
		gq_post(d, crx, id, GQ_SMALL);
	}
	if (port_rxq((unsigned int)data) + 1 >= d->nq) {
		printk("FAIL: vcon: port '%s' is %d, beyond our queues\n", name,
		       data);
		return VCON_EXIT_TEST;
	}
	printk("vcon: port '%s' is port %d\n", name, data);
	ctrl_send(d, (uint32_t)data, VIRTIO_CONSOLE_PORT_OPEN, 1);
	vcon_puts(d, 1, "console ok\n");
	return echo_loop(d, port_rxq((unsigned int)data));
}

/* Publish a chain the device must refuse; wait for NEEDS_RESET. */
static long hostile_one(struct gdev *d, const char *what, bool loop)
{
	struct gq *q = &d->q[1];
	unsigned int a = q->avail_idx % GQ_N, b = (a + 1) % GQ_N;
	uint64_t irqs = vcon_irq_config;
	uint32_t st = 0;

	if (loop) {
		q->desc[a].flags = VRING_DESC_F_NEXT;
		q->desc[a].next = (uint16_t)b;
		q->desc[b].flags = VRING_DESC_F_NEXT;
		q->desc[b].next = (uint16_t)a;
	} else {
		q->desc[a].addr = 0xfff0000000ULL; /* far beyond RAM */
	}
	q->used->avail_event = q->avail_idx; /* force the doorbell */
	gq_post(d, q, a, 16);
	/* Status reads come from the register page and do not exit, so the
	 * bound counts memory loads: enough for the io thread to act. */
	for (unsigned long i = 0; i < 2000000000UL; i++) {
		st = vreg_read(d, VIRTIO_MMIO_STATUS);
		if (st & VIRTIO_CONFIG_S_NEEDS_RESET)
			break;
		cpu_relax();
	}
	if (!(st & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		printk("FAIL: vcon: %s: status 0x%x, no NEEDS_RESET\n", what,
		       st);
		return VCON_EXIT_TEST;
	}
	for (unsigned long i = 0; i < 100000000UL && vcon_irq_config == irqs;
	     i++)
		cpu_relax();
	printk("vcon: %s: status 0x%x, config interrupt %s\n", what, st,
	       vcon_irq_config != irqs ? "seen" : "MISSING");
	return vcon_irq_config != irqs ? 0 : VCON_EXIT_TEST;
}

long test_hostile(struct gdev *d)
{
	char msg[96];
	long r;

	r = hostile_one(d, "looping chain", true);
	if (r)
		return r;
	if (vdev_init(d, false, 2, msg, sizeof(msg))) {
		printk("FAIL: vcon: after reset: %s\n", msg);
		return VCON_EXIT_DRIVER;
	}
	vcon_puts(d, 1, "recovered once\n");
	r = hostile_one(d, "buffer outside RAM", false);
	if (r)
		return r;
	if (vdev_init(d, false, 2, msg, sizeof(msg))) {
		printk("FAIL: vcon: after reset: %s\n", msg);
		return VCON_EXIT_DRIVER;
	}
	vcon_puts(d, 1, "recovered twice\n");
	return 0;
}

static void print_size(struct gdev *d, const char *what)
{
	uint32_t v = vreg_read(d, VIRTIO_MMIO_CONFIG);
	char line[64];

	/* struct virtio_console_config: cols, then rows. */
	snprintk(line, sizeof(line), "%s %ux%u\n", what, v >> 16, v & 0xffff);
	printk("vcon: %s", line);
	vcon_puts(d, 1, line);
}

long test_resize(struct gdev *d)
{
	uint64_t irqs = vcon_irq_config;
	uint32_t gen = vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);

	print_size(d, "size");
	while (vcon_irq_config == irqs)
		cpu_relax();
	if (vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION) == gen) {
		printk("FAIL: vcon: config interrupt, same generation\n");
		return VCON_EXIT_TEST;
	}
	print_size(d, "resized");
	return 0;
}
