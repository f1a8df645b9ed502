#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Pause/resume latency of 1 and 64 vCPUs through the control socket
# (make bench). Printed, not asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
VMM=${VMM:-$PWD/$O/vmm}
KERNEL=$PWD/$O/guests/spin.elf
if [ ! -x "$VMM" ] || [ ! -e "$KERNEL" ]; then
	echo "bench_pause: $VMM or $KERNEL missing (make && make guests)"
	exit 0
fi
python3 tests/bench/pause_latency.py "$VMM" "$KERNEL"
