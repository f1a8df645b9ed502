#!/usr/bin/env bash
# Test runner: unit tests (build/tests/unit/test_*), guest tests
# (tests/guest/*.sh, real KVM) and the Linux tier (tests/linux/run.sh, in a
# nested L1). Every test runs under a timeout; exit 0 = pass, 77 = skip,
# anything else = fail. Ends with "N passed, N failed, N skipped".
#   tests/run.sh [unit|guest|linux|all]...
set -u
cd "$(dirname "$0")/.."
O=${O:-build}
case $O in /*) VMM=$O/vmm ;; *) VMM=$PWD/$O/vmm ;; esac
export O VMM
passed=0 failed=0 skipped=0
failures=()
log_dir="$O/test-logs"
mkdir -p "$log_dir"

run_one() { # name timeout cmd...
	local name=$1 limit=$2 rc
	shift 2
	local log="$log_dir/${name//\//_}.log"
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	rc=$?
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name" ;;
	77) skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")" ;;
	*) failed=$((failed + 1)); failures+=("$name")
	   echo "FAIL $name (rc=$rc, log $log)"; tail -n 15 "$log" | sed 's/^/    /' ;;
	esac
}

run_unit() {
	local t
	for t in "$O"/tests/unit/test_*; do
		[ -x "$t" ] || continue
		run_one "unit/$(basename "$t")" 120 "$t"
	done
}

run_guest() {
	local t
	for t in tests/guest/*.sh; do
		[ -f "$t" ] || continue
		run_one "guest/$(basename "$t" .sh)" 300 bash "$t"
	done
}

run_linux() {
	# The Linux tier prints one PASS/FAIL/SKIP line per case.
	local log="$log_dir/linux.log" line
	if [ ! -x tests/linux/run.sh ]; then
		skipped=$((skipped + 1)); echo "SKIP linux: tests/linux/run.sh missing"; return
	fi
	timeout --kill-after=10 1500 tests/linux/run.sh >"$log" 2>&1
	local rc=$?
	while read -r line; do
		case $line in
		PASS\ *) passed=$((passed + 1)); echo "$line" ;;
		FAIL\ *) failed=$((failed + 1)); failures+=("${line#FAIL }"); echo "$line" ;;
		SKIP\ *) skipped=$((skipped + 1)); echo "$line" ;;
		esac
	done < <(grep -E '^(PASS|FAIL|SKIP) ' "$log")
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$log"; then
		if [ $rc = 77 ]; then skipped=$((skipped + 1)); echo "SKIP linux: $(tail -n 1 "$log")"
		else failed=$((failed + 1)); failures+=(linux); echo "FAIL linux (rc=$rc, log $log)"; tail -n 20 "$log" | sed 's/^/    /'; fi
	fi
}

[ $# -eq 0 ] && set -- all
for what in "$@"; do
	case $what in
	unit) run_unit ;;
	guest) run_guest ;;
	linux) run_linux ;;
	all) run_unit; run_guest; run_linux ;;
	*) echo "usage: $0 [unit|guest|linux|all]..." >&2; exit 2 ;;
	esac
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
