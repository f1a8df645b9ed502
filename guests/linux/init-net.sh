# guests/linux/init-net.sh: the virtio-net and virtio-vsock tests of the
# Linux test guests, sourced by /init (guests/linux/init.sh) from the
# initramfs (/etc/init-net.sh) when the kernel command line asks for one of
# them: test=NAME[,NAME...], run in that order. busybox for addresses,
# ping and sha256sum; socat, iperf3 and python3 (guests/linux/netpeer.py,
# /etc/netpeer.py) come from a Debian root on a read-only disk with
# serial=root (the L1's own image), chrooted into.
#
# Command line keys:
#   net_ip=ADDR/LEN  static IPv4 address of eth0 (else net-up uses DHCP)
#   net_peer=ADDR    the host end: the L1's tap address, or (passt) the
#                    gateway DHCP gave, which passt maps to the L1's
#                    loopback; default: the DHCP router
#   net_mib=N        MiB moved each way by net-tcp, vsock-h2g, vsock-g2h
#                    (default 100)
#   bench_s=S        seconds per iperf3 / throughput run (default 5)
#
#   net-up        wait for eth0, print NET_IF name=eth0 mac=<mac>; set it
#                 up with net_ip= or DHCP (busybox udhcpc: NET_DHCP
#                 ip=<a> mask=<m> router=<r>), then NET_UP addr=<a/len>
#                 peer=<p> carrier=<0|1> (or NET_UP_FAILED <why>)
#   net-ping      NET_PING=ok|failed (3 ICMP echoes to the peer)
#   net-tcp       net_mib MiB of random data each way over TCP:
#                 NET_TX_SHA256=<h> of what the guest uploads to
#                 peer:5001 (netpeer.py send), NET_UP_RC=<its status>, then
#                 NET_RX_SHA256=<h> bytes=<n> of what it downloads from
#                 peer:5002 with socat (the L1 serves a file there and
#                 compares)
#   net-linkdown  NET_KILL_BACKEND (the L1 kills the backend on seeing it),
#                 then within 30 s NET_LINK_DOWN carrier=0 operstate=<s>,
#                 or NET_LINK_STILL_UP
#   net-tapgone   a TCP upload (busybox nc from /dev/zero) to peer:5001
#                 while the L1 deletes the tap under it (NET_TAPGONE
#                 sending); within 60 s NET_LINK_DOWN carrier=0
#                 operstate=<s> (or NET_LINK_STILL_UP), the upload
#                 stopped, then NET_PING_AFTER=failed|ok
#   net-bench     iperf3 to an iperf3 -s on the peer, guest -> host then
#                 host -> guest (-R): NET_BENCH dir=tx|rx mbit=<x> rc=<n>
#   vsock-cid     VSOCK_CID=<the guest's CID>
#   vsock-h2g     listen on vsock port 5000 and hash what arrives:
#                 VSOCK_LISTEN port=5000, VSOCK_H2G bytes=<n> sha256=<h>
#   vsock-g2h     net_mib MiB to CID 2 port 5001: VSOCK_TX_SHA256=<h>,
#                 VSOCK_G2H_RC=<socat status>
#   vsock-many    an echo server on port 5002 for 64 host connections at
#                 once (VSOCK_ECHO_READY, then VSOCK_ECHOED conns=<n>
#                 bytes=<n>), while 64 connections of the guest to CID 2
#                 port 5003 each send 64 KiB and read it back:
#                 VSOCK_MANY ok=<n> bad=<n>
#   vsock-cut     connections whose host end goes away mid-transfer
#                 (the L1 side: l1-net.sh's net_setup_vsock_cut):
#                 host -> guest on port 5010, the host closing right after
#                 its last byte: VSOCK_CUT_H2G bytes=<n> sha256=<h>
#                 end=<eof|errno name>; guest -> host to CID 2 port 5011,
#                 whose peer takes 1 MiB and closes, and on a host
#                 connection to port 5012 whose client does the same:
#                 VSOCK_CUT_G2H and VSOCK_CUT_ACCEPTED bytes=<n>
#                 end=<errno name|eof>; then 8 connections each way echoed
#                 byte-exact (VSOCK_MANY, VSOCK_ECHOED as in vsock-many)
#   vsock-bench   a sink on port 5201 and a 1-byte echo on 5202 for one
#                 host connection each (VSOCK_BENCH_READY), then guest ->
#                 host throughput to CID 2 port 5203: VSOCK_G2H_TPUT
#                 bytes=<n> secs=<s> mbit=<x>; VSOCK_BENCH_DONE

