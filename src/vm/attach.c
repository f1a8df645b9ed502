/* SPDX-License-Identifier: MIT */
/*
 * Virtio devices placed on a VM: planned (window, GSI, announcement) while
 * the VM is described, attached once it has a KVM fd (attach.h).
 */
#define pr_fmt(fmt) "vm: " fmt
#include "attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "vm.h"
#include "runner_ctl.h"
#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"
#include "devices/virtio_blk.h"
#include "devices/virtio_fs.h"
#include "devices/virtio_console.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "devices/virtio_vsock.h"
#include "io/loop.h"
#include "virtio/device.h"
#include "vcpu/vcpu_stats.h"
#include "virtio/mmio.h"

_Static_assert(LAYOUT_VIRTIO_MMIO_SIZE == VIRTIO_MMIO_WINDOW_SIZE,
	       "the x86 layout spaces virtio-mmio windows by their size");
/* A console, every disk, an rng, every net, a vsock device, every fs. */
_Static_assert(1 + VMM_MAX_DISKS + 1 + VMM_MAX_NETS + 1 + VMM_MAX_FS <=
		   LAYOUT_VIRTIO_MMIO_MAX,
	       "a window for each device the public limits allow");

/* "virtio_mmio.device=4K@0xd0000000:16 " per device. */
#define ATTACH_CMDLINE_MAX (LAYOUT_VIRTIO_MMIO_MAX * 48)

/* How long a stopping VM waits for its disks' requests in flight. */
#define ATTACH_DRAIN_MS 10000
/* ... and for the guest's last console output (a reader may be gone). */
#define ATTACH_CONSOLE_DRAIN_MS 3000

struct vm_virtio {
	struct vcon *vcon;
	struct vblk *disks[VMM_MAX_DISKS];
	unsigned int nr_disks;
	struct vrng *rng;
	struct vnet *nets[VMM_MAX_NETS];
	unsigned int nr_nets;
	struct vvsock *vsock;
	struct vfs *fs[VMM_MAX_FS];
	unsigned int nr_fs;
	/* Planned at create time, attached once the VM has its KVM fd. */
	struct virtio_dev *devs[LAYOUT_VIRTIO_MMIO_MAX];
	struct virtio_mmio *mmio[LAYOUT_VIRTIO_MMIO_MAX];
	struct acpi_mmio_device acpi[LAYOUT_VIRTIO_MMIO_MAX];
	unsigned int nr_mmio, nr_attached;
	char cmdline[ATTACH_CMDLINE_MAX];
};

/*
 * Give @dev the next virtio-mmio window and GSI and announce it (ACPI and
 * the command line). Before attach_virtio_windows(). 0 or -ENOSPC.
 */
static int plan_virtio(struct vm *vm, struct virtio_dev *dev)
{
	struct vm_virtio *x = vm->virtio;
	unsigned int n = x->nr_mmio;
	gpa_t base = LAYOUT_VIRTIO_MMIO_BASE + n * LAYOUT_VIRTIO_MMIO_SIZE;
	static const unsigned int gsis[] = LAYOUT_VIRTIO_GSIS;
	size_t used = strlen(x->cmdline);
	unsigned int gsi;

	_Static_assert(ARRAY_SIZE(gsis) == LAYOUT_VIRTIO_MMIO_MAX,
		       "a GSI for every virtio-mmio window");
	if (n == LAYOUT_VIRTIO_MMIO_MAX)
		return -ENOSPC;
	gsi = gsis[n];
	x->devs[n] = dev;
	x->acpi[n] = (struct acpi_mmio_device){
	    .base = base,
	    .size = LAYOUT_VIRTIO_MMIO_SIZE,
	    .gsi = gsi,
	};
	snprintf(x->cmdline + used, sizeof(x->cmdline) - used,
		 "%svirtio_mmio.device=%uK@0x%llx:%u", used ? " " : "",
		 LAYOUT_VIRTIO_MMIO_SIZE / 1024, (unsigned long long)base, gsi);
	x->nr_mmio++;
	return 0;
}

