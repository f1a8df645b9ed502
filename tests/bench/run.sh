#!/usr/bin/env bash
# make bench: every benchmark, figures printed (medians of several runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
O=${O:-build}
export VMM=$PWD/$O/vmm
echo "== machine: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
[ -d /sys/module/kvm_pvm ] && echo "== /dev/kvm is KVM PVM (nested, software virtualization)"
python3 tests/bench/startup.py "$O/guests/hello.bzImage"
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] && bash "$b"
done
exit 0
