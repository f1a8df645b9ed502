/* SPDX-License-Identifier: MIT */
/*
 * libvmm: a KVM virtual machine monitor as a C library.
 *
 *	struct vmm *vm;
 *	struct vmm_exit ex;
 *
 *	vmm_create(&vm);
 *	vmm_set_machine(vm, 2, 512ull << 20);
 *	vmm_set_kernel(vm, "bzImage", "initrd.img", "console=hvc0");
 *	vmm_add_console(vm, NULL, "stdio");
 *	if (vmm_start(vm) == 0)
 *		vmm_wait(vm, &ex);
 *	vmm_destroy(vm);
 *
 * Conventions, for every function below:
 *  - Errors are negative errno values; vmm_last_error() has a one-line
 *    reason for the last failed call on that VM.
 *  - Strings passed in are copied; the caller keeps ownership of its
 *    buffers and file descriptors unless a function says otherwise.
 *  - Configuration calls (vmm_set_*, vmm_add_*) are made before
 *    vmm_start(), from one thread at a time. Afterwards they fail with
 *    -EBUSY. The run-time calls (vmm_stop, vmm_pause, vmm_resume,
 *    vmm_get_*) may come from any thread, concurrently.
 *  - The library starts one io thread and one thread per vCPU for each
 *    started VM. It never calls exit(), never writes to stdout, changes
 *    no signal disposition except the vCPU kick signal's (see
 *    vmm_set_kick_signal()), never relies on SIGPIPE being ignored, and
 *    opens every file descriptor close-on-exec. Several VMs may run in
 *    one process.
 */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when a function or struct of this header changes incompatibly. */
#define VMM_API_VERSION 1

/* The library's version, e.g. "0.2.0". A static string. */
const char *vmm_version(void);

/* Limits and defaults of the configuration calls. */
#define VMM_MAX_VCPUS	       254 /* xAPIC ids; 0xff is broadcast */
#define VMM_MIN_MEM	       (16ull << 20)
#define VMM_MAX_MEM	       (1ull << 40)
#define VMM_DEFAULT_MEM	       (256ull << 20)
#define VMM_MAX_CONSOLE_PORTS  16 /* named ports, besides port 0 */
#define VMM_MAX_DISKS	       8
#define VMM_MAX_NETS	       4
#define VMM_MAX_FS	       1
#define VMM_DEFAULT_IO_POLL_NS 200000ull
#define VMM_MAX_IO_POLL_NS     1000000000ull

/*
 * Check a backend string as vmm_add_serial() and vmm_add_console() take
 * it, without opening anything: 0, or -EINVAL with the reason in @why
 * (capacity @why_len; may be NULL). Any thread.
 */
int vmm_check_backend(const char *backend, char *why, size_t why_len);

/* One virtual machine. Opaque. */
struct vmm;

/* Why a VM ended. */
enum vmm_exit_reason {
	VMM_EXIT_NONE = 0, /* still running (never returned by vmm_wait) */
	VMM_EXIT_POWEROFF, /* the guest powered off (ACPI, or halted all) */
	VMM_EXIT_RESET,	   /* the guest rebooted (the VM is not restarted) */
	VMM_EXIT_CRASH,	   /* triple fault, or KVM could not run the guest */
	VMM_EXIT_ERROR,	   /* the VMM failed; vmm_last_error() says why */
	VMM_EXIT_DEBUG,	   /* the guest wrote its status to the debug port */
	VMM_EXIT_STOPPED,  /* vmm_stop() ended it */
	/*
	 * The runner reported the workload's exit status in status (0..255),
	 * then powered off (vmm_add_runner_control()).
	 */
	VMM_EXIT_WORKLOAD,
};

struct vmm_exit {
	enum vmm_exit_reason reason;
	/*
	 * VMM_EXIT_DEBUG: the byte the guest wrote; VMM_EXIT_WORKLOAD: the
	 * workload's exit status; otherwise 0.
	 */
	int status;
};

/*
 * Create an unconfigured VM: 1 vCPU, 256 MiB, no kernel, no devices. Does
 * not open /dev/kvm yet. Returns 0 and sets *@vm, or -ENOMEM.
 */
int vmm_create(struct vmm **vm);