/* plan_virtio() for @what, with the message for a full window list. */
static int plan_or_say(struct vm *vm, struct virtio_dev *dev, const char *what,
		       char *err, size_t err_len, bool *bad_input)
{
	int r = plan_virtio(vm, dev);

	if (r) {
		snprintf(err, err_len,
			 "%s: too many virtio devices (at most %d in all)",
			 what, LAYOUT_VIRTIO_MMIO_MAX);
		*bad_input = true;
	}
	return r;
}

/* The device state, made on first use. */
static struct vm_virtio *virtio_of(struct vm *vm)
{
	if (!vm->virtio)
		vm->virtio = calloc(1, sizeof(*vm->virtio));
	return vm->virtio;
}

int attach_virtio_console(struct vm *vm, char *err, size_t err_len,
			  bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct vcon_config vc = {
	    .nr_ports = 1 + cfg->nr_ports,
	    .rows = cfg->console_rows,
	    .cols = cfg->console_cols,
	};
	int r;

	if (!cfg->console && !vm->runner)
		return 0;
	if (!virtio_of(vm))
		return -ENOMEM;
	vc.ports[0].backend = cfg->console; /* NULL: "none" */
	for (unsigned int i = 0; i < cfg->nr_ports; i++)
		vc.ports[i + 1] = (struct vcon_port_config){
		    .name = cfg->ports[i].name,
		    .backend = cfg->ports[i].backend,
		};
	/*
	 * The runner's port comes last: should vcon_create() fail, it
	 * failed before the console took that port's descriptor, which the
	 * runner then still owns.
	 */
	if (vm->runner)
		vc.ports[vc.nr_ports++] = (struct vcon_port_config){
		    .name = RUNNER_CTL_PORT,
		    .backend = runner_ctl_backend(vm->runner),
		};
	r = vcon_create(&vm->virtio->vcon, &vc, &vm->mem, vm->loop, err,
			err_len);
	if (r) {
		*bad_input = true;
		return r;
	}
	if (vm->runner)
		runner_ctl_handed_over(vm->runner);
	vcon_set_quit(vm->virtio->vcon, &vm->exit);
	r = plan_virtio(vm, vcon_dev(vm->virtio->vcon));
	if (r)
		snprintf(err, err_len, "virtio-console: %s", strerror(-r));
	return r;
}

struct vcon *attach_console(struct vm *vm)
{
	return vm->virtio ? vm->virtio->vcon : NULL;
}

/* Every disk's request queues: one per vCPU, as far as they go. */
static unsigned int disk_queues(const struct vm_config *cfg)
{
	return MIN(MAX(cfg->nr_cpus, 1u), (unsigned int)VBLK_MAX_QUEUES);
}

int attach_virtio_disks(struct vm *vm, char *err, size_t err_len,
			bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct vm_virtio *x;
	int r;

	if (!cfg->nr_disks)
		return 0;
	x = virtio_of(vm);
	if (!x)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		const struct vm_disk *d = &cfg->disks[i];
		struct vblk_config bc = {
		    .path = d->path,
		    .readonly = d->readonly,
		    .direct = d->direct,
		    .serial = d->serial,
		    .num_queues = disk_queues(cfg),
		};

		r = vblk_create(&x->disks[i], &bc, &vm->mem, vm->loop, err,
				err_len);
		if (r) {
			*bad_input = r != -ENOMEM;
			return r;
		}
		x->nr_disks = i + 1;
		r = plan_or_say(vm, vblk_dev(x->disks[i]), d->path, err,
				err_len, bad_input);
		if (r)
			return r;
	}
	return 0;
}

int attach_virtio_rng(struct vm *vm, char *err, size_t err_len, bool *bad_input)
{
	struct vm_virtio *x;
	int r;

	if (!vm->cfg->rng)
		return 0;
	x = virtio_of(vm);
	if (!x)
		return -ENOMEM;
	r = vrng_create(&x->rng, vm->cfg->rng_rate, &vm->mem, vm->loop, err,
			err_len);
	if (r)
		return r;
	return plan_or_say(vm, vrng_dev(x->rng), "rng", err, err_len,
			   bad_input);
}

