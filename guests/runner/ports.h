/* SPDX-License-Identifier: MIT */
/*
 * Finding a named virtio-console port (docs/runner-protocol.md): the
 * driver lists each port as /sys/class/virtio-ports/<dev>/, whose `name`
 * file holds the name the host gave it, and the port's device node is
 * /dev/<dev>. port_find() is pure but for reading that tree, whose root is
 * a parameter so the unit tests can give it a fake one.
 */
#ifndef GUESTS_RUNNER_PORTS_H
#define GUESTS_RUNNER_PORTS_H

#include <stddef.h>

/*
 * Find the port named NAME under SYSFS (normally "/sys") and copy its
 * device name (e.g. "vport0p1") into DEV, DEVLEN bytes with the NUL.
 * Returns 0, -ENOENT when no port has that name (yet: the driver adds
 * ports and their names after it probes), -ENAMETOOLONG when a path or
 * DEV does not fit, or the -errno of opening the class directory.
 */
int port_find(const char *sysfs, const char *name, char *dev, size_t devlen);

/*
 * port_find() again every 10 ms until it finds NAME or TIMEOUT_MS pass.
 * Returns what the last port_find() did.
 */
int port_wait(const char *sysfs, const char *name, char *dev, size_t devlen,
	      unsigned int timeout_ms);

#endif /* GUESTS_RUNNER_PORTS_H */
