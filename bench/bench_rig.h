/* SPDX-License-Identifier: MIT */
/*
 * The host side of `vmm bench doorbell` around its echo device: the bench
 * register page at LAYOUT_BENCH_REGS (bench/bench_abi.h) with the floor
 * ioeventfd that nobody reads, the optional epoll doorbell ioeventfd, the
 * exit doorbell (served on the vCPU thread by bench_dev_kick()) and the
 * phase markers. At each marker the vCPU thread samples the wall clock,
 * the io thread's and its own CPU time and the device's counters, and
 * adds the differences to the phase being timed; at the first marker it
 * pins itself.
 *
 * Threads: created and destroyed by the bench's main thread around
 * vm_run(); the markers arrive on the (single) vCPU thread; the phase
 * totals are read after vm_run() returned.
 */
#ifndef VMM_BENCH_RIG_H
#define VMM_BENCH_RIG_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "base/log.h"
#include "bench_abi.h"
#include "bench_dev.h"

struct vm;

/* What happened during one kind of phase, summed over its blocks. */
struct bench_phase {
	unsigned int blocks; /* BEGIN/END pairs seen */
	uint64_t wall_ns;
	uint64_t io_cpu_ns;	    /* io thread (the loop) */
	uint64_t vcpu_cpu_ns;	    /* the vCPU thread */
	struct bench_dev_stats dev; /* device counter increments */
};

/* Phase slots: one per test, then the idle phase. */
#define BENCH_PHASE_IDLE BENCH_NR_TESTS
#define BENCH_NR_PHASES	 (BENCH_NR_TESTS + 1)

struct bench_rig {
	struct vm *vm;
	struct bench_dev *dev; /* set by the caller before vm_run() */
	int floor_fd;	       /* eventfd behind BENCH_REG_FLOOR */
	int epoll_fd;	       /* eventfd behind BENCH_REG_EPOLL, or -1 */
	bool floor_assigned, epoll_assigned;
	clockid_t io_clock; /* CPU-time clock of the io thread */
	bool vcpu_pin;	    /* apply vcpu_mask at HELLO */
	cpu_set_t vcpu_mask;

	/* vCPU thread while the VM runs. */
	int open; /* phase being timed, or -1 */
	uint64_t t_wall, t_io, t_vcpu;
	struct bench_dev_stats t_dev;
	bool hello;
	unsigned int bad_marks;
	struct log_ratelimit warn_rl; /* the guest's bad register writes */
	struct bench_phase phase[BENCH_NR_PHASES];
};

/*
 * Set up the register page of @vm: the floor ioeventfd, the epoll
 * doorbell ioeventfd if @epoll_bell, the bus range for the rest. The io
 * thread is the calling thread (the one that will call vm_run()). If
 * @vcpu_mask is not NULL the vCPU thread applies it to itself at the first
 * marker. Returns 0 or -errno; bench_rig_destroy() is safe either way.
 */
int bench_rig_create(struct bench_rig *rig, struct vm *vm, bool epoll_bell,
		     const cpu_set_t *vcpu_mask);

/* Remove the ioeventfds and close them; after vm_run() returned. */
void bench_rig_destroy(struct bench_rig *rig);

#endif /* VMM_BENCH_RIG_H */
