/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock internals shared by its files: virtio_vsock.c (device,
 * tx and event queues, guest packets), virtio_vsock_conn.c (the
 * connection table and life cycle), virtio_vsock_host.c (host unix
 * sockets), virtio_vsock_rx.c (the rx queue) and virtio_vsock_timeout.c
 * (deadlines and the device's timerfd). Everything here runs on
 * the loop thread with vd.lock held, except where a comment says
 * otherwise.
 */
#ifndef DEVICES_VIRTIO_VSOCK_INT_H
#define DEVICES_VIRTIO_VSOCK_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "io/loop.h"
#include "virtio/device.h"
#include "virtio_vsock.h"
#include "vsock_conn.h"
#include "vsock_hybrid.h"
#include "vsock_packet.h"

/* Our receive buffer per connection (a power of 2: ring positions). */
#define VVSOCK_BUF_ALLOC (256 * 1024)
#define VVSOCK_MAX_CONNS 1024
#define VVSOCK_BUCKETS	 256
/* RST answers to packets of no connection, waiting for rx buffers. */
#define VVSOCK_ORPHANS 64
/* Packets given to the guest per wakeup before the rest is deferred. */
#define VVSOCK_BUDGET 256
/* Host-initiated connections get local ports counting from here. */
#define VVSOCK_PORT_BASE (1u << 30)
/*
 * How long a host client may take to send its CONNECT line, the guest
 * to answer a REQUEST, and a shutdown to finish (Firecracker's
 * CONN_REQUEST_TIMEOUT_MS and CONN_SHUTDOWN_TIMEOUT_MS).
 */
#define VVSOCK_TIMEOUT_MS 2000

#define VVSOCK_RXQ 0
#define VVSOCK_TXQ 1
#define VVSOCK_EVQ 2

/* Intrusive doubly-linked list (a head is a link to itself). */
struct vvsock_link {
	struct vvsock_link *prev, *next;
};

static inline void vvsock_link_init(struct vvsock_link *l)
{
	l->prev = l->next = l;
}

static inline bool vvsock_link_linked(const struct vvsock_link *l)
{
	return l->next != l;
}

static inline void vvsock_link_del(struct vvsock_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	vvsock_link_init(l);
}

static inline void vvsock_link_add_tail(struct vvsock_link *head,
					struct vvsock_link *l)
{
	l->prev = head->prev;
	l->next = head;
	head->prev->next = l;
	head->prev = l;
}

enum vvsock_state {
	VVSOCK_LINE,	  /* host client: reading "CONNECT <port>\n" */
	VVSOCK_REQUESTED, /* host client: REQUEST to the guest, no answer */
	VVSOCK_OPEN,	  /* established */
	VVSOCK_DYING,	  /* host socket closed, RST to send */
};

/* Control packets a connection owes the guest (sent in this order). */
#define VVSOCK_PEND_REQUEST  0x1
#define VVSOCK_PEND_RESPONSE 0x2
#define VVSOCK_PEND_CREDIT   0x4
#define VVSOCK_PEND_SHUTDOWN 0x8
#define VVSOCK_PEND_RST	     0x10

struct vvsock_conn {
	struct vvsock *v;
	struct io_source src; /* the host socket */
	uint32_t watching;    /* poll mask armed now (0: none) */
	enum vvsock_state state;
	unsigned int gen; /* v->gen when made: older ones are reaped */
	uint32_t local_port, peer_port; /* host side, guest side */
	struct vvsock_conn *hnext;	/* hash chain (not in LINE state) */
	struct vvsock_link all, svc;	/* every connection; rx work */
	unsigned int pending;		/* VVSOCK_PEND_* */
	struct vsock_credit cr;
	uint32_t guest_shut; /* VIRTIO_VSOCK_SHUTDOWN_* from the guest */
	bool host_eof;	     /* read() gave 0 */
	bool host_gone;	     /* ... and the socket hung up both ways */
	bool wr_shut;	     /* shutdown(SHUT_WR) done */
	bool rx_ready;	     /* the host socket may have data */
	bool hashed;
	/*
	 * CLOCK_MONOTONIC ns by which the connection must move on, 0: none.
	 * LINE: the CONNECT line; REQUESTED: the guest's answer, counted from
	 * when the REQUEST was queued; OPEN: a closing to finish: the host
	 * client gone for good (the guest is to close), or the guest shut
	 * both ways with data still buffered (the host is to take it; each
	 * write it takes restarts the clock). A host half-close (SHUT_WR)
	 * sets none: the guest may answer for as long as it likes.
	 */
	uint64_t deadline_ns;
	uint8_t *buf; /* guest data the host socket did not take yet */
	struct vsock_line line;
};

struct vvsock {
	struct virtio_dev vd;
	struct io_loop *loop;
	uint64_t guest_cid;
	char *path;
	struct io_source listener;
	struct io_source timer; /* timerfd for the earliest deadline */
	uint64_t timer_at;	/* when it fires (0: disarmed) */
	uint64_t timeout_ns;	/* VVSOCK_TIMEOUT_MS unless a test set it */
	uint32_t next_port;
	unsigned int gen, reaped_gen;
	struct vvsock_conn *buckets[VVSOCK_BUCKETS];
	struct vvsock_link all, svc;
	unsigned int nconn;
	struct {
		uint32_t src_port, dst_port;
	} orphan[VVSOCK_ORPHANS];
	unsigned int orphan_head, orphan_n;
	bool event_pending; /* TRANSPORT_RESET once the driver is back */
	bool tx_stalled;    /* tx stopped: no room for answers */
	bool rx_held;	    /* rx_chain popped, not used yet */
	struct vq_chain rx_chain;
	struct io_request more;
	bool more_queued;
	struct iovec rx_iov[VVSOCK_QUEUE_SIZE];
	struct iovec tx_iov[VVSOCK_QUEUE_SIZE];
	struct iovec ev_iov[VVSOCK_QUEUE_SIZE];
	struct vvsock_stats st; /* atomic */
};

#define VVSOCK_STAT_ADD(v, f, n)                                               \
	__atomic_fetch_add(&(v)->st.f, (n), __ATOMIC_RELAXED)
#define VVSOCK_STAT_SUB(v, f, n)                                               \
	__atomic_fetch_sub(&(v)->st.f, (n), __ATOMIC_RELAXED)

/* virtio_vsock_conn.c */
struct vvsock_conn *vvsock_conn_find(struct vvsock *v, uint32_t local,
				     uint32_t peer);
/* A connection on host fd @fd (owned from now on); NULL: fd closed. */
struct vvsock_conn *vvsock_conn_new(struct vvsock *v, int fd,
				    enum vvsock_state state);
void vvsock_conn_hash(struct vvsock_conn *c);
void vvsock_conn_free(struct vvsock_conn *c);
/* Close the host socket, owe the guest an RST (or free at once). */
void vvsock_conn_reset(struct vvsock_conn *c);
/* Owe the guest the packets in @pend. */
void vvsock_conn_owe(struct vvsock_conn *c, unsigned int pend);
/* Re-arm the host socket's poll for what the connection needs now. */
void vvsock_conn_watch(struct vvsock_conn *c);
/* Apply the shutdown rules (vsock_close_step()). */
void vvsock_conn_progress(struct vvsock_conn *c);
/* Free connections of a generation before the last reset. */
void vvsock_reap(struct vvsock *v, bool all);

/* virtio_vsock_host.c */
/* Take RW payload (@iov at @skip, @len bytes) for the host socket. */
void vvsock_conn_write(struct vvsock_conn *c, const struct iovec *iov,
		       unsigned int n, size_t skip, uint32_t len);
/* Credit may have come back: resume reading if it was held. */
void vvsock_conn_credit_changed(struct vvsock_conn *c);
/* Loop thread, lock NOT held: a connection's host socket is ready. */
void vvsock_conn_ready(struct io_source *src, int res);
/* Loop thread, lock NOT held: clients wait on the listener. */
void vvsock_listener_ready(struct io_source *src, int res);

/* virtio_vsock_rx.c */
/* Give the guest what is owed, as rx buffers allow. */
void vvsock_rx_run(struct vvsock *v);
/* Run rx and stalled tx work at the loop's next iteration. */
void vvsock_defer(struct vvsock *v);

/* virtio_vsock_timeout.c */
/* Make and watch the timerfd; timeout VVSOCK_TIMEOUT_MS. 0 or -errno. */
int vvsock_timer_init(struct vvsock *v);
/* Unwatch and close it (the loop stopped). Safe if init failed. */
void vvsock_timer_uninit(struct vvsock *v);
/* Give @c a deadline one timeout from now, replacing any it had. */
void vvsock_conn_deadline(struct vvsock_conn *c);
/*
 * Deadlines set from now on are @ms away (tests use short ones). Any
 * thread: takes vd.lock.
 */
void vvsock_set_timeout(struct vvsock *v, unsigned int ms);

/* virtio_vsock.c */
void vvsock_tx_run(struct vvsock *v);
/* Answer RST to a packet of no connection (false: no room). */
bool vvsock_orphan_rst(struct vvsock *v, uint32_t src_port, uint32_t dst_port);

#endif /* DEVICES_VIRTIO_VSOCK_INT_H */
