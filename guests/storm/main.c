/* SPDX-License-Identifier: MIT */
/*
 * guests/storm entry (CPL 0): find every virtio-mmio device on the command
 * line ("virtio_mmio.device=4K@0xBASE:GSI", in vmm's device order), spare
 * the last virtio-blk disk, route every GSI through the IOAPIC, then run
 * the phases at CPL 3 and the proof on the spared disk. Options:
 * storm.seed= (default 1), storm.regs= (random register and port
 * accesses), storm.chains= (malformed chain cases), storm.doorbells=
 * (QueueNotify writes, default 1000000), storm.irqs= (completions of the
 * interrupt storm), storm.vsock= (a host port a listener serves: the
 * vsock reset then has a connection open; 0: none).
 *
 * The last line before SUCCESS is the marker the test looks for:
 * "STORM SURVIVED seed=S doorbells=N irqs=N needs_reset=N".
 */
#include "storm.h"

#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>

#include "arch/x86/layout.h"
#include "lib/apic.h"
#include "lib/boot.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/mmio_devices.h"
#include "lib/print.h"
#include "lib/serial.h"
#include "lib/string.h"

struct sdev sdevs[SDEV_MAX];
unsigned int nr_sdevs;
uint64_t ram_end;
uint8_t junk[JUNK_SIZE] __attribute__((aligned(4096)));
uint64_t irq_seed;
unsigned long n_doorbells, n_irqs, n_needs_reset;

static struct {
	uint64_t seed, regs, chains, doorbells, irqs, vsock;
} opt = {
    .seed = 1,
    .regs = 40000,
    .chains = 3000,
    .doorbells = 1000000,
    .irqs = 10000,
};

/*
 * Device n's interrupt (vector SDEV_VECTOR + n), at CPL 0. The spared
 * disk acknowledges exactly what InterruptStatus says; an attacked device
 * acknowledges random bits, sometimes none of the set ones, sometimes
 * bits that are not set (the GSIs are edge-triggered: nothing repeats).
 */
static void sdev_irq(struct trap_frame *f)
{
	struct sdev *d = &sdevs[(f->vector - SDEV_VECTOR) % SDEV_MAX];
	uint32_t st = sreg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
	uint32_t ack = st;

	if (!d->spare) {
		uint64_t r = rnd(&irq_seed);

		ack = (r & 3) ? (uint32_t)(r >> 32) : st;
	}
	if (ack)
		sreg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, ack);
	d->irqs++;
	d->irq_config += (st & VIRTIO_MMIO_INT_CONFIG) >> 1;
	n_irqs++;
	apic_eoi();
}

static int find_devices(const char *cl)
{
	struct mmio_device found[SDEV_MAX];
	int n = mmio_devices_find(cl, found, SDEV_MAX);

	for (int k = 0; k < n; k++) {
		sdevs[k].base = found[k].base;
		sdevs[k].gsi = found[k].gsi;
		sdevs[k].n = (unsigned int)k;
	}
	nr_sdevs = n > 0 ? (unsigned int)n : 0;
	return n < 0 ? -1 : 0;
}

struct sdev *sdev_find(uint32_t id, unsigned int from)
{
	for (unsigned int i = from; i < nr_sdevs; i++)
		if (sdevs[i].device_id == id)
			return &sdevs[i];
	return NULL;
}

/* Read ids and count queues (QueueNumMax > 0) before any attack. */
static struct sdev *survey(void)
{
	struct sdev *spare = NULL;

	for (unsigned int i = 0; i < nr_sdevs; i++) {
		struct sdev *d = &sdevs[i];

		d->device_id = sreg_read(d, VIRTIO_MMIO_DEVICE_ID);
		for (d->nq = 0; d->nq < SQ_MAX; d->nq++) {
			sreg_write(d, VIRTIO_MMIO_QUEUE_SEL, d->nq);
			if (!sreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX))
				break;
		}
		if (d->device_id == VIRTIO_ID_BLOCK)
			spare = d;
	}
	if (spare)
		spare->spare = true;
	for (unsigned int i = 0; i < nr_sdevs; i++)
		printk("storm: device %u: id %u, %u queues%s\n", i,
		       sdevs[i].device_id, sdevs[i].nq,
		       sdevs[i].spare ? ", spared" : "");
	return spare;
}

