/* SPDX-License-Identifier: MIT */
/*
 * The optional parts of a VM wired after the platform: virtio-mmio devices,
 * the control socket and the runstate sampler. Kept apart from vm.c so the
 * recipe stays short; each function is one step of vm_create()/vm_run().
 */
#ifndef VMM_VM_EXTRAS_H
#define VMM_VM_EXTRAS_H

#include <stdbool.h>
#include <stddef.h>

struct vm;
struct acpi_config;
struct virtio_dev;

/*
 * Open what the configured extras need from the host (console backends,
 * the --api socket, the --stats file), before /dev/kvm is opened. 0 or
 * -errno with @err and *@bad_input set.
 */
int vm_extras_create(struct vm *vm, char *err, size_t err_len,
		     bool *bad_input);

/* Put the devices on the VM (after its KVM fd and memory exist). */
int vm_extras_attach(struct vm *vm, char *err, size_t err_len);

/* Command-line entries the devices need ("" if none). Owned by @vm. */
const char *vm_extras_cmdline(struct vm *vm);

/* Add the virtio-mmio windows to the ACPI description. */
void vm_extras_acpi_devices(struct vm *vm, struct acpi_config *acpi);

/* Called by vm_run() before / after the io loop runs. */
void vm_extras_start(struct vm *vm);
void vm_extras_stop(struct vm *vm);

/* vm_run(), loop stopped: console_shutdown() for the extras' consoles. */
void vm_extras_shutdown_output(struct vm *vm, unsigned int grace_ms);

/* Release everything vm_extras_create() made. Safe when it failed. */
void vm_extras_destroy(struct vm *vm);

#endif /* VMM_VM_EXTRAS_H */
