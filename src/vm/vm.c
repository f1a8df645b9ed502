/* SPDX-License-Identifier: MIT */
/*
 * The VM recipe. vm_create() reads top to bottom: KVM, memory, irqchip,
 * io loop, devices, kernel, firmware tables, vCPUs. vm_run() starts the
 * vCPU threads and runs the io loop on the calling thread until something
 * asks the VM to exit; then every vCPU is kicked out of KVM_RUN and parked.
 */
#define pr_fmt(fmt) "vm: " fmt
#include "vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "devices/devices.h"
#include "kvm/kvm.h"
#include "base/log.h"
#include "attach.h"
#include "runner_ctl.h"
#include "arch/x86/acpi.h"
#include "arch/arch.h"
#include "arch/x86/layout.h"
#include "arch/x86/mptable.h"
#include "vcpu/vcpu.h"
#include "arch/x86/cpu.h"
#include "arch/x86/irq_routing.h"

#define BAD_INPUT(...)                                                         \
	do {                                                                   \
		snprintf(err, err_len, __VA_ARGS__);                           \
		*bad_input = true;                                             \
	} while (0)

/*
 * At exit, a vCPU writing to a console nobody reads (stdout a full pipe)
 * gives up after this long without progress, so that the VM still stops.
 */
#define VM_STOP_OUTPUT_GRACE_MS 3000

static int vm_setup_kvm(struct vm *vm, char *err, size_t err_len,
			bool *bad_input)
{
	struct kvm_pit_config pit = {.flags = 0};
	unsigned int max;
	int r;

	vm->kvm_fd = kvm_open(err, err_len);
	if (vm->kvm_fd < 0)
		return vm->kvm_fd;
	r = kvm_check_caps(vm->kvm_fd, err, err_len);
	if (r)
		return r;
	max = MIN(kvm_max_vcpus(vm->kvm_fd), (unsigned int)VM_MAX_CPUS);
	if (vm->cfg->nr_cpus > max) {
		BAD_INPUT("%u vCPUs exceed this host's limit of %u",
			  vm->cfg->nr_cpus, max);
		return -EINVAL;
	}
	vm->run_size = kvm_vcpu_mmap_size(vm->kvm_fd);
	if (vm->run_size < 0) {
		snprintf(err, err_len, "KVM_GET_VCPU_MMAP_SIZE: %s",
			 strerror(-vm->run_size));
		return vm->run_size;
	}
	r = kvm_supported_cpuid(vm->kvm_fd, &vm->cpuid);
	if (r) {
		snprintf(err, err_len, "KVM_GET_SUPPORTED_CPUID: %s",
			 strerror(-r));
		return r;
	}
	/*
	 * KVM_CREATE_VM can fail with EINTR when a signal arrives while the
	 * kernel starts the VM's worker task (kernels that create the NX
	 * huge page recovery task there); like QEMU, try again.
	 */
	do
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0UL);
	while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0) {
		r = -errno;
		snprintf(err, err_len, "KVM_CREATE_VM: %s", strerror(-r));
		return r;
	}
#define VM_IOCTL(req, arg)                                                     \
	if (ioctl(vm->vm_fd, req, arg) < 0) {                                  \
		r = -errno;                                                    \
		snprintf(err, err_len, #req ": %s", strerror(-r));             \
		return r;                                                      \
	}
	VM_IOCTL(KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_KVM_TSS);
	uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;
	VM_IOCTL(KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	VM_IOCTL(KVM_CREATE_IRQCHIP, 0);
	VM_IOCTL(KVM_CREATE_PIT2, &pit);
#undef VM_IOCTL
	r = x86_setup_irq_routing(vm->vm_fd);
	if (r)
		snprintf(err, err_len, "KVM_SET_GSI_ROUTING: %s", strerror(-r));
	return r;
}

/* Guest RAM in this process; KVM learns of it in vm_register_memory(). */
static int vm_map_memory(struct vm *vm, char *err, size_t err_len)
{
	int r;

	arch_mem_layout(&vm->mem, vm->cfg->mem_size);
	r = mem_map(&vm->mem);
	if (r)
		snprintf(err, err_len, "cannot map %llu MiB of guest RAM: %s",
			 (unsigned long long)(vm->cfg->mem_size >> 20),
			 strerror(-r));
	return r;
}

static int vm_register_memory(struct vm *vm, char *err, size_t err_len)
{
	int r;

	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *m = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
		    .slot = i,
		    .guest_phys_addr = m->gpa,
		    .memory_size = m->size,
		    .userspace_addr = (uintptr_t)m->host,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			r = -errno;
			snprintf(err, err_len, "KVM_SET_USER_MEMORY_REGION: %s",
				 strerror(-r));
			return r;
		}
	}
	return 0;
}

