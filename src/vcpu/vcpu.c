/* SPDX-License-Identifier: MIT */
/*
 * vCPU threads. Each thread loops: handle requests posted by other
 * threads (pause, stop), KVM_RUN, dispatch the exit. PIO and MMIO exits go
 * through the VM's buses; power-off, reset and crash exits end the VM with
 * the matching status. The kick is run->immediate_exit = 1 plus a signal
 * with an empty handler: whichever comes first makes KVM_RUN return EINTR,
 * so a request posted just before entry is never missed.
 */
#define pr_fmt(fmt) "vcpu: " fmt
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vcpu_stats.h"
#include "arch/x86/cpu.h"
#include "base/log.h"
#include "base/bus.h"
#include "base/exit_ctl.h"
#include "sandbox/seccomp.h"

/* The signal that interrupts KVM_RUN (vmm_set_kick_signal()). */
static int kick_signal(const struct vcpu *v)
{
	return v->env->kick_signal;
}

static void kick_handler(int sig)
{
	(void)sig; /* only here to interrupt KVM_RUN */
}

int vcpu_create(struct vcpu *v, const struct vcpu_env *env, unsigned int id)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->env = env;
	v->id = id;
	v->fd = -1;
	v->held = true;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);

	v->fd = ioctl(env->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return -errno;
	v->run_size = env->run_size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return -errno;
	}
	r = x86_set_cpuid(v->fd, env->cpuid, id, env->nr_cpus);
	if (r)
		return r;
	r = x86_set_msrs(v->fd);
	if (r)
		return r;
	return vcpu_stats_create(v);
}

int vcpu_setup_boot(struct vcpu *v, const struct boot_entry *entry)
{
	return x86_set_boot_regs(v->fd, entry);
}

static void vcpu_crash(struct vcpu *v, const char *what)
{
	struct kvm_regs regs;
	char why[160];

	if (ioctl(v->fd, KVM_GET_REGS, &regs) == 0)
		snprintf(why, sizeof(why), "vcpu %u: %s at rip 0x%llx", v->id,
			 what, (unsigned long long)regs.rip);
	else
		snprintf(why, sizeof(why), "vcpu %u: %s", v->id, what);
	pr_err("%s", why);
	exit_ctl_request(v->env->exit, VMM_EXIT_CRASH, 0, why);
}

/* Where the guest was when this thread left it (a stop, a hang). */
static void vcpu_log_where(struct vcpu *v)
{
	struct kvm_regs r;

	if (ioctl(v->fd, KVM_GET_REGS, &r) == 0)
		pr_debug(
		    "vcpu %u: left the guest at rip 0x%llx rsp 0x%llx "
		    "rflags 0x%llx rax 0x%llx",
		    v->id, (unsigned long long)r.rip, (unsigned long long)r.rsp,
		    (unsigned long long)r.rflags, (unsigned long long)r.rax);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	/* The data area lies inside the kvm_run mapping; check anyway. */
	if (run->io.data_offset + bytes > v->run_size)
		return;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (!bus_dispatch(v->env->pio_bus, run->io.port, data,
				  run->io.size, out) &&
		    !out)
			memset(data, 0xff, run->io.size);
	}
}

static void handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = MIN(run->mmio.len, (uint32_t)sizeof(run->mmio.data));

	if (!bus_dispatch(v->env->mmio_bus, run->mmio.phys_addr, run->mmio.data,
			  len, run->mmio.is_write) &&
	    !run->mmio.is_write)
		memset(run->mmio.data, 0xff, len);
}

static void handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		exit_ctl_request(v->env->exit, VMM_EXIT_POWEROFF, 0,
				 "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		exit_ctl_request(v->env->exit, VMM_EXIT_RESET, 0,
				 "guest reset");
		break;
	default: vcpu_crash(v, "system event (crash)"); break;
	}
}

/* Returns false when the thread should stop running the guest. */
static bool handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char what[96];

	switch (run->exit_reason) {
	case KVM_EXIT_IO: handle_io(v); return true;
	case KVM_EXIT_MMIO: handle_mmio(v); return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* not with an in-kernel LAPIC; just re-enter */
		return true;
	case KVM_EXIT_SYSTEM_EVENT: handle_system_event(v); return false;
	case KVM_EXIT_SHUTDOWN: vcpu_crash(v, "triple fault"); return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what),
			 "KVM internal error (suberror %u%s)",
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION
			     ? ": instruction emulation failed"
			     : "");
		vcpu_crash(v, what);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed (reason 0x%llx)",
			 (unsigned long long)
			     run->fail_entry.hardware_entry_failure_reason);
		vcpu_crash(v, what);
		return false;
	default:
		snprintf(what, sizeof(what), "unexpected KVM exit reason %u",
			 run->exit_reason);
		vcpu_crash(v, what);
		return false;
	}
}

/*
 * Top of the loop: park while a pause is requested. Returns true when the
 * thread must stop. Clears immediate_exit under the lock, in the same
 * critical section that saw no request, so a later kick is never lost.
 */
