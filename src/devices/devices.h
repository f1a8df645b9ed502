/* SPDX-License-Identifier: MIT */
/*
 * Legacy platform devices: the 16550A UART, the i8042 reset line, the ACPI
 * hardware-reduced sleep/reset registers and the debug-exit port. Each
 * registers itself on a bus of the VM (struct device_env, not the VM
 * itself) and reports power events through its exit record.
 */
#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct console;
struct exit_ctl;
struct io_loop;
struct serial;
struct i8042;
struct acpi_pm;
struct debug_exit;

/* What a platform device needs of its VM (must outlive the device). */
struct device_env {
	int vm_fd;	       /* KVM_IRQ_LINE */
	struct bus *pio_bus;   /* I/O ports */
	struct bus *mmio_bus;  /* MMIO */
	struct io_loop *loop;  /* the io thread's */
	struct exit_ctl *exit; /* power events end the VM here */
};

/* The UART stages one byte per writing vCPU: VMs have at most this many. */
#define SERIAL_MAX_VCPUS 256

/*
 * 16550A on the PIO bus at @port, interrupt line @irq, connected to the
 * already opened backend @con. Input is read on the VM's io loop.
 * Returns 0 or -errno.
 */
int serial_create(struct serial **out, const struct device_env *env,
		  struct console *con, uint16_t port, unsigned int irq);
void serial_destroy(struct serial *s);

/* i8042 controller: only the CPU reset command (0xfe) does anything. */
int i8042_create(struct i8042 **out, const struct device_env *env,
		 uint16_t data_port, uint16_t cmd_port);
void i8042_destroy(struct i8042 *k);

/*
 * The ACPI hardware-reduced power block: three byte registers at these
 * offsets from its base, as the FADT describes them.
 */
#define ACPI_PM_SLEEP_CTL 0
#define ACPI_PM_SLEEP_STS 1
#define ACPI_PM_RESET	  2
#define ACPI_PM_SIZE	  4

struct acpi_pm_config {
	uint64_t base;	     /* guest-physical, on the MMIO bus */
	uint8_t reset_value; /* the FADT's RESET_VALUE */
	uint8_t s5_slp_typ;  /* \_S5's SLP_TYP: writing it powers off */
};

int acpi_pm_create(struct acpi_pm **out, const struct device_env *env,
		   const struct acpi_pm_config *cfg);
void acpi_pm_destroy(struct acpi_pm *p);

/* isa-debug-exit style port: a write of V ends the VM (VMM_EXIT_DEBUG, V). */
int debug_exit_create(struct debug_exit **out, const struct device_env *env,
		      uint16_t port);
void debug_exit_destroy(struct debug_exit *d);

#endif /* VMM_DEVICES_H */
