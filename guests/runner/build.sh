#!/bin/bash
# guests/runner/build.sh OUTDIR: the runner's kernel (docs/runner-protocol.md).
#
# Produces OUTDIR/bzImage: Debian's linux-source-6.1 configured as
# `make tinyconfig` + guests/linux/config (what booting under vmm needs) +
# guests/runner/config (what a container needs), every option checked after
# `make olddefconfig`. It is the same kernel as the Linux tier's test guest
# (guests/linux/build.sh), built in the same place (OUTDIR/../kernel-obj,
# from OUTDIR/../kernel-src), so whichever of the two runs second finds it
# built and takes seconds. The runner's init is C and the
# Makefile builds it (`make guest-runner` does both).
#
# Environment: JOBS (default nproc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
linux=$here/../linux
. "$linux/lib.sh"
. "$linux/kernel.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
mkdir -p "$1"
out=$(cd "$1" && pwd)

kernel_need
kernel_source "$out/../kernel-src"
obj=$out/../kernel-obj
kernel_lock "$obj"
kernel_configure "$obj" "$linux/config" "$here/config"
kernel_build "$obj"
kernel_unlock
rm -rf "$out/obj"

cmp -s "$obj/arch/x86/boot/bzImage" "$out/bzImage" ||
	{ cp "$obj/arch/x86/boot/bzImage" "$out/bzImage.tmp" &&
		mv "$out/bzImage.tmp" "$out/bzImage"; }
ls -l "$out/bzImage"
echo "[runner] kernel done: $out/bzImage"
