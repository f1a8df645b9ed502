/* SPDX-License-Identifier: MIT */
/*
 * Sorted range table with binary-search dispatch.
 */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr_ranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t size,
		 const char *name, const struct bus_ops *ops, void *opaque)
{
	uint64_t end;
	size_t pos = 0;

	if (!size || __builtin_add_overflow(base, size - 1, &end))
		return -EINVAL;
	while (pos < bus->nr_ranges && bus->ranges[pos].base < base)
		pos++;
	/* Overlap with the predecessor or the successor? */
	if (pos > 0) {
		const struct bus_range *p = &bus->ranges[pos - 1];

		if (base - p->base < p->size)
			return -EEXIST;
	}
	if (pos < bus->nr_ranges && bus->ranges[pos].base <= end)
		return -EEXIST;
	if (bus->nr_ranges == bus->capacity) {
		size_t cap = bus->capacity ? bus->capacity * 2 : 8;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->ranges = n;
		bus->capacity = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nr_ranges - pos) * sizeof(bus->ranges[0]));
	bus->ranges[pos] = (struct bus_range){
	    .base = base,
	    .size = size,
	    .name = name,
	    .ops = ops,
	    .opaque = opaque,
	};
	bus->nr_ranges++;
	return 0;
}

bool bus_dispatch(const struct bus *bus, uint64_t addr, void *data,
		  uint32_t len, bool is_write)
{
	const struct bus_range *r = bus_find(bus, addr);
	uint64_t off;

	if (!r || !len)
		return false;
	off = addr - r->base;
	/* The access must not run past the end of the device's range. */
	if (len > r->size - off)
		return false;
	if (is_write) {
		if (r->ops->write)
			r->ops->write(r->opaque, off, data, len);
	} else {
		if (r->ops->read)
			r->ops->read(r->opaque, off, data, len);
		else
			memset(data, 0xff, len);
	}
	return true;
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr_ranges = bus->capacity = 0;
}
