/* SPDX-License-Identifier: MIT */
/*
 * guests/vcon entry (CPL 0): find the virtio-mmio device named on the
 * command line ("virtio_mmio.device=4K@0xBASE:GSI", as vmm appends it),
 * route its GSI through the IOAPIC to a handler that acknowledges and
 * counts InterruptStatus bits, then run the test "vcon=bulk|echo|port|
 * hostile|resize" (default bulk; vcon.mb=N MiB, vcon.port=NAME) at CPL 3.
 */
#include "vcon.h"

#include <linux/virtio_mmio.h>

#include "lib/apic.h"
#include "lib/boot.h"
#include "lib/cmdline.h"
#include "lib/cpu.h"
#include "lib/exit.h"
#include "lib/io.h"
#include "lib/ioapic.h"
#include "lib/print.h"
#include "lib/string.h"

volatile uint64_t vcon_irq_vring, vcon_irq_config;

static struct gdev dev;
static char mode[16] = "bulk", port_name[32] = "data";
static uint64_t mib = 64;

static void vcon_irq(struct trap_frame *f)
{
	uint32_t st = vreg_read(&dev, VIRTIO_MMIO_INTERRUPT_STATUS);

	(void)f;
	if (st)
		vreg_write(&dev, VIRTIO_MMIO_INTERRUPT_ACK, st);
	vcon_irq_vring += st & VIRTIO_MMIO_INT_VRING;
	vcon_irq_config += (st & VIRTIO_MMIO_INT_CONFIG) >> 1;
	apic_eoi();
}

/* "4K@0xd0000000:16" (an optional ":id" may follow). */
static int parse_device(const char *v, uint64_t *base, uint64_t *gsi)
{
	const char *at = v, *colon;

	while (*at && *at != '@')
		at++;
	if (!*at)
		return -1;
	colon = ++at;
	while (*colon && *colon != ':')
		colon++;
	if (!*colon || parse_u64(at, (size_t)(colon - at), 0, base))
		return -1;
	at = ++colon;
	while (*colon && *colon != ':')
		colon++;
	return parse_u64(at, (size_t)(colon - at), 10, gsi);
}

static long run(long arg)
{
	bool multi = !strcmp(mode, "port");
	char msg[96];

	(void)arg;
	if (vdev_init(&dev, multi, multi ? GQ_MAX : 2, msg, sizeof(msg))) {
		printk("FAIL: vcon: %s\n", msg);
		return VCON_EXIT_DRIVER;
	}
	if (!strcmp(mode, "bulk"))
		return test_bulk(&dev, mib);
	if (!strcmp(mode, "echo"))
		return test_echo(&dev);
	if (multi)
		return test_port(&dev, port_name);
	if (!strcmp(mode, "hostile"))
		return test_hostile(&dev);
	if (!strcmp(mode, "resize"))
		return test_resize(&dev);
	printk("FAIL: vcon: unknown test '%s'\n", mode);
	return GUEST_EXIT_USAGE;
}

int guest_main(const struct boot_info *bi)
{
	char v[64];
	uint64_t base, gsi;
	long rc;

	if (cmdline_get(bi->cmdline, "virtio_mmio.device", v, sizeof(v)) < 0 ||
	    parse_device(v, &base, &gsi) || gsi >= IOAPIC_PINS) {
		printk("FAIL: vcon: no usable virtio_mmio.device= in '%s'\n",
		       bi->cmdline);
		return VCON_EXIT_NODEV;
	}
	(void)cmdline_get(bi->cmdline, "vcon", mode, sizeof(mode));
	(void)cmdline_get(bi->cmdline, "vcon.port", port_name,
			  sizeof(port_name));
	if (cmdline_u64(bi->cmdline, "vcon.mb", &mib) == -2) {
		printk("FAIL: vcon: bad vcon.mb\n");
		return GUEST_EXIT_USAGE;
	}
	dev.base = base;
	dev.gsi = (unsigned int)gsi;
	printk("vcon: device at 0x%lx gsi %u, test %s\n", base, dev.gsi, mode);
	idt_set_handler(VCON_VECTOR, vcon_irq);
	apic_enable();
	ioapic_route(dev.gsi, VCON_VECTOR, (uint8_t)apic_id(), 0);
	rc = user_call(run, 0);
	ioapic_mask(dev.gsi);
	if (rc)
		return (int)rc;
	printk("SUCCESS\n");
	return 0;
}
