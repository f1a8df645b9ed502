/* SPDX-License-Identifier: MIT */
/*
 * A host thread's scheduler statistics from /proc/self/task/TID/schedstat
 * (Documentation/scheduler/sched-stats.rst): time on a CPU, time waiting
 * on a run queue (run_delay: the vCPU was runnable but not running, i.e.
 * preempted by the host) and the number of timeslices. The file is opened
 * once and re-read with pread() at offset 0.
 */
#ifndef VCPU_SCHEDSTAT_H
#define VCPU_SCHEDSTAT_H

#include <stdint.h>
#include <sys/types.h>

struct schedstat {
	uint64_t run_ns;       /* on a CPU */
	uint64_t run_delay_ns; /* runnable, waiting on a run queue */
	uint64_t timeslices;   /* times it was scheduled */
};

/*
 * Open the schedstat file of thread @tid of this process. Any thread.
 * Returns the fd (O_CLOEXEC) or -errno (-ENOENT without CONFIG_SCHEDSTATS
 * / CONFIG_SCHED_INFO or once the thread has exited).
 */
int schedstat_open(pid_t tid);

/* Read @fd from offset 0 and parse it. Any thread. 0 or -errno. */
int schedstat_read(int fd, struct schedstat *out);

/*
 * Parse the text of a schedstat file: three unsigned decimal numbers
 * separated by single spaces, then a newline. Pure. 0 or -EINVAL.
 */
int schedstat_parse(const char *buf, size_t len, struct schedstat *out);

#endif /* VCPU_SCHEDSTAT_H */
