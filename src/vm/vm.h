/* SPDX-License-Identifier: MIT */
/*
 * One virtual machine: its KVM fds, guest memory, buses, devices, vCPUs and
 * the io thread's loop. vm_create() is the recipe that wires them; it uses
 * no global state, so several VMs can live in one process.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/bus.h"
#include "base/exit_ctl.h"
#include "vm/config.h"
#include "base/mem.h"
#include "arch/x86/boot.h"
#include "backends/console.h"
#include "control.h"
#include "devices/devices.h"
#include "vcpu/vcpu.h"
#include "io/loop.h"
#include "sandbox/seccomp.h"

struct vcpu;
struct serial;
struct i8042;
struct acpi_pm;
struct debug_exit;
struct kvm_cpuid2;
struct vm_virtio;
struct runner_ctl;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	struct mem mem;
	struct bus pio_bus;
	struct bus mmio_bus;
	struct io_loop *loop;
	struct kvm_cpuid2 *cpuid;     /* KVM_GET_SUPPORTED_CPUID */
	int run_size;		      /* struct kvm_run mapping size */
	struct vcpu_env vcpu_env;     /* what the vCPUs share of the VM */
	struct device_env device_env; /* and the platform devices */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	struct boot_entry entry;
	char *cmdline; /* the command line the guest gets */

	struct console serial_con;
	struct serial *serial;
	struct i8042 *i8042;
	struct acpi_pm *acpi_pm;
	struct debug_exit *debug_exit;
	struct vm_virtio *virtio;   /* virtio devices (attach.c) */
	struct vm_control control;  /* --api, --stats, the sampler */
	struct runner_ctl *runner;  /* the runner control port, or NULL */
	struct seccomp_set seccomp; /* the threads' filters, compiled */

	struct exit_ctl exit; /* why it ends; the first request wins */
};

/*
 * Build the VM described by @cfg (which must outlive @vm). Returns 0 or
 * -errno; on error @err holds a one-line reason and *@bad_input says
 * whether the configuration is at fault (a malformed kernel, an unusable
 * console backend, more vCPUs than the host allows) rather than the host.
 * vm_destroy() is safe afterwards either way.
 */
int vm_create(struct vm *vm, const struct vm_config *cfg, char *err,
	      size_t err_len, bool *bad_input);

/*
 * Start the vCPU threads and run the io loop on the calling thread until
 * the guest powers off, resets, crashes, or vm_request_exit() is called.
 * Stops and joins every vCPU before returning. Returns why it ended.
 */
struct vmm_exit vm_run(struct vm *vm);

/*
 * Read all of the regular file @path (at most @max bytes) into a malloc'd
 * *@buf; @what names it in the one-line error ("kernel"). A FIFO, device
 * or directory is refused (-EINVAL) without blocking. 0 or -errno.
 */
int vm_read_file(const char *what, const char *path, uint64_t max,
		 uint8_t **buf, size_t *len, char *err, size_t err_len);

/* Release everything vm_create() acquired. Not while vm_run() runs. */
void vm_destroy(struct vm *vm);

/*
 * Ask the VM to end for @reason (@status: the debug-exit byte, else 0);
 * @why is logged at info level. Any thread. The first request wins.
 */
void vm_request_exit(struct vm *vm, enum vmm_exit_reason reason, int status,
		     const char *why);

#endif /* VMM_VM_H */
