#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# virtio-console output throughput into --console file: (make bench), for
# comparison with the 8250 figures of bench_serial.sh. Printed, not asserted.
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
VMM=${VMM:-$PWD/$O/vmm}
KERNEL=$PWD/$O/guests/vcon.bzImage
if [ ! -x "$VMM" ] || [ ! -e "$KERNEL" ]; then
	echo "bench_console: $VMM or $KERNEL missing (make && make guests)"
	exit 0
fi
python3 tests/bench/console_tput.py "$VMM" "$KERNEL"
