/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio devices vmm names on the command line, in its order:
 * one "virtio_mmio.device=SIZE@BASE:GSI[:ID]" word each (Linux's syntax).
 */
#ifndef GUESTS_LIB_MMIO_DEVICES_H
#define GUESTS_LIB_MMIO_DEVICES_H

#include <stdint.h>

struct mmio_device {
	uint64_t base;	  /* register window */
	unsigned int gsi; /* below IOAPIC_PINS */
};

/*
 * Every device word of @cl into @devs (room for @max). Returns how many,
 * or -1 if a word is malformed or there are more than @max.
 */
int mmio_devices_find(const char *cl, struct mmio_device *devs,
		      unsigned int max);

#endif /* GUESTS_LIB_MMIO_DEVICES_H */