_Static_assert(SERIAL_MAX_VCPUS >= VM_MAX_CPUS,
	       "every vCPU may have a byte staged in the UART");
_Static_assert(LAYOUT_ACPI_SLEEP_STS ==
		       LAYOUT_ACPI_SLEEP_CTL + ACPI_PM_SLEEP_STS &&
		   LAYOUT_ACPI_RESET_REG ==
		       LAYOUT_ACPI_SLEEP_CTL + ACPI_PM_RESET &&
		   LAYOUT_ACPI_REGS_SIZE == ACPI_PM_SIZE,
	       "the FADT's registers are the ACPI power block's");

/* What the platform devices get of the VM. */
static void vm_init_device_env(struct vm *vm)
{
	vm->device_env = (struct device_env){
	    .vm_fd = vm->vm_fd,
	    .pio_bus = &vm->pio_bus,
	    .mmio_bus = &vm->mmio_bus,
	    .loop = vm->loop,
	    .exit = &vm->exit,
	};
}

/* The PC's platform devices, at the addresses of arch/x86/layout.h. */
static int attach_serial(struct vm *vm)
{
	return serial_create(&vm->serial, &vm->device_env, &vm->serial_con,
			     LAYOUT_COM1_PORT, LAYOUT_COM1_IRQ);
}

static int attach_i8042(struct vm *vm)
{
	return i8042_create(&vm->i8042, &vm->device_env, LAYOUT_I8042_DATA,
			    LAYOUT_I8042_CMD);
}

static int attach_acpi_pm(struct vm *vm)
{
	const struct acpi_pm_config pm = {
	    .base = LAYOUT_ACPI_SLEEP_CTL,
	    .reset_value = LAYOUT_ACPI_RESET_VALUE,
	    .s5_slp_typ = LAYOUT_ACPI_S5_SLP_TYP,
	};

	return acpi_pm_create(&vm->acpi_pm, &vm->device_env, &pm);
}

static int attach_debug_exit(struct vm *vm)
{
	if (!vm->cfg->debug_exit)
		return 0;
	return debug_exit_create(&vm->debug_exit, &vm->device_env,
				 LAYOUT_DEBUG_EXIT_PORT);
}

/* One named step: @r, else "what: strerror" into @err. */
#define STEP(r, what)                                                          \
	do {                                                                   \
		int r_ = (r);                                                  \
		if (r_) {                                                      \
			snprintf(err, err_len, "%s: %s", what, strerror(-r_)); \
			return r_;                                             \
		}                                                              \
	} while (0)

/* The guest's command line: the user's or ours, plus device entries. */
static int vm_build_cmdline(struct vm *vm)
{
	const char *base = vm->cfg->cmdline;
	const char *extra = attach_cmdline(vm);
	size_t len;

	if (!base)
		base = vm->cfg->console ? "console=hvc0 panic=-1"
					: "console=ttyS0 panic=-1";
	len = strlen(base) + strlen(extra) + 2;
	vm->cmdline = malloc(len);
	if (!vm->cmdline)
		return -ENOMEM;
	snprintf(vm->cmdline, len, "%s%s%s", base, *extra ? " " : "", extra);
	return 0;
}