/*
 * Stop the VM if it runs (as vmm_stop() then vmm_wait()), release
 * everything it holds and free @vm. NULL is ignored. Not concurrently with
 * any other call on @vm.
 */
void vmm_destroy(struct vmm *vm);

/*
 * The one-line reason of the last failed call on @vm ("" if none). Valid
 * until the next call on @vm; read it from the thread that made the call.
 */
const char *vmm_last_error(const struct vmm *vm);

/* --- configuration (before vmm_start) ------------------------------------ */

/*
 * @vcpus vCPUs (1..254) and @mem_bytes of RAM (16 MiB..1 TiB, a multiple
 * of 4 KiB). -EINVAL outside those bounds. The host's own vCPU limit is
 * checked by vmm_start().
 */
int vmm_set_machine(struct vmm *vm, unsigned int vcpus, uint64_t mem_bytes);

/*
 * The kernel to boot (a bzImage, or an ELF vmlinux with a PVH entry), an
 * optional initrd and an optional command line (NULL: the default, which
 * names the console devices). The files are read here: -ENOENT, -EACCES,
 * -EINVAL (not a regular file, empty), -ENOEXEC (not a kernel we boot).
 */
int vmm_set_kernel(struct vmm *vm, const char *kernel, const char *initrd,
		   const char *cmdline);

/* As vmm_set_kernel(), from memory. The buffers are copied. */
int vmm_set_kernel_mem(struct vmm *vm, const void *kernel, size_t kernel_len,
		       const void *initrd, size_t initrd_len,
		       const char *cmdline);

/*
 * The 16550A UART at 0x3f8 (the guest's ttyS0) on @backend: "stdio",
 * "file:PATH", "pty", "socket:PATH", "none" or "fd:IN,OUT" (two open
 * descriptors the VM then owns and closes). Default: "none". Once.
 */
int vmm_add_serial(struct vmm *vm, const char *backend);

/*
 * A virtio-console port on @backend (as vmm_add_serial()). @name NULL is
 * port 0, the guest's hvc0; a name adds a named port (/dev/vport*p*, and
 * /dev/virtio-ports/NAME with udev). Up to 16 ports.
 */
int vmm_add_console(struct vmm *vm, const char *name, const char *backend);

/*
 * The size of port 0's terminal (hvc0) as the guest sees it
 * (VIRTIO_CONSOLE_F_SIZE, or a resize control message with named ports):
 * @cols x @rows, 1..65535 each. Before vmm_start() it is the size the
 * guest starts with, unless port 0's backend is a terminal, which reports
 * its own; after it, any thread, the guest hears of the change at once
 * (a configuration change interrupt), as when a terminal backend is
 * resized. -EINVAL for a size out of range; -ENODEV after vmm_start()
 * when the VM has no console port 0.
 */
int vmm_set_console_size(struct vmm *vm, unsigned int cols, unsigned int rows);

/*
 * The runner control port (docs/runner-protocol.md): a named console port
 * "vmm.ctl" served by the library, which reads the runner init's control
 * lines ("started PID", "exit STATUS") and writes vmm_signal_workload()'s.
 * A guest that reports "exit STATUS" and then powers off ends the VM with
 * VMM_EXIT_WORKLOAD and that status (a power-off without it stays
 * VMM_EXIT_POWEROFF). Adds console port 0 ("none") if none was added.
 * Counts as one of the VMM_MAX_CONSOLE_PORTS named ports. Once. 0 or
 * -errno (-EEXIST: added already, or a port named "vmm.ctl"; -ENOSPC).
 */
int vmm_add_runner_control(struct vmm *vm);

/* vmm_add_disk() flags. */
#define VMM_DISK_READONLY 0x1u /* the guest may not write (VIRTIO_BLK_F_RO) */
#define VMM_DISK_DIRECT	  0x2u /* O_DIRECT: bypass the host's page cache */

/*
 * A virtio-blk disk on the raw image @path (a regular file or a block
 * device; the string is copied). The guest sees the disks in the order
 * they were added (vda, vdb, ...). @serial (up to 20 bytes, NULL for none)
 * is what the guest reads as the disk's id (/sys/block/vdX/serial). The
 * image is opened and locked at vmm_start(): a writable image takes an
 * exclusive lock (OFD), so a second VM on it fails there unless both are
 * read-only. Up to VMM_MAX_DISKS. 0 or -errno (-EINVAL: unknown flags or
 * a bad serial, -ENOSPC: too many disks).
 */
