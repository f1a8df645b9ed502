#!/bin/bash
# guests/l1/run.sh [options] -- SCRIPT : run SCRIPT inside a nested L1 with KVM.
#
# Boots `qemu-system-x86_64 -M q35 -accel tcg -cpu max` (TCG emulates AMD
# SVM) with Debian's generic kernel (guests/l1/build.sh; its decompressed PVH
# vmlinux if there, else vmlinuz; $L1_KERNEL overrides), its small initramfs
# (base.cpio) and two disks:
#   - the L1 root, a Debian system on virtio-blk (root.img, snapshot=on: L1's
#     writes are discarded), with bash, python3, socat, QEMU, ...;
#   - this checkout, shared over virtio-9p read-write and mounted in L1 at
#     the same path as here, so builds, guest images and test scripts are
#     used in place and logs written in L1 land here.
# L1 loads kvm-amd, waits for /dev/kvm and runs SCRIPT with bash from a run
# directory made for it under the L1 build folder, holding the guest files
# given with -f in guest/ (also /guest in L1); $VMM is the VMM binary. Then it
# prints "L1_RESULT rc=N" and powers off (guests/l1/init.sh, stage2.sh).
# Everything L1 prints on its serial console is written to the log file (and
# streamed to stdout unless -q); this script exits with N, or with
#   124  the overall timeout expired (QEMU killed)
#   125  L1 ended without a result line (crash, no /dev/kvm, ...; see the log)
#   126  L1 froze (a soft lockup / RCU stall in its log, or its console
#        silent for 180 s, heartbeat included: a QEMU TCG problem), stopped
#   2    usage error or missing parts (qemu, the L1 build, the VMM)
# Inside L1, SCRIPT must wrap every VMM run in `timeout`: a VMM that misses the
# guest's power-off would otherwise hang until the overall timeout.
#
# Options:
#   -f FILE[:NAME]   copy FILE to guest/NAME (NAME defaults to basename)
#   -e VAR=VALUE     export VAR in L1 (repeatable)
#   -t SECONDS       overall timeout for QEMU (default 600)
#   -l LOGFILE       L1 console log (default build/guests/l1/last-run.log)
#   -m MEM           L1 memory (default 4096M)
#   -s CPUS          L1 vCPUs (default $L1_CPUS, else 3: one more than the
#                    widest L2 of the tests; an L1 no wider than an L2 that
#                    keeps all of its vCPUs busy froze, see README "Testing")
#   -a ARGS          extra L1 kernel command line arguments
#   -q               do not stream the console to stdout
#   -i               interactive: console on this terminal (-serial mon:stdio,
#                    Ctrl-A X quits QEMU), no log; exit status is QEMU's
#   --vmm PATH       the VMM binary (default $VMM or build/vmm)
#   --l1 DIR         output of guests/l1/build.sh (default build/guests/l1)
#   --single-thread  one TCG thread instead of MTTCG (for experiments only:
#                    measured here, L2 then never printed anything in 60 s)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/../linux/lib.sh"

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
	exit 2
}

files=() envs=() timeout_s=600 log="" mem=4096M cpus=${L1_CPUS:-3} extra_args='' quiet=0 interactive=0
vmm=${VMM:-$top/build/vmm} l1dir=$top/build/guests/l1 tcg=tcg,thread=multi
while [ $# -gt 0 ]; do
	case $1 in
	-f) files+=("$2"); shift 2 ;;
	-e) envs+=("$2"); shift 2 ;;
	-t) timeout_s=$2; shift 2 ;;
	-l) log=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-s) cpus=$2; shift 2 ;;
	-a) extra_args=$2; shift 2 ;;
	-q) quiet=1; shift ;;
	-i) interactive=1; shift ;;
	--vmm) vmm=$2; shift 2 ;;
	--l1) l1dir=$2; shift 2 ;;
	--single-thread) tcg=tcg,thread=single; shift ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown option '$1'" >&2; usage ;;
	esac
