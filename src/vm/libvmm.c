/* SPDX-License-Identifier: MIT */
/*
 * The public API (include/vmm/vmm.h) over the VM recipe: a struct vmm
 * owns copies of everything it was given, builds a struct vm_config from
 * them at vmm_start(), runs vm_run() on an io thread of its own and
 * reports the end through an eventfd.
 */
#define pr_fmt(fmt) "vmm: " fmt
#include <vmm/vmm.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "backends/console.h"
#include "backends/net.h"
#include "base/log.h"
#include "attach.h"
#include "control.h"
#include "devices/virtio_console.h"
#include "runner_ctl.h"
#include "vcpu/runstate.h"
#include "vcpu/vcpu.h"
#include "vcpu/vcpu_stats.h"
#include "vm.h"

#ifndef VMM_VERSION
#define VMM_VERSION "0.2.0"
#endif

/* Built with -fvisibility=hidden: only these functions are exported. */
#pragma GCC visibility push(default)

enum vmm_phase { PHASE_CONFIG, PHASE_RUNNING, PHASE_ENDED };

struct vmm {
	struct vm_config cfg; /* strings below, owned */
	char *kernel_path, *cmdline, *serial, *console;
	char *port_names[VM_MAX_PORTS], *port_backends[VM_MAX_PORTS];
	char *disk_paths[VMM_MAX_DISKS], *disk_serials[VMM_MAX_DISKS];
	char *fs_tags[VMM_MAX_FS], *fs_dirs[VMM_MAX_FS];
	char *stats_path, *api_path, *vsock_path;
	uint8_t *kernel, *initrd; /* the images until vmm_start() loads them */
	struct log_sink log;

	enum vmm_phase phase;
	pthread_mutex_t lock;	   /* phase, exit */
	pthread_mutex_t join_lock; /* joined */
	struct vm vm;
	bool vm_made; /* vm_create() ran: vm_destroy() is due */
	pthread_t io_thread;
	int exit_fd; /* eventfd, written when vm_run() returned */
	struct vmm_exit exit;
	bool joined;
	char err[512];
};

const char *vmm_version(void)
{
	return VMM_VERSION;
}

__attribute__((format(printf, 3, 4))) static int fail(struct vmm *vm, int r,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm->err, sizeof(vm->err), fmt, ap);
	va_end(ap);
	return r;
}

static bool started(struct vmm *vm);

/* Configuration calls: only before vmm_start(). */
#define CONFIG_ONLY(vm)                                                        \
	do {                                                                   \
		if (!(vm))                                                     \
			return -EINVAL;                                        \
		(vm)->err[0] = '\0';                                           \
		if (started(vm))                                               \
			return fail((vm), -EBUSY, "%s: the VM was started",    \
				    __func__);                                 \
	} while (0)

/* Replace *@slot with a copy of @s (NULL stays NULL). 0 or -ENOMEM. */
static int set_string(char **slot, const char *s)
{
	char *c = NULL;

	if (s && !(c = strdup(s)))
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

int vmm_check_backend(const char *backend, char *why, size_t why_len)
{
	char buf[256];

	if (!why || !why_len) {
		why = buf;
		why_len = sizeof(buf);
	}
	return console_spec_check(backend, why, why_len);
}

int vmm_create(struct vmm **out)
{
	struct vmm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return -ENOMEM;
	vm->cfg.nr_cpus = 1;
	vm->cfg.mem_size = VM_DEFAULT_MEM;
	vm->cfg.sample_ms = 10;
	vm->cfg.io_poll_ns = VMM_DEFAULT_IO_POLL_NS;
	vm->cfg.serial = "none";
	vm->exit_fd = -1;
	log_sink_init(&vm->log);
	vm->cfg.log = &vm->log;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->join_lock, NULL);
	*out = vm;
	return 0;
}

const char *vmm_last_error(const struct vmm *vm)
{
	return vm ? vm->err : "no VM";
}

