#!/usr/bin/env bash
# Dependencies of vmm, all from Debian 12's archive.
#   tools/install-deps.sh          install whatever is missing (apt-get)
#   tools/install-deps.sh --check  print the missing build packages, if any
# Idempotent: apt-get runs only when something is missing.
set -euo pipefail

# build: compiler, KVM uapi headers, liburing, libfdt, json-c, libseccomp
build=(gcc make libc6-dev linux-libc-dev liburing-dev libfdt-dev libjson-c-dev
	libseccomp-dev)
# tests and guests: iasl -d for ACPI tables, socat/python3 for console tests,
# busybox + cpio for initramfs images, linux-source-6.1 and its build tools
# for the minimal kernel, debootstrap + e2fsprogs for the L1's root; g++,
# pkg-config, abidiff and man for the checks of libvmm (tests/lib); clang
# with libFuzzer's runtime (libclang-rt-14-dev, only recommended by clang)
# for make fuzz and make fuzz-smoke (tests/fuzz/); clang-format for make
# check-format (.ci/run)
rest=(acpica-tools socat python3 coreutils procps
	busybox-static cpio xz-utils gzip lz4 zstd kmod
	linux-source-6.1 bc flex bison libelf-dev libssl-dev
	debootstrap e2fsprogs
	g++ pkg-config abigail-tools man-db
	clang libclang-rt-14-dev clang-format)
# The nested L1 that runs the KVM tests where the host can't is QEMU TCG
# emulating AMD SVM. Debian 12's QEMU 7.2 froze that L1 now and then with
# no kernel message (all vCPUs busy, interrupts never delivered: TCG bugs
# in the STI interrupt shadow and nested SVM fixed in QEMU 8.2 and later),
# so it comes from Debian 12's own backports suite.
L1_QEMU_MIN=1:8.2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/apt-sources.sh"

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "ok installed" || echo "$p"
	done
}

if [ "${1:-}" = --check ]; then
	missing "${build[@]}" | tr '\n' ' '
	exit 0
fi
qemu_ok() {
	local v
	v=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null) &&
		dpkg --compare-versions "$v" ge "$L1_QEMU_MIN"
}

mapfile -t todo < <(missing "${build[@]}" "${rest[@]}")
[ ${#todo[@]} -eq 0 ] && qemu_ok && exit 0
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if ! qemu_ok; then
	. /etc/os-release
	backports=${VERSION_CODENAME:?}-backports
	if [ -z "$(apt_debian_uris "$backports")" ]; then
		mirror=$(apt_debian_uris "$VERSION_CODENAME" | head -n1)
		[ -n "$mirror" ] || { echo "install-deps: apt's sources name no archive for $VERSION_CODENAME" >&2; exit 1; }
		echo "adding $backports from $mirror to apt's sources (for the L1's QEMU)" >&2
		echo "deb $mirror $backports main" |
			$SUDO tee /etc/apt/sources.list.d/vmm-backports.list >/dev/null
	fi
fi
# Guest scripts also apt-get download kernels, so the lists must be fresh.
$SUDO apt-get update -qq >&2
if [ ${#todo[@]} -gt 0 ]; then
	echo "installing: ${todo[*]}" >&2
	$SUDO apt-get install -y -qq --no-install-recommends "${todo[@]}" >&2
fi
if ! qemu_ok; then
	echo "installing: qemu-system-x86 from $backports" >&2
	$SUDO apt-get install -y -qq --no-install-recommends -t "$backports" qemu-system-x86 >&2
fi
