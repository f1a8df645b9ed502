/* SPDX-License-Identifier: MIT */
/*
 * Optional VM parts: virtio-mmio devices, control socket, sampler.
 */
#include "vm_extras.h"

#include "vm.h"
#include "../boot/acpi.h"

int vm_extras_create(struct vm *vm, char *err, size_t err_len, int *status)
{
	(void)vm;
	(void)err;
	(void)err_len;
	(void)status;
	return 0;
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
	(void)vm;
}

void vm_extras_stop(struct vm *vm)
{
	(void)vm;
}

void vm_extras_destroy(struct vm *vm)
{
	(void)vm;
}
