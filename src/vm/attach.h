/* SPDX-License-Identifier: MIT */
/*
 * The optional parts of a VM wired after the platform: virtio-mmio devices,
 * the control socket and the runstate sampler. Kept apart from vm.c so the
 * recipe stays short; each function is one step of vm_create()/vm_run().
 */
#ifndef VMM_VM_EXTRAS_H
#define VMM_VM_EXTRAS_H

#include <stddef.h>

struct vm;
struct acpi_config;
struct virtio_dev;

/* Create the configured extras. 0 or -errno with @err and *@status set. */
int vm_extras_create(struct vm *vm, char *err, size_t err_len, int *status);

/*
 * Put @dev behind the next virtio-mmio window and GSI, and announce it in
 * the DSDT and on the command line. During vm_extras_create() only (before
 * the command line and ACPI tables are built). 0 or -errno.
 */
int vm_extras_add_virtio(struct vm *vm, struct virtio_dev *dev);

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