uint64_t junk_addr(uint64_t *s, uint32_t len)
{
	if (len >= JUNK_SIZE)
		return (uintptr_t)junk;
	return (uintptr_t)junk + rnd_below(s, JUNK_SIZE - len + 1);
}

uint64_t bad_addr(uint64_t *s)
{
	switch (rnd_below(s, 6)) {
	case 0: return ram_end + rnd_below(s, 0x1000);
	case 1: return LAYOUT_VIRTIO_MMIO_BASE + rnd_below(s, 0x8000);
	case 2: return LAYOUT_IOAPIC_ADDR + rnd_below(s, 0x1000);
	case 3: return 1ULL << 48;
	case 4: return ~0ULL - rnd_below(s, 0x1000);
	default: return 0x100000000ULL + (rnd(s) & 0xffffffffffULL);
	}
}

static long run(long arg)
{
	struct sdev *spare;
	long rc;

	(void)arg;
	spare = survey();
	if (!spare) {
		printk("FAIL: storm: no virtio-blk disk to spare\n");
		return STORM_EXIT_NODEV;
	}
	printk("storm: phase 1, registers\n");
	rc = phase_regs(opt.seed, opt.regs);
	/* The register phase may leave the UART in any state. */
	serial_init();
	printk("storm: registers: %lu accesses\n", (unsigned long)opt.regs);
	printk("storm: phase 2, chains\n");
	rc = rc ?: phase_chains(opt.seed + 1, opt.chains) ?:
	     phase_doorbells(opt.seed + 2, opt.doorbells) ?:
	     phase_resets(opt.seed);
	if (!rc && opt.vsock) {
		struct sdev *v = sdev_find(VIRTIO_ID_VSOCK, 0);

		if (v)
			rc = phase_vsock(v, opt.seed + 4, (uint32_t)opt.vsock);
	}
	rc = rc ?: phase_irqs(opt.seed + 5, opt.irqs) ?:
	     spare_check(spare, opt.seed);
	if (rc)
		return rc;
	printk("STORM SURVIVED seed=%lu doorbells=%lu irqs=%lu "
	       "needs_reset=%lu\n",
	       (unsigned long)opt.seed, n_doorbells, n_irqs, n_needs_reset);
	return 0;
}

static int parse_opts(const char *cl)
{
	return (cmdline_u64(cl, "storm.seed", &opt.seed) == -2 ||
		cmdline_u64(cl, "storm.regs", &opt.regs) == -2 ||
		cmdline_u64(cl, "storm.chains", &opt.chains) == -2 ||
		cmdline_u64(cl, "storm.doorbells", &opt.doorbells) == -2 ||
		cmdline_u64(cl, "storm.irqs", &opt.irqs) == -2 ||
		cmdline_u64(cl, "storm.vsock", &opt.vsock) == -2)
		   ? -1
		   : 0;
}

/* The end of the RAM below 4 GiB the memory map describes. */
static void find_ram_end(const struct boot_info *bi)
{
	for (unsigned int i = 0; i < bi->memmap_count; i++) {
		uint64_t end = bi->memmap[i].addr + bi->memmap[i].size;

		if (bi->memmap[i].type == MEMMAP_TYPE_RAM && end > ram_end &&
		    end <= LAYOUT_MMIO_HOLE_START)
			ram_end = end;
	}
}

int guest_main(const struct boot_info *bi)
{
	long rc;

	if (parse_opts(bi->cmdline) || find_devices(bi->cmdline) || !nr_sdevs) {
		printk("FAIL: storm: bad options or no devices in '%s'\n",
		       bi->cmdline);
		return STORM_EXIT_NODEV;
	}
	find_ram_end(bi);
	irq_seed = opt.seed * 0x9e3779b97f4a7c15ULL + 7;
	printk("storm: seed %lu, %u devices, RAM ends at 0x%lx\n",
	       (unsigned long)opt.seed, nr_sdevs, ram_end);
	apic_enable();
	for (unsigned int i = 0; i < nr_sdevs; i++) {
		idt_set_handler(SDEV_VECTOR + i, sdev_irq);
		ioapic_route(sdevs[i].gsi, (uint8_t)(SDEV_VECTOR + i),
			     (uint8_t)apic_id(), 0);
	}
	rc = user_call(run, 0);
	for (unsigned int i = 0; i < nr_sdevs; i++)
		ioapic_mask(sdevs[i].gsi);
	if (rc)
		return (int)rc;
	printk("SUCCESS\n");
	return 0;
}
