/* SPDX-License-Identifier: MIT */
/*
 * Optional VM parts: virtio-mmio devices (placed in the MMIO hole, one
 * window and one GSI each, announced both in the DSDT as LNRO0005 and as
 * virtio_mmio.device= command-line entries), the control socket and the
 * runstate sampler.
 */
#define pr_fmt(fmt) "vm: " fmt
#include "attach.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "vm.h"
#include "control.h"
#include "arch/x86/acpi.h"
#include "arch/x86/layout.h"
#include "devices/virtio_console.h"
#include "virtio/device.h"
#include "virtio/mmio.h"

_Static_assert(LAYOUT_VIRTIO_MMIO_SIZE == VIRTIO_MMIO_WINDOW_SIZE,
	       "the x86 layout spaces virtio-mmio windows by their size");

/* "virtio_mmio.device=4K@0xd0000000:16 " per device. */
#define EXTRAS_CMDLINE_MAX (LAYOUT_VIRTIO_MMIO_MAX * 48)

struct vm_extras {
	struct vm_control control;
	struct vcon *vcon;
	/* Planned at create time, attached once the VM has its KVM fd. */
	struct virtio_dev *devs[LAYOUT_VIRTIO_MMIO_MAX];
	struct virtio_mmio *mmio[LAYOUT_VIRTIO_MMIO_MAX];
	struct acpi_mmio_device acpi[LAYOUT_VIRTIO_MMIO_MAX];
	unsigned int nr_mmio, nr_attached;
	char cmdline[EXTRAS_CMDLINE_MAX];
};

/*
 * Give @dev the next virtio-mmio window and GSI and announce it (ACPI and
 * the command line). Before vm_extras_attach(). 0 or -ENOSPC.
 */
static int vm_extras_plan_virtio(struct vm *vm, struct virtio_dev *dev)
{
	struct vm_extras *x = vm->extras;
	unsigned int n = x->nr_mmio;
	gpa_t base = LAYOUT_VIRTIO_MMIO_BASE + n * LAYOUT_VIRTIO_MMIO_SIZE;
	unsigned int gsi = LAYOUT_VIRTIO_IRQ_BASE + n;
	size_t used = strlen(x->cmdline);

	if (n == LAYOUT_VIRTIO_MMIO_MAX)
		return -ENOSPC;
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

static int vm_extras_console(struct vm *vm, char *err, size_t err_len,
			     bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct vcon_config vc = {.nr_ports = 1 + cfg->nr_ports};
	int r;

	vc.ports[0].backend = cfg->console;
	for (unsigned int i = 0; i < cfg->nr_ports; i++)
		vc.ports[i + 1] = (struct vcon_port_config){
		    .name = cfg->ports[i].name,
		    .backend = cfg->ports[i].backend,
		};
	r = vcon_create(&vm->extras->vcon, &vc, &vm->mem, vm->loop, err,
			err_len);
	if (r) {
		*bad_input = true;
		return r;
	}
	r = vm_extras_plan_virtio(vm, vcon_dev(vm->extras->vcon));
	if (r)
		snprintf(err, err_len, "virtio-console: %s", strerror(-r));
	return r;
}

int vm_extras_create(struct vm *vm, char *err, size_t err_len,
		     bool *bad_input)
{
	int r;

	vm->extras = calloc(1, sizeof(*vm->extras));
	if (!vm->extras)
		return -ENOMEM;
	(void)io_loop_set_polling(vm->loop, vm->cfg->io_poll_ns); /* not run */
	if (vm->cfg->console) {
		r = vm_extras_console(vm, err, err_len, bad_input);
		if (r)
			return r;
	}
	r = vm_control_create(&vm->extras->control, vm, err, err_len);
	if (r)
		*bad_input = true;
	return r;
}

int vm_extras_attach(struct vm *vm, char *err, size_t err_len)
{
	struct vm_extras *x = vm->extras;
	const struct virtio_mmio_env env = {
	    .vm_fd = vm->vm_fd,
	    .mem = &vm->mem,
	    .loop = vm->loop,
	    .mmio_bus = &vm->mmio_bus,
	};

	for (unsigned int i = 0; i < x->nr_mmio; i++) {
		int r = virtio_mmio_create(&x->mmio[i], &env, x->devs[i],
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

const char *vm_extras_cmdline(struct vm *vm)
{
	return vm->extras ? vm->extras->cmdline : "";
}

void vm_extras_acpi_devices(struct vm *vm, struct acpi_config *acpi)
{
	acpi->virtio = vm->extras->acpi;
	acpi->nr_virtio = vm->extras->nr_mmio;
}

void vm_extras_start(struct vm *vm)
{
	(void)vm_control_start(&vm->extras->control);
}

/*
 * After a guest that ran to power-off or reboot never started a device,
 * name what its kernel lacks (after kvmtool's guest_compat hints). Never
 * started, not "not running now": a guest resets its devices on the way
 * to power-off.
 */
static void vm_extras_hint_unused(struct vm *vm)
{
	struct vm_extras *x = vm->extras;
	enum vmm_exit_reason why = exit_ctl_get(&vm->exit).reason;

	if (!x->vcon || virtio_dev_ever_started(vcon_dev(x->vcon)))
		return;
	if (why != VMM_EXIT_POWEROFF && why != VMM_EXIT_RESET)
		return;
	pr_warn("the guest never started the virtio-console: its kernel needs "
		"CONFIG_VIRTIO_MMIO (found through ACPI, or "
		"CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES) and CONFIG_VIRTIO_CONSOLE "
		"(built in, or its modules loaded)");
}

void vm_extras_stop(struct vm *vm)
{
	(void)vm_control_finish(&vm->extras->control);
	vm_extras_hint_unused(vm);
}

void vm_extras_shutdown_output(struct vm *vm, unsigned int grace_ms)
{
	if (vm->extras && vm->extras->vcon)
		vcon_shutdown(vm->extras->vcon, grace_ms);
}

void vm_extras_destroy(struct vm *vm)
{
	struct vm_extras *x = vm->extras;

	if (!x)
		return;
	vm_control_destroy(&x->control);
	for (unsigned int i = 0; i < x->nr_attached; i++)
		virtio_mmio_destroy(x->mmio[i]);
	vcon_destroy(x->vcon);
	free(x);
	vm->extras = NULL;
}
