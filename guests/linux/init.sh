#!/bin/sh
# /init of the Linux test guests (L2), for both our minimal kernel
# (guests/linux) and Debian's stock cloud kernel (guests/stock). busybox only.
#
# It mounts the pseudo filesystems, loads the modules listed in
# /lib/modules/load-order (stock kernel only), prints one marker per line on
# the console for the test harness to grep, then acts on the kernel command
# line and powers off (`poweroff -f`, i.e. ACPI S5 through the VMM):
#
#   INIT_REACHED uptime=<s>     kernel uptime when /init started
#   NPROC=<n> ONLINE=<list>     CPUs online (/sys/devices/system/cpu/online)
#   MEMTOTAL_KB=<n>             from /proc/meminfo
#   VIRTIO_DEVICES=<n>          devices on the virtio bus
#   HVC0=yes|no|write-failed    /dev/hvc0 present (and "HVC0_OK" written to it)
#   VPORTS=<names>|none         /dev/vport* nodes
#   DONE uptime=<s> end=<how>   just before powering off
#
# Command line keys (key=value, all optional):
#   test=markers   (default) only the markers above
#   test=shell     interactive shell on the console; power off when it exits
#   test=echo      read console lines and print "ECHO:<line>" until "quit"/EOF
#   test=spin      keep every CPU busy in user space for spin_s=<s> (default
#                  30) seconds, then print "SPIN_DONE cpus=<n> secs=<s>"
#   test=disks,disk-files,disk-ro,disk-raw,rng,fio,fio-bench (a comma
#                  list, run in order): virtio-blk and virtio-rng checks,
#                  see guests/linux/init-blk.sh (/etc/init-blk.sh)
#   test=net-up,net-ping,net-tcp,vsock-h2g,... (a comma list, run in
#                  order): virtio-net and virtio-vsock checks, see
#                  guests/linux/init-net.sh (/etc/init-net.sh)
#   test=fs-mount,fs-work,... (a comma list, run in order): virtio-fs
#                  checks, see guests/linux/init-fs.sh (/etc/init-fs.sh)
#   test=con-flood,con-pty,... (a comma list, run in order): console
#                  tests against failing host ends, see
#                  guests/linux/init-con.sh (/etc/init-con.sh)
#   interactive=1  same as test=shell (used by `make run`)
#   shell_tty=<t>  run that shell on /dev/<t> (e.g. hvc0, once its driver is
#                  loaded) instead of the console
#   tty_size=<r>x<c>  the shell's terminal size (Linux applies the size a
#                  virtio-console reports only on a later config change,
#                  not to a tty opened after it; a shell that knows its
#                  size does not query the cursor position either)
#   delay=<s>      sleep this long before the end action
#   end=poweroff   (default) | reboot (reboot -f) | panic (init exits) |
#                  hang (sleep forever; the harness' timeout must end it)

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

# Console first: devtmpfs provides /dev/console (and hvc0, ttyS0, ...), and
# reopening it makes our output work even if the cpio lacked the node.
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# With console=hvc0 alone no console exists until virtio_console loads, and
# opening /dev/console fails (ENODEV): test it in a subshell, since a failed
# redirection on `exec` would end this shell, and with it the guest.
if (: </dev/console) 2>/dev/null; then exec </dev/console >/dev/console 2>&1; fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null

uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "INIT_REACHED uptime=$(uptime_s)"

TEST=markers END=poweroff DELAY=0 SPIN_S=30 SHELL_TTY= TTY_SIZE=
for arg in $(cat /proc/cmdline); do
	case $arg in
	test=*) TEST=${arg#test=} ;;
	end=*) END=${arg#end=} ;;
	delay=*) DELAY=${arg#delay=} ;;
	spin_s=*) SPIN_S=${arg#spin_s=} ;;
	shell_tty=*) SHELL_TTY=${arg#shell_tty=} ;;
	tty_size=*x*) TTY_SIZE=${arg#tty_size=} ;;
	interactive=1) TEST=shell ;;
	esac
done

# Modules of the stock kernel, in dependency order (see guests/stock).
if [ -f /lib/modules/load-order ]; then
	while read -r mod; do
		[ -n "$mod" ] || continue
		insmod "/lib/modules/$mod.ko" || echo "INSMOD_FAILED=$mod"
	done </lib/modules/load-order
	echo "MODULES_LOADED uptime=$(uptime_s)"
fi

