# tests/linux/l1-net.sh: setup and check steps of the virtio-net and
# virtio-vsock cases (tests/linux/cases), part of the /test.sh that runs
# inside the nested L1, next to l1-blk.sh: the host side of every test is
# a real tool there (ip, socat, passt, python3 with
# guests/linux/netpeer.py from the shared checkout, $LX_TOP). Each is
# called as FN CASE_DIR DISK_DIR. A setup starts the host's servers and
# clients in the background and writes their pids to CASE_DIR/pids; their
# results land in CASE_DIR/*.out, which the check prints once the VMM has
# exited, with its verdicts as markers for the case's expectations.

NETPEER="python3 $LX_TOP/guests/linux/netpeer.py"

# net_bg CASE_DIR OUT CMD...: CMD in the background, output in OUT, pid noted.
net_bg() {
	local d=$1 o=$2
	shift 2
	"$@" >"$d/$o" 2>&1 &
	echo $! >>"$d/pids"
}

# net_reap CASE_DIR: give the helpers 20 s to finish, then stop them.
net_reap() {
	local d=$1 p i=0
	[ -f "$d/pids" ] || return 0
	while [ $i -lt 200 ]; do
		alive=0
		for p in $(cat "$d/pids"); do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
		i=$((i + 1))
	done
	for p in $(cat "$d/pids"); do
		kill -0 "$p" 2>/dev/null && { echo "(helper $p still running: stopped)"; kill "$p"; }
	done
	rm -f "$d/pids"
}

net_guest() {
	cat "$1/serial.log" "$1/stdout.log" "$1/console.log" 2>/dev/null | tr -d '\r'
}

# net_guest_value CASE_DIR KEY: the first KEY=value the guest printed.
net_guest_value() {
	net_guest "$1" | grep -o "$2=[^ ]*" | head -n1 | cut -d= -f2
}

# net_file CASE_DIR NAME MIB: random data in CASE_DIR/NAME, its sha256 in NAME.sum.
net_file() {
	head -c $(($3 * 1048576)) /dev/urandom >"$1/$2"
	sha256sum <"$1/$2" | cut -d' ' -f1 >"$1/$2.sum"
}

# net_tcp_servers CASE_DIR ADDR MIB: what the guest's net-tcp talks to:
# ADDR:5001 counts and hashes one upload (netpeer.py recv: up.out),
# ADDR:5002 serves one download (socat).
net_tcp_servers() {
	local d=$1 a=$2
	net_file "$d" down.bin "$3"
	# (No process substitution in L1: no /dev/fd.)
	net_bg "$d" up.out $NETPEER recv "tcp:$a:5001" --tag L1_UPLOAD
	net_bg "$d" down.out socat -u OPEN:"$d/down.bin" TCP-LISTEN:5002,bind="$a",reuseaddr
}

net_tcp_check() {
	local d=$1 tx rx up
	tx=$(net_guest_value "$d" NET_TX_SHA256)
	rx=$(net_guest_value "$d" NET_RX_SHA256)
	up=$(sed -n 's/.*L1_UPLOAD bytes=[0-9]* sha256=\([0-9a-f]*\).*/\1/p' "$d/up.out" 2>/dev/null)
	if [ -n "$tx" ] && [ "$tx" = "$up" ]; then
		echo "NET_UPLOAD_OK sha256=$tx"
	else
		echo "NET_UPLOAD_BAD guest=${tx:-none} l1=$(cat "$d/up.out" 2>/dev/null)"
	fi
	if [ -n "$rx" ] && [ "$rx" = "$(cat "$d/down.bin.sum")" ]; then
		echo "NET_DOWNLOAD_OK sha256=$rx"
	else
		echo "NET_DOWNLOAD_BAD guest=${rx:-none} l1=$(cat "$d/down.bin.sum")"
	fi
}

net_outs() {
	local f
	for f in "$1"/*.out; do
		[ -s "$f" ] && sed "s|^|${f##*/}: |" "$f"
	done
	return 0
}

# --- a tap named on the command line, and one handed over as an fd -------------
# net_tap IFNAME: a tap at 10.0.2.1/24 in L1, up (no carrier until vmm
# attaches to it).
net_tap() {
	modprobe tun 2>/dev/null
	ip link del "$1" 2>/dev/null
	ip tuntap add "$1" mode tap &&
		ip addr add 10.0.2.1/24 dev "$1" &&
		ip link set "$1" up
}

