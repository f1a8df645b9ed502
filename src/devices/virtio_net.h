/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, 5.1) on a tap or a stream socket
 * (backends/net.h), one receive and one transmit queue, served on the io
 * thread. Receive goes only into buffers the guest posted (MRG_RXBUF lets
 * a frame span several); while none are posted the backend is not read
 * (the host side queues or drops, and vnet_stats() counts the stalls).
 * Transmit is batched through the io_uring. The link is up (STATUS) while
 * the backend is usable; a backend that goes away (passt killed, tap
 * deleted) takes the link down with a configuration interrupt and the VM
 * keeps running.
 *
 * Wiring (vm/attach.c): vnet_create() -> virtio_mmio_create(..,
 * vnet_dev(n), ..) -> run -> io_loop_drain(vnet_busy) ->
 * virtio_mmio_destroy() -> vnet_destroy().
 */
#ifndef VIRTIO_NET_H
#define VIRTIO_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io_loop;
struct mem;
struct net_spec;
struct vnet;
struct virtio_dev;

/* Entries per queue (QueueNumMax). */
#define VNET_QUEUE_SIZE 256

/* Counters of one device (a snapshot). */
struct vnet_stats {
	uint64_t rx_frames, rx_bytes;
	uint64_t tx_frames, tx_bytes;
	uint64_t rx_no_buffer;	 /* times a frame waited: no buffer posted */
	uint64_t rx_dropped;	 /* frames that could not be delivered */
	uint64_t tx_dropped;	 /* malformed or failed transmissions */
	uint64_t rx_bad_buffers; /* receive chains too small for a header */
	uint64_t tx_waits;	 /* writes that found the backend full */
	unsigned int tx_writing; /* now: writes (or their waits) in flight */
	bool link_up;
};

/*
 * Open the backend of @spec and make the device. Main thread, before the
 * loop runs. Returns 0 or -errno with a one-line reason in @err.
 */
int vnet_create(struct vnet **out, const struct net_spec *spec,
		const struct mem *mem, struct io_loop *loop, char *err,
		size_t err_len);

/* The generic device, for virtio_mmio_create(). */
struct virtio_dev *vnet_dev(struct vnet *n);

/* True while transmissions of @n point into guest RAM (io_loop_drain()). */
bool vnet_busy(void *n);

/* Counters (any thread). */
void vnet_stats(struct vnet *n, struct vnet_stats *st);

/* After virtio_mmio_destroy(), the loop stopped. NULL is a no-op. */
void vnet_destroy(struct vnet *n);

#endif /* VIRTIO_NET_H */