int vmm_set_machine(struct vmm *vm, unsigned int vcpus, uint64_t mem_bytes)
{
	CONFIG_ONLY(vm);
	if (vcpus < 1 || vcpus > VM_MAX_CPUS)
		return fail(vm, -EINVAL, "%u vCPUs: the range is 1..%u", vcpus,
			    VM_MAX_CPUS);
	if (mem_bytes < VM_MIN_MEM || mem_bytes > VM_MAX_MEM ||
	    mem_bytes % 4096)
		return fail(vm, -EINVAL,
			    "%llu bytes of RAM: want a multiple of 4 KiB in "
			    "16 MiB..1 TiB",
			    (unsigned long long)mem_bytes);
	vm->cfg.nr_cpus = vcpus;
	vm->cfg.mem_size = mem_bytes;
	return 0;
}

/* Adopt @kernel/@initrd (malloc'd, owned from here) and @cmdline. */
static int set_images(struct vmm *vm, uint8_t *kernel, size_t kernel_len,
		      uint8_t *initrd, size_t initrd_len, const char *cmdline)
{
	if (set_string(&vm->cmdline, cmdline)) {
		free(kernel);
		free(initrd);
		return -ENOMEM;
	}
	free(vm->kernel);
	free(vm->initrd);
	vm->kernel = kernel;
	vm->initrd = initrd;
	vm->cfg.kernel_buf = kernel;
	vm->cfg.kernel_len = kernel_len;
	vm->cfg.initrd_buf = initrd;
	vm->cfg.initrd_len = initrd_len;
	vm->cfg.cmdline = vm->cmdline;
	return 0;
}

int vmm_set_kernel(struct vmm *vm, const char *kernel, const char *initrd,
		   const char *cmdline)
{
	uint8_t *k = NULL, *i = NULL;
	size_t klen = 0, ilen = 0;
	int r;

	CONFIG_ONLY(vm);
	if (!kernel)
		return fail(vm, -EINVAL, "no kernel named");
	/* No image can be larger than RAM may ever be. */
	r = vm_read_file("kernel", kernel, VM_MAX_MEM, &k, &klen, vm->err,
			 sizeof(vm->err));
	if (!r && klen == 0)
		r = fail(vm, -EINVAL, "kernel %s: empty file", kernel);
	if (!r && initrd)
		r = vm_read_file("initrd", initrd, VM_MAX_MEM, &i, &ilen,
				 vm->err, sizeof(vm->err));
	if (!r)
		r = set_string(&vm->kernel_path, kernel);
	if (r) {
		free(k);
		free(i);
		return r;
	}
	vm->cfg.kernel = vm->kernel_path;
	return set_images(vm, k, klen, i, ilen, cmdline);
}

int vmm_set_kernel_mem(struct vmm *vm, const void *kernel, size_t kernel_len,
		       const void *initrd, size_t initrd_len,
		       const char *cmdline)
{
	uint8_t *k, *i = NULL;

	CONFIG_ONLY(vm);
	if (!kernel || !kernel_len || (initrd_len && !initrd))
		return fail(vm, -EINVAL, "no kernel image given");
	k = malloc(kernel_len);
	if (initrd_len)
		i = malloc(initrd_len);
	if (!k || (initrd_len && !i)) {
		free(k);
		free(i);
		return -ENOMEM;
	}
	memcpy(k, kernel, kernel_len);
	if (initrd_len)
		memcpy(i, initrd, initrd_len);
	free(vm->kernel_path);
	vm->kernel_path = NULL;
	vm->cfg.kernel = NULL;
	return set_images(vm, k, kernel_len, i, initrd_len, cmdline);
}

int vmm_add_serial(struct vmm *vm, const char *backend)
{
	CONFIG_ONLY(vm);
	if (vmm_check_backend(backend, vm->err, sizeof(vm->err)))
		return -EINVAL;
	if (vm->serial)
		return fail(vm, -EEXIST, "the serial port was added already");
	if (set_string(&vm->serial, backend))
		return -ENOMEM;
	vm->cfg.serial = vm->serial;
	return 0;
}

