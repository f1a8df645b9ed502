/* SPDX-License-Identifier: MIT */
/*
 * The bench register page and the phase accounting of `vmm bench
 * doorbell` (see bench_rig.h). Guest writes reach rig_write() on the vCPU
 * thread through the MMIO bus; the ioeventfd-backed registers only get
 * here for a value other than the one they match, which is ignored.
 */
#define pr_fmt(fmt) "bench: " fmt

#include "bench_rig.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "base/bus.h"
#include "base/log.h"
#include "vm/vm.h"
#include "arch/x86/layout.h"
#include "kvm/eventfd.h"

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* acc += now - then, counter by counter; poll_ns is a level: keep now's. */
static void dev_add_delta(struct bench_dev_stats *acc,
			  const struct bench_dev_stats *now,
			  const struct bench_dev_stats *then)
{
	acc->served_loop += now->served_loop - then->served_loop;
	acc->served_vcpu += now->served_vcpu - then->served_vcpu;
	acc->wakeups += now->wakeups - then->wakeups;
	acc->poll_hits += now->poll_hits - then->poll_hits;
	acc->polls += now->polls - then->polls;
	acc->poll_grows += now->poll_grows - then->poll_grows;
	acc->poll_shrinks += now->poll_shrinks - then->poll_shrinks;
	acc->poll_ns = now->poll_ns;
}

static void rig_snapshot(struct bench_rig *rig, uint64_t *wall, uint64_t *io,
			 uint64_t *vcpu, struct bench_dev_stats *dev)
{
	*wall = clock_ns(CLOCK_MONOTONIC);
	*io = clock_ns(rig->io_clock);
	*vcpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	memset(dev, 0, sizeof(*dev));
	if (rig->dev)
		bench_dev_stats(rig->dev, dev);
}

static void rig_begin(struct bench_rig *rig, int phase)
{
	if (rig->open >= 0) {
		rig->bad_marks++;
		return;
	}
	rig->open = phase;
	rig_snapshot(rig, &rig->t_wall, &rig->t_io, &rig->t_vcpu, &rig->t_dev);
}

static void rig_end(struct bench_rig *rig, int phase)
{
	struct bench_phase *p = &rig->phase[phase];
	struct bench_dev_stats dev;
	uint64_t wall, io, vcpu;

	if (rig->open != phase) {
		rig->bad_marks++;
		return;
	}
	rig_snapshot(rig, &wall, &io, &vcpu, &dev);
	p->blocks++;
	p->wall_ns += wall - rig->t_wall;
	p->io_cpu_ns += io - rig->t_io;
	p->vcpu_cpu_ns += vcpu - rig->t_vcpu;
	dev_add_delta(&p->dev, &dev, &rig->t_dev);
	rig->open = -1;
}

/* The first marker: the driver is up; move to the vCPU's CPU(s). */
static void rig_hello(struct bench_rig *rig)
{
	int r;

	if (rig->hello || !rig->vcpu_pin) {
		rig->hello = true;
		return;
	}
	rig->hello = true;
	r = sched_setaffinity(0, sizeof(rig->vcpu_mask), &rig->vcpu_mask);
	if (r)
		pr_warn("pinning the vCPU thread: %s", strerror(errno));
}

/* A marker from the guest; anything malformed is counted and ignored. */
static void rig_mark(struct bench_rig *rig, uint32_t v)
{
	unsigned int arg = BENCH_MARK_ARG(v);

	switch (BENCH_MARK_EVENT(v)) {
	case BENCH_MARK_HELLO: rig_hello(rig); break;
	case BENCH_MARK_BEGIN:
	case BENCH_MARK_END:
		if (arg >= BENCH_NR_TESTS) {
			rig->bad_marks++;
			break;
		}
		if (BENCH_MARK_EVENT(v) == BENCH_MARK_BEGIN)
			rig_begin(rig, (int)arg);
		else
			rig_end(rig, (int)arg);
		break;
	case BENCH_MARK_IDLE_BEGIN: rig_begin(rig, BENCH_PHASE_IDLE); break;
	case BENCH_MARK_IDLE_END: rig_end(rig, BENCH_PHASE_IDLE); break;
	default: rig->bad_marks++; break;
	}
}

