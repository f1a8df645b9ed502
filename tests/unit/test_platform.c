/* SPDX-License-Identifier: MIT */
/*
 * The platform's power controls through the buses, without KVM: which
 * guest writes end the VM and which must not. The i8042's reset is the
 * command 0xfe on the command port 0x64 only; 0xfe on the data port 0x60
 * is a byte for the keyboard (its "resend" command, which Linux's atkbd
 * sends after a parity error) and must not reset the VM. The ACPI sleep
 * register powers off only with SLP_EN and \_S5's SLP_TYP, the reset
 * register resets only with the FADT's value.
 */
#include <stdint.h>
#include <string.h>

#include "base/bus.h"
#include "base/exit_ctl.h"
#include "devices/devices.h"
#include "check.h"

#define DATA 0x60
#define CMD  0x64
#define PM   0xfec0f000ULL

struct t {
	struct bus pio, mmio;
	struct exit_ctl exit;
	struct device_env env;
	struct i8042 *kbd;
	struct acpi_pm *pm;
};

static void setup(struct t *t)
{
	const struct acpi_pm_config cfg = {
	    .base = PM, .reset_value = 0x42, .s5_slp_typ = 5};

	memset(t, 0, sizeof(*t));
	exit_ctl_init(&t->exit, NULL, NULL);
	t->env = (struct device_env){.vm_fd = -1,
				     .pio_bus = &t->pio,
				     .mmio_bus = &t->mmio,
				     .exit = &t->exit};
	CHECK_EQ(i8042_create(&t->kbd, &t->env, DATA, CMD), 0);
	CHECK_EQ(acpi_pm_create(&t->pm, &t->env, &cfg), 0);
}

static void teardown(struct t *t)
{
	i8042_destroy(t->kbd);
	acpi_pm_destroy(t->pm);
	bus_destroy(&t->pio);
	bus_destroy(&t->mmio);
	exit_ctl_destroy(&t->exit);
}

static void test_i8042(void)
{
	struct t t;
	uint8_t v;

	setup(&t);
	/* Every byte on the data port, every other byte on the command port. */
	for (unsigned int b = 0; b < 256; b++) {
		v = (uint8_t)b;
		CHECK(bus_dispatch(&t.pio, DATA, &v, 1, true));
		if (b != 0xfe)
			CHECK(bus_dispatch(&t.pio, CMD, &v, 1, true));
	}
	CHECK(!exit_ctl_requested(&t.exit));
	/* Reads say "nothing to read, room to write". */
	v = 0xff;
	CHECK(bus_dispatch(&t.pio, CMD, &v, 1, false));
	CHECK_EQ(v, 0);
	v = 0xfe;
	CHECK(bus_dispatch(&t.pio, CMD, &v, 1, true));
	CHECK(exit_ctl_requested(&t.exit));
	CHECK_EQ(exit_ctl_get(&t.exit).reason, VMM_EXIT_RESET);
	teardown(&t);
}

static void test_acpi_pm(void)
{
	struct t t;
	uint8_t v;

	setup(&t);
	for (unsigned int b = 0; b < 256; b++) {
		v = (uint8_t)b;
		/* SLP_EN (bit 5) with SLP_TYP 5 (bits 2-4) is S5. */
		if ((b & 0x3c) != 0x34)
			CHECK(bus_dispatch(&t.mmio, PM, &v, 1, true));
		CHECK(bus_dispatch(&t.mmio, PM + 1, &v, 1, true));
		if (b != 0x42)
			CHECK(bus_dispatch(&t.mmio, PM + 2, &v, 1, true));
	}
	CHECK(!exit_ctl_requested(&t.exit));
	v = 0x42;
	CHECK(bus_dispatch(&t.mmio, PM + 2, &v, 1, true));
	CHECK_EQ(exit_ctl_get(&t.exit).reason, VMM_EXIT_RESET);
	teardown(&t);

	setup(&t);
	v = 0x34;
	CHECK(bus_dispatch(&t.mmio, PM, &v, 1, true));
	CHECK_EQ(exit_ctl_get(&t.exit).reason, VMM_EXIT_POWEROFF);
	teardown(&t);
}

int main(void)
{
	test_i8042();
	test_acpi_pm();
	return check_done("platform");
}
