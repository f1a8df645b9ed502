/* SPDX-License-Identifier: MIT */
/*
 * guests/vblk entry (CPL 0): find every virtio-mmio device named on the
 * command line ("virtio_mmio.device=4K@0xBASE:GSI", in vmm's device
 * order), route each GSI through the IOAPIC to a handler that acknowledges
 * and counts InterruptStatus bits, then run the test
 * "vblk=pattern|readonly|framing|hostile|rng" (default pattern) at CPL 3.
 * Options: vblk.seed=, vblk.start=, vblk.sectors= (the pattern's range),
 * vblk.cap= (expected capacity), vblk.serial= (expected GET_ID),
 * vblk.disk=N (the Nth virtio-blk device, from 0), vblk.rng= (bytes),
 * vblk.plain=1 (neither EVENT_IDX nor INDIRECT_DESC),
 * vblk.order=3,2,2,4 (the expected device ids, checked first).
 */
#include "vblk.h"

#include <linux/virtio_mmio.h>

#include "lib/apic.h"
#include "lib/boot.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/mmio_devices.h"
#include "lib/print.h"
#include "lib/string.h"

struct vdev vdevs[VDEV_MAX];
unsigned int nr_vdevs;
struct vblk_opts opts = {
    .seed = 1,
    .start = 0,
    .sectors = 8192,
    .rng_bytes = 64 * 1024,
};
static char mode[16] = "pattern";
static uint64_t disk, plain;

/*
 * Device n's interrupt (vector VDEV_VECTOR + n), at CPL 0. The GSIs are
 * edge-triggered: acknowledge what InterruptStatus says and count it; the
 * tests poll the used rings and only check that interrupts came.
 */
static void vdev_irq(struct trap_frame *f)
{
	struct vdev *d = &vdevs[(f->vector - VDEV_VECTOR) % VDEV_MAX];
	uint32_t st = vreg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (st)
		vreg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, st);
	d->irq_vring += st & VIRTIO_MMIO_INT_VRING;
	d->irq_config += (st & VIRTIO_MMIO_INT_CONFIG) >> 1;
	apic_eoi();
}

/* Every "virtio_mmio.device=" word, in order; its id tells the tests
 * apart. */
static int find_devices(const char *cl)
{
	struct mmio_device found[VDEV_MAX];
	int n = mmio_devices_find(cl, found, VDEV_MAX);

	for (int k = 0; k < n; k++) {
		struct vdev *d = &vdevs[k];

		d->base = found[k].base;
		d->gsi = found[k].gsi;
		d->n = (unsigned int)k;
		d->device_id = vreg_read(d, VIRTIO_MMIO_DEVICE_ID);
	}
	nr_vdevs = n > 0 ? (unsigned int)n : 0;
	return n < 0 ? -1 : 0;
}

struct vdev *vdev_find(uint32_t id, unsigned int from)
{
	for (unsigned int i = from; i < nr_vdevs; i++)
		if (vdevs[i].device_id == id)
			return &vdevs[i];
	return NULL;
}

/* The Nth device with @id, or NULL. */
static struct vdev *nth(uint32_t id, uint64_t n)
{
	struct vdev *d = vdev_find(id, 0);

	while (d && n--)
		d = vdev_find(id, d->n + 1);
	return d;
}

static long run(long arg)
{
	struct vdev *blk = nth(VIRTIO_ID_BLOCK, disk);

	(void)arg;
	opts.readonly = !strcmp(mode, "readonly");
	if (!strcmp(mode, "rng")) {
		struct vdev *rng = vdev_find(VIRTIO_ID_RNG, 0);

		return rng ? test_rng(rng) : VBLK_EXIT_NODEV;
	}
	if (!blk) {
		printk("FAIL: vblk: no virtio-blk device %lu\n",
		       (unsigned long)disk);
		return VBLK_EXIT_NODEV;
	}
	if (!strcmp(mode, "pattern"))
		return test_pattern(blk);
	if (!strcmp(mode, "readonly"))
		return test_readonly(blk);
	if (!strcmp(mode, "framing"))
		return test_framing(blk);
	if (!strcmp(mode, "hostile")) {
		struct vdev *other = vdev_find(VIRTIO_ID_BLOCK, blk->n + 1);

		if (!other) {
			printk("FAIL: vblk: hostile needs a second disk\n");
			return VBLK_EXIT_NODEV;
		}
		return test_hostile(blk, other);
	}
	printk("FAIL: vblk: unknown test '%s'\n", mode);
	return GUEST_EXIT_USAGE;
}

static int parse_opts(const char *cl)
{
	if (cmdline_u64(cl, "vblk.seed", &opts.seed) == -2 ||
	    cmdline_u64(cl, "vblk.start", &opts.start) == -2 ||
	    cmdline_u64(cl, "vblk.sectors", &opts.sectors) == -2 ||
	    cmdline_u64(cl, "vblk.cap", &opts.capacity) == -2 ||
	    cmdline_u64(cl, "vblk.rng", &opts.rng_bytes) == -2 ||
	    cmdline_u64(cl, "vblk.disk", &disk) == -2 ||
	    cmdline_u64(cl, "vblk.plain", &plain) == -2 ||
	    cmdline_get(cl, "vblk", mode, sizeof(mode)) == -2 ||
	    cmdline_get(cl, "vblk.serial", opts.serial, sizeof(opts.serial)) ==
		-2 ||
	    cmdline_get(cl, "vblk.order", opts.order, sizeof(opts.order)) == -2)
		return -1;
	opts.plain = plain;
	return 0;
}

/* "vblk.order=3,2,2,4": the device ids in command-line order. */
static int check_order(void)
{
	char got[sizeof(opts.order) + 8] = "";
	size_t n = 0;

	for (unsigned int i = 0; i < nr_vdevs; i++)
		n += (size_t)snprintk(got + n, sizeof(got) - n, "%s%u",
				      i ? "," : "", vdevs[i].device_id);
	printk("vblk: device ids in order: %s\n", got);
	if (opts.order[0] && strcmp(got, opts.order)) {
		printk("FAIL: vblk: device order %s, expected %s\n", got,
		       opts.order);
		return VBLK_EXIT_NODEV;
	}
	return 0;
}

int guest_main(const struct boot_info *bi)
{
	long rc;

	if (parse_opts(bi->cmdline)) {
		printk("FAIL: vblk: bad option in '%s'\n", bi->cmdline);
		return GUEST_EXIT_USAGE;
	}
	if (find_devices(bi->cmdline) || !nr_vdevs) {
		printk("FAIL: vblk: no usable virtio_mmio.device= in '%s'\n",
		       bi->cmdline);
		return VBLK_EXIT_NODEV;
	}
	rc = check_order();
	if (rc)
		return (int)rc;
	apic_enable();
	for (unsigned int i = 0; i < nr_vdevs; i++) {
		idt_set_handler(VDEV_VECTOR + i, vdev_irq);
		ioapic_route(vdevs[i].gsi, (uint8_t)(VDEV_VECTOR + i),
			     (uint8_t)apic_id(), 0);
	}
	printk("vblk: %u devices, test %s\n", nr_vdevs, mode);
	rc = user_call(run, 0);
	for (unsigned int i = 0; i < nr_vdevs; i++)
		ioapic_mask(vdevs[i].gsi);
	if (rc)
		return (int)rc;
	printk("SUCCESS\n");
	return 0;
}
