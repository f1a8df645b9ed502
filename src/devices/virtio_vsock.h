/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (virtio 1.2, 5.10) in userspace with Firecracker's hybrid
 * unix-socket protocol, served on the io thread:
 *
 *   host -> guest  a host program connects to the unix socket PATH,
 *                  writes "CONNECT <port>\n", reads "OK <host_port>\n"
 *                  and then has a byte stream to the guest's listener on
 *                  <port>;
 *   guest -> host  a guest connect to CID 2 port P connects to the unix
 *                  socket "PATH_P".
 *
 * Stream sockets only (VIRTIO_VSOCK_F_STREAM), with the spec's credit
 * flow control (buf_alloc / fwd_cnt) both ways, SHUTDOWN and RST. A
 * hostile packet (wrong CIDs, unknown op, bad length, ignored credit)
 * resets at most its connection. A device reset closes every connection
 * and, once the driver is back, sends TRANSPORT_RESET on the event queue.
 *
 * Timeouts, as Firecracker's (2 s): a host client that has not sent its
 * CONNECT line, or whose REQUEST the guest has not answered, is closed
 * (the guest gets RST if it heard the REQUEST); a shutdown that has not
 * finished (after host EOF the guest neither closes nor sends, or after
 * the guest shut both ways the host does not take the rest) ends in RST.
 *
 * Wiring (vm/attach.c): vvsock_create() -> virtio_mmio_create(..,
 * vvsock_dev(v), ..) -> run -> io_loop_drain(vvsock_busy) ->
 * virtio_mmio_destroy() -> vvsock_destroy().
 */
#ifndef VIRTIO_VSOCK_H
#define VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io_loop;
struct mem;
struct vvsock;
struct virtio_dev;

/* Entries per queue (QueueNumMax). */
#define VVSOCK_QUEUE_SIZE 256
/* The host's CID (VMADDR_CID_HOST). */
#define VVSOCK_HOST_CID 2

/* Counters (a snapshot). */
struct vvsock_stats {
	uint64_t connections; /* ever established, both directions */
	uint64_t open;	      /* established now */
	uint64_t rx_bytes;    /* host -> guest payload */
	uint64_t tx_bytes;    /* guest -> host payload */
	uint64_t resets;      /* RST sent or received */
	uint64_t bad_packets; /* refused guest packets */
};

/*
 * Listen on @uds_path (a stale socket file nobody listens on is replaced;
 * a live one is an error) and make the device for guest CID @guest_cid
 * (3 .. 0xfffffffe). Main thread, before the loop runs. Returns 0 or
 * -errno with a one-line reason in @err.
 */
int vvsock_create(struct vvsock **out, uint32_t guest_cid, const char *uds_path,
		  const struct mem *mem, struct io_loop *loop, char *err,
		  size_t err_len);

/* The generic device, for virtio_mmio_create(). */
struct virtio_dev *vvsock_dev(struct vvsock *v);

/* True while I/O of @v points into guest RAM (io_loop_drain()). */
bool vvsock_busy(void *v);

/* Counters (any thread). */
void vvsock_stats(struct vvsock *v, struct vvsock_stats *st);

/*
 * After virtio_mmio_destroy(), the loop stopped: close every connection
 * and the listener, and unlink @uds_path. NULL is a no-op.
 */
void vvsock_destroy(struct vvsock *v);

#endif /* VIRTIO_VSOCK_H */
