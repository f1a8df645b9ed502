/* SPDX-License-Identifier: MIT */
/*
 * One vCPU: a KVM vCPU fd and the host thread that blocks in KVM_RUN and
 * handles its PIO/MMIO exits through the VM's buses. The thread's control
 * loop has three states (run, paused, stopped). Requests from other
 * threads (pause, resume, stop) are posted under the vCPU's lock, then the
 * thread is kicked out of KVM_RUN with immediate_exit plus a signal whose
 * handler is empty; the work happens at the top of the loop.
 */
#ifndef VCPU_VCPU_H
#define VCPU_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "arch/x86/boot.h"

struct bus;
struct exit_ctl;
struct kvm_cpuid2;
struct kvm_run;
struct log_sink;
struct seccomp_set;
struct vcpu_runtime;

/* What a vCPU needs of its VM: set up by vm.c, shared by all its vCPUs. */
struct vcpu_env {
	int vm_fd;
	size_t run_size;		/* KVM_GET_VCPU_MMAP_SIZE */
	const struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID */
	unsigned int nr_cpus;		/* for the CPUID topology */
	struct bus *pio_bus, *mmio_bus; /* exits go here */
	struct exit_ctl *exit;		/* power events; stop when set */
	int kick_signal;
	const struct log_sink *log;	   /* the vCPU thread's */
	const struct seccomp_set *seccomp; /* the filters; NULL: none */
};

struct vcpu {
	const struct vcpu_env *env;
	unsigned int id; /* also the APIC id */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	pid_t tid; /* host thread id, for pinning/cgroups */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool held;		 /* guarded by lock: not released yet */
	bool pause_req;		 /* guarded by lock */
	bool stop_req;		 /* guarded by lock */
	bool parked;		 /* thread is parked (paused or done) */
	bool entered;		 /* the first KVM_RUN happened */
	struct vcpu_runtime *rt; /* runstate & stats (vcpu_stats.c) */
};

/*
 * Create vCPU @id in @env's VM (@env must outlive @v): KVM_CREATE_VCPU,
 * map kvm_run, set CPUID (with this vCPU's APIC id and topology) and the
 * boot MSRs. Returns 0 or -errno.
 */
int vcpu_create(struct vcpu *v, const struct vcpu_env *env, unsigned int id);

/* Put the BSP at the kernel entry per @entry. Before vcpu_start(). */
int vcpu_setup_boot(struct vcpu *v, const struct boot_entry *entry);

/*
 * Install the (empty) handler of the kick signal @sig, unless the
 * application has a handler there: -EBUSY. Idempotent; vcpu_start() calls
 * it too. Returns 0 or -errno.
 */
int vcpu_install_kick(int sig);

/*
 * Start the thread: it installs its seccomp filter, then waits for
 * vcpu_release() before its first KVM_RUN (the io thread's filter goes in
 * first). APs then wait inside KVM_RUN for INIT/SIPI.
 */
int vcpu_start(struct vcpu *v);

/* Let a started vCPU enter the guest. Any thread. */
void vcpu_release(struct vcpu *v);

/*
 * Ask the thread to leave KVM_RUN and park (pause) or exit (stop). Any
 * thread; returns without waiting. vcpu_wait_parked() waits.
 */
void vcpu_request_pause(struct vcpu *v);
void vcpu_request_stop(struct vcpu *v);
void vcpu_wait_parked(struct vcpu *v);

/* Let a paused vCPU run again. Any thread. */
void vcpu_resume(struct vcpu *v);

/* Join the thread (after vcpu_request_stop) and release the vCPU. */
void vcpu_destroy(struct vcpu *v);

#endif /* VCPU_VCPU_H */
