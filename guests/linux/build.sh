#!/bin/bash
# guests/linux/build.sh OUTDIR: build the minimal Linux test guest.
#
# Produces, in OUTDIR:
#   bzImage             x86 boot-protocol image (our VMM uses its 64-bit entry)
#   vmlinux             the ELF kernel, booted through its PVH entry point
#                       (verified: it carries the Xen PHYS32_ENTRY ELF note)
#   initramfs.cpio.gz   busybox-static + guests/linux/init.sh as /init,
#                       init-blk.sh (its disk and rng tests) as /etc/init-blk.sh,
#                       init-net.sh (net and vsock tests) as /etc/init-net.sh
#                       and their python3 helper netpeer.py as /etc/netpeer.py,
#                       init-fs.sh (virtio-fs tests) as /etc/init-fs.sh
#                       init-con.sh (consoles with failing host ends) as
#                       /etc/init-con.sh
#                       and fsbench.py (the guest side of tests/bench/fs_bench.py)
#                       as /etc/fsbench.py
#
# The kernel is Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz),
# configured as `make tinyconfig` + the fragments guests/linux/config and
# guests/runner/config, then `make olddefconfig`; every line of the fragments
# is then checked against the final .config and the build stops if Kconfig
# dropped one (guests/linux/kernel.sh). It is the container runner's kernel
# too (guests/runner/build.sh): one kernel, compiled once, serves the Linux
# tier and the containers. The source is extracted once into
# OUTDIR/../kernel-src and built out of tree in OUTDIR/../kernel-obj, so a
# second run only re-runs make (seconds).
# Needs: linux-source-6.1 gcc make flex bison bc libelf-dev libssl-dev lz4
# cpio busybox-static.
#
# Environment: JOBS (default nproc), KEEP_GOING=0.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/kernel.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)

kernel_need
need_cmd cpio cpio

# --- 1. source, extracted once (and the copy of the older layout dropped) -----
kernel_source "$out/../kernel-src"
rm -rf "$out/src"

# --- 2. configuration: tinyconfig + fragment, verified ------------------------
obj=$out/../kernel-obj
kernel_lock "$obj"
kernel_configure "$obj" "$here/config" "$here/../runner/config"

# --- 3. kernel ----------------------------------------------------------------
kernel_build "$obj"
kernel_unlock
rm -rf "$out/obj"

# PVH entry: ELF note "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (18 = 0x12).
notes=$(LC_ALL=C readelf -n "$obj/vmlinux")
echo "$notes" | grep -E '^ *Xen ' | grep -qiE 'PHYS32_ENTRY|0x0*12\)?$' ||
	die "vmlinux has no Xen PHYS32_ENTRY ELF note (CONFIG_PVH?); readelf -n says:
$notes"
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
cp "$obj/vmlinux" "$out/vmlinux.tmp" && mv "$out/vmlinux.tmp" "$out/vmlinux"

# --- 4. initramfs ---------------------------------------------------------------
root=$out/initramfs.root
rm -rf "$root"
busybox_tree "$root"
install -m 755 "$here/init.sh" "$root/init"
install -m 644 "$here/init-blk.sh" "$root/etc/init-blk.sh"
install -m 644 "$here/init-net.sh" "$root/etc/init-net.sh"
install -m 644 "$here/init-fs.sh" "$root/etc/init-fs.sh"
install -m 644 "$here/init-con.sh" "$root/etc/init-con.sh"
install -m 755 "$here/netpeer.py" "$root/etc/netpeer.py"
install -m 755 "$here/fsbench.py" "$root/etc/fsbench.py"
pack_cpio "$root" "$out/initramfs.cpio.gz" gz
rm -rf "$root"

ls -l "$out/bzImage" "$out/vmlinux" "$out/initramfs.cpio.gz"
echo "[linux] done: $out"
