#!/bin/bash
# guests/l1/rootfs.sh IMAGE MODULES_DIR : the nested L1's root filesystem.
#
# A real Debian system: `debootstrap --variant=minbase` of this host's
# release from the Debian archive apt is configured with (read from apt's
# sources at run time), then every package of guests/l1/packages installed
# with apt inside the chroot, the L1 kernel's modules (MODULES_DIR, a
# /lib/modules/<abi> tree) copied in and indexed with depmod, and the whole
# tree packed into IMAGE, an ext4 file system image made with `mkfs.ext4 -d`
# (no loop device, no mount). QEMU attaches IMAGE read-only in effect
# (snapshot=on): every L1 boot starts from the same files.
#
# Needs root (debootstrap, chroot), debootstrap and e2fsprogs; takes about
# two minutes with a nearby mirror. guests/l1/build.sh calls it only when the
# package list or this script changed (the image name carries their hash).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../tools/apt-sources.sh"
. "$here/../linux/lib.sh"

[ $# -eq 2 ] || { echo "usage: $0 IMAGE MODULES_DIR" >&2; exit 2; }
image=$1 moddir=$2
[ -d "$moddir" ] || die "no kernel modules at $moddir"
[ "$(id -u)" = 0 ] || die "building the L1 root file system needs root (debootstrap, chroot)"
need_cmd debootstrap debootstrap
need_cmd mkfs.ext4 e2fsprogs

. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}

mirror=$(apt_debian_uris "$codename" | head -n1)
[ -n "$mirror" ] || die "apt's sources name no archive for '$codename main'"
security=$(apt_debian_uris "$codename-security" | head -n1)
updates=$(apt_debian_uris "$codename-updates" | head -n1)

mapfile -t packages < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages")

root=$(mktemp -d "$(dirname "$image")/rootfs.XXXXXX")
mounted=()
cleanup() {
	local m
	for m in ${mounted[@]+"${mounted[@]}"}; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$root"
}
trap cleanup EXIT

echo "[l1-root] debootstrap $codename from $mirror"
debootstrap --variant=minbase "$codename" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
	tail -n 20 "$root.debootstrap.log" >&2
	rm -f "$root.debootstrap.log"
	die "debootstrap failed"
}
rm -f "$root.debootstrap.log"

{
	echo "deb $mirror $codename main"
	[ -z "$updates" ] || echo "deb $updates $codename-updates main"
	[ -z "$security" ] || echo "deb $security $codename-security main"
} >"$root/etc/apt/sources.list"
# No daemons start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc" && mounted+=("$root/proc")

echo "[l1-root] apt-get install: ${packages[*]}"
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C sh -c '
	apt-get -qq update &&
	apt-get -qq -y --no-install-recommends install "$@" &&
	apt-get -qq -y --no-install-recommends dist-upgrade &&
	apt-get clean' sh "${packages[@]}" >"$root/../l1-apt.log" 2>&1 || {
	tail -n 30 "$root/../l1-apt.log" >&2
	die "apt-get inside the L1 chroot failed (log: $(dirname "$image")/l1-apt.log)"
}
umount "$root/proc" && mounted=()
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin

abi=$(basename "$moddir")
mkdir -p "$root/lib/modules"
cp -a "$moddir" "$root/lib/modules/$abi"
depmod -b "$root" "$abi"
echo l1 >"$root/etc/hostname"
: >"$root/etc/fstab"

# Room for what L1 writes at run time (its writes go to QEMU's snapshot).
mb=$(du -sm "$root" | cut -f1)
rm -f "$image.tmp"
mkfs.ext4 -q -F -L l1root -d "$root" "$image.tmp" "$((mb + mb / 4 + 1024))M"
mv "$image.tmp" "$image"
echo "[l1-root] $image: $(du -sh --apparent-size "$image" | cut -f1) ($mb MiB of files)"
