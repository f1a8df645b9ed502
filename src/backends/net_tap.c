/* SPDX-License-Identifier: MIT */
/*
 * Tap backends (net.h): open /dev/net/tun as IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR with a 12-byte header (struct virtio_net_hdr_v1), or take
 * an fd someone else opened, and find out which offloads the tap accepts
 * (TUNSETOFFLOAD), so the device offers only those. A handed-over fd must
 * already be a tap with IFF_NO_PI and IFF_VNET_HDR: frames without the
 * header could not carry the guest's offloads, and a packet-info prefix
 * would garble every frame, so both are refused with the reason.
 */
#define pr_fmt(fmt) "net: " fmt

#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "base/util.h"
#include "net_int.h"

#define NET_VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr_v1))

/* TUN_F_* sets to try, most first, and the virtio bits each makes offerable. */
static const struct {
	unsigned int tun;
	uint64_t virtio;
} tap_offload_sets[] = {
    {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_UFO,
     (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6) |
	 (1ULL << VIRTIO_NET_F_HOST_UFO) | (1ULL << VIRTIO_NET_F_GUEST_UFO)},
    {TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
     (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) |
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) |
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6)},
    {TUN_F_CSUM,
     (1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM)},
};

/*
 * Which offloads does the tap take? The result is what the device may
 * offer; the tap is left with none until the driver says what it takes
 * (net_backend_set_offloads() at DRIVER_OK).
 */
static void tap_probe_offloads(struct net_backend *b)
{
	b->offloads = 0;
	for (size_t i = 0; i < ARRAY_SIZE(tap_offload_sets); i++) {
		if (!ioctl(b->fd, TUNSETOFFLOAD, tap_offload_sets[i].tun)) {
			b->offloads = tap_offload_sets[i].virtio;
			break;
		}
	}
	/* No offloads is what a fresh tap has anyway: nothing to undo. */
	(void)ioctl(b->fd, TUNSETOFFLOAD, 0u);
}

