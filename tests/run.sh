#!/usr/bin/env bash
# Test runner: unit tests (build/tests/unit/test_*), guest tests
# (tests/guest/*.sh, real KVM), the Linux tier (tests/linux/run.sh, in a
# nested L1) and the container tier (tests/containers/run.sh: crun and
# podman through the crun handler, in a nested L1). Every test runs under a timeout; exit 0 = pass, 77 = skip,
# anything else = fail. Ends with "N passed, N failed, N skipped", after
# the reason of every skip.
#   tests/run.sh [unit|guest|linux|containers|all]...
#
# The platform is chosen once per run: the host's /dev/kvm when it can run
# a guest ($O/tools/kvm-probe), otherwise the nested L1 (guests/l1/run.sh,
# QEMU TCG with kvm-amd). On the L1 platform the guest tier and the unit
# tests that skipped for want of KVM run in ONE L1 boot, by this same
# script inside it (L1=1), and their results are counted here.
# VMM_TEST_PLATFORM=host|l1 overrides the probe.
set -u
cd "$(dirname "$0")/.."
top=$PWD
O=${O:-build}
case $O in /*) VMM=$O/vmm ;; *) VMM=$PWD/$O/vmm ;; esac
export O VMM
passed=0 failed=0 skipped=0
failures=() skips=()
log_dir="$O/test-logs"
mkdir -p "$log_dir"

# --- platform --------------------------------------------------------------------
probe_platform() {
	local probe=$O/tools/kvm-probe why
	if [ -n "${L1:-}" ]; then
		why="the L1's own" # no probe: the L1 is the platform already
	elif [ -x "$probe" ]; then
		why=$("$probe" 2>&1)
	else
		why="$probe not built"
	fi
	host_kvm=${why:-no answer}
	case ${VMM_TEST_PLATFORM:-} in
	host | l1) platform=$VMM_TEST_PLATFORM ;;
	'') if [ "$why" = usable ] || [ -n "${L1:-}" ]; then platform=host; else platform=l1; fi ;;
	*) echo "tests/run.sh: VMM_TEST_PLATFORM must be host or l1" >&2; exit 2 ;;
	esac
	if [ -n "${L1:-}" ]; then
		platform_name="nested L1 (QEMU TCG + kvm-amd, $(nproc) vCPUs)"
	elif [ $platform = host ]; then
		platform_name="host /dev/kvm"
	else
		platform_name="nested L1 (host /dev/kvm: $host_kvm)"
	fi
}
probe_platform
l1_units=() l1_guests=()

# count_results: count and echo the PASS/FAIL/SKIP lines another runner
# printed (an L1 run, the Linux tier), and echo its indented details.
count_results() {
	local line
	while IFS= read -r line; do
		case $line in
		PASS\ *) passed=$((passed + 1)); echo "$line" ;;
		FAIL\ *) failed=$((failed + 1)); failures+=("${line#FAIL }"); echo "$line" ;;
		SKIP\ *) skipped=$((skipped + 1)); skips+=("${line#SKIP }"); echo "$line" ;;
		RETRY\ *) echo "$line" ;;
		"    "*) echo "$line" ;;
		esac
	done
}

# dump_tree PID: every thread of PID and of its descendants, as the kernel
# sees it (state, wait channel, syscall, kernel stack): for a test that is
# about to hit its time limit.
dump_tree() {
	local p=$1 t c
	for t in /proc/"$p"/task/*; do
		[ -d "$t" ] || continue
		echo "THREAD $p/${t##*/} $(cat "$t/comm" 2>/dev/null)" \
			"state=$(awk '/^State/ { print $2 }' "$t/status" 2>/dev/null)" \
			"wchan=$(cat "$t/wchan" 2>/dev/null)" \
			"syscall=$(cut -d' ' -f1-4 "$t/syscall" 2>/dev/null)"
		sed 's/^/    /' "$t/stack" 2>/dev/null
		for c in $(cat "$t/children" 2>/dev/null); do dump_tree "$c"; done
	done
}