done
[ $# -eq 1 ] || usage
script=$1

fail() { echo "l1/run.sh: error: $*" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
	fail "qemu-system-x86_64 not found; apt-get install -y qemu-system-x86"
[ -f "$l1dir/vmlinuz" ] && [ -f "$l1dir/base.cpio" ] && [ -f "$l1dir/root.img" ] ||
	fail "L1 kernel/initramfs/root image missing in $l1dir; run guests/l1/build.sh $l1dir"
l1dir=$(cd "$l1dir" && pwd)
case $l1dir/ in "$top"/*) ;; *) fail "the L1 folder $l1dir must be inside the checkout $top (shared with L1)" ;; esac
# The decompressed PVH vmlinux boots ~3 s faster under TCG than vmlinuz.
kernel=${L1_KERNEL:-$l1dir/vmlinuz}
[ -z "${L1_KERNEL:-}" ] && [ -f "$l1dir/vmlinux" ] && kernel=$l1dir/vmlinux
[ -x "$vmm" ] || fail "VMM binary '$vmm' missing; build it first (make)"
[ -f "$script" ] || fail "script '$script' not found"

# --- the run directory, in the shared checkout -----------------------------------------
mkdir -p "$l1dir/runs"
run=$(mktemp -d "$l1dir/runs/run.XXXXXX")
qpid='' tailpid=''
cleanup() {
	[ -n "$tailpid" ] && kill "$tailpid" 2>/dev/null
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$run/guest"
vmm=$(cd "$(dirname "$vmm")" && pwd)/$(basename "$vmm")
case $vmm in "$top"/*) ;; *) cp "$vmm" "$run/vmm" && vmm=$run/vmm ;; esac
{
	printf 'export VMM=%q\n' "$vmm"
	for e in ${envs[@]+"${envs[@]}"}; do
		[[ $e == [A-Za-z_]*=* ]] || fail "-e wants VAR=VALUE, not '$e'"
		printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
	done
} >"$run/env"
for spec in ${files[@]+"${files[@]}"}; do
	src=${spec%%:*} name=${spec#*:}
	[ "$name" != "$spec" ] || name=$(basename "$src")
	[ -f "$src" ] || fail "guest file '$src' not found"
	ln "$src" "$run/guest/$name" 2>/dev/null || cp "$src" "$run/guest/$name"
done
install -m 755 "$script" "$run/test.sh"

# --- QEMU -----------------------------------------------------------------------------
# quiet: fewer console bytes through TCG; mitigations=off: less work per
# syscall and context switch in L1 (and L2's exits through it).
# watchdog_thresh=30 and rcu_cpu_stall_timeout=60: L1 reports a soft
# lockup or an RCU stall only after 60 s; on a loaded host TCG's vCPU
# threads starve for 20+ s (RCU's default limit is 21 s) without L1 being
# frozen (a frozen L1 stays stuck for minutes).
append="console=ttyS0 quiet panic=-1 mitigations=off nokaslr watchdog_thresh=30"
append+=" rcupdate.rcu_cpu_stall_timeout=60"
append+=" l1.top=$top l1.run=$run $extra_args"
qemu=(qemu-system-x86_64 -M q35 -accel "$tcg" -cpu max -m "$mem" -smp "$cpus"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel" -initrd "$l1dir/base.cpio" -append "$append"
	-drive "file=$l1dir/root.img,if=none,id=root,format=raw,snapshot=on"
	-device virtio-blk-pci,drive=root
	-fsdev "local,id=top,path=$top,security_model=none"
	-device virtio-9p-pci,fsdev=top,mount_tag=top)

if [ $interactive = 1 ]; then
	"${qemu[@]}" -append "$append l1.tty=1" -serial mon:stdio
	exit
fi

log=${log:-$l1dir/last-run.log}
mkdir -p "$(dirname "$log")"
: >"$log"
start=$(date +%s)
timeout -k 10 "$timeout_s" "${qemu[@]}" -serial "file:$log" </dev/null \
	>"$run/qemu.out" 2>&1 &
qpid=$!
if [ $quiet = 0 ]; then
	tail -n +1 -f --pid=$qpid "$log" &
	tailpid=$!
fi
# L1's own kernel reporting a soft lockup or an RCU stall may mean the
# nested L1 (QEMU TCG emulating SVM) froze, or only that the host starved
# its vCPU threads for a while. Frozen = such a report and then no line of
# job output for 150 s (every job prints more often than that: a test
# script or Linux case is stopped by its own timeout well before). Job
# output is any line that is not L1's own kernel's ("[  12.345678] ...")
# nor its heartbeat; the L2 lines the Linux tier relays start with
# "[case:stream]".
kernel_line='^\[ *[0-9]+\.[0-9]+\] '
stall_reports() {
	grep -acE "$kernel_line(watchdog: BUG: soft lockup|rcu: INFO: rcu_(preempt|sched) detected stalls)" "$log" || true
}
job_lines() { grep -acvE "$kernel_line|^L1_ALIVE " "$log" || true; }
# A frozen L1 may not even log a lockup. Its stage 2 prints L1_ALIVE
# every 30 s while the tests run, whatever they print or not: 180 s
# without a byte on its console is a frozen L1 (the limit was 600 s
# before the heartbeat, and a freeze cost CI ten minutes).
console_silent() {
	[ $(($(date +%s) - $(stat -c %Y "$log"))) -gt 180 ]
}
stalled=0 stall_since='' stall_lines=0 reports_seen=0
while kill -0 $qpid 2>/dev/null; do
	now=$(date +%s) reports=$(stall_reports)
	if [ "$reports" -gt $reports_seen ]; then
		reports_seen=$reports
		[ -n "$stall_since" ] || stall_since=$now stall_lines=$(job_lines)
	elif [ -n "$stall_since" ] && [ "$(job_lines)" != "$stall_lines" ]; then
		stall_since='' # it moved on: starved for a while, not frozen
	fi
	if console_silent || { [ -n "$stall_since" ] && [ $((now - stall_since)) -gt 150 ]; }; then
		stalled=1
		kill $qpid 2>/dev/null || true
		pkill -P $qpid 2>/dev/null || true
		break
	fi
	sleep 1
done
set +e
wait $qpid
qrc=$?
set -e
qpid=''
if [ -n "$tailpid" ]; then
	wait "$tailpid" 2>/dev/null || true
	tailpid=
fi
elapsed=$(($(date +%s) - start))

result=$(tr -d '\r' <"$log" | sed -n 's/^L1_RESULT rc=\([0-9]\{1,\}\).*/\1/p' | tail -n1)
if [ $stalled = 1 ]; then
	echo "l1/run.sh: L1 FROZE (a soft lockup / RCU stall and no job output for 150 s since, or a console silent for 180 s, after ${elapsed} s); log: $log" >&2
	exit 126
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "l1/run.sh: TIMEOUT: L1 did not finish within ${timeout_s} s; log: $log" >&2
	exit 124
fi
if [ -z "$result" ]; then
	echo "l1/run.sh: L1 ended (qemu rc=$qrc after ${elapsed} s) without an L1_RESULT line; log: $log" >&2
	sed 's/^/qemu: /' "$run/qemu.out" >&2
	tail -n 20 "$log" | sed 's/^/L1: /' >&2
	exit 125
fi
echo "l1/run.sh: L1 finished in ${elapsed} s, script rc=$result (log: $log)" >&2
exit "$result"
