/* SPDX-License-Identifier: MIT */
/*
 * The platform's power and reset controls: the i8042 CPU-reset command
 * (Linux reboot=k), the ACPI hardware-reduced sleep control / status and
 * reset registers the FADT points at (poweroff, reboot=acpi), and the
 * debug-exit port test guests use to report a status.
 */
#define pr_fmt(fmt) "platform: " fmt
#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/bus.h"
#include "base/exit_ctl.h"

#define I8042_CMD_RESET 0xfe
/* ACPI 6.x, 4.8.3.7 Sleep Control Register: SLP_TYP bits 2-4, SLP_EN 5. */
#define ACPI_SLEEP_SLP_EN (1 << 5)
#define ACPI_SLEEP_TYP(v) (((v) >> 2) & 0x7)

struct i8042 {
	const struct device_env *env;
};

struct acpi_pm {
	const struct device_env *env;
	struct acpi_pm_config cfg;
	struct log_ratelimit warn_rl;
};

struct debug_exit {
	const struct device_env *env;
};

static void read_zero(void *opaque, uint64_t off, void *data, uint32_t len)
{
	(void)opaque;
	(void)off;
	memset(data, 0, len);
}

/*
 * The command port only: both ports are ranges of their own, each at
 * offset 0, so the offset cannot tell them apart. 0xfe on the data port
 * is a byte for the keyboard (its "resend" command), not a reset.
 */
static void i8042_cmd_write(void *opaque, uint64_t off, const void *data,
			    uint32_t len)
{
	struct i8042 *k = opaque;

	(void)off;
	(void)len;
	if (*(const uint8_t *)data == I8042_CMD_RESET)
		exit_ctl_request(k->env->exit, VMM_EXIT_RESET, 0,
				 "guest reset through the i8042");
}

/* Reads: status 0, no data and an empty input buffer. */
static const struct bus_ops i8042_cmd_ops = {
    .read = read_zero,
    .write = i8042_cmd_write,
};

/* No keyboard behind the data port: what the guest writes is dropped. */
static const struct bus_ops i8042_data_ops = {
    .read = read_zero,
};

int i8042_create(struct i8042 **out, const struct device_env *env,
		 uint16_t data_port, uint16_t cmd_port)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return -ENOMEM;
	k->env = env;
	r = bus_register(env->pio_bus, data_port, 1, "i8042-data",
			 &i8042_data_ops, k);
	if (!r)
		r = bus_register(env->pio_bus, cmd_port, 1, "i8042-cmd",
				 &i8042_cmd_ops, k);
	if (r) {
		free(k);
		return r;
	}
	*out = k;
	return 0;
}

void i8042_destroy(struct i8042 *k)
{
	free(k);
}

static void acpi_pm_write(void *opaque, uint64_t off, const void *data,
			  uint32_t len)
{
	struct acpi_pm *p = opaque;
	uint8_t v = *(const uint8_t *)data;

	(void)len;
	switch (off) {
	case ACPI_PM_SLEEP_CTL:
		if ((v & ACPI_SLEEP_SLP_EN) &&
		    ACPI_SLEEP_TYP(v) == p->cfg.s5_slp_typ)
			exit_ctl_request(p->env->exit, VMM_EXIT_POWEROFF, 0,
					 "guest powered off through ACPI");
		else if (v & ACPI_SLEEP_SLP_EN)
			pr_warn_ratelimited(
			    &p->warn_rl,
			    "guest asked for unsupported sleep state %u",
			    ACPI_SLEEP_TYP(v));
		break;
	case ACPI_PM_RESET:
		if (v == p->cfg.reset_value)
			exit_ctl_request(p->env->exit, VMM_EXIT_RESET, 0,
					 "guest reset through ACPI");
		break;
	}
}

static const struct bus_ops acpi_pm_ops = {
    .read = read_zero,
    .write = acpi_pm_write,
};

int acpi_pm_create(struct acpi_pm **out, const struct device_env *env,
		   const struct acpi_pm_config *cfg)
{
	struct acpi_pm *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->env = env;
	p->cfg = *cfg;
	log_ratelimit_init(&p->warn_rl, LOG_RATELIMIT_BURST,
			   LOG_RATELIMIT_INTERVAL_NS);
	r = bus_register(env->mmio_bus, cfg->base, ACPI_PM_SIZE, "acpi-pm",
			 &acpi_pm_ops, p);
	if (r) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void acpi_pm_destroy(struct acpi_pm *p)
{
	free(p);
}

static void debug_exit_write(void *opaque, uint64_t off, const void *data,
			     uint32_t len)
{
	struct debug_exit *d = opaque;
	uint8_t status = *(const uint8_t *)data;
	char why[48];

	(void)off;
	(void)len;
	snprintf(why, sizeof(why), "guest wrote %u to the debug-exit port",
		 status);
	exit_ctl_request(d->env->exit, VMM_EXIT_DEBUG, status, why);
}

static const struct bus_ops debug_exit_ops = {
    .read = read_zero,
    .write = debug_exit_write,
};

int debug_exit_create(struct debug_exit **out, const struct device_env *env,
		      uint16_t port)
{
	struct debug_exit *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	d->env = env;
	r = bus_register(env->pio_bus, port, 4, "debug-exit", &debug_exit_ops,
			 d);
	if (r) {
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

void debug_exit_destroy(struct debug_exit *d)
{
	free(d);
}
