#!/usr/bin/env bash
# Dependencies of vmm, all from Debian 12's archive.
#   tools/install-deps.sh          install whatever is missing (apt-get)
#   tools/install-deps.sh --check  print the missing build packages, if any
# Idempotent: apt-get runs only when something is missing.
set -euo pipefail

# build: compiler, KVM uapi headers, liburing, libfdt, json-c
build=(gcc make libc6-dev linux-libc-dev liburing-dev libfdt-dev libjson-c-dev)
# tests and guests: iasl -d for ACPI tables, socat/python3 for console tests,
# busybox + cpio for initramfs images, linux-source-6.1 and its build tools
# for the minimal kernel, qemu-system-x86 for the nested L1 that runs KVM
# tests where the host can't, debootstrap + e2fsprogs for the L1's root
rest=(acpica-tools socat python3 coreutils
	busybox-static cpio xz-utils gzip lz4 zstd kmod
	linux-source-6.1 bc flex bison libelf-dev libssl-dev
	qemu-system-x86 debootstrap e2fsprogs)

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
mapfile -t todo < <(missing "${build[@]}" "${rest[@]}")
[ ${#todo[@]} -eq 0 ] && exit 0
echo "installing: ${todo[*]}" >&2
SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Guest scripts also apt-get download kernels, so the lists must be fresh.
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends "${todo[@]}" >&2
