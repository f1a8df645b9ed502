#!/bin/sh
# /init of the nested L1 (see guests/l1/run.sh). busybox only.
#
# Mounts proc, sysfs, devtmpfs, a tmpfs on /tmp and devpts on /dev/pts, loads
# the KVM modules listed in /lib/modules/load-order, waits for /dev/kvm, then
# runs the harness' script /test.sh (the VMM is /bin/vmm, the L2 guest files
# are in /guest) with the console as its controlling tty, prints
#   L1_RESULT rc=<exit status of /test.sh>
# and powers off so that QEMU exits. Markers on the console:
#   L1_INIT uptime=<s>, L1_KVM_READY uptime=<s> cpus=<n>, L1_NO_KVM <why>,
#   L1_RESULT rc=<n>
# Kernel command line: l1.shell=1 runs a shell instead of /test.sh (debugging).

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts -o ptmxmode=666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx

uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "L1_INIT uptime=$(uptime_s)"

finish() {
	echo "L1_RESULT rc=$1"
	sync
	poweroff -f
	sleep 5
	echo "L1_POWEROFF_FAILED"
	exit "$1" # the kernel panics; panic=-1 and -no-reboot end QEMU
}

while read -r mod; do
	[ -n "$mod" ] || continue
	insmod "/lib/modules/$mod.ko" || echo "L1_INSMOD_FAILED=$mod"
done </lib/modules/load-order
i=0
while [ ! -c /dev/kvm ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ ! -c /dev/kvm ]; then
	echo "L1_NO_KVM /dev/kvm did not appear; svm in cpuinfo: $(grep -c -w svm /proc/cpuinfo) cpus"
	dmesg | grep -iE 'kvm|svm' | tail -n 20
	finish 125
fi
echo "L1_KVM_READY uptime=$(uptime_s) cpus=$(nproc)"

export GUEST=/guest VMM=/bin/vmm HOME=/root TERM=${TERM:-linux}
cd /tmp || exit 1
if grep -qw 'l1.shell=1' /proc/cmdline; then
	setsid cttyhack sh -l
	finish $?
fi
if [ ! -f /test.sh ]; then
	echo "L1: no /test.sh in the initramfs"
	finish 125
fi
# cttyhack makes the console our controlling tty: interactive runs get job
# control and ^C, and a VMM with --serial stdio reads the user's keys.
setsid cttyhack sh /test.sh
finish $?
