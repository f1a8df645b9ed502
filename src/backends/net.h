/* SPDX-License-Identifier: MIT */
/*
 * Host ends of a virtio-net device: a tap (opened by name, or an fd handed
 * over by a runtime or CNI plugin) or a unix stream socket speaking QEMU's
 * stream-netdev framing (each frame preceded by its length, 4 bytes, big
 * endian), as passt serves it.
 *
 *   tap=IFNAME[,mac=MAC]     /dev/net/tun, IFF_TAP | IFF_NO_PI |
 *                            IFF_VNET_HDR (an existing device or a new one)
 *   fd=N[,mac=MAC]           an open tap fd (the caller keeps ownership of
 *                            N; the backend works on a dup)
 *   socket=PATH[,mac=MAC]    connect(2) to PATH
 *
 * A tap carries a virtio-net header (struct virtio_net_hdr_v1, 12 bytes,
 * TUNSETVNETHDRSZ) before every frame, so checksum and segmentation
 * offloads pass through; the socket carries bare Ethernet frames.
 */
#ifndef BACKENDS_NET_H
#define BACKENDS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_IFNAME_MAX 16  /* IFNAMSIZ */
#define NET_PATH_MAX   108 /* sun_path */

enum net_kind {
	NET_TAP,    /* tap=IFNAME */
	NET_TAP_FD, /* fd=N */
	NET_SOCKET, /* socket=PATH */
};

/* A parsed --net / vmm_add_net() spec (no host resources). */
struct net_spec {
	enum net_kind kind;
	char ifname[NET_IFNAME_MAX];
	int fd;
	char path[NET_PATH_MAX];
	uint8_t mac[6];
	bool has_mac; /* else the device makes a locally administered one */
};

/*
 * Parse @s. Pure: opens nothing. Returns 0 or -EINVAL with a one-line
 * reason in @err ("net: bad mac 'zz': ...").
 */
int net_spec_parse(const char *s, struct net_spec *out, char *err,
		   size_t err_len);

/* An open backend. */
struct net_backend {
	enum net_kind kind;
	int fd;	       /* O_NONBLOCK, O_CLOEXEC */
	bool vnet_hdr; /* frames carry a virtio_net_hdr_v1 (taps) */
	bool framed;   /* 4-byte big-endian length before each frame */
	/* VIRTIO_NET_F_* offload bits the tap accepted (TUNSETOFFLOAD). */
	uint64_t offloads;
	char name[NET_PATH_MAX + 8]; /* "tap0", "fd 5", "socket /run/x" */
};

/*
 * Open the host end of @spec. Main thread, before the VM exists. Returns
 * 0 or -errno with a one-line reason in @err (naming what is missing: a
 * capability, a listener).
 */
int net_backend_open(struct net_backend *b, const struct net_spec *spec,
		     char *err, size_t err_len);

/*
 * Let a tap send the guest only what the driver accepted (@features: the
 * negotiated VIRTIO_NET_F_GUEST_* bits, limited to b->offloads). A no-op
 * on backends without a virtio header. Any thread. Returns 0 or -errno.
 */
int net_backend_set_offloads(struct net_backend *b, uint64_t features);

/* Close it. Safe on a zeroed or closed backend. */
void net_backend_close(struct net_backend *b);

#endif /* BACKENDS_NET_H */
