#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# 8250 (COM1) output throughput into --serial file: (make bench). guests/uart
# mode=tput writes BYTES bytes polling LSR.THRE before each, as Linux's
# console does (2 port-I/O exits per byte); median of RUNS runs, host side
# (wall time between the TPUT_BEGIN/TPUT_END markers appearing in the file)
# and guest side (TSC). Rows: the loop at CPL 3 (native on PVM hosts, the
# configuration the guest is for), at CPL 0 (emulated on PVM hosts, like the
# real-mode micro guest of the reference figures), and THR writes alone.
# Reference, same machine kind: QEMU 0.032-0.034, kvmtool 0.037 MB/s
# (/work/shared/reference/peer-vmms.md, section B, 64 KiB, medians).
# Figures are printed, never asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
VMM=${VMM:-$PWD/$O/vmm}
KERNEL=$PWD/$O/guests/uart.bzImage
RUNS=${RUNS:-5}
BYTES=${BYTES:-65536}

if [ ! -x "$VMM" ] || [ ! -e "$KERNEL" ]; then
	echo "bench_serial: $VMM or $KERNEL missing (make && make guests)"
	exit 0
fi
if ! { exec 9<>/dev/kvm; } 2>/dev/null; then
	echo "bench_serial: /dev/kvm is not accessible"
	exit 0
fi
exec 9>&-

echo "8250 -> --serial file:, $BYTES bytes, $RUNS runs (min / median / max)"
printf '%-24s %-25s %-25s %7s %8s   %s\n' "loop" "host MB/s" \
	"guest MB/s (TSC)" "us/B" "total ms" "good"
tput() {
	python3 tests/bench/serial_tput.py --runs "$RUNS" --bytes "$BYTES" \
		--label "$1" "$VMM" "$KERNEL" "${@:2}"
}
tput "CPL3, LSR poll + THR" cpl=3 poll=1
tput "CPL0, LSR poll + THR" cpl=0 poll=1
tput "CPL3, THR only" cpl=3 poll=0
# The reference figures are from a KVM PVM host, not comparable in the L1
# (there tests/bench/peers.py measures QEMU in the same run).
[ -n "${L1:-}" ] ||
	echo "reference (section B, KVM PVM host): qemu-microvm 0.034, q35 0.033," \
		"pc 0.032, kvmtool 0.037 MB/s (real-mode guest, LSR poll + THR)"