int vmm_add_disk(struct vmm *vm, const char *path, unsigned int flags,
		 const char *serial);

/*
 * A virtio-rng entropy device, filled from the host's getrandom(2), with
 * no rate limit. Once.
 */
int vmm_add_rng(struct vmm *vm);

/*
 * Limit the virtio-rng device to @bytes_per_sec (a token bucket holding
 * one second's worth); 0 removes the limit. After vmm_add_rng().
 */
int vmm_set_rng_rate(struct vmm *vm, uint64_t bytes_per_sec);

/*
 * A virtio-net device on the host end named by @spec (the string is
 * parsed at once and copied):
 *   "tap=IFNAME[,mac=MAC]"   a tap device, opened (or created) at
 *                            vmm_start() with IFF_VNET_HDR: needs
 *                            CAP_NET_ADMIN, or a persistent tap the user
 *                            owns
 *   "fd=N[,mac=MAC]"         an open tap fd from a runtime or CNI plugin
 *                            (the caller keeps N; the VM uses a dup)
 *   "socket=PATH[,mac=MAC]"  a unix stream socket speaking QEMU's
 *                            stream-netdev framing, e.g. passt's
 * MAC is six hex bytes (52:54:00:12:34:56); without one the device gets
 * a locally administered address. Up to VMM_MAX_NETS, eth0, eth1, ... in
 * order. 0 or -errno (-EINVAL: a malformed spec, -ENOSPC: too many).
 */
int vmm_add_net(struct vmm *vm, const char *spec);

/* vmm_add_fs() flags. */
#define VMM_FS_READONLY 0x1u /* every write is refused with EROFS */

/*
 * A virtio-fs device sharing the host directory @dir (the string is
 * copied) under the tag @tag (1..36 bytes), which the guest mounts with
 * `mount -t virtiofs TAG DIR` or boots from (root=TAG
 * rootfstype=virtiofs). Served in process on the io thread; the guest
 * reaches nothing outside @dir. The directory is opened at vmm_start().
 * Every file or directory the guest holds costs the process one fd: raise
 * RLIMIT_NOFILE (the vmm program raises it to 1048576, or to its hard
 * limit); past it the guest's lookups fail with EMFILE.
 * Up to VMM_MAX_FS. 0 or -errno (-EINVAL: a bad tag or unknown flags,
 * -ENOSPC: too many).
 */
int vmm_add_fs(struct vmm *vm, const char *tag, const char *dir,
	       unsigned int flags);

/*
 * A virtio-vsock device for guest CID @guest_cid (3 .. 0xfffffffe) with
 * Firecracker's hybrid protocol on the unix socket @uds_path: a host
 * program connects to it and writes "CONNECT <port>\n" to reach a guest
 * listener (answer "OK <host_port>\n"); a guest connect to CID 2 port P
 * reaches the unix socket "<uds_path>_P". The socket is created at
 * vmm_start() and removed at vmm_destroy(). Once. 0 or -errno.
 */
int vmm_add_vsock(struct vmm *vm, uint32_t guest_cid, const char *uds_path);

/*
 * The debug-exit port (0xf4): a guest write of V ends the VM with
 * VMM_EXIT_DEBUG and status V. Off by default.
 */
int vmm_set_debug_exit(struct vmm *vm, int enabled);

/*
 * The JSON control socket at @path (see README: stats, pause, resume,
 * stop). Created mode 0600 at vmm_start(), removed at vmm_destroy().
 */
int vmm_set_api_socket(struct vmm *vm, const char *path);

/* Write the final statistics document (JSON) to @path when the VM ends. */
int vmm_set_stats_file(struct vmm *vm, const char *path);

/*
 * The io thread polls for guest doorbells for up to @max_ns before it
 * sleeps (adaptive, as KVM's halt polling); 0 turns polling off. Default
 * 200000.
 */
int vmm_set_io_poll(struct vmm *vm, uint64_t max_ns);

