/* SPDX-License-Identifier: MIT */
/*
 * virtio-console (virtio 1.2, 5.3): port 0 is the console (hvc0), more
 * ports are named (/dev/vport*, with VIRTIO_CONSOLE_F_MULTIPORT and its
 * control queues), each with its own console backend (backends/console.h).
 * VIRTIO_CONSOLE_F_SIZE reports port 0's terminal size and follows its
 * resizes; VIRTIO_CONSOLE_F_EMERG_WRITE takes single characters through
 * the configuration space.
 *
 * Output (transmit queues) is written through the io loop and a chain goes
 * back to the guest only once its bytes are written: lossless, never
 * blocking the loop. Input is read from a backend only while the guest
 * has receive buffers posted, straight into them.
 *
 * Wiring (vm.c): vcon_create() -> virtio_mmio_create(.., vcon_dev(vc), ..)
 * -> run -> virtio_mmio_destroy() -> vcon_destroy().
 */
#ifndef VIRTIO_CONSOLE_H
#define VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exit_ctl;
struct io_loop;
struct mem;
struct vcon;
struct virtio_dev;

/* Port 0 plus up to 16 named ports. */
#define VCON_MAX_PORTS 17

struct vcon_port_config {
	const char *name;    /* guest-visible name; ignored for port 0 */
	const char *backend; /* "stdio", "pty", "file:PATH", ... */
};

struct vcon_config {
	/* ports[0] is the console; NULL backend means "none". */
	struct vcon_port_config ports[VCON_MAX_PORTS];
	unsigned int nr_ports; /* 1..VCON_MAX_PORTS */
	/* Port 0's size unless its backend is a terminal; 0: unknown. */
	uint16_t rows, cols;
};

/*
 * Create the device and open every port's backend (a pty prints its path
 * here) and attach them to @loop. F_MULTIPORT is offered when there is
 * more than one port. Call on the main thread before the vCPU threads
 * start and before io_loop_run() (see console_start()). Returns 0 or
 * -errno with a one-line reason in @err.
 */
int vcon_create(struct vcon **out, const struct vcon_config *cfg,
		const struct mem *mem, struct io_loop *loop, char *err,
		size_t err_len);

/*
 * The VM is stopping (loop stopped): see console_shutdown(), for every
 * port. Any thread.
 */
void vcon_shutdown(struct vcon *vc, unsigned int grace_ms);

/*
 * Port 0's terminal size is now @rows x @cols: the driver hears of it as
 * of a terminal backend's resize (F_SIZE's configuration change, or a
 * RESIZE control message), from the loop thread at its next iteration.
 * Any thread. 0 or -ENOMEM.
 */
int vcon_set_size(struct vcon *vc, uint16_t rows, uint16_t cols);

/*
 * The VM has ended (the loop stopped, the vCPUs parked; on the loop's
 * thread): start writing out what the guest left in its transmit queues.
 * A guest's writes to a named port do not wait for the host, so a guest
 * that writes and powers off leaves its last output there. Then
 * io_loop_drain() while vcon_busy(@vc): each finished write starts the
 * next until the queues are empty.
 */
void vcon_flush(struct vcon *vc);
bool vcon_busy(void *vc);

/* Ctrl-A x on any port's stdio terminal ends the VM through @quit. */
void vcon_set_quit(struct vcon *vc, struct exit_ctl *quit);

/* The generic device, for virtio_mmio_create(). */
struct virtio_dev *vcon_dev(struct vcon *vc);

/*
 * Close the backends (restoring terminals) and free the device. After
 * virtio_mmio_destroy() and with the loop stopped. NULL is a no-op.
 */
void vcon_destroy(struct vcon *vc);

#endif /* VIRTIO_CONSOLE_H */
