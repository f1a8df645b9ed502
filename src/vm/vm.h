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
#include "vm/config.h"
#include "base/mem.h"
#include "arch/x86/boot.h"
#include "backends/console.h"
#include "io/loop.h"

/* Exit statuses of the vmm process (also in --help and README). */
#define VMM_EXIT_POWEROFF 0
#define VMM_EXIT_ERROR	  1
#define VMM_EXIT_USAGE	  2
#define VMM_EXIT_RESET	  3
#define VMM_EXIT_CRASH	  4

struct vcpu;
struct serial;
struct i8042;
struct acpi_pm;
struct debug_exit;
struct kvm_cpuid2;
struct vm_extras;

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	struct mem mem;
	struct bus pio_bus;
	struct bus mmio_bus;
	struct io_loop *loop;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
	int run_size;		  /* struct kvm_run mapping size */
	struct vcpu *vcpus;
	unsigned int nr_vcpus;
	struct boot_entry entry;
	char *cmdline; /* the command line the guest gets */

	struct console serial_con;
	struct serial *serial;
	struct i8042 *i8042;
	struct acpi_pm *acpi_pm;
	struct debug_exit *debug_exit;
	struct vm_extras *extras; /* virtio, api, sampler (vm_extras.c) */

	struct io_source signal_src; /* SIGTERM/SIGINT/SIGHUP via signalfd */

	/* The first exit request wins; later ones are ignored. */
	pthread_mutex_t exit_lock;
	bool exit_requested;
	int exit_status;
};

/*
 * Build the VM described by @cfg (which must outlive @vm). Returns 0 or
 * -errno; on error @err holds a one-line reason and *@status the process
 * exit status it deserves (VMM_EXIT_USAGE for bad input such as an
 * unreadable or malformed kernel, VMM_EXIT_ERROR otherwise). The kernel
 * and initrd files are read first, before /dev/kvm is opened: anything but
 * a regular file (a FIFO, a device, a directory) is refused without being
 * read. vm_destroy() is safe afterwards either way.
 */
int vm_create(struct vm *vm, const struct vm_config *cfg, char *err,
	      size_t err_len, int *status);

/*
 * Start the vCPU threads and run the io loop on the calling thread until
 * the guest powers off, resets, crashes, or vm_request_exit() is called.
 * Stops and joins every vCPU before returning. Returns the exit status.
 */
int vm_run(struct vm *vm);

/* Release everything vm_create() acquired. Not while vm_run() runs. */
void vm_destroy(struct vm *vm);

/*
 * Ask the VM to stop with process exit status @status; @why is logged at
 * info level. Any thread. The first request wins.
 */
void vm_request_exit(struct vm *vm, int status, const char *why);

/* True once an exit was requested; vCPUs stop entering the guest. Any thread.
 */
bool vm_exiting(struct vm *vm);

/*
 * Route these (already blocked) signals to the io loop, where they end the
 * VM (orderly: vCPUs stopped, terminal restored) with status 128 + signo. Call
 * before vm_run(). Returns 0 or -errno.
 */
int vm_handle_signals(struct vm *vm, const sigset_t *set);

#endif /* VMM_VM_H */
