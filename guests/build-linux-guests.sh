#!/usr/bin/env bash
# guests/build-linux-guests.sh OUTDIR: build the three Linux-based guests
# at once, each into OUTDIR/<name>:
#   linux  the minimal kernel, compiled from linux-source (CPU-bound)
#   stock  Debian's cloud kernel (a download)
#   l1     the nested L1: kernel, initramfs, debootstrapped root (downloads)
# The downloads overlap the compile: on a cold 2-core machine that saves
# minutes. Each line of output is prefixed with its guest's name; the exit
# status is 0 only if all three built.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
pids=() names=(linux stock l1)
for name in "${names[@]}"; do
	{ "$here/$name/build.sh" "$out/$name" 2>&1 | sed -u "/^\[$name\]/!s/^/[$name] /"; } &
	pids+=($!)
done
rc=0 i=0
for pid in "${pids[@]}"; do
	# pipefail: the status of build.sh, not of sed
	if ! wait "$pid"; then
		echo "guests/build-linux-guests.sh: ${names[$i]} failed" >&2
		rc=1
	fi
	i=$((i + 1))
done
exit $rc
