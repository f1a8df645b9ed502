/* SPDX-License-Identifier: MIT */
/*
 * Net backends without a VM: net_spec_parse() on good and bad specs (each
 * refusal one line naming the cause), the socket backend against a real
 * listener and against none, fd= with descriptors that are not taps, and
 * a real tap when /dev/net/tun lets us make one (else a visible skip of
 * that part).
 */
#include "backends/net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "check.h"

static int parse(const char *s, struct net_spec *sp, char *err)
{
	err[0] = '\0';
	return net_spec_parse(s, sp, err, 256);
}

/* Refused with -EINVAL and a one-line message containing @needle. */
static void refused(const char *s, const char *needle)
{
	struct net_spec sp;
	char err[256];

	CHECK_EQ(parse(s, &sp, err), -EINVAL);
	if (!strstr(err, needle))
		fprintf(stderr, "spec '%s': message '%s' lacks '%s'\n", s, err,
			needle);
	CHECK(strstr(err, needle) != NULL);
	CHECK(strchr(err, '\n') == NULL);
}

static void test_parse(void)
{
	static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	struct net_spec sp;
	char err[256];

	CHECK_EQ(parse("tap=tap0", &sp, err), 0);
	CHECK_EQ(sp.kind, NET_TAP);
	CHECK(!strcmp(sp.ifname, "tap0"));
	CHECK(!sp.has_mac);
	CHECK_EQ(parse("tap=vmm%d,mac=52:54:00:AB:cd:ef", &sp, err), 0);
	CHECK(!strcmp(sp.ifname, "vmm%d"));
	CHECK(sp.has_mac && !memcmp(sp.mac, mac, 6));
	CHECK_EQ(parse("fd=7", &sp, err), 0);
	CHECK_EQ(sp.kind, NET_TAP_FD);
	CHECK_EQ(sp.fd, 7);
	CHECK_EQ(parse("mac=52-54-00-ab-cd-ef,fd=0", &sp, err), 0);
	CHECK_EQ(sp.fd, 0);
	CHECK(sp.has_mac && !memcmp(sp.mac, mac, 6));
	CHECK_EQ(parse("socket=/run/user/1000/passt.socket", &sp, err), 0);
	CHECK_EQ(sp.kind, NET_SOCKET);
	CHECK(!strcmp(sp.path, "/run/user/1000/passt.socket"));

	refused("", "empty");
	refused("tap=tap0,mac=zz", "net: bad mac 'zz': expected six hex bytes "
				   "like 52:54:00:12:34:56");
	refused("tap=tap0,mac=52:54:00:12:34", "bad mac");
	refused("tap=tap0,mac=52:54:00:12:34:5g", "bad mac");
	refused("tap=tap0,mac=52:54:00:12:34:567", "bad mac");
	refused("tap=tap0,mac=53:54:00:12:34:56", "multicast");
	refused("tap=tap0,mac=00:00:00:00:00:00", "all zero");
	refused("tap=tap0,mac=", "bad mac");
	refused("tap=tap0,speed=10", "unknown key 'speed'");
	refused("tap=tap0,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57",
		"twice");
	refused("tap=a,tap=b", "more than one");
	refused("tap=a,socket=/x", "more than one");
	refused("tap=0123456789abcdef", "bad interface name");
	refused("tap=", "bad interface name");
	refused("tap=a/b", "bad interface name");
	refused("fd=x", "bad fd 'x'");
	refused("fd=-1", "bad fd '-1'");
	refused("fd=", "bad fd");
	refused("fd=99999999999999999999", "bad fd");
	refused("socket=", "socket path");
	refused("mac=52:54:00:12:34:56", "no backend");
	refused("tap0", "expected key=value");
	{
		char s[200] = "socket=/";

		memset(s + 8, 'p', 120);
		s[128] = '\0';
		refused(s, "socket path of 121 bytes");
	}
}

static void test_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/vmm-net-XXXXXX", err[256];
	struct net_backend b;
	struct net_spec sp;
	int l;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(sp.path, sizeof(sp.path), "%s/s", dir);
	sp.kind = NET_SOCKET;
	/* Nobody listens yet. */
	CHECK_EQ(net_backend_open(&b, &sp, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "nobody listens (start passt first?)") != NULL);
	net_backend_close(&b);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sp.path);
	CHECK_EQ(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(l, 4), 0);
	CHECK_EQ(net_backend_open(&b, &sp, err, sizeof(err)), 0);
	CHECK(b.framed && !b.vnet_hdr && !b.offloads);
	CHECK(b.fd >= 0);
	CHECK_EQ(net_backend_set_offloads(&b, ~0ULL), 0); /* a no-op */
	net_backend_close(&b);
	net_backend_close(&b); /* twice is fine */
	close(l);
	/* A listener that went away leaves a socket file: refused. */
	CHECK_EQ(net_backend_open(&b, &sp, err, sizeof(err)), -ECONNREFUSED);
	CHECK(strstr(err, "nobody listens") != NULL);
	unlink(sp.path);
	rmdir(dir);
}

static void test_fd_not_tap(void)
{
	struct net_spec sp = {.kind = NET_TAP_FD};
	struct net_backend b;
	char err[256];
	int p[2];

	CHECK_EQ(pipe(p), 0);
	sp.fd = p[0];
	CHECK_EQ(net_backend_open(&b, &sp, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a tap") != NULL);
	sp.fd = 1000; /* not open */
	CHECK_EQ(net_backend_open(&b, &sp, err, sizeof(err)), -EBADF);
	CHECK(strstr(err, "fd 1000") != NULL);
	close(p[0]);
	close(p[1]);
}

static void test_tap(void)
{
	struct net_spec sp;
	struct net_backend b, b2;
	char err[256];
	int r;

	CHECK_EQ(net_spec_parse("tap=vmmtb%d", &sp, err, sizeof(err)), 0);
	r = net_backend_open(&b, &sp, err, sizeof(err));
	if (r) {
		/* The message must name the cause; then skip, visibly. */
		CHECK(strstr(err, "CAP_NET_ADMIN") || strstr(err, "missing") ||
		      strstr(err, "/dev/net/tun"));
		printf("test_net_backend: SKIP tap part: %s\n", err);
		return;
	}
	CHECK(b.vnet_hdr && !b.framed);
	CHECK(!strncmp(b.name, "vmmtb", 5) && strcmp(b.name, "vmmtb%d"));
	/* Every kernel since 2.6.27 takes TUN_F_CSUM at least. */
	CHECK(b.offloads & (1ULL << VIRTIO_NET_F_CSUM));
	CHECK(b.offloads & (1ULL << VIRTIO_NET_F_GUEST_CSUM));
	CHECK_EQ(net_backend_set_offloads(&b, 1ULL << VIRTIO_NET_F_GUEST_CSUM),
		 0);
	/* fd=N on the same tap: accepted, on a dup. */
	sp.kind = NET_TAP_FD;
	sp.fd = b.fd;
	CHECK_EQ(net_backend_open(&b2, &sp, err, sizeof(err)), 0);
	CHECK(b2.fd != b.fd && b2.vnet_hdr);
	CHECK(strstr(b2.name, b.name) != NULL);
	net_backend_close(&b2);
	net_backend_close(&b);
	printf("test_net_backend: tap part ran\n");
}

int main(void)
{
	test_parse();
	test_socket();
	test_fd_not_tap();
	test_tap();
	return check_done("test_net_backend");
}
