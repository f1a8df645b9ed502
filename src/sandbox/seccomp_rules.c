/* SPDX-License-Identifier: MIT */
/*
 * The allow-lists: what each kind of thread may call once the guest runs.
 * Everything a thread does before (opening /dev/kvm, creating the VM and
 * its vCPUs, the ring, the sockets and files of the backends, starting
 * threads) is done by then, so no list has execve, clone, fork, ptrace,
 * mount, bpf, perf_event_open, kexec, setuid or socket families other
 * than AF_UNIX. ioctl is allowed per request number (its low 32 bits: the
 * kernel's cmd is an unsigned int), prctl only for PR_GET_NAME (the
 * SIGSYS report) and socket/socketpair only for AF_UNIX (vsock's host
 * side, the control socket). Devices run on vCPU threads (register
 * writes: wiring doorbells, raising the 16550's interrupt, writing its
 * output) and on the io thread (everything else); the application's
 * thread waits, stops and destroys.
 */
#include "seccomp.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/ioctl.h>

#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>

#include "base/util.h"

#define IOCTL(req)                                                             \
	{                                                                      \
		SCMP_SYS(ioctl), 1, 0xffffffffULL, (unsigned int)(req), #req   \
	}
#define ARG0(sys, v)                                                           \
	{                                                                      \
		SCMP_SYS(sys), 0, ~0ULL, (unsigned long long)(v),              \
		    #sys "(" #v ")"                                            \
	}

/* Every thread: memory, locks, time, signals, its own fds, ending. */
#define COMMON_SYSCALLS                                                        \
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),    \
	    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close),            \
	    SCMP_SYS(fcntl), SCMP_SYS(fstat), SCMP_SYS(newfstatat),            \
	    SCMP_SYS(lseek), SCMP_SYS(poll), SCMP_SYS(ppoll),                  \
	    SCMP_SYS(eventfd2), SCMP_SYS(futex), SCMP_SYS(mmap),               \
	    SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(madvise),           \
	    SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(clock_gettime),          \
	    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),                    \
	    SCMP_SYS(gettimeofday), SCMP_SYS(sched_yield),                     \
	    SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),                  \
	    SCMP_SYS(restart_syscall), SCMP_SYS(getpid), SCMP_SYS(gettid),     \
	    SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group)

/*
 * What the sanitizers' runtimes call on any thread when they report (and
 * LeakSanitizer at exit, which stops the world with a traced clone):
 * only in ASan/UBSan/TSan builds, so that their reports still arrive.
 */
#if SECCOMP_SANITIZED
#define SANITIZER_SYSCALLS                                                     \
	, SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink),                \
	    SCMP_SYS(readlinkat), SCMP_SYS(getdents64), SCMP_SYS(clone),       \
	    SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(wait4),               \
	    SCMP_SYS(prctl), SCMP_SYS(sigaltstack), SCMP_SYS(getrlimit),       \
	    SCMP_SYS(prlimit64), SCMP_SYS(setrlimit),                          \
	    SCMP_SYS(sched_getaffinity), SCMP_SYS(getppid), SCMP_SYS(kill),    \
	    SCMP_SYS(rt_sigaction), SCMP_SYS(pipe2), SCMP_SYS(uname),          \
	    SCMP_SYS(getrusage), SCMP_SYS(munlock), SCMP_SYS(mlock),           \
	    SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(getuid)
#else
#define SANITIZER_SYSCALLS
#endif

#define COMMON_ARGS ARG0(prctl, PR_GET_NAME)

/* Interrupts and doorbells: the 16550 raises its line, virtio-mmio wires
 * and unwires ioeventfds and its irqfd (vCPU thread at DRIVER_OK and
 * reset, io thread at teardown). */
#define KVM_DEVICE_IOCTLS                                                      \
	IOCTL(KVM_IRQ_LINE), IOCTL(KVM_IOEVENTFD), IOCTL(KVM_IRQFD),           \
	    IOCTL(KVM_GET_STATS_FD), IOCTL(KVM_GET_MP_STATE),                  \
	    IOCTL(KVM_GET_REGS)

/* The tap's offloads follow the guest's virtio-net features. */
#define TAP_IOCTLS IOCTL(TUNSETOFFLOAD), IOCTL(TUNSETVNETHDRSZ)

/* Consoles: terminal modes, sizes, ptys, bytes pending on a socket. */
#define TTY_IOCTLS                                                             \
	IOCTL(TCGETS), IOCTL(TCSETS), IOCTL(TCSETSW), IOCTL(TCSETSF),          \
	    IOCTL(TIOCGWINSZ), IOCTL(TIOCSWINSZ), IOCTL(TIOCGPTN),             \
	    IOCTL(TIOCSPTLCK), IOCTL(FIONREAD)

static const int vcpu_syscalls[] = {
    COMMON_SYSCALLS,
    /* 16550 output to consoles of every kind (pwritev2: RWF_NOWAIT) */
    SCMP_SYS(preadv2),
    SCMP_SYS(pwritev2),
    SCMP_SYS(sendmsg),
    SCMP_SYS(sendto),
    /* a device wired at DRIVER_OK watches its doorbells: on the epoll
     * loop that is epoll_ctl from this thread */
    SCMP_SYS(epoll_ctl),
    /* a thread pinning itself (vmm bench doorbell) */
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(sched_setaffinity) SANITIZER_SYSCALLS,
};

