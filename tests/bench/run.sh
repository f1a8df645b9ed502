#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make bench: every benchmark, figures printed (medians of several runs),
# nothing asserted.
#
# The platform is chosen as tests/run.sh chooses it: the host's /dev/kvm
# when it can run a guest ($O/tools/kvm-probe), otherwise ONE nested L1
# (guests/l1/run.sh: QEMU TCG + kvm-amd) in which this same script runs
# again (L1=1), its output streamed here. BENCH_PLATFORM=host|l1 overrides
# the probe; BENCH_ONLY picks benchmarks (see bench() below). In the L1
# the run counts are cut down to fit TCG's speed (the
# whole run takes about an hour on a 2-core machine, half of it the
# virtio-fs comparison), and QEMU (Debian's
# qemu-system-x86 inside the L1) is measured next to vmm on the same guests
# (tests/bench/peers.py); the keystroke -> echo latency of a shell on
# Debian's stock kernel (tests/bench/echo_latency.py) needs Linux, so it runs
# only where Linux boots (the L1, or a host with VT-x/AMD-V), and so does
# the virtio-blk fio comparison (tests/bench/fio_blk.py), the virtio-net
# and virtio-vsock one (tests/bench/net_vsock.py) and the virtio-fs one
# against virtiofsd (tests/bench/fs_bench.py).
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
O=${O:-build}
case $O in /*) ob=$O ;; *) ob=$PWD/$O ;; esac
VMM=${VMM:-$ob/vmm}
export O VMM

# The previous release, built once from its tag, for peers.py's extra
# column (start-up and RSS before and after a change, in the same run).
build_prev() {
	local ref=${VMM_PREV_REF:-v0.1.0} dir
	[ -z "${VMM_PREV:-}" ] || return 0
	git rev-parse -q --verify "$ref^{commit}" >/dev/null || return 0
	dir=$ob/prev/$ref
	if [ ! -x "$dir/build/vmm" ]; then
		echo "== building $ref for comparison ($dir)"
		rm -rf "$dir" && mkdir -p "$dir/src"
		git archive "$ref" | tar -x -C "$dir/src"
		make -s -C "$dir/src" O="$dir/build" -j"$(nproc)" all >"$dir/build.log" 2>&1 ||
			{ echo "== $ref did not build (log $dir/build.log)"; return 0; }
	fi
	export VMM_PREV=$dir/build/vmm VMM_PREV_REF=$ref
}

host_line() {
	echo "kernel $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
}

# --- the platform --------------------------------------------------------------
if [ -z "${L1:-}" ]; then
	build_prev
	why=$("$ob/tools/kvm-probe" 2>&1) || true
	platform=${BENCH_PLATFORM:-}
	if [ -z "$platform" ]; then
		if [ "$why" = usable ]; then platform=host; else platform=l1; fi
	fi
	case $platform in
	host)
		echo "== platform: host /dev/kvm ($why); host: $(host_line)"
		[ -d /sys/module/kvm_pvm ] &&
			echo "== /dev/kvm is KVM PVM (nested, software virtualization)"
		;;
	l1)
		echo "== platform: nested L1 = QEMU TCG + kvm-amd (host /dev/kvm: ${why:-?}); host: $(host_line)"
		mkdir -p "$ob/bench"
		log=$ob/bench/l1-console.log
		script=$ob/bench/l1-bench.sh
		printf 'cd %q && O=%q exec tests/bench/run.sh\n' "$top" "$O" >"$script"
		start=$SECONDS
		# L1's console is streamed without L1's own kernel lines. Under
		# a busy host a TCG vCPU can be descheduled for tens of seconds:
		# a longer soft-lockup threshold (watchdog_thresh=60: 120 s) keeps
		# that from being taken for a frozen L1 by guests/l1/run.sh.
		# 6 GiB: the virtio-fs comparison keeps a 1 GiB file (and QEMU
		# its 512M memfd) in the L1's RAM; in 4 GiB khugepaged stalled.
		: >"$log"
		# The container benchmark installs vmm in the L1 from this tree
		# (tests/bench/bench_crun.sh), when the runner image is built.
		ct_root=
		if [ -f build/guests/runner/bzImage ] && [ -f build/guests/runner/init ]; then
			ct_root=$ob/bench/ct-root
			rm -rf "$ct_root"
			make -s O="$O" DESTDIR="$ct_root" install >"$ob/bench/ct-install.log" 2>&1 ||
				{ echo "== make install for the container benchmark failed ($ob/bench/ct-install.log)"; ct_root=; }
		fi
		guests/l1/run.sh -q -t 5400 -m 6144M -a 'watchdog_thresh=60' -l "$log" \
			${VMM_PREV:+-e VMM_PREV="$VMM_PREV" -e VMM_PREV_REF="${VMM_PREV_REF:-prev}"} \
			${LINUX_GUEST:+-e LINUX_GUEST="$LINUX_GUEST"} \
			${FIO_RUNS:+-e FIO_RUNS="$FIO_RUNS"} ${FIO_RT:+-e FIO_RT="$FIO_RT"} \
			${NET_RUNS:+-e NET_RUNS="$NET_RUNS"} ${NET_SECS:+-e NET_SECS="$NET_SECS"} \
			${NET_ONLY:+-e NET_ONLY="$NET_ONLY"} ${BENCH_ONLY:+-e BENCH_ONLY="$BENCH_ONLY"} \
			${FS_RUNS:+-e FS_RUNS="$FS_RUNS"} ${FS_MIB:+-e FS_MIB="$FS_MIB"} \
			${FS_RT:+-e FS_RT="$FS_RT"} ${FS_COLS:+-e FS_COLS="$FS_COLS"} \
			${FS_ONLY:+-e FS_ONLY="$FS_ONLY"} ${ct_root:+-e CT_ROOT="$ct_root"} \
			${CT_RUNS:+-e CT_RUNS="$CT_RUNS"} \
			--vmm "$VMM" -- "$script" &
		pid=$!
		tail -n +1 -F --pid=$pid "$log" 2>/dev/null |
			sed -u 's/\r$//' | grep --line-buffered -avE '^\[ *[0-9]+\.[0-9]+\] |^L1_' || true
		rc=0
		wait $pid || rc=$?
		echo "== make bench in the nested L1: $((SECONDS - start)) s wall (L1 boot included), status $rc"
		exit $rc
		;;
	*) echo "tests/bench/run.sh: BENCH_PLATFORM must be host or l1" >&2; exit 2 ;;
	esac
else
	echo "== platform: nested L1 = QEMU TCG + kvm-amd, $(nproc) vCPUs ($(host_line))"
	echo "== everything below is TCG-bound: compare vmm and QEMU as ratios within this run"
	# TCG is slow: fewer, smaller runs (each script prints its counts).
	export RUNS=3 ROUNDS=50 BYTES=4096 MIB=16
	export DOORBELL_ITERATIONS=${DOORBELL_ITERATIONS:-1000}
	export DOORBELL_MODES=${DOORBELL_MODES:-uring adaptive}
fi
echo

t0=$SECONDS
# A benchmark that fails says so and the others still run. BENCH_ONLY (a
# list of script names, e.g. "net_vsock fio_blk") runs only those.
bench() {
	local n=${2##*/}
	n=${n%.*}
	if [ -n "${BENCH_ONLY:-}" ] && [[ " $BENCH_ONLY " != *" $n "* ]]; then return 0; fi
	"$@" || echo "(${*:1:2} failed: status $?)"
	echo
}
bench python3 tests/bench/startup.py "$O/guests/hello.bzImage"
for b in tests/bench/bench_*.sh; do
	[ -f "$b" ] && bench bash "$b"
