# guests/linux/init-con.sh: the console tests of the Linux test guests
# whose host end misbehaves (a file system that fills up, a pty reader or
# socket client that goes and comes back), sourced by /init
# (guests/linux/init.sh) from the initramfs (/etc/init-con.sh) when the
# kernel command line asks for one of them: test=NAME[,NAME...], run in
# that order. busybox only. Markers go to the kernel's console (the
# serial port in these cases); the text the host must see goes to the
# console device under test.
#
#   con-flood   10,000 numbered lines ("1" ... "10000", seq) into /dev/hvc0,
#               whose file backend sits on a file system far too small
#               for them, then 500 more: CON_FLOOD lines=<n> rc=<status>
#               each time (virtio-console has no error to report, so the
#               guest's writes succeed)
#   con-serial-flood  5,000 such lines into /dev/ttyS0 (the 16550,
#               console=hvc0 then): SERIAL_FLOOD lines=<n> rc=<status>
#   con-pty     a reader attaches to the --console pty, goes and a new one
#               comes (tests/linux/conpeer.py): "A 1" ... "A 2000", then
#               PTY_WAIT1, and waits for a line on hvc0 (PTY_GOT1 <line>);
#               "B 1" ... "B 20000" while the first reader leaves
#               (PTY_B_DONE on the serial port: the second reader attaches
#               only then), PTY_WAIT2, a second line (PTY_GOT2 <line>),
#               "C 1" ... "C 500" and PTY_END
#   con-socket  the same over --console socket:PATH: "F 1" ... "F 60000"
#               while the first client reads 64 KiB of it and drops,
#               SOCK_WAIT, a line from the second client (SOCK_GOT <line>),
#               "G 1" ... "G 500", SOCK_END

# con_lines PREFIX N: "PREFIX 1" ... "PREFIX N", one a line, written to
# stdout in large writes: made in a file first, since seq and sed write a
# line at a time to a tty, and each write to hvc0 waits for the host.
# hvc0 gets -opost for the same reason: with output processing
# the tty hands the driver each line and its CR LF as separate writes, a
# round trip to the host each (120,000 of them for con-socket's lines).
con_lines() {
	seq 1 "$2" | sed "s/^/$1 /" >/tmp/con.lines
	cat /tmp/con.lines
}

# hvc0 is held open on fd 4 with -opost (see con_lines): the driver
# resets a tty's settings when its last user closes it.
con_flood() {
	exec 4<>/dev/hvc0
	stty -opost <&4
	seq 1 10000 >/tmp/con.lines
	cat /tmp/con.lines >&4
	echo "CON_FLOOD lines=10000 rc=$?"
	seq 10001 10500 >/tmp/con.lines
	cat /tmp/con.lines >&4
	echo "CON_FLOOD lines=500 rc=$?"
	exec 4>&-
}

con_serial_flood() {
	seq 1 5000 >/tmp/con.lines
	cat /tmp/con.lines >/dev/ttyS0
	echo "SERIAL_FLOOD lines=5000 rc=$?"
}

# con_open: fd 3 on hvc0, no echo of the host's lines back to it.
con_open() {
	i=0
	while [ ! -c /dev/hvc0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	exec 3<>/dev/hvc0
	stty -echo -opost <&3
}

# con_both LINE: LINE on hvc0 and on the serial port.
con_both() {
	echo "$1" >&3
	echo "$1"
}

con_pty() {
	con_open
	con_lines A 2000 >&3
	con_both PTY_WAIT1
	read -r line <&3
	con_both "PTY_GOT1 $line"
	con_lines B 20000 >&3
	echo "PTY_B_DONE"
	con_both PTY_WAIT2
	read -r line <&3
	con_both "PTY_GOT2 $line"
	con_lines C 500 >&3
	con_both PTY_END
	exec 3>&-
}

con_socket() {
	con_open
	con_lines F 60000 >&3
	con_both SOCK_WAIT
	read -r line <&3
	con_both "SOCK_GOT $line"
	con_lines G 500 >&3
	con_both SOCK_END
	exec 3>&-
}

con_test() {
	for t in $(echo "$1" | tr , ' '); do
		case $t in
		con-flood) con_flood ;;
		con-serial-flood) con_serial_flood ;;
		con-pty) con_pty ;;
		con-socket) con_socket ;;
		*) echo "UNKNOWN_TEST=$t" ;;
		esac
	done
}
