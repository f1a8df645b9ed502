/* SPDX-License-Identifier: MIT */
/*
 * Seccomp filters, one allow-list per kind of thread (seccomp_rules.c):
 * compiled once per VM with libseccomp into classic BPF programs, then
 * installed by each thread on itself (no_new_privs first), so that no
 * filter ever changes another thread and nothing is process-wide. A
 * syscall outside a thread's list raises SIGSYS (VMM_SECCOMP_ON) or is
 * allowed and logged by the kernel (VMM_SECCOMP_LOG).
 */
#ifndef VMM_SANDBOX_SECCOMP_H
#define VMM_SANDBOX_SECCOMP_H

#include <stddef.h>

#include <linux/filter.h>

/*
 * ASan/UBSan/TSan builds: the lists also allow what the sanitizers'
 * runtimes need to report, and the application thread gets no filter
 * (LeakSanitizer's check at exit stops the world from it with a traced
 * clone of the process).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SECCOMP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SECCOMP_SANITIZED 1
#endif
#endif
#ifndef SECCOMP_SANITIZED
#define SECCOMP_SANITIZED 0
#endif

enum seccomp_thread {
	SECCOMP_THREAD_VCPU, /* a vCPU thread: KVM_RUN and its exits */
	SECCOMP_THREAD_IO,   /* the io thread: every device and backend */
	SECCOMP_THREAD_APP,  /* an application thread that drives the VM */
	SECCOMP_THREAD_KINDS,
};

enum seccomp_mode {
	SECCOMP_MODE_ON,
	SECCOMP_MODE_LOG,
	SECCOMP_MODE_OFF,
};

/* The compiled programs of one VM; all zero for SECCOMP_MODE_OFF. */
struct seccomp_set {
	struct sock_fprog prog[SECCOMP_THREAD_KINDS];
};

/* A syscall allowed when its argument @arg, masked, equals @value. */
struct seccomp_arg_rule {
	int nr;
	unsigned int arg;
	unsigned long long mask;
	unsigned long long value;
	const char *name; /* e.g. "KVM_RUN", "socket(AF_UNIX)" */
};

/*
 * One allow-list: syscalls allowed whatever their arguments, and those
 * allowed only with given arguments (ioctl by request number and so on).
 */
struct seccomp_list {
	const int *syscalls;
	size_t nr_syscalls;
	const struct seccomp_arg_rule *args;
	size_t nr_args;
	/* Not allowed, but answered with EACCES rather than SIGSYS. */
	const int *refused;
	size_t nr_refused;
};

/* The allow-list of @kind (seccomp_rules.c). */
struct seccomp_list seccomp_rules(enum seccomp_thread kind);

/* Compile every kind's program for @mode. 0 or -errno (@err says why). */
int seccomp_set_build(struct seccomp_set *s, enum seccomp_mode mode, char *err,
		      size_t err_len);
void seccomp_set_free(struct seccomp_set *s);

/*
 * Install @kind's program on the calling thread (nothing for an empty
 * set). 0 or -errno. Irreversible for the thread.
 */
int seccomp_set_apply(const struct seccomp_set *s, enum seccomp_thread kind);

/*
 * One line about a syscall a filter refused on the calling thread:
 * "seccomp: thread vcpu0 called socket (41), outside its allow-list".
 * Async-signal-safe (for a SIGSYS handler). Returns the line's length.
 */
size_t seccomp_describe(int nr, char *buf, size_t len);

/* Write every kind's allow-list to @fd (vmm_seccomp_print()). */
int seccomp_print(int fd);

/* vmm_seccomp_catch_sigsys(): 0 or -EBUSY. */
int seccomp_catch_sigsys(void);

/* The name of syscall @nr on this architecture, or NULL. */
const char *seccomp_syscall_name(int nr);

#endif /* VMM_SANDBOX_SECCOMP_H */