int attach_virtio_nets(struct vm *vm, char *err, size_t err_len,
		       bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct vm_virtio *x;
	int r;

	if (!cfg->nr_nets)
		return 0;
	x = virtio_of(vm);
	if (!x)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		r = vnet_create(&x->nets[i], &cfg->nets[i], &vm->mem, vm->loop,
				err, err_len);
		if (r) {
			*bad_input = r != -ENOMEM;
			return r;
		}
		x->nr_nets = i + 1;
		r = plan_or_say(vm, vnet_dev(x->nets[i]), "net", err, err_len,
				bad_input);
		if (r)
			return r;
	}
	return 0;
}

int attach_virtio_vsock(struct vm *vm, char *err, size_t err_len,
			bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct vm_virtio *x;
	int r;

	if (!cfg->vsock_cid)
		return 0;
	x = virtio_of(vm);
	if (!x)
		return -ENOMEM;
	r = vvsock_create(&x->vsock, cfg->vsock_cid, cfg->vsock_path, &vm->mem,
			  vm->loop, err, err_len);
	if (r) {
		*bad_input = r != -ENOMEM;
		return r;
	}
	return plan_or_say(vm, vvsock_dev(x->vsock), "vsock", err, err_len,
			   bad_input);
}

int attach_virtio_fs(struct vm *vm, char *err, size_t err_len, bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct vm_virtio *x;
	int r;

	if (!cfg->nr_fs)
		return 0;
	x = virtio_of(vm);
	if (!x)
		return -ENOMEM;
	for (unsigned int i = 0; i < cfg->nr_fs; i++) {
		r = vfs_create(&x->fs[i], cfg->fs[i].tag, cfg->fs[i].dir,
			       cfg->fs[i].readonly ? VFS_READONLY : 0, &vm->mem,
			       vm->loop, err, err_len);
		if (r) {
			*bad_input = r != -ENOMEM;
			return r;
		}
		x->nr_fs = i + 1;
		r = plan_or_say(vm, vfs_dev(x->fs[i]), "fs", err, err_len,
				bad_input);
		if (r)
			return r;
	}
	return 0;
}

int attach_virtio_windows(struct vm *vm, char *err, size_t err_len)
{
	struct vm_virtio *x = vm->virtio;
	const struct virtio_mmio_env env = {
	    .vm_fd = vm->vm_fd,
	    .mem = &vm->mem,
	    .loop = vm->loop,
	    .mmio_bus = &vm->mmio_bus,
	};

	for (unsigned int i = 0; x && i < x->nr_mmio; i++) {
		struct virtio_mmio_env dev_env = env;
		int r;

		/* Guest RAM has the slots below MEM_MAX_REGIONS. */
		dev_env.regs_slot = MEM_MAX_REGIONS + i;
		r = virtio_mmio_create(&x->mmio[i], &dev_env, x->devs[i],
				       x->acpi[i].base, x->acpi[i].gsi);

		if (r) {
			snprintf(err, err_len, "%s: %s", x->devs[i]->ops->name,
				 strerror(-r));
			return r;
		}
		x->nr_attached = i + 1;
	}
	return 0;
}

const char *attach_cmdline(struct vm *vm)
{
	return vm->virtio ? vm->virtio->cmdline : "";
}

void attach_acpi_devices(struct vm *vm, struct acpi_config *acpi)
{
	if (!vm->virtio)
		return;
	acpi->virtio = vm->virtio->acpi;
	acpi->nr_virtio = vm->virtio->nr_mmio;
}

/*
 * Never started, not "not running now": a guest resets its devices on the
 * way to power-off.
 */
void attach_hint_unused(struct vm *vm)
{
	struct vm_virtio *x = vm->virtio;
	enum vmm_exit_reason why = exit_ctl_get(&vm->exit).reason;

	if (!x || !x->vcon || virtio_dev_ever_started(vcon_dev(x->vcon)))
		return;
	if (why != VMM_EXIT_POWEROFF && why != VMM_EXIT_RESET)
		return;
	pr_warn("the guest never started the virtio-console: its kernel needs "
		"CONFIG_VIRTIO_MMIO (found through ACPI, or "
		"CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES) and CONFIG_VIRTIO_CONSOLE "
		"(built in, or its modules loaded)");
}

