/* SPDX-License-Identifier: MIT */
/*
 * Placing virtio devices on a VM: each gets a virtio-mmio window in the MMIO
 * hole and a GSI, and is announced twice (a DSDT LNRO0005 device and a
 * virtio_mmio.device= command-line entry). A device is planned while the
 * VM is described (before /dev/kvm is opened: its backends are the user's
 * input) and attached once the VM has its KVM fd. One attach_* call per
 * device kind; vm.c calls them in its recipe.
 */
#ifndef VMM_VM_ATTACH_H
#define VMM_VM_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

struct vm;
struct acpi_config;
struct vcon;

/*
 * The virtio-console of cfg->console and cfg->ports: open every port's
 * backend and plan its window. 0 (also without a console) or -errno with
 * @err and *@bad_input set.
 */
int attach_virtio_console(struct vm *vm, char *err, size_t err_len,
			  bool *bad_input);

/* The virtio-console, or NULL. */
struct vcon *attach_console(struct vm *vm);

/* Create the transports of every planned device (KVM fd and RAM exist). */
/* The disks (vda, vdb, ... in order) and the rng device, as the console. */
int attach_virtio_disks(struct vm *vm, char *err, size_t err_len,
			bool *bad_input);
int attach_virtio_rng(struct vm *vm, char *err, size_t err_len,
		      bool *bad_input);
/* The net devices (eth0, eth1, ... in order) and the vsock device. */
int attach_virtio_nets(struct vm *vm, char *err, size_t err_len,
		       bool *bad_input);
int attach_virtio_vsock(struct vm *vm, char *err, size_t err_len,
			bool *bad_input);

/*
 * The loop has stopped (on its thread, vCPUs parked): write out the
 * consoles' transmit queues (vcon_flush()), and wait for the I/O still
 * in flight that points into guest RAM and bounce buffers (disks, net
 * transmissions, vsock).
 */
void attach_drain(struct vm *vm);

/* The devices' counters into @st (any thread). */
struct vm_stats;
void attach_collect_stats(struct vm *vm, struct vm_stats *st);

int attach_virtio_fs(struct vm *vm, char *err, size_t err_len, bool *bad_input);
int attach_virtio_windows(struct vm *vm, char *err, size_t err_len);

/* Command-line entries of the planned devices ("" if none). Owned by @vm. */
const char *attach_cmdline(struct vm *vm);

/* Add the planned windows to the ACPI description. */
void attach_acpi_devices(struct vm *vm, struct acpi_config *acpi);

/* vm_run(), loop stopped: console_shutdown() for the devices' consoles. */
void attach_shutdown_output(struct vm *vm, unsigned int grace_ms);

/*
 * After a guest that ran to power-off or reboot never started a device,
 * name what its kernel lacks (after kvmtool's guest_compat hints).
 */
void attach_hint_unused(struct vm *vm);

/* Release the transports and devices. Safe when nothing was attached. */
void attach_destroy(struct vm *vm);

#endif /* VMM_VM_ATTACH_H */