static void rig_write(void *opaque, uint64_t off, const void *data,
		      uint32_t len)
{
	struct bench_rig *rig = opaque;
	uint32_t v;

	if (len != sizeof(v)) {
		pr_warn_ratelimited(&rig->warn_rl,
				    "%u-byte write to register 0x%llx ignored",
				    len, (unsigned long long)off);
		return;
	}
	memcpy(&v, data, sizeof(v));
	switch (off) {
	case BENCH_REG_EXIT:
		if (rig->dev)
			bench_dev_kick(rig->dev, v); /* checks v */
		break;
	case BENCH_REG_MARK: rig_mark(rig, v); break;
	default:
		/* FLOOR/EPOLL with a value their ioeventfds do not match. */
		pr_warn_ratelimited(&rig->warn_rl,
				    "write of 0x%x to register 0x%llx ignored",
				    v, (unsigned long long)off);
		break;
	}
}

static void rig_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	(void)opaque;
	(void)off;
	memset(data, 0, len);
}

static const struct bus_ops rig_ops = {
    .read = rig_read,
    .write = rig_write,
};

/* A new eventfd as the ioeventfd of bench register @reg (datamatch 0). */
static int rig_ioeventfd(struct bench_rig *rig, uint64_t reg, int *fd,
			 bool *assigned)
{
	struct ioeventfd_spec spec = {
	    .addr = LAYOUT_BENCH_REGS + reg,
	    .len = 4,
	    .datamatch = true,
	    .data = 0,
	};
	int r;

	BUILD_BUG_ON(BENCH_FLOOR_VALUE != 0 || BENCH_QUEUE_IO != 0);
	*fd = io_eventfd_new();
	if (*fd < 0)
		return *fd;
	r = io_ioeventfd_set(rig->vm->vm_fd, *fd, &spec, true);
	if (r)
		return r;
	*assigned = true;
	return 0;
}

int bench_rig_create(struct bench_rig *rig, struct vm *vm, bool epoll_bell,
		     const cpu_set_t *vcpu_mask)
{
	int r;

	memset(rig, 0, sizeof(*rig));
	rig->vm = vm;
	rig->floor_fd = rig->epoll_fd = -1;
	rig->open = -1;
	if (vcpu_mask) {
		rig->vcpu_pin = true;
		rig->vcpu_mask = *vcpu_mask;
	}
	/* The io thread sets its own clock when it starts (bench_doorbell.c).
	 */
	rig->io_clock = CLOCK_THREAD_CPUTIME_ID;
	r = rig_ioeventfd(rig, BENCH_REG_FLOOR, &rig->floor_fd,
			  &rig->floor_assigned);
	if (!r && epoll_bell)
		r = rig_ioeventfd(rig, BENCH_REG_EPOLL, &rig->epoll_fd,
				  &rig->epoll_assigned);
	if (!r)
		r = bus_register(&vm->mmio_bus, LAYOUT_BENCH_REGS,
				 LAYOUT_BENCH_REGS_SIZE, "bench", &rig_ops,
				 rig);
	return r;
}

static void rig_close(struct bench_rig *rig, uint64_t reg, int *fd,
		      bool *assigned)
{
	struct ioeventfd_spec spec = {
	    .addr = LAYOUT_BENCH_REGS + reg,
	    .len = 4,
	    .datamatch = true,
	    .data = 0,
	};

	if (*assigned)
		(void)io_ioeventfd_set(rig->vm->vm_fd, *fd, &spec, false);
	*assigned = false;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void bench_rig_destroy(struct bench_rig *rig)
{
	if (!rig->vm)
		return;
	rig_close(rig, BENCH_REG_FLOOR, &rig->floor_fd, &rig->floor_assigned);
	rig_close(rig, BENCH_REG_EPOLL, &rig->epoll_fd, &rig->epoll_assigned);
}