int net_backend_set_offloads(struct net_backend *b, uint64_t features)
{
	unsigned int tun = 0;

	if (!b->vnet_hdr)
		return 0;
	features &= b->offloads;
	if (features & (1ULL << VIRTIO_NET_F_GUEST_CSUM)) {
		tun |= TUN_F_CSUM;
		if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
			tun |= TUN_F_TSO4;
		if (features & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
			tun |= TUN_F_TSO6;
		if (features & (1ULL << VIRTIO_NET_F_GUEST_UFO))
			tun |= TUN_F_UFO;
	}
	if (ioctl(b->fd, TUNSETOFFLOAD, tun) < 0)
		return -errno;
	return 0;
}

static int tap_set_hdr_len(struct net_backend *b, char *err, size_t err_len)
{
	int len = NET_VNET_HDR_LEN;

	if (ioctl(b->fd, TUNSETVNETHDRSZ, &len) < 0)
		return net_fail(err, err_len, -errno,
				"net %s: TUNSETVNETHDRSZ: %s", b->name,
				strerror(errno));
	b->vnet_hdr = true;
	return 0;
}

static int tap_open_name(struct net_backend *b, const struct net_spec *spec,
			 char *err, size_t err_len)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	int e;

	snprintf(b->name, sizeof(b->name), "%s", spec->ifname);
	b->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (b->fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			return net_fail(
			    err, err_len, -e,
			    "net tap %s: /dev/net/tun is missing "
			    "(%s): load the tun module or create "
			    "the node (mknod /dev/net/tun c 10 200)",
			    spec->ifname, strerror(e));
		return net_fail(err, err_len, -e,
				"net tap %s: open /dev/net/tun: %s%s",
				spec->ifname, strerror(e),
				e == EACCES || e == EPERM
				    ? " (needs read-write access to the node)"
				    : "");
	}
	memcpy(ifr.ifr_name, spec->ifname, strlen(spec->ifname));
	if (ioctl(b->fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		net_backend_close(b);
		if (e == EPERM || e == EACCES)
			return net_fail(err, err_len, -e,
					"net tap %s: TUNSETIFF: %s: creating "
					"or attaching a tap needs "
					"CAP_NET_ADMIN (or a tap made with "
					"'ip tuntap add %s mode tap user "
					"$USER vnet_hdr')",
					spec->ifname, strerror(e),
					spec->ifname);
		if (e == EBUSY)
			return net_fail(err, err_len, -e,
					"net tap %s: TUNSETIFF: %s: already "
					"in use, or not a tap with vnet_hdr",
					spec->ifname, strerror(e));
		return net_fail(err, err_len, -e, "net tap %s: TUNSETIFF: %s",
				spec->ifname, strerror(e));
	}
	/* A name like "vmm%d" was completed by the kernel. */
	snprintf(b->name, sizeof(b->name), "%.*s", IFNAMSIZ, ifr.ifr_name);
	return 0;
}

static int tap_open_fd(struct net_backend *b, const struct net_spec *spec,
		       char *err, size_t err_len)
{
	struct ifreq ifr = {0};
	int fl, e;

	snprintf(b->name, sizeof(b->name), "fd %d", spec->fd);
	if (fcntl(spec->fd, F_GETFD) < 0)
		return net_fail(err, err_len, -errno, "net fd %d: %s", spec->fd,
				strerror(errno));
	if (ioctl(spec->fd, TUNGETIFF, &ifr) < 0) {
		e = errno;
		return net_fail(err, err_len, e == EBADFD ? -EBADFD : -EINVAL,
				"net fd %d: not a tap attached to an interface "
				"(TUNGETIFF: %s)",
				spec->fd, strerror(e));
	}
	if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN)) != IFF_TAP)
		return net_fail(err, err_len, -EINVAL,
				"net fd %d (%.*s): a tun (layer 3) device, not "
				"a tap",
				spec->fd, IFNAMSIZ, ifr.ifr_name);
	if (!(ifr.ifr_flags & IFF_NO_PI) || !(ifr.ifr_flags & IFF_VNET_HDR))
		return net_fail(err, err_len, -EINVAL,
				"net fd %d (%.*s): the tap must be opened "
				"with IFF_NO_PI and IFF_VNET_HDR (flags 0x%x)",
				spec->fd, IFNAMSIZ, ifr.ifr_name,
				(unsigned int)(unsigned short)ifr.ifr_flags);
	b->fd = fcntl(spec->fd, F_DUPFD_CLOEXEC, 3);
	if (b->fd < 0)
		return net_fail(err, err_len, -errno, "net fd %d: dup: %s",
				spec->fd, strerror(errno));
	/* The flag is the open file's: the caller's fd turns nonblocking too.
	 */
	fl = fcntl(b->fd, F_GETFL);
	if (fl < 0 || fcntl(b->fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		e = errno;
		net_backend_close(b);
		return net_fail(err, err_len, -e, "net fd %d: O_NONBLOCK: %s",
				spec->fd, strerror(e));
	}
	snprintf(b->name, sizeof(b->name), "fd %d (%.*s)", spec->fd, IFNAMSIZ,
		 ifr.ifr_name);
	return 0;
}

/*
 * No send-buffer flow control on the tap (QEMU's default too). With the
 * kernel's default (wmem_default, about 208 KiB) every frame we write
 * stays charged to the tap until the host's stack has let go of it, and
 * a receiver that holds frames (another guest's tap, a slow socket) keeps
 * our writes failing with EAGAIN, transmit waiting for room, for as long
 * as it holds them. Frames the host cannot take are dropped by its
 * queues instead, which TCP handles. Best effort: a tap that refuses
 * keeps its default.
 */
static void tap_unlimit_sndbuf(struct net_backend *b)
{
	int sndbuf = INT_MAX;

	(void)ioctl(b->fd, TUNSETSNDBUF, &sndbuf);
}

int net_tap_open(struct net_backend *b, const struct net_spec *spec, char *err,
		 size_t err_len)
{
	int r;

	if (spec->kind == NET_TAP)
		r = tap_open_name(b, spec, err, err_len);
	else
		r = tap_open_fd(b, spec, err, err_len);
	if (r)
		return r;
	r = tap_set_hdr_len(b, err, err_len);
	if (r) {
		net_backend_close(b);
		return r;
	}
	tap_probe_offloads(b);
	tap_unlimit_sndbuf(b);
	return 0;
}
