#!/bin/bash
# guests/stock/build.sh OUTDIR: Debian's stock cloud kernel as a test guest.
#
# Produces, in OUTDIR:
#   vmlinuz             /boot/vmlinuz-<abi>-cloud-amd64 (a bzImage, lz4 inside)
#   initramfs.cpio.gz   busybox-static + guests/linux/init.sh as /init (and
#                       init-blk.sh and init-fs.sh in /etc) + the
#                       virtio, fuse and virtiofs modules in /lib/modules, with their insmod order
#                       in /lib/modules/load-order (from `modinfo -F depends`)
#   abi                 the kernel release, e.g. 6.1.0-56-cloud-amd64
#
# The kernel package is fetched with `apt-get download` (the version the meta
# package linux-image-cloud-amd64 currently points to, or $STOCK_ABI) and
# cached in OUTDIR/deb; re-runs only rebuild the small initramfs. The cloud
# kernel has no X86_MPPARSE, so booting it with 2 CPUs tests the VMM's ACPI
# MADT; VIRTIO_MMIO, VIRTIO_CONSOLE, VIRTIO_BLK, HW_RANDOM_VIRTIO, FUSE_FS
# and VIRTIO_FS are modules, loaded by /init (ext4 and the hwrng core are built in).
# With `interactive=1` on the kernel command line /init gives a shell on the
# console and powers off when it exits (used by `make run`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../linux/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
need_cmd modinfo kmod

# Modules /init loads; their dependencies are added in front automatically.
WANT_MODULES="virtio_ring virtio virtio_mmio virtio_console virtio_blk virtio_rng fuse virtiofs"

# --- 1. the kernel package, downloaded and unpacked once -----------------------
abi=${STOCK_ABI:-$(kernel_abi "$out" linux-image-cloud-amd64)}
pkg=$out/pkg
if [ ! -f "$pkg/.unpacked-$abi" ]; then
	deb=$(debian_kernel_deb "linux-image-$abi" "$out/deb")
	echo "[stock] unpacking $deb"
	rm -rf "$pkg"
	mkdir -p "$pkg"
	dpkg-deb -x "$deb" "$pkg"
	touch "$pkg/.unpacked-$abi"
fi
moddir=$pkg/lib/modules/$abi
[ -f "$pkg/boot/vmlinuz-$abi" ] || die "no boot/vmlinuz-$abi in the package"
[ -d "$moddir" ] || die "no lib/modules/$abi in the package"

# --- 2. module load order ----------------------------------------------------------
# shellcheck disable=SC2086 # WANT_MODULES is a word list
module_load_order "$moddir" $WANT_MODULES
echo "[stock] module load order: ${order[*]}"

# --- 3. outputs -----------------------------------------------------------------------
cp "$pkg/boot/vmlinuz-$abi" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
root=$out/initramfs.root
rm -rf "$root"
busybox_tree "$root"
install -m 755 "$here/../linux/init.sh" "$root/init"
install -m 644 "$here/../linux/init-blk.sh" "$root/etc/init-blk.sh"
install -m 644 "$here/../linux/init-fs.sh" "$root/etc/init-fs.sh"
mkdir -p "$root/lib/modules"
for m in "${order[@]}"; do
	cp "${kopath[$m]}" "$root/lib/modules/$m.ko"
	echo "$m" >>"$root/lib/modules/load-order"
done
pack_cpio "$root" "$out/initramfs.cpio.gz" gz
rm -rf "$root"
echo "$abi" >"$out/abi"
ls -l "$out/vmlinuz" "$out/initramfs.cpio.gz"
echo "[stock] done: $out ($abi)"