# "0-3,6" -> 5
count_cpus() {
	n=0
	oldifs=$IFS
	IFS=,
	for r in $1; do
		case $r in
		*-*) n=$((n + ${r#*-} - ${r%-*} + 1)) ;;
		?*) n=$((n + 1)) ;;
		esac
	done
	IFS=$oldifs
	echo $n
}
online=$(cat /sys/devices/system/cpu/online 2>/dev/null)
echo "NPROC=$(count_cpus "$online") ONLINE=$online AFFINITY=$(nproc)"
echo "MEMTOTAL_KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"

# virtio: a console device's port shows up as hvc0 after the driver probes it,
# which for a multiport device happens over the control queue: give it 3 s.
nvirtio=0
has_console=0
for d in /sys/bus/virtio/devices/*; do
	[ -e "$d" ] || continue
	nvirtio=$((nvirtio + 1))
	[ "$(cat "$d/device" 2>/dev/null)" = 0x0003 ] && has_console=1
done
echo "VIRTIO_DEVICES=$nvirtio"
# How each virtio-mmio interrupt is wired, e.g. "virtio0:16-edge" (the
# chip's trigger type as the kernel set it up from the ACPI resources).
irqs=$(awk '/virtio/ { printf "%s%s:%s", sep, $NF, $(NF-1); sep="," }' /proc/interrupts 2>/dev/null)
echo "VIRTIO_IRQS=${irqs:-none}"
if [ $has_console = 1 ]; then
	i=0
	while [ ! -c /dev/hvc0 ] && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
fi
if [ -c /dev/hvc0 ]; then
	if echo HVC0_OK >/dev/hvc0; then echo "HVC0=yes"; else echo "HVC0=write-failed"; fi
else
	echo "HVC0=no"
fi
vports=$(cd /dev && ls -d vport* 2>/dev/null | tr '\n' ' ')
echo "VPORTS=${vports:-none}"

case $TEST in
markers) ;;
shell)
	echo "SHELL: exit the shell to power the guest off"
	if [ -n "$SHELL_TTY" ]; then
		i=0
		while [ ! -c "/dev/$SHELL_TTY" ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		# The kernel does not replay its log to a console that registers
		# this late: show the boot log there first.
		dmesg >"/dev/$SHELL_TTY" 2>/dev/null
		[ -z "$TTY_SIZE" ] ||
			stty rows "${TTY_SIZE%x*}" cols "${TTY_SIZE#*x}" <"/dev/$SHELL_TTY"
		# -c: the tty becomes the shell's controlling terminal (^C, job control)
		setsid -c sh -l <>"/dev/$SHELL_TTY" >&0 2>&0
	else
		[ -z "$TTY_SIZE" ] ||
			stty rows "${TTY_SIZE%x*}" cols "${TTY_SIZE#*x}"
		setsid cttyhack sh -l
	fi
	;;
echo)
	echo "ECHO_READY"
	while read -r line; do
		[ "$line" = quit ] && break
		echo "ECHO:$line"
	done
	;;
spin)
	# One busy loop per online CPU; the scheduler spreads them. This shell
	# sleeps meanwhile and is woken by its timer, as a real workload's
	# housekeeping would be.
	t0=$(uptime_s)
	pids=
	i=0
	while [ $i -lt "$(nproc)" ]; do
		(while :; do :; done) &
		pids="$pids $!"
		i=$((i + 1))
	done
	sleep "$SPIN_S"
	kill $pids
	echo "SPIN_DONE cpus=$i secs=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')"
	;;
disk* | rng* | fio*)
	# virtio-blk and virtio-rng tests, NAME[,NAME...] (init-blk.sh)
	. /etc/init-blk.sh
	blk_test "$TEST"
	;;
net* | vsock*)
	# virtio-net and virtio-vsock tests, NAME[,NAME...] (init-net.sh)
	. /etc/init-net.sh
	net_test "$TEST"
	;;
con*)
	# console tests against failing host ends (init-con.sh)
	. /etc/init-con.sh
	con_test "$TEST"
	;;
fs*)
	# virtio-fs tests, NAME[,NAME...] (init-fs.sh; its python helpers
	# come from init-net.sh's Debian root, the benchmark's ext4 disk is
	# found by init-blk.sh's helpers; the stock initramfs has neither)
	for f in /etc/init-blk.sh /etc/init-net.sh; do
		[ -f $f ] && . $f
	done
	. /etc/init-fs.sh
	fs_test "$TEST"
	;;
*) echo "UNKNOWN_TEST=$TEST" ;;
esac

[ "$DELAY" != 0 ] && sleep "$DELAY"
echo "DONE uptime=$(uptime_s) end=$END"
case $END in
reboot) reboot -f ;;
panic) exit 1 ;; # init exits: "Attempted to kill init", then panic=
hang) while :; do sleep 3600; done ;;
*) poweroff -f ;;
esac
# poweroff -f returned: no ACPI power-off in this VM; keep init alive so
# the kernel does not panic, the harness' timeout reports the failure.
echo "POWEROFF_FAILED"
while :; do sleep 3600; done