# limited LIMIT LOG CMD...: CMD under `timeout`, its output in LOG; 3 s
# before the limit the threads of whatever still runs are appended to LOG.
limited() {
	local limit=$1 log=$2 pid n=0
	shift 2
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ $n = $(((limit - 3) * 5)) ]; then
			{ echo "--- threads $((limit - 3)) s after the start:"; dump_tree "$pid"; } >>"$log" 2>&1
		fi
		sleep 0.2 & wait $!
		n=$((n + 1))
	done
	wait "$pid"
}

run_one() { # name timeout cmd...
	local name=$1 limit=$2 rc t0=$SECONDS
	shift 2
	local log="$log_dir/${name//\//_}.log"
	limited "$limit" "$log" "$@"
	rc=$?
	# In the nested L1 (QEMU TCG emulating SVM) an L2 test guest has,
	# rarely, hit a SHUTDOWN (triple fault: KVM resets it, hence rip
	# 0xfff0) or stopped making progress (a hello guest silent for 120 s,
	# once in a CI run; 80 runs in a row did not repeat it), which no
	# real host has shown: run such a script again, up to twice (these
	# faults have come in pairs: the L1 a retry gets can be as unwell),
	# and say so.
	local try
	for try in first second; do
		[ $rc != 0 ] && [ $rc != 77 ] && [ -n "${L1:-}" ] || break
		local why=
		if grep -q 'triple fault at rip 0xfff0' "$log"; then
			why="an L2 guest triple-faulted in the nested L1"
		elif grep -qE 'had not ended after|still running after' "$log"; then
			why="an L2 guest stopped making progress in the nested L1"
		elif [ $rc = 124 ] || [ $rc = 137 ]; then
			why="it hit its time limit in the nested L1"
		fi
		[ -n "$why" ] || break
		mv "$log" "$log.$try"
		echo "RETRY $name: $why ($try log $log.$try)"
		sed -n '/^--- threads/,$p' "$log.$try" | head -n 60 | sed 's/^/    /'
		limited "$limit" "$log" "$@"
		rc=$?
	done
	case $rc in
	0) passed=$((passed + 1)); echo "PASS $name ($((SECONDS - t0)) s)" ;;
	77) skipped=$((skipped + 1)); skips+=("$name: $(tail -n 1 "$log")")
	    echo "SKIP $name: $(tail -n 1 "$log")" ;;
	*) failed=$((failed + 1)); failures+=("$name")
	   echo "FAIL $name (rc=$rc after $((SECONDS - t0)) s, log $log)"
	   tail -n 15 "$log" | sed 's/^/    /' ;;
	esac
}