net_up_s() { cut -d' ' -f1 /proc/uptime; }

# net_root: the Debian root (serial=root) read-only on /mnt/root with
# /proc, /sys, /dev and a /tmp, for chroot; netpeer.py in its /tmp.
net_root() {
	r=/mnt/root
	grep -q " $r " /proc/mounts && return 0
	i=0
	dev=
	while [ -z "$dev" ] && [ $i -lt 50 ]; do
		for b in /sys/block/vd*; do
			[ "$(cat "$b/serial" 2>/dev/null)" = root ] && dev=/dev/${b##*/}
		done
		[ -n "$dev" ] || { sleep 0.1; i=$((i + 1)); }
	done
	[ -n "$dev" ] || { echo "NET_NO_ROOT_DISK"; return 1; }
	mkdir -p $r
	# noload: never replay a journal on a disk we may not write.
	mount -t ext4 -o ro,noload "$dev" $r || { echo "NET_ROOT_MOUNT_FAILED $dev"; return 1; }
	mount -t proc proc $r/proc && mount -t sysfs sysfs $r/sys &&
		mount -o bind /dev $r/dev && mount -t tmpfs tmpfs $r/tmp || {
		echo "NET_ROOT_MOUNT_FAILED binds"
		return 1
	}
	cp /etc/netpeer.py $r/tmp/netpeer.py
}

net_chroot() { chroot /mnt/root /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "$@"; }
net_peer_py() { net_chroot python3 /tmp/netpeer.py "$@"; }

# net_file NAME: net_mib MiB of random data in the chroot's /tmp/NAME;
# prints its sha256.
net_file() {
	dd if=/dev/urandom of=/mnt/root/tmp/$1 bs=1M count="$NET_MIB" 2>/dev/null
	sha256sum /mnt/root/tmp/$1 | cut -d' ' -f1
}

# The busybox udhcpc hook: configure eth0 from the lease, note it.
net_dhcp_script() {
	cat >/tmp/udhcpc.sh <<'EOF'
#!/bin/sh
case $1 in
bound | renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${subnet:-255.255.255.0}" dev "$interface"
	[ -n "$router" ] && ip route add default via ${router%% *} dev "$interface"
	echo "NET_DHCP ip=$ip mask=$subnet router=$router mtu=$mtu" >/tmp/dhcp.lease
	;;
esac
exit 0
EOF
	chmod 755 /tmp/udhcpc.sh
}

net_carrier() { cat /sys/class/net/eth0/carrier 2>/dev/null || echo "?"; }

net_if_up() {
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -e /sys/class/net/eth0 ] || { echo "NET_UP_FAILED no eth0"; return 1; }
	echo "NET_IF name=eth0 mac=$(cat /sys/class/net/eth0/address)" \
		"mtu=$(cat /sys/class/net/eth0/mtu)"
	ip link set lo up
	ip link set eth0 up || { echo "NET_UP_FAILED link up"; return 1; }
	if [ -n "$NET_IP" ]; then
		ip addr add "$NET_IP" dev eth0 || { echo "NET_UP_FAILED addr"; return 1; }
	else
		net_dhcp_script
		udhcpc -i eth0 -f -q -n -t 10 -T 2 -s /tmp/udhcpc.sh >/tmp/udhcpc.out 2>&1 ||
			{ echo "NET_UP_FAILED dhcp: $(tail -n 2 /tmp/udhcpc.out | tr '\n' ' ')"; return 1; }
		cat /tmp/dhcp.lease
		lease_router=$(sed -n 's/.* router=\([0-9.]*\).*/\1/p' /tmp/dhcp.lease)
		[ -n "$NET_PEER" ] || NET_PEER=$lease_router
	fi
	# Carrier comes with the link; give the driver a moment to report it.
	i=0
	while [ "$(net_carrier)" != 1 ] && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "NET_UP addr=$(ip -4 -o addr show dev eth0 | awk '{print $4}') peer=$NET_PEER" \
		"carrier=$(net_carrier) operstate=$(cat /sys/class/net/eth0/operstate)"
}