int vmm_add_console(struct vmm *vm, const char *name, const char *backend)
{
	unsigned int n;

	CONFIG_ONLY(vm);
	if (vmm_check_backend(backend, vm->err, sizeof(vm->err)))
		return -EINVAL;
	if (!name) {
		if (vm->console)
			return fail(vm, -EEXIST,
				    "console port 0 was added already");
		if (set_string(&vm->console, backend))
			return -ENOMEM;
		vm->cfg.console = vm->console;
		return 0;
	}
	n = vm->cfg.nr_ports;
	if (!*name)
		return fail(vm, -EINVAL, "an empty console port name");
	if (vm->cfg.runner_ctl && !strcmp(name, RUNNER_CTL_PORT))
		return fail(vm, -EEXIST,
			    "console port %s is the runner control port", name);
	if (n + vm->cfg.runner_ctl == VM_MAX_PORTS)
		return fail(vm, -ENOSPC, "more than %u named console ports",
			    VM_MAX_PORTS);
	if (set_string(&vm->port_names[n], name) ||
	    set_string(&vm->port_backends[n], backend))
		return -ENOMEM;
	vm->cfg.ports[n] = (struct vm_port){
	    .name = vm->port_names[n],
	    .backend = vm->port_backends[n],
	};
	vm->cfg.nr_ports = n + 1;
	return 0;
}

int vmm_set_console_size(struct vmm *vm, unsigned int cols, unsigned int rows)
{
	struct vcon *vc;
	int r;

	if (!vm)
		return -EINVAL;
	vm->err[0] = '\0';
	if (!cols || !rows || cols > UINT16_MAX || rows > UINT16_MAX)
		return fail(vm, -EINVAL, "console size %ux%u: 1..65535 each",
			    cols, rows);
	if (!started(vm)) {
		vm->cfg.console_cols = (uint16_t)cols;
		vm->cfg.console_rows = (uint16_t)rows;
		return 0;
	}
	vc = attach_console(&vm->vm);
	if (!vc)
		return fail(vm, -ENODEV, "the VM has no console port 0");
	r = vcon_set_size(vc, (uint16_t)rows, (uint16_t)cols);
	return r ? fail(vm, r, "console size: %s", strerror(-r)) : 0;
}

int vmm_add_runner_control(struct vmm *vm)
{
	CONFIG_ONLY(vm);
	if (vm->cfg.runner_ctl)
		return fail(vm, -EEXIST,
			    "the runner control port was added "
			    "already");
	for (unsigned int i = 0; i < vm->cfg.nr_ports; i++)
		if (!strcmp(vm->cfg.ports[i].name, RUNNER_CTL_PORT))
			return fail(vm, -EEXIST,
				    "a console port is named %s already",
				    RUNNER_CTL_PORT);
	if (vm->cfg.nr_ports == VM_MAX_PORTS)
		return fail(vm, -ENOSPC,
			    "no room for the runner control port: %u named "
			    "console ports",
			    VM_MAX_PORTS);
	vm->cfg.runner_ctl = true;
	return 0;
}

int vmm_add_disk(struct vmm *vm, const char *path, unsigned int flags,
		 const char *serial)
{
	unsigned int n = vm->cfg.nr_disks;

	CONFIG_ONLY(vm);
	if (!path || !*path)
		return fail(vm, -EINVAL, "no disk image path given");
	if (flags & ~(VMM_DISK_READONLY | VMM_DISK_DIRECT))
		return fail(vm, -EINVAL, "unknown disk flags 0x%x", flags);
	if (serial && strlen(serial) > 20)
		return fail(vm, -EINVAL,
			    "disk serial '%s' is longer than 20 bytes", serial);
	if (n == VMM_MAX_DISKS)
		return fail(vm, -ENOSPC, "more than %d disks", VMM_MAX_DISKS);
	if (set_string(&vm->disk_paths[n], path) ||
	    set_string(&vm->disk_serials[n], serial))
		return -ENOMEM;
	vm->cfg.disks[n] = (struct vm_disk){
	    .path = vm->disk_paths[n],
	    .serial = vm->disk_serials[n],
	    .readonly = flags & VMM_DISK_READONLY,
	    .direct = flags & VMM_DISK_DIRECT,
	};
	vm->cfg.nr_disks = n + 1;
	return 0;
}

int vmm_add_rng(struct vmm *vm)
{
	CONFIG_ONLY(vm);
	if (vm->cfg.rng)
		return fail(vm, -EEXIST, "the rng device was added already");
	vm->cfg.rng = true;
	return 0;
}