# On the L1 platform a unit test that skips here (it needs KVM) is run
# again in the L1 rather than counted.
run_unit() {
	local t rc names=("$@") whole=0
	# The whole tier (not a named few): the layers and library checks too.
	[ ${#names[@]} -gt 0 ] || { names=("$O"/tests/unit/test_*); whole=1; }
	[ -z "${L1:-}" ] || whole=0
	echo "unit tier: $platform_name"
	for t in "${names[@]}"; do
		t=$O/tests/unit/$(basename "$t")
		[ -x "$t" ] || continue
		if [ $platform = l1 ] && [ -z "${L1:-}" ]; then
			timeout --kill-after=10 120 "$t" >"$log_dir/unit_${t##*/}.log" 2>&1
			rc=$?
			if [ $rc = 77 ]; then
				l1_units+=("${t##*/}")
				echo "L1   unit/${t##*/}: $(tail -n 1 "$log_dir/unit_${t##*/}.log")"
				continue
			fi
		fi
		# 32 VMs at once, three times over, take minutes under ASan
		# and TSan (192 and 246 s in a busy L1).
		case ${t##*/} in
		test_load_vms) run_one "unit/$(basename "$t")" 600 "$t" ;;
		*) run_one "unit/$(basename "$t")" 120 "$t" ;;
		esac
	done
	[ $whole = 1 ] || return 0
	# The library's layers only point down (README, Layout).
	run_one "layers" 60 tools/check-layers.sh
	# libvmm installed, exported, compiled against (no KVM needed); it also
	# builds the consumer program tests/guest/libvmm.sh runs.
	count_results < <(SAN_FLAGS=${SAN_FLAGS:-} timeout 300 \
			tests/lib/build.sh "$O" 2>&1 | tee "$log_dir/lib.log" |
			grep -E '^(PASS|FAIL) |^    ')
}

# run_guest [SCRIPT...]: tests/guest/*.sh, or only the named ones (the
# retry of an L1 that froze). One at a time: in the nested L1 one script
# already keeps both host cores busy through MTTCG.
run_guest() {
	local t names=("$@")
	[ ${#names[@]} -gt 0 ] || names=(tests/guest/*.sh)
	if [ $platform = l1 ] && [ -z "${L1:-}" ]; then
		for t in "${names[@]}"; do l1_guests+=("$(basename "$t" .sh)"); done
		return
	fi
	echo "guest tier: $platform_name"
	for t in "${names[@]}"; do
		t=tests/guest/$(basename "$t" .sh).sh
		[ -f "$t" ] || continue
		run_one "guest/$(basename "$t" .sh)" 300 bash "$t"
	done
}

# The unit tests that need KVM and the guest tier, in one L1 boot: this
# script runs inside it and its PASS/FAIL/SKIP lines are counted here.
# Should the L1 freeze (guests/l1/run.sh exits 126: QEMU TCG's emulated
# SVM, not vmm), what it had not finished runs once more in a fresh L1.
run_in_l1() {
	local units=(${l1_units[@]+"${l1_units[@]}"}) guests=(${l1_guests[@]+"${l1_guests[@]}"})
	local label=(${units[@]+"${units[@]/#/unit/}"}) try name
	[ ${#units[@]} -gt 0 ] || [ ${#guests[@]} -gt 0 ] || return 0
	l1_units=() l1_guests=()
	[ ${#guests[@]} -gt 0 ] && label+=("guest tier")
	echo "${label[*]}: $platform_name"
	# The L1's parts are cached; this only builds what is missing or stale.
	if ! guests/l1/build.sh build/guests/l1 >"$log_dir/l1-build.log" 2>&1; then
		failed=$((failed + 1)); failures+=(l1)
		echo "FAIL l1: guests/l1/build.sh failed (log $log_dir/l1-build.log)"
		tail -n 5 "$log_dir/l1-build.log" | sed 's/^/    /'
		return
	fi
	for try in 1 2; do
		l1_boot $try && break
		# Froze: keep what it did not report.
		local left_u=() left_g=()
		for name in ${units[@]+"${units[@]}"}; do
			grep -qE "^(PASS|FAIL|SKIP) unit/$name( |:|$)" "$l1_done" || left_u+=("$name")
		done
		for name in ${guests[@]+"${guests[@]}"}; do
			grep -qE "^(PASS|FAIL|SKIP) guest/$name( |:|$)" "$l1_done" || left_g+=("$name")
		done
		units=(${left_u[@]+"${left_u[@]}"}) guests=(${left_g[@]+"${left_g[@]}"})
		[ ${#units[@]} -gt 0 ] || [ ${#guests[@]} -gt 0 ] || break
		if [ $try = 1 ]; then
			echo "note: the L1 froze (QEMU TCG); running ${units[*]} ${guests[*]} again in a fresh L1"
		else
			for name in ${units[@]+"${units[@]/#/unit/}"} ${guests[@]+"${guests[@]/#/guest/}"}; do
				failed=$((failed + 1)); failures+=("$name")
				echo "FAIL $name: did not finish, the L1 froze twice"
			done
		fi
	done
}

# l1_boot TRY: one L1 running $units and $guests; counts what it reports,
# leaves those lines in $l1_done. Returns 0 unless the L1 froze.
l1_boot() {
	local log=$log_dir/l1-tier.$1.log script=$log_dir/l1-tier.sh rc what=()
	[ ${#units[@]} -gt 0 ] && what+=("units:$(IFS=,; echo "${units[*]}")")
	[ ${#guests[@]} -gt 0 ] && what+=("guests:$(IFS=,; echo "${guests[*]}")")
	# The guest tier's io loop (tests/guest/lib.bash) goes along.
	printf 'cd %q && O=%q VMM_TEST_IO_LOOP=%q exec tests/run.sh %s\n' "$top" "$O" \
		"${VMM_TEST_IO_LOOP:-}" "${what[*]}" >"$script"
	guests/l1/run.sh -q -t 2700 -l "$log" --vmm "$VMM" -- "$script" \
		>"$log_dir/l1-tier.out" 2>&1
	rc=$?
	l1_done=$log_dir/l1-tier.$1.results
	tr -d '\r' <"$log" | grep -E '^(PASS|FAIL|SKIP|RETRY) |^    ' >"$l1_done"
	count_results <"$l1_done"
	[ $rc = 126 ] && return 1
	if [ $rc != 0 ] && ! tr -d '\r' <"$log" | grep -qE '^[0-9]+ passed, [0-9]+ failed'; then
		failed=$((failed + 1)); failures+=(l1)
		echo "FAIL l1: the L1 run ended early (rc=$rc, console log $log)"
		tail -n 5 "$log_dir/l1-tier.out" | sed 's/^/    /'
	fi
	return 0
}

# run_tier NAME SCRIPT LIMIT: a tier that boots its own nested L1 and
# prints one PASS/FAIL/SKIP line per case (then indented details).
run_tier() {
	local name=$1 script=$2 limit=$3 log="$log_dir/$1.log" rc
	if [ ! -x "$script" ]; then
		skipped=$((skipped + 1)); echo "SKIP $name: $script missing"; return
	fi
	timeout --kill-after=10 "$limit" "$script" >"$log" 2>&1
	rc=$?
	count_results < <(grep -E '^(PASS|FAIL|SKIP) |^    ' "$log")
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$log"; then
		if [ $rc = 77 ]; then skipped=$((skipped + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
		else failed=$((failed + 1)); failures+=("$name"); echo "FAIL $name (rc=$rc, log $log)"; tail -n 20 "$log" | sed 's/^/    /'; fi
	fi
}

run_linux() {
	echo "linux tier: nested L1 (QEMU TCG + kvm-amd; Linux guests always boot there)"
	run_tier linux tests/linux/run.sh 3000
}

run_containers() {
	echo "container tier: nested L1 (QEMU TCG + kvm-amd), Debian's crun and podman"
	run_tier containers tests/containers/run.sh 2600
}

[ $# -eq 0 ] && set -- all
for what in "$@"; do
	case $what in
	unit) run_unit ;;
	units:*) IFS=, read -ra u <<<"${what#units:}"; run_unit "${u[@]}" ;;
	guests:*) IFS=, read -ra u <<<"${what#guests:}"; run_guest "${u[@]}" ;;
	guest) run_guest ;;
	linux) run_in_l1; run_linux ;;
	containers) run_in_l1; run_containers ;;
	all) run_unit; run_guest; run_in_l1; run_linux; run_containers ;;
	*) echo "usage: $0 [unit|guest|linux|containers|all|units:T,..|guests:S,..]..." >&2; exit 2 ;;
	esac
done
run_in_l1
if [ ${#skips[@]} -gt 0 ]; then
	echo "skipped:"
	printf '  %s\n' "${skips[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
