#!/usr/bin/env bash
# make bench: vmm bench doorbell in each --notify mode, vCPU and io thread
# pinned to different CPUs, tables on stdout and one SVG per mode in
# $O/bench/. The figures are for reading; nothing is compared with limits.
#   DOORBELL_ITERATIONS (default 20000), DOORBELL_MODES (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
VMM=${VMM:-$PWD/$O/vmm}
out=$O/bench
iterations=${DOORBELL_ITERATIONS:-20000}
modes=${DOORBELL_MODES:-uring adaptive busy epoll exit}

if ! { exec 9<>/dev/kvm; } 2>/dev/null; then
	echo "== vmm bench doorbell: skipped (/dev/kvm not accessible)"
	exit 0
fi
exec 9>&-
if [ ! -f "$O/guests/doorbell.bzImage" ]; then
	echo "== vmm bench doorbell: skipped (run make guests)"
	exit 0
fi
mkdir -p "$out"
pin=()
if [ "$(nproc)" -ge 2 ]; then
	pin=(--pin-vcpu 0 --pin-io 1)
fi
for mode in $modes; do
	echo "== vmm bench doorbell --notify $mode --iterations $iterations ${pin[*]}"
	"$VMM" bench doorbell --notify "$mode" --iterations "$iterations" \
		"${pin[@]}" --svg "$out/doorbell-$mode.svg" ||
		echo "(vmm bench doorbell --notify $mode failed: status $?)"
	echo
done
