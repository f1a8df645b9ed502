/* SPDX-License-Identifier: MIT */
/*
 * Legacy platform devices: the 16550A UART, the i8042 reset line, the ACPI
 * hardware-reduced sleep/reset registers and the debug-exit port. Each
 * registers itself on a bus of the VM and reports power events through
 * vm_request_exit().
 */
#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

struct vm;
struct console;
struct serial;
struct i8042;
struct acpi_pm;
struct debug_exit;

/*
 * 16550A on the PIO bus at @port, interrupt line @irq, connected to the
 * already opened backend @con. Input is read on the VM's io loop.
 * Returns 0 or -errno.
 */
int serial_create(struct serial **out, struct vm *vm, struct console *con,
		  uint16_t port, unsigned int irq);
void serial_destroy(struct serial *s);

/* i8042 controller: only the CPU reset command (0xfe) does anything. */
int i8042_create(struct i8042 **out, struct vm *vm);
void i8042_destroy(struct i8042 *k);

/* ACPI sleep control/status and reset registers (see arch/x86/layout.h). */
int acpi_pm_create(struct acpi_pm **out, struct vm *vm);
void acpi_pm_destroy(struct acpi_pm *p);

/* isa-debug-exit style port: a write of V ends vmm with status V. */
int debug_exit_create(struct debug_exit **out, struct vm *vm);
void debug_exit_destroy(struct debug_exit *d);

#endif /* VMM_DEVICES_H */
