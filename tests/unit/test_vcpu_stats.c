/* SPDX-License-Identifier: MIT */
/*
 * vcpu/vcpu_stats.c against real KVM (skipped, 77, without a usable
 * /dev/kvm): tiny real-mode guests on an in-kernel irqchip, run by
 * threads that report events exactly as vcpu.c does, while this thread
 * samples like the io loop's timerfd. Checks what must hold whatever the
 * host's speed: an idle guest (cli; hlt) is seen halting and ends up
 * blocked, a spinning one never blocks, an AP nobody started stays
 * offline and down, a pause is offline and paused, and every snapshot
 * keeps the runstate invariants. The shares are printed, not judged.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "check.h"
#include "vcpu/vcpu.h"
#include "vcpu/vcpu_stats.h"
#include "api/stats_json.h"

struct vthread {
	struct vcpu v;
	pthread_t thread;
	atomic_bool stop, pause;
	atomic_bool paused;
};

struct kvm_vm {
	int kvm, fd;
	uint8_t *mem;
	int run_size;
	struct vthread t[2];
};

static void kick_handler(int sig)
{
	(void)sig; /* interrupts KVM_RUN */
}

static void *vthread_main(void *arg)
{
	struct vthread *t = arg;
	struct vcpu *v = &t->v;

	v->tid = gettid();
	vcpu_stats_event(v, VCPU_EVENT_START);
	while (!atomic_load(&t->stop)) {
		if (atomic_load(&t->pause)) {
			vcpu_stats_event(v, VCPU_EVENT_PAUSE);
			atomic_store(&t->paused, true);
			while (atomic_load(&t->pause) && !atomic_load(&t->stop))
				usleep(1000);
			atomic_store(&t->paused, false);
			vcpu_stats_event(v, VCPU_EVENT_RESUME);
			v->run->immediate_exit = 0;
			continue;
		}
		vcpu_stats_event(v, VCPU_EVENT_ENTER);
		int r = ioctl(v->fd, KVM_RUN, 0);
		int err = errno;

		vcpu_stats_event(v, VCPU_EVENT_EXIT);
		if (r < 0 && err != EINTR && err != EAGAIN) {
			fprintf(stderr, "KVM_RUN: %s\n", strerror(err));
			break;
		}
		if (r == 0) {
			fprintf(stderr, "unexpected exit %u\n",
				v->run->exit_reason);
			break;
		}
	}
	vcpu_stats_event(v, VCPU_EVENT_STOP);
	return NULL;
}

static void kick(struct vthread *t)
{
	t->v.run->immediate_exit = 1;
	pthread_kill(t->thread, SIGUSR1);
}

/*
 * A VM with @code at 0x1000 for the BSP, vCPU 1 an AP, and an in-kernel
 * PIT when @pit. 77 if no KVM.
 */
