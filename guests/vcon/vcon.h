/* SPDX-License-Identifier: MIT */
/*
 * guests/vcon: a freestanding guest with a minimal virtio-mmio console
 * driver, for tests/guest/virtio_console.sh. main.c (CPL 0) finds the
 * device through the "virtio_mmio.device=" command-line entry, routes its
 * interrupt and runs the chosen test at CPL 3 (user_call(), native on a
 * PVM host): vdrv.c is the driver (split rings, EVENT_IDX, the F_MULTIPORT
 * control queue), tests.c the tests (bulk pattern, echo, named port,
 * hostile chains, resize).
 */
#ifndef GUESTS_VCON_H
#define GUESTS_VCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

/* Entries per queue (the device offers 256). */
#define GQ_N 64
/* Queues the driver sets up: ports 0..2 and the control pair. */
#define GQ_MAX 8
/* Bytes of each small (receive, control, message) buffer. */
#define GQ_SMALL 256
/* Bytes of each bulk transmit buffer. */
#define GQ_BULK (64 * 1024)
/* Interrupt vector of the device's IOAPIC pin. */
#define VCON_VECTOR 0x41

/* The guest's exit codes (beyond lib/exit.h's, which end at 23). */
#define VCON_EXIT_NODEV	 30 /* no virtio_mmio.device entry / no console */
#define VCON_EXIT_DRIVER 31 /* the device refused the driver's set-up */
#define VCON_EXIT_TEST	 32 /* a test saw wrong data or status */

struct gq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[GQ_N];
	uint16_t used_event;
};

struct gq_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[GQ_N];
	uint16_t avail_event;
};

/* One split queue; buffer i always sits in descriptor i. */
struct gq {
	unsigned int index;
	volatile struct vring_desc *desc;
	volatile struct gq_avail *avail;
	volatile struct gq_used *used;
	uint8_t *buf; /* GQ_N buffers of buf_size bytes */
	uint32_t buf_size;
	bool writable;	     /* device-writable buffers (receive) */
	uint16_t avail_idx;  /* next avail index to publish */
	uint16_t used_idx;   /* next used index to consume */
	uint16_t kicked_idx; /* avail_idx at the last doorbell check */
	unsigned int kicks;  /* doorbells actually written */
};

struct gdev {
	uint64_t base; /* register window */
	unsigned int gsi;
	bool event_idx;
	bool multiport;
	unsigned int nq;
	struct gq q[GQ_MAX];
};

/* Interrupt counts kept by main.c's handler. */
extern volatile uint64_t vcon_irq_vring, vcon_irq_config;

/* vdrv.c: registers. */
uint32_t vreg_read(const struct gdev *d, uint32_t off);
void vreg_write(const struct gdev *d, uint32_t off, uint32_t val);

/*
 * Reset the device and initialise it (virtio 1.2, 3.1.1) with @nq queues;
 * F_MULTIPORT only if @multiport. Returns 0, or -1 with a reason in @msg.
 */
int vdev_init(struct gdev *d, bool multiport, unsigned int nq, char *msg,
	      size_t len);

/* Publish descriptor @slot with @len bytes; doorbell if due. */
void gq_post(struct gdev *d, struct gq *q, unsigned int slot, uint32_t len);

/* gq_post() of the next slot in turn (queues used in order). */
void gq_submit(struct gdev *d, struct gq *q, uint32_t len);

/* Take the next used entry: 1 with id/len, 0 if none yet. */
int gq_reap(struct gq *q, uint32_t *id, uint32_t *len);

/* Spin (at CPL 3) until a used entry arrives; returns its length. */
uint32_t gq_wait(struct gq *q, uint32_t *id);

/* The buffer behind descriptor @slot. */
static inline uint8_t *gq_buf(struct gq *q, unsigned int slot)
{
	return q->buf + (size_t)(slot % GQ_N) * q->buf_size;
}

/* Queue numbers of a port (virtio 1.2, 5.3.2). */
static inline unsigned int port_rxq(unsigned int port)
{
	return port ? 2 + 2 * port : 0;
}

/* Send @len bytes on transmit queue @q and wait until they are used. */
void vcon_write(struct gdev *d, unsigned int q, const void *buf, size_t len);
void vcon_puts(struct gdev *d, unsigned int q, const char *s);

/* tests.c: each returns 0 or a VCON_EXIT_* code (message printed). */
long test_bulk(struct gdev *d, uint64_t mib);
long test_echo(struct gdev *d);
long test_port(struct gdev *d, const char *name);
long test_hostile(struct gdev *d);
long test_resize(struct gdev *d);

#endif /* GUESTS_VCON_H */