int vmm_set_rng_rate(struct vmm *vm, uint64_t bytes_per_sec)
{
	CONFIG_ONLY(vm);
	if (!vm->cfg.rng)
		return fail(vm, -EINVAL, "no rng device: vmm_add_rng() first");
	vm->cfg.rng_rate = bytes_per_sec;
	return 0;
}

int vmm_add_net(struct vmm *vm, const char *spec)
{
	unsigned int n = vm->cfg.nr_nets;

	CONFIG_ONLY(vm);
	if (!spec)
		return fail(vm, -EINVAL, "no net spec given");
	if (n == VMM_MAX_NETS)
		return fail(vm, -ENOSPC, "more than %d net devices",
			    VMM_MAX_NETS);
	if (net_spec_parse(spec, &vm->cfg.nets[n], vm->err, sizeof(vm->err)))
		return -EINVAL;
	vm->cfg.nr_nets = n + 1;
	return 0;
}

/* The config field's size: the guest reads the tag from there. */
#define FS_TAG_MAX 36

int vmm_add_fs(struct vmm *vm, const char *tag, const char *dir,
	       unsigned int flags)
{
	unsigned int n = vm->cfg.nr_fs;

	CONFIG_ONLY(vm);
	if (!tag || !*tag || strlen(tag) > FS_TAG_MAX)
		return fail(vm, -EINVAL, "fs tag '%s': 1 to %d bytes",
			    tag ? tag : "", FS_TAG_MAX);
	if (!dir || !*dir)
		return fail(vm, -EINVAL, "fs %s: no directory given", tag);
	if (flags & ~VMM_FS_READONLY)
		return fail(vm, -EINVAL, "unknown fs flags 0x%x", flags);
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(vm->cfg.fs[i].tag, tag))
			return fail(vm, -EEXIST, "fs tag '%s' given twice",
				    tag);
	if (n == VMM_MAX_FS)
		return fail(vm, -ENOSPC, "more than %d shared directories",
			    VMM_MAX_FS);
	if (set_string(&vm->fs_tags[n], tag) ||
	    set_string(&vm->fs_dirs[n], dir))
		return -ENOMEM;
	vm->cfg.fs[n] = (struct vm_fs){
	    .tag = vm->fs_tags[n],
	    .dir = vm->fs_dirs[n],
	    .readonly = flags & VMM_FS_READONLY,
	};
	vm->cfg.nr_fs = n + 1;
	return 0;
}

/* "<path>_<port>" must fit a sun_path for every port. */
#define VSOCK_PATH_MAX (NET_PATH_MAX - sizeof("_4294967295"))

int vmm_add_vsock(struct vmm *vm, uint32_t guest_cid, const char *uds_path)
{
	CONFIG_ONLY(vm);
	if (vm->cfg.vsock_cid)
		return fail(vm, -EEXIST, "the vsock device was added already");
	if (guest_cid < 3 || guest_cid == UINT32_MAX)
		return fail(vm, -EINVAL,
			    "vsock cid %u: guest CIDs are 3..4294967294 (0-2 "
			    "are reserved, -1 is any)",
			    guest_cid);
	if (!uds_path || !*uds_path)
		return fail(vm, -EINVAL, "vsock: no unix socket path given");
	if (strlen(uds_path) > VSOCK_PATH_MAX)
		return fail(vm, -ENAMETOOLONG,
			    "vsock socket %s: longer than %zu bytes (room is "
			    "kept for \"_<port>\")",
			    uds_path, VSOCK_PATH_MAX);
	if (set_string(&vm->vsock_path, uds_path))
		return -ENOMEM;
	vm->cfg.vsock_cid = guest_cid;
	vm->cfg.vsock_path = vm->vsock_path;
	return 0;
}

int vmm_set_debug_exit(struct vmm *vm, int enabled)
{
	CONFIG_ONLY(vm);
	vm->cfg.debug_exit = enabled != 0;
	return 0;
}

int vmm_set_api_socket(struct vmm *vm, const char *path)
{
	CONFIG_ONLY(vm);
	if (set_string(&vm->api_path, path))
		return -ENOMEM;
	vm->cfg.api_path = vm->api_path;
	return 0;
}

