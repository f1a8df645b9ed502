#!/usr/bin/env bash
# Install everything vmm needs to build, test and benchmark, from Debian 12's
# archive. Idempotent: skips apt-get entirely when every package is present.
set -euo pipefail

# build: compiler, KVM uapi headers, liburing, libfdt, json-c
# tests: acpica-tools (iasl -d), socat, python3
# guests: busybox-static, cpio, linux-source-6.1 + kernel build tools,
#         qemu-system-x86 for the nested L1 that runs real Linux
packages=(
	build-essential linux-libc-dev liburing-dev libfdt-dev libjson-c-dev
	acpica-tools socat python3 coreutils
	busybox-static cpio xz-utils gzip lz4 zstd kmod
	linux-source-6.1 bc flex bison libelf-dev libssl-dev
	qemu-system-x86
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "installing: ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