static int vm_load_guest(struct vm *vm, char *err, size_t err_len,
			 bool *bad_input)
{
	const struct vm_config *cfg = vm->cfg;
	struct boot_config boot = {.rsdp_addr = LAYOUT_ACPI_RSDP};
	struct acpi_config acpi = {.nr_cpus = cfg->nr_cpus, .com1 = true};
	const char *why = NULL;
	int r;

	*bad_input = true;
	boot.kernel = cfg->kernel_buf;
	boot.kernel_len = cfg->kernel_len;
	boot.initrd = cfg->initrd_buf;
	boot.initrd_len = cfg->initrd_len;
	boot.cmdline = vm->cmdline;
	r = boot_load(&vm->mem, &boot, &vm->entry, &why);
	if (r) {
		snprintf(err, err_len, "kernel %s: %s",
			 cfg->kernel ? cfg->kernel : "(in memory)",
			 why ? why : strerror(-r));
		return r;
	}
	*bad_input = false;
	attach_acpi_devices(vm, &acpi);
	r = acpi_build(&vm->mem, &acpi);
	if (!r)
		r = mptable_build(&vm->mem, cfg->nr_cpus);
	if (!r)
		r = x86_write_boot_tables(&vm->mem, vm->entry.protocol);
	if (r)
		snprintf(err, err_len, "firmware tables: %s", strerror(-r));
	return r;
}

static int vm_setup_vcpus(struct vm *vm, char *err, size_t err_len)
{
	int r;

	int sig = vm->cfg->kick_signal ? vm->cfg->kick_signal
				       : VM_DEFAULT_KICK_SIGNAL;

	r = vcpu_install_kick(sig);
	if (r) {
		snprintf(err, err_len,
			 "vCPU kick signal %d: %s (the application handles it; "
			 "choose another with vmm_set_kick_signal())",
			 sig, strerror(-r));
		return r;
	}
	vm->vcpu_env = (struct vcpu_env){
	    .vm_fd = vm->vm_fd,
	    .run_size = (size_t)vm->run_size,
	    .cpuid = vm->cpuid,
	    .nr_cpus = vm->cfg->nr_cpus,
	    .pio_bus = &vm->pio_bus,
	    .mmio_bus = &vm->mmio_bus,
	    .exit = &vm->exit,
	    .kick_signal = sig,
	    .log = vm->cfg->log,
	    .seccomp = &vm->seccomp,
	};
	vm->vcpus = calloc(vm->cfg->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cfg->nr_cpus; i++) {
		vm->vcpus[i].fd = -1;
		vm->nr_vcpus = i + 1;
		r = vcpu_create(&vm->vcpus[i], &vm->vcpu_env, i);
		if (r) {
			snprintf(err, err_len, "vcpu %u: %s", i, strerror(-r));
			return r;
		}
	}
	/* The BSP starts at the kernel entry; APs wait for INIT/SIPI. */
	r = vcpu_setup_boot(&vm->vcpus[0], &vm->entry);
	if (r)
		snprintf(err, err_len, "vcpu 0 boot registers: %s",
			 strerror(-r));
	return r;
}

static void vm_stop_loop(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->loop)
		io_loop_stop(vm->loop);
}

/* The io loop of the kind configured (vmm_set_io_loop()). */
static int vm_create_loop(struct vm *vm, char *err, size_t err_len)
{
	static const enum io_loop_kind kinds[] = {
	    [VMM_IO_LOOP_AUTO] = IO_LOOP_AUTO,
	    [VMM_IO_LOOP_URING] = IO_LOOP_URING,
	    [VMM_IO_LOOP_EPOLL] = IO_LOOP_EPOLL,
	};
	enum vmm_io_loop kind = vm->cfg->io_loop;
	int r = io_loop_create(&vm->loop, kinds[kind]);

	if (!r)
		return 0;
	if (kind == VMM_IO_LOOP_URING &&
	    (r == -ENOSYS || r == -EPERM || r == -EACCES))
		snprintf(err, err_len,
			 "io_uring: %s (the host refuses it, and the io loop "
			 "was set to io_uring only)",
			 strerror(-r));
	else
		snprintf(err, err_len, "io loop: %s", strerror(-r));
	return r;
}