/* The io thread's event loop (vmm_set_io_loop()). */
enum vmm_io_loop {
	VMM_IO_LOOP_AUTO,  /* io_uring; epoll where the host refuses it */
	VMM_IO_LOOP_URING, /* io_uring or nothing */
	VMM_IO_LOOP_EPOLL, /* epoll, with synchronous backend I/O */
};

/*
 * Which event loop runs the VM's devices. VMM_IO_LOOP_AUTO (the default)
 * uses io_uring and, where the kernel refuses it (a seccomp profile such
 * as podman's default, kernel.io_uring_disabled), epoll with synchronous
 * backend I/O, said once at info level. With VMM_IO_LOOP_URING a refusal
 * makes vmm_start() fail; VMM_IO_LOOP_EPOLL never tries io_uring.
 * Returns 0 or -EINVAL.
 */
int vmm_set_io_loop(struct vmm *vm, enum vmm_io_loop kind);

/* What the seccomp filters do with a syscall outside an allow-list. */
enum vmm_seccomp {
	VMM_SECCOMP_ON,	 /* refuse it with SIGSYS (the default) */
	VMM_SECCOMP_LOG, /* allow it; the kernel logs it (audit, dmesg) */
	VMM_SECCOMP_OFF, /* no filters */
};

/*
 * Seccomp filters on the library's threads, one allow-list per kind: the
 * vCPU threads (KVM_RUN and the devices' register work) and the io thread
 * (devices and backends). Each thread sets no_new_privs and installs its
 * own filter on itself before the guest's first instruction; nothing is
 * process-wide. Callbacks (vmm_set_log()) run under the filter of the
 * thread that calls them. With VMM_SECCOMP_ON a refused syscall raises
 * SIGSYS in that thread, which kills the process unless the application
 * handles SIGSYS (see vmm_seccomp_report()). vmm_seccomp_print() lists
 * the filters. Returns 0 or -EINVAL.
 */
int vmm_set_seccomp(struct vmm *vm, enum vmm_seccomp mode);

/*
 * After vmm_start(): install on the calling thread the filter for an
 * application thread that from now on only drives this VM (vmm_wait,
 * vmm_stop, vmm_pause, vmm_resume, vmm_get_*, vmm_signal_workload,
 * vmm_destroy), polls, reads and writes its own descriptors, restores a
 * terminal and exits. Irreversible for the thread; nothing with
 * VMM_SECCOMP_OFF. Returns 0 or -errno.
 */
int vmm_restrict_thread(struct vmm *vm);

/*
 * For a SIGSYS handler (si_code SYS_SECCOMP): one line in @buf naming the
 * calling thread and syscall @nr (siginfo's si_syscall), as "seccomp:
 * thread vcpu0 called socket (41), outside its allow-list". Async-signal-
 * safe. Returns the line's length (at most @len - 1).
 */
size_t vmm_seccomp_report(int nr, char *buf, size_t len);

/*
 * Only on the application's request, as it is process-wide: install a
 * SIGSYS handler that writes "vmm: " and vmm_seccomp_report()'s line to
 * stderr, then lets the signal end the process (SA_RESETHAND; it needs
 * no syscall a filter refuses); the init of a PID namespace, which would
 * ignore it, exits with status 159 (128 + SIGSYS). Returns 0, or -EBUSY
 * if SIGSYS has a handler already.
 */
int vmm_seccomp_catch_sigsys(void);

/*
 * Write the allow-lists to @fd, for inspection: per kind of thread, the
 * counts, then the syscalls allowed whatever their arguments and those
 * allowed only with given arguments (ioctl requests by name). 0 or
 * -errno.
 */
int vmm_seccomp_print(int fd);

/*
 * Sample the vCPUs' kernel-side runstate counters every @ms (1..60000;
 * default 10).
 */
int vmm_set_sample_period(struct vmm *vm, unsigned int ms);

/*
 * The signal that kicks a vCPU thread out of KVM_RUN. Default SIGRTMIN+5.
 * vmm_start() installs an empty handler for it (SA_RESTART) unless one is
 * installed already: if another handler holds it, vmm_start() fails with
 * -EBUSY. Choose a signal the application does not use. Process-wide, as
 * signal dispositions are; the same for every VM.
 */
int vmm_set_kick_signal(struct vmm *vm, int signo);

