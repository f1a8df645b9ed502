/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers for the two VM ioctls that connect eventfds to a guest:
 * KVM_IOEVENTFD (a guest write to an address signals an eventfd inside the
 * kernel, no exit to userspace) and KVM_IRQFD (writing an eventfd raises a
 * GSI). Any thread; the VM fd is passed in. Signal an irqfd with write(2)
 * (io_eventfd_signal()), never an io_uring write: eventfd has no
 * write_iter, so io_uring punts it to a worker thread (+28 us measured).
 */
#ifndef IO_EVENTFD_H
#define IO_EVENTFD_H

#include <stdbool.h>
#include <stdint.h>

struct ioeventfd_spec {
	uint64_t addr;
	uint32_t len; /* 1, 2, 4, 8 (0: any length, no datamatch) */
	bool pio;     /* port I/O instead of MMIO */
	bool datamatch;
	uint64_t data; /* with datamatch: the value written */
};

/* Assign (or deassign) @fd for @spec on @vm_fd. Returns 0 or -errno. */
int io_ioeventfd_set(int vm_fd, int fd, const struct ioeventfd_spec *spec,
		     bool assign);

/* Assign (or deassign) @fd as the trigger of @gsi. Returns 0 or -errno. */
int io_irqfd_set(int vm_fd, int fd, unsigned int gsi, bool assign);

/* A new nonblocking, close-on-exec eventfd, or -errno. */
int io_eventfd_new(void);

/* Add 1 to @fd's counter with write(2). Async-signal-safe. 0 or -errno. */
int io_eventfd_signal(int fd);

/* Read and reset @fd's counter: the count, 0 if it was zero, or -errno. */
int64_t io_eventfd_drain(int fd);

#endif /* IO_EVENTFD_H */
