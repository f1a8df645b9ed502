#!/bin/bash
# guests/l1/build.sh OUTDIR: the nested L1 used to run our VMM on real KVM.
#
# When this host's /dev/kvm is missing or cannot run a guest, every test and
# benchmark that needs KVM boots QEMU TCG with `-cpu max` (which emulates AMD
# SVM), runs Debian's generic kernel in it (L1), loads kvm-amd there and runs
# our VMM inside L1 (guests/l1/run.sh). This script prepares the parts that
# do not change between runs, in OUTDIR:
#   vmlinuz      /boot/vmlinuz-<abi>-amd64 of linux-image-<abi>-amd64 (the
#                generic flavour: the cloud one has no kvm-amd)
#   vmlinux      the same kernel decompressed (ELF, PVH entry): QEMU boots it
#                directly, which saves the ~3 s TCG spends un-xz-ing vmlinuz
#   base.cpio    uncompressed newc archive: busybox-static, guests/l1/init.sh
#                as /init and the modules that mount the root disk and the
#                shared checkout (virtio-pci, virtio-blk, ext4, 9p), with
#                their load order (modinfo dependencies) in load-order
#   root-<hash>.img  the L1's root file system, a real Debian system with
#                the packages of guests/l1/packages and every module of the
#                kernel (guests/l1/rootfs.sh); <hash> covers the package
#                list, rootfs.sh and the kernel, so a change rebuilds it.
#                root.img links to the current one.
#   abi          the kernel release, e.g. 6.1.0-56-amd64
# The archive is left uncompressed on purpose: under TCG the L1 kernel
# unpacks plain cpio much faster than it gunzips.
# The .deb is cached in OUTDIR/deb (fetched once with apt-get download).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../linux/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
need_cmd modinfo kmod

# What /init needs to mount the root disk and the 9p share; the list is
# completed from modinfo, so only the top-level modules are named here.
# ext4 checksums its metadata with crc32c, a soft dependency modinfo omits.
WANT_MODULES="virtio_pci virtio_blk crc32c_generic ext4 9pnet_virtio 9p"

abi=${L1_ABI:-$(kernel_abi "$out" linux-image-amd64)}
pkg=$out/pkg
if [ ! -f "$pkg/.unpacked-all-$abi" ]; then
	deb=$(debian_kernel_deb "linux-image-$abi" "$out/deb")
	echo "[l1] unpacking $deb"
	rm -rf "$pkg"
	mkdir -p "$pkg"
	# The kernel and all of its modules: the L1 root gets every module
	# (kvm-amd, tun, vhost, overlay, ...), the initramfs a few.
	dpkg-deb --fsys-tarfile "$deb" |
		tar -C "$pkg" -x --wildcards "./boot/vmlinuz-$abi" \
			"./lib/modules/$abi/*"
	touch "$pkg/.unpacked-all-$abi"
fi
moddir=$pkg/lib/modules/$abi
[ -f "$pkg/boot/vmlinuz-$abi" ] || die "no boot/vmlinuz-$abi in the package"

# shellcheck disable=SC2086 # WANT_MODULES is a word list
module_load_order "$moddir" $WANT_MODULES
echo "[l1] module load order: ${order[*]}"

# Copied only when it changed: a new mtime would extract vmlinux again.
cmp -s "$pkg/boot/vmlinuz-$abi" "$out/vmlinuz" ||
	{ cp "$pkg/boot/vmlinuz-$abi" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"; }

# vmlinux: the xz stream inside the bzImage, decompressed (xz stops at the
# end of the stream and complains about the trailing bytes: expected).
if [ ! -f "$out/vmlinux" ] || [ "$out/vmlinuz" -nt "$out/vmlinux" ]; then
	need_cmd xz xz-utils
	off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$out/vmlinuz" | head -n1 | cut -d: -f1)
	rm -f "$out/vmlinux"
	if [ -n "$off" ]; then
		tail -c +$((off + 1)) "$out/vmlinuz" | xz -dc >"$out/vmlinux.tmp" 2>/dev/null || true
		if LC_ALL=C readelf -n "$out/vmlinux.tmp" 2>/dev/null | grep -E '^ *Xen ' | grep -q '0x00000012'; then
			mv "$out/vmlinux.tmp" "$out/vmlinux"
		fi
	fi
	rm -f "$out/vmlinux.tmp"
	[ -f "$out/vmlinux" ] || echo "[l1] note: no PVH vmlinux extracted; run.sh boots vmlinuz (slower)"
fi
root=$out/base.root
rm -rf "$root"
busybox_tree "$root"
install -m 755 "$here/init.sh" "$root/init"
mkdir -p "$root/lib/modules" "$root/guest"
for m in "${order[@]}"; do
	cp "${kopath[$m]}" "$root/lib/modules/$m.ko"
	echo "$m" >>"$root/lib/modules/load-order"
done
pack_cpio "$root" "$out/base.cpio"
rm -rf "$root"
echo "$abi" >"$out/abi"

key=$( (cat "$here/packages" "$here/rootfs.sh"; echo "$abi") | sha256sum | cut -c1-16)
if [ ! -f "$out/root-$key.img" ]; then
	"$here/rootfs.sh" "$out/root-$key.img" "$moddir"
	find "$out" -maxdepth 1 -name 'root-*.img' ! -name "root-$key.img" -delete
fi
ln -sfn "root-$key.img" "$out/root.img"
ls -l "$out/vmlinuz" "$out/base.cpio" "$out"/vmlinux "$out/root-$key.img" 2>/dev/null || true
echo "[l1] done: $out ($abi)"