/* Log levels of vmm_set_log(). */
enum vmm_log_level {
	VMM_LOG_ERROR,
	VMM_LOG_WARN,
	VMM_LOG_INFO,
	VMM_LOG_DEBUG,
};

/*
 * Log lines of this VM at @level and more severe go to @fn (one line, no
 * newline; any thread; it must not call back into the library). Without a
 * handler, errors and warnings go to stderr prefixed "vmm: ".
 */
typedef void (*vmm_log_fn)(void *opaque, enum vmm_log_level level,
			   const char *line);
int vmm_set_log(struct vmm *vm, enum vmm_log_level level, vmm_log_fn fn,
		void *opaque);

/* --- running ----------------------------------------------------------- */

/*
 * Build the VM (/dev/kvm, memory, devices, kernel) and start its io
 * thread and vCPU threads. Returns once the guest runs: 0, or -errno with
 * vmm_last_error() (e.g. -ENOENT: no /dev/kvm). Once per VM.
 */
int vmm_start(struct vmm *vm);

/*
 * A descriptor that becomes readable (POLLIN) once the VM has ended, for
 * event loops; vmm_wait() then returns at once. Owned by @vm: do not read
 * or close it. -EINVAL before vmm_start().
 */
int vmm_exit_fd(struct vmm *vm);

/*
 * Block until the VM ends, stop its threads and fill @exit (may be NULL).
 * Returns 0, or -EINVAL if the VM was never started. Repeatable: later
 * calls return the same exit at once.
 */
int vmm_wait(struct vmm *vm, struct vmm_exit *exit);

/*
 * End the VM with VMM_EXIT_STOPPED (unless it ended already: the first
 * reason wins). Returns at once; vmm_wait() waits. Any thread, not from a
 * signal handler. -EINVAL before vmm_start().
 */
int vmm_stop(struct vmm *vm);

/*
 * Ask the runner to send signal @signo (1..64, the guest's numbering,
 * which is x86 Linux's as the host's) to the workload: a "signal N" line
 * on the runner control port. Any thread after vmm_start(), not from a
 * signal handler. A signal sent before the workload started waits in the
 * port until the runner reads it. Returns 0 once the line is queued to
 * the guest, -EINVAL (a bad signal, no vmm_add_runner_control(), not
 * started), -ESRCH (the workload exited or the VM ended) or -EAGAIN (the
 * runner is not reading its control port and the queue is full).
 */
int vmm_signal_workload(struct vmm *vm, int signo);

/*
 * Pause or resume vCPU @vcpu (0-based), or all with -1. vmm_pause()
 * returns once the vCPUs are out of the guest. -EINVAL: no such vCPU or
 * not running.
 */
int vmm_pause(struct vmm *vm, int vcpu);
int vmm_resume(struct vmm *vm, int vcpu);

/* --- statistics ---------------------------------------------------------- */

/* Xen's runstate model. */
enum vmm_runstate {
	VMM_RUNSTATE_RUNNING,  /* in the guest on a host CPU */
	VMM_RUNSTATE_RUNNABLE, /* wants a host CPU, or in the VMM */
	VMM_RUNSTATE_BLOCKED,  /* the guest halted, waiting for an event */
	VMM_RUNSTATE_OFFLINE,  /* paused, stopped or not yet started */
};
#define VMM_RUNSTATE_COUNT 4

/* "running", "runnable", "blocked", "offline" ("?" otherwise). Static. */
const char *vmm_runstate_name(enum vmm_runstate state);

struct vmm_vcpu_info {
	unsigned int id; /* 0-based, also the APIC id */
	int tid;	 /* host thread id (for pinning, cgroups) */
	enum vmm_runstate state;
	uint64_t time_ns[VMM_RUNSTATE_COUNT]; /* total time in each state */
	uint64_t wakeups; /* blocked -> runnable transitions */
};

/* The number of vCPUs (as configured). */
unsigned int vmm_vcpu_count(const struct vmm *vm);

/*
 * Runstate times and ids of vCPU @vcpu, now. Any thread while the VM is
 * started (also after it ended, until vmm_destroy()). 0 or -EINVAL.
 */
int vmm_get_vcpu_info(struct vmm *vm, unsigned int vcpu,
		      struct vmm_vcpu_info *info);

#ifdef __cplusplus
}
#endif

#endif /* VMM_VMM_H */