static const struct seccomp_arg_rule vcpu_args[] = {
    COMMON_ARGS,
    IOCTL(KVM_RUN),
    IOCTL(KVM_GET_SREGS),
    IOCTL(KVM_SET_SREGS),
    IOCTL(KVM_SET_REGS),
    IOCTL(KVM_SET_MSRS),
    IOCTL(KVM_SET_CPUID2),
    IOCTL(KVM_KVMCLOCK_CTRL),
    KVM_DEVICE_IOCTLS,
    TAP_IOCTLS,
    TTY_IOCTLS,
};

static const int io_syscalls[] = {
    COMMON_SYSCALLS,
    /* the loop; json-c seeds its hash tables (the control socket) */
    SCMP_SYS(io_uring_enter),
    SCMP_SYS(getrandom),
    SCMP_SYS(mincore),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    SCMP_SYS(preadv),
    SCMP_SYS(pwritev),
    SCMP_SYS(preadv2),
    SCMP_SYS(pwritev2),
    /* the file system server's next session after a reset: whose files */
    SCMP_SYS(geteuid),
    SCMP_SYS(getegid),
    /* disks, the file system server (no handles, no host paths: every
     * name is resolved beneath a directory fd), statistics and /proc */
    SCMP_SYS(openat),
    SCMP_SYS(openat2),
    SCMP_SYS(statx),
    SCMP_SYS(fstatfs),
    SCMP_SYS(getdents64),
    SCMP_SYS(readlinkat),
    SCMP_SYS(mkdirat),
    SCMP_SYS(mknodat),
    SCMP_SYS(unlinkat),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(linkat),
    SCMP_SYS(symlinkat),
    SCMP_SYS(fchmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(fchown),
    SCMP_SYS(fchownat),
    SCMP_SYS(utimensat),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(ftruncate),
    SCMP_SYS(fallocate),
    SCMP_SYS(fsync),
    SCMP_SYS(fdatasync),
    SCMP_SYS(getxattr),
    SCMP_SYS(setxattr),
    SCMP_SYS(listxattr),
    SCMP_SYS(removexattr),
    SCMP_SYS(fgetxattr),
    SCMP_SYS(fsetxattr),
    SCMP_SYS(flistxattr),
    SCMP_SYS(fremovexattr),
    SCMP_SYS(dup),
    SCMP_SYS(unlink),
    /* unix sockets: vsock's host side, the control socket, consoles */
    SCMP_SYS(connect),
    SCMP_SYS(accept4),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(shutdown),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername) SANITIZER_SYSCALLS,
};

static const struct seccomp_arg_rule io_args[] = {
    COMMON_ARGS,
    ARG0(socket, AF_UNIX),
    ARG0(socketpair, AF_UNIX),
    KVM_DEVICE_IOCTLS,
    TAP_IOCTLS,
    TTY_IOCTLS,
    /* discard and write-zeroes on a block device */
    IOCTL(BLKDISCARD),
    IOCTL(BLKZEROOUT),
};

static const int app_syscalls[] = {
    COMMON_SYSCALLS,
    /* vmm_destroy(): the control socket's file, the loop's ring, the
     * epoll loop's watches */
    SCMP_SYS(unlink),
    SCMP_SYS(epoll_ctl),
    /* vmm_signal_workload(): a line to the runner's control port */
    SCMP_SYS(sendto),
    /* vmm_get_stats(): json-c seeds its hash tables */
    SCMP_SYS(getrandom) SANITIZER_SYSCALLS,
};

static const struct seccomp_arg_rule app_args[] = {
    COMMON_ARGS,
    /* vmm_destroy(): unwiring doorbells and interrupts, and removing the
     * virtio-mmio register pages' memslots */
    IOCTL(KVM_IOEVENTFD),
    IOCTL(KVM_IRQFD),
    IOCTL(KVM_SET_USER_MEMORY_REGION),
    TTY_IOCTLS,
};

/*
 * glibc's free() may open /proc/sys/vm/overcommit_memory once per process
 * (the first time it shrinks a thread's heap) and copes with a failure:
 * threads without openat get EACCES there instead of SIGSYS.
 */
static const int refused_opens[] = {SCMP_SYS(open), SCMP_SYS(openat)};

#define LIST(s, a) s, ARRAY_SIZE(s), a, ARRAY_SIZE(a)

static const struct seccomp_list lists[SECCOMP_THREAD_KINDS] = {
    [SECCOMP_THREAD_VCPU] = {LIST(vcpu_syscalls, vcpu_args), refused_opens,
			     ARRAY_SIZE(refused_opens)},
    [SECCOMP_THREAD_IO] = {LIST(io_syscalls, io_args), NULL, 0},
    [SECCOMP_THREAD_APP] = {LIST(app_syscalls, app_args), refused_opens,
			    ARRAY_SIZE(refused_opens)},
};

struct seccomp_list seccomp_rules(enum seccomp_thread kind)
{
	return lists[kind];
}