net_ping() {
	if ping -c 3 -W 5 "$NET_PEER" >/tmp/ping.out 2>&1; then
		echo "NET_PING=ok $(grep -o '[0-9]* packets received' /tmp/ping.out)"
	else
		echo "NET_PING=failed $(tail -n 2 /tmp/ping.out | tr '\n' ' ')"
	fi
}

net_tcp() {
	net_root || return
	echo "NET_TX_SHA256=$(net_file tx.bin)"
	# Not socat: it exits once its last write is queued, and a guest that
	# powers off then loses what its TCP has not sent yet. netpeer.py
	# half-closes and waits for the receiver to close after the last byte.
	net_peer_py send tcp:"$NET_PEER":5001 /tmp/tx.bin --tag NET_UPLOAD
	echo "NET_UP_RC=$?"
	rm -f /mnt/root/tmp/tx.bin
	# The download is hashed and counted on the fly (a fifo to wc).
	rm -f /tmp/count.fifo && mkfifo /tmp/count.fifo
	wc -c </tmp/count.fifo >/tmp/count &
	got=$(net_chroot socat -u TCP:"$NET_PEER":5002,retry=50,interval=0.2 - |
		tee /tmp/count.fifo | sha256sum | cut -d' ' -f1)
	wait $!
	echo "NET_RX_SHA256=$got bytes=$(cat /tmp/count)"
}

