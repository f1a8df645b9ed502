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
#                       and fsbench.py (the guest side of tests/bench/fs_bench.py)
#                       as /etc/fsbench.py
#
# The kernel is Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz),
# configured as `make tinyconfig` + the fragment guests/linux/config, then
# `make olddefconfig`; every line of the fragment is then checked against the
# final .config and the build stops if Kconfig dropped one. The source is
# extracted once into OUTDIR/src and built out of tree in OUTDIR/obj, so a
# second run only re-runs make (seconds). Needs: linux-source-6.1 gcc make
# flex bison bc libelf-dev libssl-dev lz4 cpio busybox-static.
#
# Environment: JOBS (default nproc), KEEP_GOING=0.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$here/config
jobs=${JOBS:-$(nproc)}

[ -f "$tarball" ] || die "$tarball missing; install it with: apt-get install -y linux-source-6.1"
for c in gcc:gcc make:make flex:flex bison:bison bc:bc lz4:lz4 cpio:cpio \
	readelf:binutils perl:perl; do
	need_cmd "${c%%:*}" "${c#*:}"
done
[ -f /usr/include/libelf.h ] || die "libelf.h missing; apt-get install -y libelf-dev"
[ -f /usr/include/openssl/ssl.h ] || die "openssl headers missing; apt-get install -y libssl-dev"

# --- 1. source, extracted once ---------------------------------------------
src=$out/src/linux-source-6.1
if [ ! -f "$out/src/.extracted" ]; then
	echo "[linux] extracting $tarball"
	rm -rf "$out/src"
	mkdir -p "$out/src"
	tar -C "$out/src" -xJf "$tarball"
	touch "$out/src/.extracted"
fi
[ -f "$src/Makefile" ] || die "unexpected layout: $src/Makefile missing"

# --- 2. configuration: tinyconfig + fragment, verified ------------------------
obj=$out/obj
kmake() { make -C "$src" O="$obj" ARCH=x86_64 -j"$jobs" "$@"; }
cfg_id="$(sha256sum "$fragment" | cut -d' ' -f1) $(sha256sum "$tarball" | cut -d' ' -f1)"
if ! stamp_ok "$obj/.fragment-stamp" "$cfg_id" || [ ! -f "$obj/.config" ]; then
	echo "[linux] configuring: tinyconfig + $fragment"
	mkdir -p "$obj"
	rm -f "$obj/.fragment-stamp"
	{
		kmake tinyconfig &&
			# -m: merge only; olddefconfig then resolves the dependencies.
			"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" &&
			kmake olddefconfig
	} >"$obj/config.log" 2>&1 || {
		tail -n 30 "$obj/config.log" >&2
		die "kernel configuration failed (full log: $obj/config.log)"
	}
fi

# Every option in the fragment must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		grep -qxF "$line" "$obj/.config" || {
			echo "[linux] config check FAILED: want '$line', got '$(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$obj/.config" || echo "<absent>")'" >&2
			bad=1
		}
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		if grep -qE "^${BASH_REMATCH[1]}=" "$obj/.config"; then
			echo "[linux] config check FAILED: want '${BASH_REMATCH[1]}' off, got '$(grep -E "^${BASH_REMATCH[1]}=" "$obj/.config")'" >&2
			bad=1
		fi
	fi
done <"$fragment"
[ $bad = 0 ] || die "kernel config fragment did not apply (see above); fix guests/linux/config"
echo "$cfg_id" >"$obj/.fragment-stamp"

# --- 3. kernel ----------------------------------------------------------------
# The source is a fixed tarball: once built for this configuration, a
# no-op kbuild pass (12 s here) is all make would do.
if ! stamp_ok "$obj/.build-stamp" "$cfg_id" || [ ! -f "$obj/arch/x86/boot/bzImage" ]; then
	echo "[linux] building kernel with -j$jobs (obj: $obj)"
	start=$(date +%s)
	rm -f "$obj/.build-stamp"
	kmake -s bzImage
	echo "$cfg_id" >"$obj/.build-stamp"
	echo "[linux] kernel built in $(($(date +%s) - start)) s"
fi

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
install -m 755 "$here/netpeer.py" "$root/etc/netpeer.py"
install -m 755 "$here/fsbench.py" "$root/etc/fsbench.py"
pack_cpio "$root" "$out/initramfs.cpio.gz" gz
rm -rf "$root"

ls -l "$out/bzImage" "$out/vmlinux" "$out/initramfs.cpio.gz"
echo "[linux] done: $out"