int vmm_set_stats_file(struct vmm *vm, const char *path)
{
	CONFIG_ONLY(vm);
	if (set_string(&vm->stats_path, path))
		return -ENOMEM;
	vm->cfg.stats_path = vm->stats_path;
	return 0;
}

int vmm_set_io_poll(struct vmm *vm, uint64_t max_ns)
{
	CONFIG_ONLY(vm);
	if (max_ns > VMM_MAX_IO_POLL_NS)
		return fail(vm, -EINVAL,
			    "io polling of %llu ns: at most %llu ns",
			    (unsigned long long)max_ns, VMM_MAX_IO_POLL_NS);
	vm->cfg.io_poll_ns = max_ns;
	return 0;
}

int vmm_set_io_loop(struct vmm *vm, enum vmm_io_loop kind)
{
	CONFIG_ONLY(vm);
	if (kind != VMM_IO_LOOP_AUTO && kind != VMM_IO_LOOP_URING &&
	    kind != VMM_IO_LOOP_EPOLL)
		return fail(vm, -EINVAL, "io loop %d: auto, uring or epoll",
			    (int)kind);
	vm->cfg.io_loop = kind;
	return 0;
}

int vmm_set_seccomp(struct vmm *vm, enum vmm_seccomp mode)
{
	CONFIG_ONLY(vm);
	if (mode != VMM_SECCOMP_ON && mode != VMM_SECCOMP_LOG &&
	    mode != VMM_SECCOMP_OFF)
		return fail(vm, -EINVAL, "seccomp %d: on, log or off",
			    (int)mode);
	vm->cfg.seccomp = mode;
	return 0;
}

int vmm_restrict_thread(struct vmm *vm)
{
	int r;

	if (!vm || !started(vm))
		return -EINVAL;
	r = seccomp_set_apply(&vm->vm.seccomp, SECCOMP_THREAD_APP);
	return r ? fail(vm, r, "seccomp filter: %s", strerror(-r)) : 0;
}

size_t vmm_seccomp_report(int nr, char *buf, size_t len)
{
	return seccomp_describe(nr, buf, len);
}

int vmm_seccomp_catch_sigsys(void)
{
	return seccomp_catch_sigsys();
}

int vmm_seccomp_print(int fd)
{
	return seccomp_print(fd);
}

int vmm_set_sample_period(struct vmm *vm, unsigned int ms)
{
	CONFIG_ONLY(vm);
	if (ms < 1 || ms > 60000)
		return fail(vm, -EINVAL, "sample period %u ms: 1..60000", ms);
	vm->cfg.sample_ms = ms;
	return 0;
}

int vmm_set_kick_signal(struct vmm *vm, int signo)
{
	CONFIG_ONLY(vm);
	if (signo < SIGRTMIN || signo > SIGRTMAX)
		return fail(vm, -EINVAL,
			    "kick signal %d: want a real-time signal (%d..%d)",
			    signo, SIGRTMIN, SIGRTMAX);
	vm->cfg.kick_signal = signo;
	return 0;
}

int vmm_set_log(struct vmm *vm, enum vmm_log_level level, vmm_log_fn fn,
		void *opaque)
{
	CONFIG_ONLY(vm);
	if ((int)level < VMM_LOG_ERROR || level > VMM_LOG_DEBUG)
		return fail(vm, -EINVAL, "log level %d", (int)level);
	vm->log.level = (enum log_level)level;
	vm->log.fn = fn;
	vm->log.opaque = opaque;
	return 0;
}

/* The io thread: the loop until the VM ends, then the exit eventfd. */
static void *io_thread(void *arg)
{
	struct vmm *vm = arg;
	struct vmm_exit ex;
	uint64_t one = 1;

	log_sink_enter(&vm->log);
	pthread_setname_np(pthread_self(), "vmm-io");
	ex = vm_run(&vm->vm);
	pthread_mutex_lock(&vm->lock);
	vm->exit = ex;
	vm->phase = PHASE_ENDED;
	pthread_mutex_unlock(&vm->lock);
	if (write(vm->exit_fd, &one, sizeof(one)) != sizeof(one))
		pr_err("exit eventfd: %s", strerror(errno));
	return NULL;
}

