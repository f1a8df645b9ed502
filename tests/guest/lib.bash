# tests/guest/lib.bash: helpers shared by the guest tests (tests/guest/*.sh).
# Source it; it is not a test itself (tests/run.sh only runs *.sh).
#
#   need_kvm                  skip (exit 77) unless /dev/kvm opens read-write
#   need_vmm                  skip unless $VMM is an executable file (make)
#   need_file PATH...         skip unless each file exists (make guests)
#   vmm_run NAME LIMIT ARGS   run $VMM ARGS under `timeout LIMIT` with the
#                             console in $TMP/NAME.log (--serial file:,
#                             unless ARGS has its own --serial) and
#                             stderr in $TMP/NAME.err; sets RC, LOG, ERR, CMD
#   expect_status NAME WANT   record a failure unless RC == WANT
#   expect_log NAME ERE...    record a failure unless each ERE matches LOG
#   expect_no_log NAME ERE    record a failure if ERE matches LOG
#   finish                    print the summary; exit 0 or 1
#
# Chain a case's checks with && so that it fails (and counts) once:
#   vmm_run x 20 --kernel K ... && true
#   expect_status x 0 && expect_log x '^SUCCESS$' && pass x
# A failure prints the exact command, the status and the tails of the
# transcript and of stderr, so it can be rerun by hand.
# Environment: O (build dir, default build), VMM (default $O/vmm),
# VMM_TEST_IO_LOOP (auto|uring|epoll: every VM of the tier runs on that io
# loop, vmm --io-loop=...; make test-guest-epoll sets epoll).

set -u
GT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
O=${O:-build}
case $O in /*) ;; *) O=$GT_ROOT/$O ;; esac
VMM=${VMM:-$O/vmm}
GUESTS=$O/guests
TMP=$(mktemp -d "${TMPDIR:-/tmp}/guest-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# VMM_TEST_IO_LOOP: $VMM becomes a wrapper that gives every VM run (its
# first argument an option) --io-loop; subcommands (ctl, top, bench) and
# the process itself (exec: same pid, signals, pty) are left as they are.
if [ -n "${VMM_TEST_IO_LOOP:-}" ]; then
	case $VMM_TEST_IO_LOOP in
	auto | uring | epoll) ;;
	*) echo "VMM_TEST_IO_LOOP must be auto, uring or epoll" >&2; exit 2 ;;
	esac
	cat >"$TMP/vmm" <<WRAP
#!/bin/sh
case "\${1:-}" in
-*) exec "$VMM" --io-loop=$VMM_TEST_IO_LOOP "\$@" ;;
esac
exec "$VMM" "\$@"
WRAP
	chmod +x "$TMP/vmm"
	VMM=$TMP/vmm
fi
GT_FAILED=0
GT_CASES=0
GT_CASE_FAILED=()
RC=0 LOG= ERR= CMD=

skip() {
	echo "SKIP: $*"
	exit 77
}

need_kvm() {
	[ -e /dev/kvm ] || skip "/dev/kvm does not exist"
	{ exec 9<>/dev/kvm; } 2>/dev/null || skip "/dev/kvm is not accessible"
	exec 9>&-
}

need_vmm() {
	[ -f "$VMM" ] && [ -x "$VMM" ] ||
		skip "$VMM is not an executable file (run make)"
}

need_file() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || skip "$f is missing (run make and make guests)"
	done
}

# vmm_start NAME LIMIT ARGS...: vmm in the background under timeout, serial
# into $LOG, stderr into $ERR; vmm_wait then sets RC. vmm_run does both.
vmm_start() {
	local name=$1 limit=$2 serial a
	shift 2
	LOG=$TMP/$name.log
	ERR=$TMP/$name.err
	: >"$LOG"
	# --serial takes one value: a case that gives its own keeps it.
	serial=(--serial "file:$LOG")
	for a in "$@"; do
		case $a in --serial | --serial=* | -s*) serial=() ;; esac
	done
	CMD="timeout --kill-after=5 $limit $VMM ${serial[*]} $*"
	timeout --kill-after=5 "$limit" "$VMM" ${serial[@]+"${serial[@]}"} \
		"$@" 2>"$ERR" </dev/null &
	VMM_PID=$!
}

vmm_wait() {
	wait "$VMM_PID"
	RC=$?
	GT_CASES=$((GT_CASES + 1))
}

vmm_run() {
	vmm_start "$@"
	vmm_wait
}

# Print everything needed to reproduce and understand a failed case.
gt_fail() {
	local name=$1
	shift
	echo "FAIL $name: $*"
	echo "    command: $CMD"
	echo "    status:  $RC"
	if [ -s "$LOG" ]; then
		echo "    transcript (last 15 lines):"
		tail -n 15 "$LOG" | sed 's/^/      | /'
	else
		echo "    transcript: (empty)"
	fi
	if [ -s "$ERR" ]; then
		echo "    stderr (last 10 lines):"
		tail -n 10 "$ERR" | sed 's/^/      | /'
	fi
	GT_FAILED=$((GT_FAILED + 1))
	GT_CASE_FAILED+=("$name")
}

expect_status() {
	local name=$1 want=$2
	if [ "$RC" -ne "$want" ]; then
		gt_fail "$name" "exit status $RC, expected $want"
		return 1
	fi
	return 0
}

expect_log() {
	local name=$1 re
	shift
	for re in "$@"; do
		if ! grep -qE -- "$re" "$LOG"; then
			gt_fail "$name" "transcript lacks /$re/"
			return 1
		fi
	done
	return 0
}

expect_no_log() {
	local name=$1 re=$2
	if grep -qE -- "$re" "$LOG"; then
		gt_fail "$name" "transcript has /$re/:" \
			"$(grep -m1 -E -- "$re" "$LOG")"
		return 1
	fi
	return 0
}

# A passing case prints one line, so the log shows what ran.
pass() {
	echo "ok   $1"
}

finish() {
	echo "$((GT_CASES - GT_FAILED)) of $GT_CASES cases passed"
	if [ "$GT_FAILED" -ne 0 ]; then
		echo "failed: ${GT_CASE_FAILED[*]}"
		exit 1
	fi
	exit 0
}

# FNV-1a (32-bit) of a file, as guests/hello computes it, in hex.
fnv1a() {
	python3 - "$1" <<'PY'
import sys
h = 0x811c9dc5
with open(sys.argv[1], "rb") as f:
    for b in f.read():
        h = ((h ^ b) * 0x01000193) & 0xffffffff
print("%08x" % h)
PY
}