net_setup_tap() {
	net_tap lxtap0 && net_tcp_servers "$1" 10.0.2.1 32
}

net_setup_tapfd() {
	net_tap lxtap1 && net_tcp_servers "$1" 10.0.2.1 16
}

# The devices' counters and every queue's ring state (--stats DIR/stats.json,
# written when vmm ends, a timeout's stop included): what a transfer that
# did not finish left behind.
net_print_stats() {
	[ -f "$1/stats.json" ] &&
		echo "NET_STATS $(tr -d '\n\t ' <"$1/stats.json" | grep -o '"disks".*\|"nets".*\|"vsock".*' | head -n1)"
}

net_check_tap() {
	net_print_stats "$1"
	net_reap "$1"
	net_tcp_check "$1"
	net_outs "$1"
	ip link del lxtap0 2>/dev/null
	ip link del lxtap1 2>/dev/null
	return 0
}

# --- passt: --net socket= ------------------------------------------------------------
# passt takes the guest's address, netmask and gateway from the L1's
# interface with the default route: L1 has none of its own, so a tap
# (lxext0, never attached: it only carries the addresses) stands in.
# Guest connections to the gateway's address reach L1's loopback.
net_setup_passt() {
	local d=$1
	modprobe tun 2>/dev/null
	ip link del lxext0 2>/dev/null
	ip tuntap add lxext0 mode tap &&
		ip addr add 192.168.77.1/24 dev lxext0 &&
		ip link set lxext0 up &&
		ip route add default via 192.168.77.254 dev lxext0 onlink || return 1
	# passt drops to user nobody: its socket goes in a directory it may write.
	mkdir -p "$d/passt" && chmod 777 "$d/passt"
	net_bg "$d" passt.out passt -f -q -s "$d/passt/passt.sock"
	echo $! >"$d/passt.pid"
	i=0
	while [ ! -S "$d/passt/passt.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$d/passt/passt.sock" ] || { echo "no passt socket"; cat "$d/passt.out"; return 1; }
	net_tcp_servers "$d" 127.0.0.1 32
	# Stop passt when the guest asks for it (net-linkdown).
	net_bg "$d" killer.out sh -c "
		while ! grep -q NET_KILL_BACKEND '$d/serial.log' 2>/dev/null; do sleep 0.1; done
		kill \$(cat '$d/passt.pid') && echo PASST_KILLED"
}

net_check_passt() {
	net_reap "$1"
	net_tcp_check "$1"
	net_outs "$1"
	ip route del default via 192.168.77.254 2>/dev/null
	ip link del lxext0 2>/dev/null
	return 0
}

# --- vsock: the hybrid unix socket -----------------------------------------------------
# Host -> guest: 32 MiB to the guest's port 5000 through "CONNECT 5000",
# and 64 connections at once to its echo on 5002. Guest -> host: its
# connect to CID 2 port 5001 lands on v.sock_5001 (32 MiB, hashed here),
# its 64 connections to port 5003 on an echo at v.sock_5003.
net_setup_vsock() {
	local d=$1 s=$1/v.sock
	net_file "$d" h2g.bin 32
	net_bg "$d" h2g.out $NETPEER send "uds:$s:5000" "$d/h2g.bin" --wait 200 --tag L1_H2G_SENT
	net_bg "$d" g2h.out sh -c "socat -u UNIX-LISTEN:${s}_5001 - | sha256sum | cut -d' ' -f1 >'$d/g2h.sum'"
	net_bg "$d" echo.out $NETPEER echo "unix:${s}_5003" --count 64 --tag L1_ECHOED
	net_bg "$d" many.out $NETPEER many "uds:$s:5002" --conns 64 --bytes 65536 --wait 200 --tag L1_MANY
}

