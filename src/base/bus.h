/* SPDX-License-Identifier: MIT */
/*
 * One address-range bus per address space (PIO, MMIO). Devices register
 * [base, base + size) with a read/write pair; vCPU threads dispatch their
 * KVM_EXIT_IO / KVM_EXIT_MMIO through bus_dispatch(). Registration happens
 * before the vCPUs start, so dispatch needs no lock; each device locks its
 * own state.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus_ops {
	/* @offset is relative to the registered base; @len is 1, 2, 4 or 8. */
	void (*read)(void *opaque, uint64_t offset, void *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const void *data,
		      uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t size;
	const char *name;
	const struct bus_ops *ops;
	void *opaque;
};

struct bus {
	struct bus_range *ranges; /* sorted by base, never overlapping */
	size_t nr_ranges;
	size_t capacity;
};

/* Add a range. Returns 0, -EEXIST on overlap, -EINVAL, or -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t size,
		 const char *name, const struct bus_ops *ops, void *opaque);

/*
 * Route one access. Returns false when no device claims the whole access;
 * the caller then treats reads as all-ones and ignores writes.
 */
bool bus_dispatch(const struct bus *bus, uint64_t addr, void *data,
		  uint32_t len, bool is_write);

/* Free the range table. */
void bus_destroy(struct bus *bus);

#endif /* VMM_BUS_H */
