#!/bin/bash
# guests/l1/stage2.sh: PID 1 of the nested L1 once its root is the Debian
# disk (guests/l1/init.sh switches to it). Runs from the host's checkout,
# shared over 9p (mounted at /mnt/l1-top), which it binds to the same path
# as on the host (kernel command line l1.top=PATH).
#
# Mounts the usual file systems, loads kvm-amd (modprobe, from the root's
# /lib/modules), waits for /dev/kvm, then runs the run directory's test.sh
# (kernel command line l1.run=DIR, a folder in the shared checkout made by
# guests/l1/run.sh) with bash, the console as its controlling tty and cwd
# DIR, prints
#   L1_RESULT rc=<exit status of test.sh>
# and powers off, so that QEMU exits. Environment of test.sh: VMM (the VMM
# binary), GUEST (DIR/guest, also reachable as /guest), L1=1, PATH.
# Markers on the console: L1_KVM_READY uptime=<s> cpus=<n>, L1_NO_KVM <why>,
# L1_RESULT rc=<n>. Kernel command line: l1.tty=1 gives test.sh the console
# as its terminal (interactive runs); l1.shell=1 runs a login shell instead
# of test.sh (debugging).

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux} LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /dev/pts /dev/shm
mount -t devpts -o ptmxmode=666,gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx
exec </dev/console >/dev/console 2>&1
hostname l1
ip link set lo up 2>/dev/null

uptime_s() { cut -d' ' -f1 /proc/uptime; }

finish() {
	echo "L1_RESULT rc=$1"
	sync
	echo o >/proc/sysrq-trigger
	sleep 10
	echo "L1_POWEROFF_FAILED"
	exit "$1" # PID 1 exiting panics; panic=-1 and -no-reboot end QEMU
}

run= top=
for arg in $(</proc/cmdline); do
	case $arg in
	l1.run=*) run=${arg#l1.run=} ;;
	l1.top=*) top=${arg#l1.top=} ;;
	esac
done
# The checkout at its host path, now that /tmp and /run are L1's own.
mkdir -p "$top" && mount --bind /mnt/l1-top "$top" ||
	echo "L1: cannot bind the shared checkout to '$top'"

modprobe kvm_amd || echo "L1_MODPROBE_FAILED kvm_amd"
for _ in $(seq 50); do
	[ -c /dev/kvm ] && break
	sleep 0.1
done
if [ ! -c /dev/kvm ]; then
	echo "L1_NO_KVM /dev/kvm did not appear; svm in cpuinfo: $(grep -c -w svm /proc/cpuinfo) cpus"
	dmesg | grep -iE 'kvm|svm' | tail -n 20
	finish 125
fi
echo "L1_KVM_READY uptime=$(uptime_s) cpus=$(nproc)"

if [ -z "$run" ] || [ ! -f "$run/test.sh" ]; then
	echo "L1: no test.sh in the run directory '$run'"
	finish 125
fi
export L1=1 GUEST=$run/guest
# run.sh's env file sets VMM and whatever else the host passed on.
[ -f "$run/env" ] && . "$run/env"
ln -sfn "$GUEST" /guest
cd "$run" || finish 125
if grep -qw 'l1.shell=1' /proc/cmdline; then
	setsid -c bash -l
	finish $?
fi
# Interactive runs (l1.tty=1): setsid -c makes the console the controlling
# tty, for job control, ^C and a VMM with a stdio console reading the
# user's keys. Otherwise test.sh gets no terminal at all: no stdin, and no
# job-control stops when a program in it touches the console's modes.
if grep -qw 'l1.tty=1' /proc/cmdline; then
	# The serial port itself: /dev/console cannot be a controlling tty.
	setsid -c -w bash "$run/test.sh" <>/dev/ttyS0 >&0 2>&0
else
	# A line every 30 s while the tests run: the host's watchdog
	# (guests/l1/run.sh) takes a console silent for 180 s as a frozen L1.
	while sleep 30; do echo "L1_ALIVE uptime=$(uptime_s)"; done &
	alive=$!
	setsid -w bash "$run/test.sh" </dev/null
	rc=$?
	kill $alive 2>/dev/null
	finish $rc
fi
finish $?