int vm_create(struct vm *vm, const struct vm_config *cfg, char *err,
	      size_t err_len, bool *bad_input)
{
	int r;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->serial_con.in_fd = vm->serial_con.out_fd = -1;
	exit_ctl_init(&vm->exit, vm_stop_loop, vm);
	*bad_input = false;

	_Static_assert((int)VMM_SECCOMP_ON == SECCOMP_MODE_ON &&
			   (int)VMM_SECCOMP_LOG == SECCOMP_MODE_LOG &&
			   (int)VMM_SECCOMP_OFF == SECCOMP_MODE_OFF,
		       "the public seccomp modes are the sandbox's");
	r = seccomp_set_build(&vm->seccomp, (enum seccomp_mode)cfg->seccomp,
			      err, err_len);
	if (r)
		return r;

	/* Everything of the host's the configuration names comes first, so
	 * bad input is reported as such even where /dev/kvm is missing: the
	 * loop, the backends, the control socket and stats file, the guest
	 * loaded into RAM that KVM is given later. */
	r = vm_create_loop(vm, err, err_len);
	if (r)
		return r;
	(void)io_loop_set_polling(vm->loop, cfg->io_poll_ns); /* not run */
	if (cfg->runner_ctl) {
		r = runner_ctl_create(&vm->runner, vm->loop, err, err_len);
		if (r)
			return r;
	}
	*bad_input = true;
	r = console_open(&vm->serial_con, cfg->serial, err, err_len);
	vm->serial_con.quit_to = &vm->exit; /* Ctrl-A x */
	if (!r)
		r = attach_virtio_console(vm, err, err_len, bad_input);
	if (!r)
		r = attach_virtio_disks(vm, err, err_len, bad_input);
	if (!r)
		r = attach_virtio_rng(vm, err, err_len, bad_input);
	if (!r)
		r = attach_virtio_nets(vm, err, err_len, bad_input);
	if (!r)
		r = attach_virtio_vsock(vm, err, err_len, bad_input);
	if (!r)
		r = attach_virtio_fs(vm, err, err_len, bad_input);
	if (!r)
		r = vm_control_create(&vm->control, vm, err, err_len);
	if (r)
		return r;
	*bad_input = false;
	STEP(vm_build_cmdline(vm), "command line");
	r = vm_map_memory(vm, err, err_len);
	if (r)
		return r;
	r = vm_load_guest(vm, err, err_len, bad_input);
	if (r)
		return r;
	/* The machine itself. */
	r = vm_setup_kvm(vm, err, err_len, bad_input);
	if (r)
		return r;
	r = vm_register_memory(vm, err, err_len);
	if (r)
		return r;
	/* The devices, one step per kind. */
	vm_init_device_env(vm);
	STEP(attach_serial(vm), "serial");
	STEP(attach_i8042(vm), "i8042");
	STEP(attach_acpi_pm(vm), "acpi-pm");
	STEP(attach_debug_exit(vm), "debug-exit");
	r = attach_virtio_windows(vm, err, err_len);
	if (r)
		return r;
	if (vm->runner)
		STEP(runner_ctl_start(vm->runner), "runner control");
	return vm_setup_vcpus(vm, err, err_len);
}

void vm_request_exit(struct vm *vm, enum vmm_exit_reason reason, int status,
		     const char *why)
{
	(void)exit_ctl_request(&vm->exit, reason, status, why);
}

/*
 * The VMM's own memory cost: resident set minus the guest pages that are
 * resident (touched by the guest or the loader), as mincore() sees them.
 */