static bool handle_requests(struct vcpu *v)
{
	bool stop;

	pthread_mutex_lock(&v->lock);
	/* Held before the first KVM_RUN: as good as parked for a pause. */
	if (v->held && !v->stop_req) {
		v->parked = true;
		pthread_cond_broadcast(&v->cond);
		while (v->held && !v->stop_req)
			pthread_cond_wait(&v->cond, &v->lock);
		v->parked = false;
	}
	if (v->pause_req && !v->stop_req) {
		vcpu_stats_event(v, VCPU_EVENT_PAUSE);
		/* Tell the guest's kvmclock it was stopped (watchdogs). */
		if (v->entered)
			(void)ioctl(v->fd, KVM_KVMCLOCK_CTRL, 0);
		v->parked = true;
		pthread_cond_broadcast(&v->cond);
		while (v->pause_req && !v->stop_req)
			pthread_cond_wait(&v->cond, &v->lock);
		v->parked = false;
		if (!v->stop_req)
			vcpu_stats_event(v, VCPU_EVENT_RESUME);
	}
	/* After power-off or a debug exit the guest must not run on. */
	stop = v->stop_req || exit_ctl_requested(v->env->exit);
	if (!stop)
		v->run->immediate_exit = 0;
	pthread_mutex_unlock(&v->lock);
	return stop;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	char name[16];

	log_sink_enter(v->env->log);
	v->tid = gettid();
	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	vcpu_stats_event(v, VCPU_EVENT_START);
	if (v->env->seccomp) {
		int r = seccomp_set_apply(v->env->seccomp, SECCOMP_THREAD_VCPU);

		if (r) {
			pr_err("vcpu %u: seccomp filter: %s", v->id,
			       strerror(-r));
			exit_ctl_request(v->env->exit, VMM_EXIT_ERROR, 0,
					 "seccomp filter failed");
			pthread_mutex_lock(&v->lock);
			v->stop_req = true;
			pthread_mutex_unlock(&v->lock);
		}
	}
	while (!handle_requests(v)) {
		if (!v->entered && v->id == 0 && log_enabled(LOG_INFO)) {
			struct timespec ts;

			/* For start-up benchmarks: same clock as the harness.
			 */
			clock_gettime(CLOCK_MONOTONIC, &ts);
			pr_info("first KVM_RUN at monotonic %lld ns",
				(long long)ts.tv_sec * 1000000000LL +
				    ts.tv_nsec);
		}
		vcpu_stats_event(v, VCPU_EVENT_ENTER);
		int r = ioctl(v->fd, KVM_RUN, 0);
		int err = errno;

		vcpu_stats_event(v, VCPU_EVENT_EXIT);
		v->entered = true;
		if (r < 0) {
			if (err == EINTR || err == EAGAIN)
				continue;
			pr_err("vcpu %u: KVM_RUN: %s", v->id, strerror(err));
			exit_ctl_request(v->env->exit, VMM_EXIT_ERROR, 0,
					 "KVM_RUN failed");
			break;
		}
		if (!handle_exit(v))
			break;
	}
	if (v->entered && log_enabled(LOG_DEBUG))
		vcpu_log_where(v);
	pthread_mutex_lock(&v->lock);
	vcpu_stats_event(v, VCPU_EVENT_STOP);
	v->parked = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

/*
 * Our handler for the kick signal, unless the application has one of its
 * own there (then -EBUSY: it must choose another kick signal). The only
 * process-wide change the library makes, and the same for every VM.
 */
int vcpu_install_kick(int sig)
{
	struct sigaction old, sa = {.sa_handler = kick_handler};

	if (sigaction(sig, NULL, &old) < 0)
		return -errno;
	if (old.sa_handler == kick_handler)
		return 0;
	if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
		return -EBUSY;
	/* No SA_RESTART: the signal must make KVM_RUN return EINTR. */
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) < 0 ? -errno : 0;
}

int vcpu_start(struct vcpu *v)
{
	sigset_t all, old;
	int r = vcpu_install_kick(kick_signal(v));

	if (r)
		return r;
	/* The thread takes only the kick; other signals go to the main thread.
	 */
	sigfillset(&all);
	sigdelset(&all, kick_signal(v));
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	/* A refused syscall's SIGSYS reaches the application's handler. */
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&v->thread, NULL, vcpu_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!r)
		v->thread_started = true;
	return r;
}

static void vcpu_kick_locked(struct vcpu *v)
{
	v->run->immediate_exit = 1;
	if (v->thread_started)
		pthread_kill(v->thread, kick_signal(v));
}

void vcpu_request_pause(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->pause_req = true;
	vcpu_kick_locked(v);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_release(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->held = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_request_stop(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->stop_req = true;
	vcpu_kick_locked(v);
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_wait_parked(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	while (v->thread_started && !v->parked)
		pthread_cond_wait(&v->cond, &v->lock);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_resume(struct vcpu *v)
{
	pthread_mutex_lock(&v->lock);
	v->pause_req = false;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

void vcpu_destroy(struct vcpu *v)
{
	if (v->thread_started) {
		vcpu_request_stop(v);
		pthread_join(v->thread, NULL);
		v->thread_started = false;
	}
	vcpu_stats_destroy(v);
	if (v->run)
		munmap(v->run, v->run_size);
	v->run = NULL;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
}
