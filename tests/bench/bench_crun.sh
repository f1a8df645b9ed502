#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Containers, start to exit: `crun run` of /bin/true and of `echo hi` on a
# busybox bundle, native crun against crun with vmm's handler (the
# workload in a VM of the runner image), the median of CT_RUNS runs (20)
# each; the same through podman (`podman run --rm --rootfs`); then where
# one VM run's time goes, from its guest's kernel log (annotation
# vmm.serial, which also turns the guest's console on: that run pays for
# its console lines, the medians above do not).
#
# Runs where crun, podman and busybox-static are installed and vmm's tree
# to install is in CT_ROOT (make bench passes it to the nested L1, whose
# image has them); as root. Installs that tree onto / (tests/containers/
# lib.sh). Figures only, nothing asserted.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../containers/lib.sh"
runs=${CT_RUNS:-20}
work=/var/tmp/ctbench
r=$work/rootfs

echo "== containers: crun run start to exit, native crun vs crun + vmm handler (median of $runs)"
if [ "$(id -u)" != 0 ] || ! command -v crun >/dev/null || [ -z "${CT_ROOT:-}" ]; then
	echo "   skipped: needs root, crun and CT_ROOT (make bench gives them in the nested L1)"
	exit 0
fi
ct_setup "$work" || { echo "   skipped: $ct_why"; exit 0; }

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# stats FILE: "median p10-p90" of the numbers in FILE.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "-"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		lo = v[int((NR - 1) * 0.1) + 1]; hi = v[int((NR - 1) * 0.9) + 1]
		printf "%d [%d-%d]", m, lo, hi }'
}

# table PREFIX NATIVE-HEADING VMM-HEADING: the two workloads' rows from
# $work/PREFIX-{nat,vmm}-{true,echo}.ms, with vmm's median over native's.
table() {
	local w n v
	printf '   %-10s %22s %22s %7s\n' workload "$2" "$3" ratio
	for w in true echo; do
		n=$(stats "$work/$1-nat-$w.ms") v=$(stats "$work/$1-vmm-$w.ms")
		printf '   %-10s %22s %22s %6sx\n' "$([ $w = true ] && echo /bin/true || echo 'echo hi')" "$n" "$v" \
			"$(awk -v a="${v%% *}" -v b="${n%% *}" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "-" }')"
	done
}

# timed FILE CMD...: CMD's wall time in ms appended to FILE; a failing run
# is reported and not counted.
timed() {
	local f=$1 t0 t1
	shift
	t0=$(now_ms)
	if "$@" >"$work/last.out" 2>"$work/last.err" </dev/null; then
		t1=$(now_ms)
		echo $((t1 - t0)) >>"$f"
	else
		echo "   run failed (status $?): $* :: $(tail -n 1 "$work/last.err")"
	fi
}

mk() { # NAME [bundle.py options] -- ARGS
	local n=$1
	shift
	python3 "$here/../containers/bundle.py" "$work/$n" "$r" "$@" >/dev/null
}
vmm_ann=(--ann run.oci.handler=vmm --kvm)
mk nat-true -- /bin/true && mk nat-echo -- echo hi &&
	mk vmm-true "${vmm_ann[@]}" -- /bin/true && mk vmm-echo "${vmm_ann[@]}" -- echo hi ||
	{ echo "   skipped: bundle.py failed"; exit 0; }

crun_one() { crun run -b "$work/$1" "b-$1" && crun delete -f "b-$1" >/dev/null 2>&1; }
podman_one() {
	local h=()
	[ "$1" = vmm ] && h=(--annotation run.oci.handler=vmm --device /dev/kvm)
	shift
	podman run --rm --network none --rootfs "${h[@]}" "$r" "$@"
}

rm -f "$work"/*.ms
for ((i = 0; i < runs; i++)); do
	for b in nat-true vmm-true nat-echo vmm-echo; do
		timed "$work/crun-$b.ms" crun_one $b
	done
done
table crun "native crun (ms)" "crun + vmm (ms)"

echo "== containers: podman run --rm --rootfs, start to exit (median of $runs)"
if command -v podman >/dev/null; then
	for ((i = 0; i < runs; i++)); do
		timed "$work/pm-nat-true.ms" podman_one nat /bin/true
		timed "$work/pm-vmm-true.ms" podman_one vmm /bin/true
		timed "$work/pm-nat-echo.ms" podman_one nat echo hi
		timed "$work/pm-vmm-echo.ms" podman_one vmm echo hi
	done
	table pm "podman (ms)" "podman + vmm (ms)"
else
	echo "   skipped: podman not installed"
fi

echo "== containers: one crun + vmm run of /bin/true, broken down (its guest's kernel log on)"
mk vmm-log "${vmm_ann[@]}" --ann vmm.serial=/work/bench-serial.log -- /bin/true
t0=$(now_ms)
crun_one vmm-log >/dev/null 2>"$work/log.err" </dev/null
total=$(($(now_ms) - t0))
# The guest's clock (printk times, s) at: the kernel's start (0), /init,
# the workload's exec, its exit, the power-off.
awk -v total="$total" '
	function ts(line) { match(line, /^\[ *[0-9]+\.[0-9]+\]/); return substr(line, 2, RLENGTH - 2) + 0 }
	/Run \/init as init process/ { init = ts($0) }
	/runner: started/ { started = ts($0) }
	/runner: exit/ { exited = ts($0) }
	/reboot: Power down/ { off = ts($0) }
	END {
		if (!off) { print "   no power-off line in the guest kernel log"; exit }
		printf "   start to exit %d ms: outside the guest kernel (crun, VMM set-up before the kernel'"'"'s clock starts, VM teardown) %d ms\n", total, total - off * 1000
		printf "   guest kernel boot to /init %d ms, runner set-up to exec %d ms, workload %d ms, exit to power-off %d ms\n",
			init * 1000, (started - init) * 1000, (exited - started) * 1000, (off - exited) * 1000
	}' "$r/work/bench-serial.log"
crun delete -f b-vmm-log >/dev/null 2>&1
exit 0
