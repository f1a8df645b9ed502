# tests/linux/l1-con.sh: setup and check steps of the console cases whose
# host end fails (tests/linux/cases: con-*), part of the /test.sh that
# runs inside the nested L1, next to l1-blk.sh and l1-net.sh (whose
# net_bg, net_reap and net_outs run the helpers). Each is called as FN
# CASE_DIR DISK_DIR; a check prints its verdicts as markers.

# con_setup_full CASE_DIR: a 16 KiB tmpfs at CASE_DIR/full for a console
# file the guest writes far more than that to.
con_setup_full() {
	mkdir -p "$1/full" && mount -t tmpfs -o size=16k lxconfull "$1/full"
}

# con_check_full CASE_DIR FILE LAST [FIRST_LINE]: FILE holds the guest's
# lines (FIRST_LINE, then "1" ... "LAST" from seq) from the first on,
# without a gap, as far as the file system took them (the tty's CRs
# dropped); vmm said so once on stderr, nothing more.
con_check_full() {
	local d=$1 f=$1/full/$2 n enospc lines
	{
		[ -z "$4" ] || echo "$4"
		seq 1 "$3"
	} >"$d/want"
	tr -d '\r' <"$f" >"$d/text"
	n=$(stat -c %s "$d/text")
	if [ "$n" -gt 0 ] && head -c "$n" "$d/want" | cmp -s - "$d/text"; then
		echo "CON_FILE_PREFIX_OK bytes=$n of=$(wc -c <"$d/want")"
	else
		at=$(head -c "$n" "$d/want" | cmp - "$d/text" 2>&1 |
			sed -n 's/.* differ: byte \([0-9]*\),.*/\1/p')
		echo "CON_FILE_PREFIX_BAD bytes=$n differ_at=${at:-?}"
		if [ -n "$at" ]; then
			tail -c +$((at > 40 ? at - 40 : 1)) "$d/text" | head -c 100 |
				od -c | sed 's/^/CON_FILE_GOT /'
			tail -c +$((at > 40 ? at - 40 : 1)) "$d/want" | head -c 100 |
				od -c | sed 's/^/CON_FILE_WANT /'
		fi
	fi
	rm -f "$d/text" "$d/want"
	echo "CON_FS $(df -k "$d/full" | tail -n1)"
	enospc=$(grep -c 'no space left on device' "$d/stderr.log")
	lines=$(grep -c . "$d/stderr.log")
	if [ "$enospc" = 1 ] && [ "$lines" = 1 ]; then
		echo "CON_STDERR_ONCE"
	else
		echo "CON_STDERR lines=$lines enospc=$enospc"
	fi
	umount "$d/full"
}

# /init writes HVC0_OK to hvc0 before the test (guests/linux/init.sh).
con_check_hvc_full() { con_check_full "$1" hvc.log 10500 HVC0_OK; }
con_check_serial_full() { con_check_full "$1" serial.log 5000; }

# --console pty: conpeer.py is the only reader (run_case attaches none
# when it finds CASE_DIR/pty.manual).
con_setup_pty() {
	touch "$1/pty.manual"
	net_bg "$1" pty.out python3 "$LX_TOP/tests/linux/conpeer.py" pty \
		"$1/stderr.log" "$1/serial.log" "$1"
}

con_setup_socket() {
	net_bg "$1" socket.out python3 "$LX_TOP/tests/linux/conpeer.py" socket \
		"$1/con.sock" "$1"
}

con_check_peer() {
	net_reap "$1"
	net_outs "$1"
}