int vmm_start(struct vmm *vm)
{
	const struct log_sink *prev;
	bool bad_input = false;
	sigset_t all, old;
	int r;

	CONFIG_ONLY(vm);
	if (vm->vm_made)
		return fail(vm, -EBUSY, "vmm_start() was called already");
	if (!vm->cfg.kernel_buf)
		return fail(vm, -EINVAL, "no kernel: call vmm_set_kernel()");
	vm->exit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_fd < 0)
		return fail(vm, -errno, "eventfd: %s", strerror(errno));
	prev = log_sink_enter(&vm->log);
	vm->vm_made = true;
	r = vm_create(&vm->vm, &vm->cfg, vm->err, sizeof(vm->err), &bad_input);
	log_sink_enter(prev);
	/* The images are in guest RAM now (or refused): no second copy for
	 * the VM's lifetime. */
	free(vm->kernel);
	free(vm->initrd);
	vm->kernel = vm->initrd = NULL;
	vm->cfg.kernel_buf = vm->cfg.initrd_buf = NULL;
	if (r) {
		/* The configuration's fault is -EINVAL; the host's never is. */
		if (bad_input)
			r = -EINVAL;
		else if (r == -EINVAL)
			r = -EIO;
		return r;
	}
	/* The io thread takes no signals: SIGPIPE from a backend write
	 * becomes EPIPE, and the application's handlers stay its own. */
	pthread_mutex_lock(&vm->lock); /* before the thread can end it */
	vm->phase = PHASE_RUNNING;
	pthread_mutex_unlock(&vm->lock);
	sigfillset(&all);
	sigdelset(&all, SIGSYS); /* its seccomp filter's, see vcpu_start() */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&vm->io_thread, NULL, io_thread, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r) {
		pthread_mutex_lock(&vm->lock);
		vm->phase = PHASE_CONFIG;
		pthread_mutex_unlock(&vm->lock);
		return fail(vm, r, "io thread: %s", strerror(-r));
	}
	return 0;
}

int vmm_exit_fd(struct vmm *vm)
{
	if (!vm || vm->exit_fd < 0)
		return -EINVAL;
	return vm->exit_fd;
}

static bool started(struct vmm *vm)
{
	bool s;

	pthread_mutex_lock(&vm->lock);
	s = vm->phase != PHASE_CONFIG;
	pthread_mutex_unlock(&vm->lock);
	return s;
}