static void vm_report_memory(struct vm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long long guest = 0, rss_pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return;
	if (fscanf(f, "%*u %llu", &rss_pages) != 1)
		rss_pages = 0;
	fclose(f);
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *m = &vm->mem.regions[i];
		size_t n = m->size / (uint64_t)page;
		unsigned char *vec = malloc(n);

		if (!vec || mincore(m->host, m->size, vec) < 0) {
			free(vec);
			return;
		}
		for (size_t j = 0; j < n; j++)
			guest += vec[j] & 1;
		free(vec);
	}
	pr_info("memory: rss %llu KiB, guest resident %llu KiB, vmm overhead "
		"%llu KiB",
		rss_pages * page / 1024, guest * page / 1024,
		(rss_pages - MIN(guest, rss_pages)) * page / 1024);
}

struct vmm_exit vm_run(struct vm *vm)
{
	/* The ring is enabled on its thread before the filter forbids it. */
	int r = io_loop_prepare(vm->loop);

	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++)
		r = vcpu_start(&vm->vcpus[i]);
	if (r) {
		pr_err("starting vcpu threads: %s", strerror(-r));
		vm_request_exit(vm, VMM_EXIT_ERROR, 0, "vcpu start failed");
	}
	(void)vm_control_start(&vm->control);
	/* Our filter before any guest instruction: the vCPUs wait for it. */
	if (!r) {
		r = seccomp_set_apply(&vm->seccomp, SECCOMP_THREAD_IO);
		if (r) {
			pr_err("seccomp filter of the io thread: %s",
			       strerror(-r));
			vm_request_exit(vm, VMM_EXIT_ERROR, 0,
					"seccomp filter failed");
		}
	}
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++)
		vcpu_release(&vm->vcpus[i]);
	if (!r) {
		r = io_loop_run(vm->loop);
		if (r) {
			pr_err("io loop: %s", strerror(-r));
			vm_request_exit(vm, VMM_EXIT_ERROR, 0,
					"io loop failed");
		}
	}
	/* Kick everyone out first, then wait: stopping 64 vCPUs is parallel. */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_request_stop(&vm->vcpus[i]);
	/* A vCPU may be stuck writing output that nobody takes. */
	console_shutdown(&vm->serial_con, VM_STOP_OUTPUT_GRACE_MS);
	attach_shutdown_output(vm, VM_STOP_OUTPUT_GRACE_MS);
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_wait_parked(&vm->vcpus[i]);
	attach_drain(vm);
	(void)vm_control_finish(&vm->control);
	attach_hint_unused(vm);
	if (log_enabled(LOG_INFO))
		vm_report_memory(vm);
	/* The loop only ends on a request; anything else is our failure. */
	vm_request_exit(vm, VMM_EXIT_ERROR, 0, "the io loop ended");
	/* After attach_drain(): the consoles have written the guest's last
	 * lines, the runner's exit line among them. */
	if (vm->runner)
		return runner_ctl_finish(vm->runner, exit_ctl_get(&vm->exit));
	return exit_ctl_get(&vm->exit);
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	vm_control_destroy(&vm->control);
	attach_destroy(vm);
	debug_exit_destroy(vm->debug_exit);
	acpi_pm_destroy(vm->acpi_pm);
	i8042_destroy(vm->i8042);
	serial_destroy(vm->serial);
	if (vm->serial_con.ops)
		console_close(&vm->serial_con);
	if (vm->loop)
		io_loop_destroy(vm->loop);
	vm->loop = NULL;
	/* After the loop, which clears the watch of the runner's source. */
	runner_ctl_destroy(vm->runner);
	seccomp_set_free(&vm->seccomp);
	vm->runner = NULL;
	free(vm->cmdline);
	free(vm->cpuid);
	mem_destroy(&vm->mem);
	bus_destroy(&vm->pio_bus);
	bus_destroy(&vm->mmio_bus);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
	exit_ctl_destroy(&vm->exit);
}