net_check_vsock() {
	local d=$1 h2g g2h
	net_print_stats "$d"
	net_reap "$d"
	net_outs "$d"
	h2g=$(net_guest "$d" | sed -n 's/.*VSOCK_H2G bytes=[0-9]* sha256=\([0-9a-f]*\).*/\1/p' | head -n1)
	[ -n "$h2g" ] && [ "$h2g" = "$(cat "$d/h2g.bin.sum")" ] &&
		echo "VSOCK_H2G_OK sha256=$h2g" || echo "VSOCK_H2G_BAD guest=${h2g:-none} l1=$(cat "$d/h2g.bin.sum")"
	g2h=$(net_guest_value "$d" VSOCK_TX_SHA256)
	[ -n "$g2h" ] && [ "$g2h" = "$(cat "$d/g2h.sum" 2>/dev/null)" ] &&
		echo "VSOCK_G2H_OK sha256=$g2h" || echo "VSOCK_G2H_BAD guest=${g2h:-none} l1=$(cat "$d/g2h.sum" 2>/dev/null)"
	[ -S "$d/v.sock" ] && echo "VSOCK_SOCKET_LEFT" || echo "VSOCK_SOCKET_GONE"
	return 0
}

# --- backends that go away mid-transfer ----------------------------------------------
# A tap the guest uploads to without end (busybox nc, net-tapgone): once
# 2 MiB have arrived here, the tap is deleted under the transfer (socat
# ends when its command does).
net_setup_tapgone() {
	local d=$1
	net_tap lxtap2 || return 1
	net_bg "$d" tapgone.out socat -u TCP-LISTEN:5001,bind=10.0.2.1,reuseaddr \
		SYSTEM:"head -c 2097152 >/dev/null && ip link del lxtap2 && echo TAP_DELETED >'$d/tapgone.mark'"
}

net_check_tapgone() {
	local d=$1
	net_print_stats "$d"
	net_reap "$d"
	net_outs "$d"
	cat "$d/tapgone.mark" 2>/dev/null || echo "TAP_NOT_DELETED"
	ip link show lxtap2 >/dev/null 2>&1 && { echo "TAP_STILL_THERE"; ip link del lxtap2; }
	return 0
}

# vsock connections whose host end goes mid-transfer (vsock-cut): to the
# guest's port 5010, 4 MiB sent and the socket closed at once; the
# guest's connection to port 5011 (v.sock_5011) and this side's to its
# port 5012 read 1 MiB of the guest's endless stream and close with more
# unread; then 8 connections each way echoed, as in vsock.
net_setup_vsock_cut() {
	local d=$1 s=$1/v.sock
	net_bg "$d" cut-h2g.out $NETPEER cut "uds:$s:5010" --bytes 4194304 --wait 200 --tag L1_CUT_SENT
	net_bg "$d" cut-g2h.out $NETPEER cut "unix:${s}_5011" --accept --mode recv --bytes 1048576 --tag L1_CUT_G2H
	net_bg "$d" cut-acc.out $NETPEER cut "uds:$s:5012" --mode recv --bytes 1048576 --wait 200 --tag L1_CUT_ACCEPTED
	net_bg "$d" echo.out $NETPEER echo "unix:${s}_5003" --count 8 --tag L1_ECHOED
	net_bg "$d" many.out $NETPEER many "uds:$s:5002" --conns 8 --bytes 65536 --wait 200 --tag L1_MANY
}

# Every byte the L1 handed over before it closed reached the guest, and
# the guest's writers ended with an error (not a hang: that would be the
# case's time limit).
net_check_vsock_cut() {
	local d=$1 sent got
	net_print_stats "$d"
	net_reap "$d"
	net_outs "$d"
	sent=$(sed -n 's/.*L1_CUT_SENT bytes=\([0-9]*\) sha256=\([0-9a-f]*\).*/\1 \2/p' "$d/cut-h2g.out")
	got=$(net_guest "$d" | sed -n 's/.*VSOCK_CUT_H2G bytes=\([0-9]*\) sha256=\([0-9a-f]*\).*/\1 \2/p' | head -n1)
	[ -n "$sent" ] && [ "$sent" = "$got" ] && echo "VSOCK_CUT_H2G_EXACT" ||
		echo "VSOCK_CUT_H2G_DIFFERS l1=${sent:-none} guest=${got:-none}"
	[ -S "$d/v.sock" ] && echo "VSOCK_SOCKET_LEFT" || echo "VSOCK_SOCKET_GONE"
	return 0
}

# --- bad input: status 2 and one line on stderr ----------------------------------
net_check_usage() {
	local n
	n=$(grep -c . "$1/stderr.log" 2>/dev/null)
	[ "$n" = 1 ] && echo "ONE_LINE_ERROR" || echo "STDERR_LINES=$n"
}