net_linkdown() {
	echo "NET_KILL_BACKEND carrier=$(net_carrier)"
	i=0
	while [ "$(net_carrier)" = 1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$(net_carrier)" = 0 ]; then
		echo "NET_LINK_DOWN carrier=0 operstate=$(cat /sys/class/net/eth0/operstate)"
	else
		echo "NET_LINK_STILL_UP carrier=$(net_carrier)"
	fi
}

# An upload with no end while the L1 deletes the tap (it does so after
# 2 MiB arrived): the link must go down, the VM keep running.
net_tapgone() {
	nc "$NET_PEER" 5001 </dev/zero >/dev/null 2>&1 &
	nc_pid=$!
	echo "NET_TAPGONE sending carrier=$(net_carrier)"
	i=0
	while [ "$(net_carrier)" = 1 ] && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$(net_carrier)" = 0 ]; then
		echo "NET_LINK_DOWN carrier=0 operstate=$(cat /sys/class/net/eth0/operstate)"
	else
		echo "NET_LINK_STILL_UP carrier=$(net_carrier)"
	fi
	kill $nc_pid 2>/dev/null
	wait $nc_pid 2>/dev/null
	if ping -c 2 -W 2 "$NET_PEER" >/dev/null 2>&1; then
		echo "NET_PING_AFTER=ok"
	else
		echo "NET_PING_AFTER=failed"
	fi
	echo "NET_TX_STATS $(cat /sys/class/net/eth0/statistics/tx_packets) packets" \
		"$(cat /sys/class/net/eth0/statistics/tx_dropped) dropped"
}

# iperf3 text output: the "receiver" line's rate, in Mbit/s (-f m).
net_iperf() {
	net_chroot iperf3 -c "$NET_PEER" -t "$BENCH_S" -f m "$@" >/tmp/iperf.out 2>&1
	rc=$?
	awk -v rc=$rc -v d="$DIR" '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") m = $i }
		END { printf "NET_BENCH dir=%s mbit=%s rc=%d\n", d, m == "" ? "0" : m, rc }' /tmp/iperf.out
	[ $rc = 0 ] || tail -n 3 /tmp/iperf.out
}

net_bench() {
	net_root || return
	DIR=tx net_iperf
	DIR=rx net_iperf -R
}

vsock_h2g() {
	net_root || return
	echo "VSOCK_LISTEN port=5000"
	net_peer_py recv vsock:5000 --tag VSOCK_H2G
}

vsock_g2h() {
	net_root || return
	echo "VSOCK_TX_SHA256=$(net_file g2h.bin)"
	net_chroot socat -u OPEN:/tmp/g2h.bin VSOCK-CONNECT:2:5001
	echo "VSOCK_G2H_RC=$?"
	rm -f /mnt/root/tmp/g2h.bin
}

vsock_many() {
	net_root || return
	net_peer_py echo vsock:5002 --count 64 --tag VSOCK_ECHOED &
	echo_pid=$!
	echo "VSOCK_ECHO_READY port=5002"
	net_peer_py many vsock:2:5003 --conns 64 --bytes 65536 --tag VSOCK_MANY
	wait $echo_pid
}

vsock_bench() {
	net_root || return
	net_peer_py sink vsock:5201 &
	sink=$!
	net_peer_py pong vsock:5202 &
	pong=$!
	sleep 2 # python3 start-up in the chroot: listening before the marker
	echo "VSOCK_BENCH_READY"
	# The host says when it is done with its side (vsock-bench-go).
	net_peer_py recv vsock:5204 --tag VSOCK_BENCH_GO >/dev/null
	net_peer_py tput vsock:2:5203 --seconds "$BENCH_S" --tag VSOCK_G2H_TPUT
	kill $sink $pong 2>/dev/null
	echo "VSOCK_BENCH_DONE"
}

vsock_cut() {
	net_root || return
	echo "VSOCK_CUT_LISTEN port=5010"
	net_peer_py take vsock:5010 --accept --tag VSOCK_CUT_H2G
	net_peer_py flood vsock:2:5011 --tag VSOCK_CUT_G2H
	echo "VSOCK_CUT_LISTEN port=5012"
	net_peer_py flood vsock:5012 --accept --tag VSOCK_CUT_ACCEPTED
	net_peer_py echo vsock:5002 --count 8 --tag VSOCK_ECHOED &
	echo_pid=$!
	echo "VSOCK_ECHO_READY port=5002"
	net_peer_py many vsock:2:5003 --conns 8 --bytes 65536 --tag VSOCK_MANY
	wait $echo_pid
}

net_test() {
	NET_IP= NET_PEER= NET_MIB=100 BENCH_S=5
	for arg in $(cat /proc/cmdline); do
		case $arg in
		net_ip=*) NET_IP=${arg#net_ip=} ;;
		net_peer=*) NET_PEER=${arg#net_peer=} ;;
		net_mib=*) NET_MIB=${arg#net_mib=} ;;
		bench_s=*) BENCH_S=${arg#bench_s=} ;;
		esac
	done
	for t in $(echo "$1" | tr , ' '); do
		case $t in
		net-up) net_if_up || break ;;
		net-ping) net_ping ;;
		net-tcp) net_tcp ;;
		net-linkdown) net_linkdown ;;
		net-tapgone) net_tapgone ;;
		net-bench) net_bench ;;
		vsock-cid) echo "VSOCK_$(net_root && net_peer_py cid)" ;;
		vsock-h2g) vsock_h2g ;;
		vsock-g2h) vsock_g2h ;;
		vsock-many) vsock_many ;;
		vsock-bench) vsock_bench ;;
		vsock-cut) vsock_cut ;;
		*) echo "UNKNOWN_TEST=$t" ;;
		esac
	done
	grep -q " /mnt/root " /proc/mounts &&
		umount /mnt/root/tmp /mnt/root/dev /mnt/root/sys /mnt/root/proc /mnt/root 2>/dev/null
	sync
}
