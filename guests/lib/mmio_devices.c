/* SPDX-License-Identifier: MIT */
#include "mmio_devices.h"

#include "cmdline.h"
#include "ioapic.h"
#include "string.h"

#define MMIO_KEY "virtio_mmio.device="

/* "4K@0xd0000000:16" (an optional ":id" may follow), @len bytes. */
static int parse_device(const char *v, size_t len, struct mmio_device *d)
{
	size_t at = 0, colon, end;
	uint64_t gsi;

	while (at < len && v[at] != '@')
		at++;
	for (colon = ++at; colon < len && v[colon] != ':'; colon++)
		;
	for (end = colon + 1; end < len && v[end] != ':'; end++)
		;
	if (colon >= len || parse_u64(v + at, colon - at, 0, &d->base) ||
	    parse_u64(v + colon + 1, end - colon - 1, 10, &gsi) ||
	    gsi >= IOAPIC_PINS)
		return -1;
	d->gsi = (unsigned int)gsi;
	return 0;
}

int mmio_devices_find(const char *cl, struct mmio_device *devs,
		      unsigned int max)
{
	size_t len = strnlen(cl, CMDLINE_MAX), i = 0, klen = strlen(MMIO_KEY);
	unsigned int n = 0;

	while (i < len) {
		size_t w = i;

		while (i < len && cl[i] != ' ')
			i++;
		if (i - w > klen && !memcmp(cl + w, MMIO_KEY, klen)) {
			if (n == max ||
			    parse_device(cl + w + klen, i - w - klen, &devs[n]))
				return -1;
			n++;
		}
		while (i < len && cl[i] == ' ')
			i++;
	}
	return (int)n;
}
