#!/bin/sh
# /init of the nested L1's initramfs (see guests/l1/run.sh). busybox only.
#
# Loads the modules listed in /lib/modules/load-order (virtio-pci,
# virtio-blk, ext4, 9p), mounts the root disk /dev/vda (the Debian image of
# guests/l1/rootfs.sh; QEMU discards what L1 writes to it) and the host's
# checkout, shared over virtio-9p with mount tag "top", at the same path as
# on the host (kernel command line l1.top=PATH), so that every path of the
# host's tests and builds is valid in L1. Then switch_root to the disk and
# hands over to the checkout's guests/l1/stage2.sh, which runs the work.
# Markers on the console: L1_INIT uptime=<s>, and on failure L1_NO_ROOT <why>
# followed by L1_RESULT rc=125.

PATH=/bin:/sbin:/usr/bin:/usr/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "L1_INIT uptime=$(cut -d' ' -f1 /proc/uptime)"

fail() {
	echo "L1_NO_ROOT $*"
	echo "L1_RESULT rc=125"
	echo o >/proc/sysrq-trigger
	sleep 5
	exit 1
}

while read -r mod; do
	[ -n "$mod" ] || continue
	insmod "/lib/modules/$mod.ko" || echo "L1_INSMOD_FAILED=$mod"
done </lib/modules/load-order

top=
for arg in $(cat /proc/cmdline); do
	case $arg in l1.top=*) top=${arg#l1.top=} ;; esac
done
[ -n "$top" ] || fail "no l1.top= on the kernel command line"

i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
mkdir -p /newroot
mount -t ext4 /dev/vda /newroot || fail "cannot mount /dev/vda (the L1 root image)"
# Mounted at /mnt/l1-top first: stage2.sh mounts tmpfs on /tmp and /run,
# which would hide a checkout under them; it binds the share to $top after.
mkdir -p /newroot/mnt/l1-top
# msize: 9p's largest message, fewer round trips through QEMU per read.
# cache=mmap, not loose: with cache=loose (3x faster: reads stay in L1's
# page cache) the L1 hung for good, twice with two test scripts writing
# through the share at once and once with a sanitizer run; mmap caches only
# mapped pages (the binaries L1 executes) and writes through at once.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=mmap \
	top /newroot/mnt/l1-top || fail "cannot mount the 9p share 'top'"
[ -f /newroot/mnt/l1-top/guests/l1/stage2.sh ] ||
	fail "guests/l1/stage2.sh missing in the share"
umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/bash /mnt/l1-top/guests/l1/stage2.sh