void attach_shutdown_output(struct vm *vm, unsigned int grace_ms)
{
	if (vm->virtio && vm->virtio->vcon)
		vcon_shutdown(vm->virtio->vcon, grace_ms);
}

void attach_collect_stats(struct vm *vm, struct vm_stats *st)
{
	struct vm_virtio *x = vm->virtio;

	if (!x)
		return;
	st->nr_disks = x->nr_disks;
	for (unsigned int i = 0; i < x->nr_disks; i++) {
		st->disk_paths[i] = vm->cfg->disks[i].path;
		vblk_stats(x->disks[i], &st->disks[i]);
	}
	st->rng = x->rng != NULL;
	st->rng_bytes = x->rng ? vrng_bytes(x->rng) : 0;
	st->nr_nets = x->nr_nets;
	for (unsigned int i = 0; i < x->nr_nets; i++)
		vnet_stats(x->nets[i], &st->nets[i]);
	st->vsock = x->vsock != NULL;
	if (x->vsock)
		vvsock_stats(x->vsock, &st->vsock_stats);
	st->nr_fs = x->nr_fs;
	for (unsigned int i = 0; i < x->nr_fs; i++) {
		st->fs_tags[i] = vm->cfg->fs[i].tag;
		vfs_stats(x->fs[i], &st->fs[i]);
	}
	st->nr_virtio = x->nr_attached;
	for (unsigned int i = 0; i < x->nr_attached; i++)
		virtio_mmio_get_state(x->mmio[i], &st->virtio[i]);
}

void attach_drain(struct vm *vm)
{
	struct vm_virtio *x = vm->virtio;

	if (x && x->vcon) {
		vcon_flush(x->vcon);
		if (io_loop_drain(vm->loop, vcon_busy, x->vcon,
				  ATTACH_CONSOLE_DRAIN_MS))
			pr_warn("console: output still unwritten after %d ms",
				ATTACH_CONSOLE_DRAIN_MS);
	}

	for (unsigned int i = 0; x && i < x->nr_disks; i++)
		if (io_loop_drain(vm->loop, vblk_busy, x->disks[i],
				  ATTACH_DRAIN_MS))
			pr_warn("disk %s: requests still in flight after %d ms",
				vm->cfg->disks[i].path, ATTACH_DRAIN_MS);
	for (unsigned int i = 0; x && i < x->nr_nets; i++)
		if (io_loop_drain(vm->loop, vnet_busy, x->nets[i],
				  ATTACH_DRAIN_MS))
			pr_warn("net %u: transmissions still in flight after "
				"%d ms",
				i, ATTACH_DRAIN_MS);
	for (unsigned int i = 0; x && i < x->nr_fs; i++)
		if (io_loop_drain(vm->loop, vfs_busy, x->fs[i],
				  ATTACH_DRAIN_MS))
			pr_warn("fs %s: requests still in flight after %d ms",
				vm->cfg->fs[i].tag, ATTACH_DRAIN_MS);
	if (x && x->vsock &&
	    io_loop_drain(vm->loop, vvsock_busy, x->vsock, ATTACH_DRAIN_MS))
		pr_warn("vsock: I/O still in flight after %d ms",
			ATTACH_DRAIN_MS);
}

void attach_destroy(struct vm *vm)
{
	struct vm_virtio *x = vm->virtio;

	if (!x)
		return;
	for (unsigned int i = 0; i < x->nr_attached; i++)
		virtio_mmio_destroy(x->mmio[i]);
	vcon_destroy(x->vcon);
	for (unsigned int i = 0; i < x->nr_disks; i++)
		vblk_destroy(x->disks[i]);
	vrng_destroy(x->rng);
	for (unsigned int i = 0; i < x->nr_nets; i++)
		vnet_destroy(x->nets[i]);
	vvsock_destroy(x->vsock);
	for (unsigned int i = 0; i < x->nr_fs; i++)
		vfs_destroy(x->fs[i]);
	free(x);
	vm->virtio = NULL;
}