int vmm_wait(struct vmm *vm, struct vmm_exit *exit)
{
	if (!vm || !started(vm))
		return -EINVAL;
	pthread_mutex_lock(&vm->join_lock);
	if (!vm->joined) {
		pthread_join(vm->io_thread, NULL);
		vm->joined = true;
	}
	pthread_mutex_unlock(&vm->join_lock);
	pthread_mutex_lock(&vm->lock);
	if (exit)
		*exit = vm->exit;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int vmm_stop(struct vmm *vm)
{
	const struct log_sink *prev;

	if (!vm || !started(vm))
		return -EINVAL;
	/* The caller's thread logs through the VM's sink for the call. */
	prev = log_sink_enter(&vm->log);
	vm_request_exit(&vm->vm, VMM_EXIT_STOPPED, 0, "stopped by its owner");
	log_sink_enter(prev);
	return 0;
}

int vmm_signal_workload(struct vmm *vm, int signo)
{
	const struct log_sink *prev;
	enum vmm_phase p;
	int r;

	if (!vm)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	p = vm->phase;
	pthread_mutex_unlock(&vm->lock);
	if (p == PHASE_CONFIG || !vm->vm.runner)
		return fail(vm, -EINVAL,
			    p == PHASE_CONFIG ? "the VM was not started"
					      : "no runner control port");
	/* An ended VM's runner answers -ESRCH (runner_ctl_finish()). */
	prev = log_sink_enter(&vm->log);
	r = runner_ctl_signal(vm->vm.runner, signo);
	log_sink_enter(prev);
	if (r == -EINVAL)
		return fail(vm, r, "signal %d: want 1..64", signo);
	if (r == -ESRCH)
		return fail(vm, r, "the workload has exited");
	if (r == -EAGAIN)
		return fail(vm, r, "the runner does not read its control port");
	return r ? fail(vm, r, "signal %d: %s", signo, strerror(-r)) : 0;
}

/* vCPU @vcpu (or all, -1) of a running VM? */
static int check_vcpu(struct vmm *vm, int vcpu)
{
	enum vmm_phase p;

	pthread_mutex_lock(&vm->lock);
	p = vm->phase;
	pthread_mutex_unlock(&vm->lock);
	if (p != PHASE_RUNNING)
		return -EINVAL;
	if (vcpu < -1 || (vcpu >= 0 && (unsigned int)vcpu >= vm->vm.nr_vcpus))
		return -EINVAL;
	return 0;
}

int vmm_pause(struct vmm *vm, int vcpu)
{
	const struct log_sink *prev;
	int r = vm ? check_vcpu(vm, vcpu) : -EINVAL;

	if (r)
		return r;
	prev = log_sink_enter(&vm->log);
	r = vm_pause_vcpus(&vm->vm, vcpu);
	log_sink_enter(prev);
	return r;
}

int vmm_resume(struct vmm *vm, int vcpu)
{
	int r = vm ? check_vcpu(vm, vcpu) : -EINVAL;

	return r ? r : vm_resume_vcpus(&vm->vm, vcpu);
}

const char *vmm_runstate_name(enum vmm_runstate state)
{
	_Static_assert(VMM_RUNSTATE_COUNT == RUNSTATE_NR &&
			   (int)VMM_RUNSTATE_BLOCKED == RUNSTATE_BLOCKED,
		       "the public runstates are Xen's, as runstate.h's");
	return runstate_name((unsigned int)state);
}

unsigned int vmm_vcpu_count(const struct vmm *vm)
{
	return vm ? vm->cfg.nr_cpus : 0;
}

int vmm_get_vcpu_info(struct vmm *vm, unsigned int vcpu,
		      struct vmm_vcpu_info *info)
{
	struct vcpu_snapshot snap;
	uint64_t times[RUNSTATE_NR];

	if (!vm || !info || !started(vm) || vcpu >= vm->vm.nr_vcpus)
		return -EINVAL;
	vcpu_stats_snapshot(&vm->vm.vcpus[vcpu], &snap);
	runstate_times_at(&snap.rs, runstate_clock_ns(), times);
	memset(info, 0, sizeof(*info));
	info->id = vcpu;
	info->tid = (int)snap.rs.tid;
	info->state = (enum vmm_runstate)snap.rs.state;
	for (unsigned int s = 0; s < RUNSTATE_NR; s++)
		info->time_ns[s] = times[s];
	info->wakeups = snap.rs.wakeups;
	return 0;
}

void vmm_destroy(struct vmm *vm)
{
	if (!vm)
		return;
	if (started(vm)) {
		(void)vmm_stop(vm);
		(void)vmm_wait(vm, NULL);
	}
	if (vm->vm_made) {
		const struct log_sink *prev = log_sink_enter(&vm->log);

		vm_destroy(&vm->vm);
		log_sink_enter(prev);
	}
	if (vm->exit_fd >= 0)
		close(vm->exit_fd);
	for (unsigned int i = 0; i < VM_MAX_PORTS; i++) {
		free(vm->port_names[i]);
		free(vm->port_backends[i]);
	}
	for (unsigned int i = 0; i < VMM_MAX_DISKS; i++) {
		free(vm->disk_paths[i]);
		free(vm->disk_serials[i]);
	}
	for (unsigned int i = 0; i < VMM_MAX_FS; i++) {
		free(vm->fs_tags[i]);
		free(vm->fs_dirs[i]);
	}
	free(vm->vsock_path);
	free(vm->kernel_path);
	free(vm->cmdline);
	free(vm->serial);
	free(vm->console);
	free(vm->stats_path);
	free(vm->api_path);
	free(vm->kernel);
	free(vm->initrd);
	pthread_mutex_destroy(&vm->join_lock);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

#pragma GCC visibility pop
