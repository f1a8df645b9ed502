/* SPDX-License-Identifier: MIT */
/*
 * Address-range bus: registration, overlaps, dispatch bounds.
 */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "base/bus.h"

struct fake_dev {
	uint64_t last_off;
	uint32_t last_len;
	uint32_t writes, reads;
	uint8_t value;
};

static void fake_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct fake_dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_len = len;
	memset(data, d->value, len);
}

static void fake_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct fake_dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_len = len;
	d->value = *(const uint8_t *)data;
}

static const struct bus_ops fake_ops = {.read = fake_read, .write = fake_write};

int main(void)
{
	struct bus bus = {0};
	struct fake_dev a = {0}, b = {0}, c = {0};
	uint8_t buf[8];
	uint32_t v32 = 0x5a;

	CHECK_EQ(bus_register(&bus, 0x3f8, 8, "a", &fake_ops, &a), 0);
	CHECK_EQ(bus_register(&bus, 0x60, 1, "b", &fake_ops, &b), 0);
	CHECK_EQ(bus_register(&bus, 0x64, 1, "c", &fake_ops, &c), 0);
	/* Overlaps in every direction are refused. */
	CHECK_EQ(bus_register(&bus, 0x3f8, 1, "x", &fake_ops, &a), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x3f0, 9, "x", &fake_ops, &a), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x3ff, 4, "x", &fake_ops, &a), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x3f0, 0x20, "x", &fake_ops, &a), -EEXIST);
	CHECK_EQ(bus_register(&bus, 0x10, 0, "x", &fake_ops, &a), -EINVAL);
	CHECK_EQ(bus_register(&bus, UINT64_MAX, 2, "x", &fake_ops, &a),
		 -EINVAL);
	/* Adjacent is fine. */
	CHECK_EQ(bus_register(&bus, 0x3f0, 8, "d", &fake_ops, &b), 0);
	CHECK_EQ(bus.nr_ranges, 4);
	for (size_t i = 1; i < bus.nr_ranges; i++)
		CHECK(bus.ranges[i - 1].base < bus.ranges[i].base);

	CHECK(bus_dispatch(&bus, 0x3fd, &v32, 1, true));
	CHECK_EQ(a.writes, 1);
	CHECK_EQ(a.last_off, 5);
	CHECK_EQ(a.value, 0x5a);
	CHECK(bus_dispatch(&bus, 0x3f8, buf, 4, false));
	CHECK_EQ(a.reads, 1);
	CHECK_EQ(buf[3], 0x5a);
	/* An access that runs past the end of a range is not claimed. */
	CHECK(!bus_dispatch(&bus, 0x3fe, buf, 4, false));
	CHECK(!bus_dispatch(&bus, 0x64, buf, 2, true));
	CHECK(!bus_dispatch(&bus, 0x61, buf, 1, false));
	CHECK(!bus_dispatch(&bus, 0x3f8, buf, 0, false));
	CHECK(bus_dispatch(&bus, 0x64, buf, 1, true));
	CHECK_EQ(c.writes, 1);
	CHECK(!bus_dispatch(&bus, UINT64_MAX, buf, 8, false));
	bus_destroy(&bus);
	CHECK_EQ(bus.nr_ranges, 0);
	return check_done("test_bus");
}
