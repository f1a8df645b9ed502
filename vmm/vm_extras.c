/* SPDX-License-Identifier: MIT */
/*
 * Optional VM parts: virtio-mmio devices, control socket, sampler.
 */
#include "vm_extras.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"
#include "vm_control.h"
#include "../boot/acpi.h"

struct vm_extras {
	struct vm_control control;
};

int vm_extras_create(struct vm *vm, char *err, size_t err_len, int *status)
{
	int r;

	vm->extras = calloc(1, sizeof(*vm->extras));
	if (!vm->extras)
		return -ENOMEM;
	r = vm_control_create(&vm->extras->control, vm);
	if (r) {
		snprintf(err, err_len, "--api: %s", strerror(-r));
		*status = VMM_EXIT_USAGE;
	}
	return r;
}

const char *vm_extras_cmdline(struct vm *vm)
{
	(void)vm;
	return "";
}

void vm_extras_acpi_devices(struct vm *vm, struct acpi_config *acpi)
{
	(void)vm;
	acpi->nr_virtio = 0;
}

void vm_extras_start(struct vm *vm)
{
	(void)vm_control_start(&vm->extras->control);
}

void vm_extras_stop(struct vm *vm)
{
	(void)vm_control_finish(&vm->extras->control);
}

void vm_extras_destroy(struct vm *vm)
{
	if (!vm->extras)
		return;
	vm_control_destroy(&vm->extras->control);
	free(vm->extras);
	vm->extras = NULL;
}