static int vm_make(struct kvm_vm *vm, const uint8_t *code, size_t len, bool pit)
{
	struct kvm_pit_config pit_cfg = {0};
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};

	memset(vm, 0, sizeof(*vm));
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return 77;
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, 0);
	if (vm->fd < 0 || ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return 77;
	if (pit && ioctl(vm->fd, KVM_CREATE_PIT2, &pit_cfg) < 0)
		return 77;
	vm->mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(vm->mem + 0x1000, code, len);
	region = (struct kvm_userspace_memory_region){
	    .memory_size = 0x10000,
	    .userspace_addr = (uintptr_t)vm->mem,
	};
	CHECK_EQ(ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region), 0);
	vm->run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (unsigned int i = 0; i < 2; i++) {
		struct vcpu *v = &vm->t[i].v;

		v->id = i;
		v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, i);
		if (v->fd < 0)
			return 77;
		v->run = mmap(NULL, (size_t)vm->run_size,
			      PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		CHECK_EQ(vcpu_stats_create(v), 0);
	}
	CHECK_EQ(ioctl(vm->t[0].v.fd, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	CHECK_EQ(ioctl(vm->t[0].v.fd, KVM_SET_SREGS, &sregs), 0);
	CHECK_EQ(ioctl(vm->t[0].v.fd, KVM_SET_REGS, &regs), 0);
	return 0;
}

static void vm_free(struct kvm_vm *vm)
{
	for (unsigned int i = 0; i < 2; i++) {
		vcpu_stats_destroy(&vm->t[i].v);
		munmap(vm->t[i].v.run, (size_t)vm->run_size);
		close(vm->t[i].v.fd);
	}
	munmap(vm->mem, 0x10000);
	close(vm->fd);
	close(vm->kvm);
}

/* Every invariant of a snapshot; 0 when all hold. */
static int violations(const struct runstate_snapshot *s)
{
	uint64_t sum = 0;

	for (int i = 0; i < RUNSTATE_NR; i++)
		sum += s->time[i];
	return sum != s->state_entry_time - s->created;
}

/* Sample both vCPUs @n times, 10 ms apart, checking every snapshot. */
static void sample_for(struct kvm_vm *vm, int n)
{
	struct timespec ts = {.tv_nsec = 10 * 1000 * 1000};
	struct vcpu_snapshot s;
	int bad = 0;

	for (int i = 0; i < n; i++) {
		nanosleep(&ts, NULL);
		for (unsigned int j = 0; j < 2; j++) {
			vcpu_stats_sample(&vm->t[j].v);
			vcpu_stats_snapshot(&vm->t[j].v, &s);
			bad += violations(&s.rs);
		}
	}
	CHECK_EQ(bad, 0);
}

static void report(const char *what, const struct vm_stats *st)
{
	for (unsigned int i = 0; i < st->nr_vcpus; i++) {
		const struct vcpu_snapshot *v = &st->vcpus[i];
		uint64_t t[RUNSTATE_NR], total;

		runstate_times_at(&v->rs, st->time_ns, t);
		total = t[0] + t[1] + t[2] + t[3];
		printf("  %s vcpu%u: %-8s", what, v->id,
		       runstate_name((unsigned int)v->rs.state));
		for (unsigned int j = 0; j < RUNSTATE_NR; j++)
			printf(" %s %5.1f%%", runstate_name(j),
			       total ? 100.0 * (double)t[j] / (double)total
				     : 0);
		printf(" wakeups %llu\n", (unsigned long long)v->rs.wakeups);
	}
}

static void run_threads(struct kvm_vm *vm)
{
	for (unsigned int i = 0; i < 2; i++)
		CHECK_EQ(pthread_create(&vm->t[i].thread, NULL, vthread_main,
					&vm->t[i]),
			 0);
}

static void stop_threads(struct kvm_vm *vm)
{
	for (unsigned int i = 0; i < 2; i++) {
		atomic_store(&vm->t[i].stop, true);
		kick(&vm->t[i]);
		pthread_join(vm->t[i].thread, NULL);
	}
}

static int test_idle(void)
{
	static const uint8_t code[] = {0xfa, 0xf4, 0xeb, 0xfd}; /* cli; hlt */
	struct kvm_vm vm;
	struct vm_stats st;
	struct vcpu_snapshot *bsp, *ap;
	int r = vm_make(&vm, code, sizeof(code), false);

	if (r)
		return r;
	CHECK_EQ(vm_stats_alloc(&st, 2), 0);
	vcpu_stats_collect(&vm.t[0].v, 1, &st);
	CHECK_EQ(st.vcpus[0].rs.flags, RUNSTATE_F_PAUSED);
	vcpu_stats_snapshot(&vm.t[1].v, &st.vcpus[1]);
	CHECK_EQ(st.vcpus[1].rs.flags, RUNSTATE_F_PAUSED | RUNSTATE_F_DOWN);

	run_threads(&vm);
	sample_for(&vm, 30);
	for (unsigned int i = 0; i < 2; i++)
		vcpu_stats_snapshot(&vm.t[i].v, &st.vcpus[i]);
	bsp = &st.vcpus[0];
	ap = &st.vcpus[1];
	CHECK_EQ(bsp->rs.state, RUNSTATE_BLOCKED);
	CHECK(bsp->rs.tid != 0);
	CHECK_EQ(bsp->rs.transitions[RUNSTATE_RUNNING][RUNSTATE_BLOCKED], 1);
	CHECK_EQ(ap->rs.state, RUNSTATE_OFFLINE);
	CHECK_EQ(ap->rs.flags, RUNSTATE_F_DOWN);
	CHECK_EQ(ap->rs.time[RUNSTATE_RUNNING], 0);
	CHECK_EQ(ap->rs.wakeups, 0);
	CHECK(bsp->kvm.present & (1u << KVM_STAT_BLOCKING));

	/* Pause: kicked out of the halt, offline and paused. */
	atomic_store(&vm.t[0].pause, true);
	kick(&vm.t[0]);
	while (!atomic_load(&vm.t[0].paused))
		usleep(1000);
	sample_for(&vm, 5);
	vcpu_stats_snapshot(&vm.t[0].v, bsp);
	CHECK_EQ(bsp->rs.state, RUNSTATE_OFFLINE);
	CHECK_EQ(bsp->rs.flags, RUNSTATE_F_PAUSED);
	CHECK_EQ(bsp->rs.transitions[RUNSTATE_BLOCKED][RUNSTATE_OFFLINE], 1);
	atomic_store(&vm.t[0].pause, false);
	sample_for(&vm, 10);

	stop_threads(&vm);
	/* The final fold, as vm.c does before writing --stats. */
	vcpu_stats_sample(&vm.t[0].v);
	vcpu_stats_collect(&vm.t[0].v, 1, &st);
	vcpu_stats_snapshot(&vm.t[1].v, &st.vcpus[1]);
	st.nr_vcpus = 2;
	report("idle", &st);
	CHECK(st.vcpus[0].rs.time[RUNSTATE_BLOCKED] >
	      st.vcpus[0].rs.time[RUNSTATE_RUNNING]);
	CHECK_EQ(st.vcpus[0].rs.state, RUNSTATE_OFFLINE);
	CHECK_EQ(violations(&st.vcpus[0].rs), 0);
	vm_stats_free(&st);
	vm_free(&vm);
	return 0;
}

static int test_spin(void)
{
	static const uint8_t code[] = {0xeb, 0xfe}; /* jmp . */
	struct kvm_vm vm;
	struct vcpu_snapshot s;
	int r = vm_make(&vm, code, sizeof(code), false);

	if (r)
		return r;
	run_threads(&vm);
	sample_for(&vm, 30);
	vcpu_stats_snapshot(&vm.t[0].v, &s);
	CHECK_EQ(s.rs.state, RUNSTATE_RUNNING);
	CHECK_EQ(s.rs.time[RUNSTATE_BLOCKED], 0);
	CHECK_EQ(s.rs.transitions[RUNSTATE_RUNNING][RUNSTATE_BLOCKED], 0);
	CHECK(s.rs.time[RUNSTATE_RUNNING] > 0);
	stop_threads(&vm);
	{
		struct vm_stats st = {.nr_vcpus = 1, .vcpus = &s};

		vcpu_stats_snapshot(&vm.t[0].v, &s);
		st.time_ns = s.rs.state_entry_time;
		report("spin", &st);
	}
	vm_free(&vm);
	return 0;
}

/*
 * Woken 1000 times a second: the PIT on IRQ 0 through the PIC, a handler
 * that only acknowledges, and "sti; 1: hlt; jmp 1b" (real mode).
 */
static int test_ticks(void)
{
	static const uint8_t code[] = {
	    0xfa, 0x31, 0xc0, 0x8e, 0xd8,	/* cli; ds = 0 */
	    0xc7, 0x06, 0x20, 0x00, 0x35, 0x10, /* IVT[8] = 0:0x1035 */
	    0xc7, 0x06, 0x22, 0x00, 0x00, 0x00, 0xb0, 0x11,
	    0xe6, 0x20, 0xb0, 0x08, 0xe6, 0x21, /* PIC ICWs */
	    0xb0, 0x04, 0xe6, 0x21, 0xb0, 0x01, 0xe6, 0x21,
	    0xb0, 0xfe, 0xe6, 0x21,			    /* unmask IRQ 0 */
	    0xb0, 0x34, 0xe6, 0x43,			    /* PIT ch0 mode 2 */
	    0xb0, 0xa9, 0xe6, 0x40, 0xb0, 0x04, 0xe6, 0x40, /* 1193 */
	    0xfb, 0xf4, 0xeb, 0xfd,			    /* sti; hlt loop */
	    0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf,	    /* EOI; iret */
	};
	struct kvm_vm vm;
	struct vcpu_snapshot s;
	uint64_t hist = 0;
	int r = vm_make(&vm, code, sizeof(code), true);

	if (r)
		return r;
	run_threads(&vm);
	sample_for(&vm, 30);
	stop_threads(&vm);
	vcpu_stats_sample(&vm.t[0].v);
	vcpu_stats_snapshot(&vm.t[0].v, &s);
	for (int i = 0; i < RUNSTATE_HIST_BUCKETS; i++)
		hist += s.rs.wake_hist[i];
	CHECK(s.rs.wakeups > 0);
	CHECK(hist > 0);
	CHECK(s.rs.time[RUNSTATE_BLOCKED] > 0);
	CHECK_EQ(violations(&s.rs), 0);
	{
		struct vm_stats st = {.nr_vcpus = 1, .vcpus = &s};

		st.time_ns = s.rs.state_entry_time;
		report("ticks", &st);
		printf("  ticks: %llu halts waited, %llu kvm wakeups, "
		       "%llu unattributed ns\n",
		       (unsigned long long)s.kvm.v[KVM_STAT_HALT_WAITS],
		       (unsigned long long)s.kvm.v[KVM_STAT_HALT_WAKEUP],
		       (unsigned long long)s.rs.unattributed_ns);
	}
	vm_free(&vm);
	return 0;
}

int main(void)
{
	struct sigaction sa = {.sa_handler = kick_handler};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	if (test_idle() == 77 && !check_failures) {
		printf("test_vcpu_stats: /dev/kvm not usable, skipping\n");
		return 77;
	}
	test_spin();
	test_ticks();
	return check_done("test_vcpu_stats");
}