done
if command -v qemu-system-x86_64 >/dev/null; then
	bench python3 tests/bench/peers.py
else
	echo "== vmm vs QEMU: skipped (qemu-system-x86_64 not installed)"
fi
linux_runs=0
[ -n "${L1:-}" ] && linux_runs=1
grep -qwE 'vmx|svm' /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] && linux_runs=1
if [ $linux_runs = 1 ]; then
	q=$(command -v qemu-system-x86_64 || true)
	bench python3 tests/bench/echo_latency.py ${q:+--qemu "$q"}
	# virtio-blk: fio in the minimal kernel on vmm and QEMU, and the L1's
	# (or host's) own fio on the same image file as the floor.
	bench python3 tests/bench/fio_blk.py ${q:+--qemu "$q"}
	# virtio-net (tap, passt) and virtio-vsock: iperf3 and netpeer.py in
	# the same guest on vmm and on QEMU (userspace and vhost).
	bench python3 tests/bench/net_vsock.py ${q:+--qemu "$q"}
	# virtio-fs: metadata and data workloads on vmm's server, on QEMU with
	# virtiofsd, and on virtio-blk ext4 as the reference.
	bench python3 tests/bench/fs_bench.py ${q:+--qemu "$q"}
else
	echo "== keystroke -> echo: skipped (Linux does not boot on this /dev/kvm; make bench runs it in the nested L1)"
	echo "== virtio-blk fio: skipped (likewise)"
	echo "== virtio-net and virtio-vsock: skipped (likewise)"
	echo "== virtio-fs: skipped (likewise)"
fi
echo "== benchmarks took $((SECONDS - t0)) s"
exit 0
