#!/usr/bin/env bash
# Run the libFuzzer harnesses built by `make FUZZ=1 fuzz-bins`.
#   tests/fuzz/run.sh fuzz|smoke OUT SECONDS TARGET...
# fuzz:  each target for SECONDS against tests/fuzz/corpus/TARGET/; new
#        inputs go to OUT/corpus/TARGET/ (never into the repository).
# smoke: each target first replays its corpus and every input in
#        tests/fuzz/regressions/TARGET/, then fuzzes for SECONDS.
# Crashes, leaks, timeouts and UBSan reports land in OUT/crashes/TARGET/
# and make the run fail. Each target prints its executions and exec/s;
# the lines are also appended to OUT/fuzz-stats.txt.
set -uo pipefail
mode=$1 out=$2 seconds=$3
shift 3
src=tests/fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=()
for t in "$@"; do
	bin=$out/fuzz/fuzz_$t
	work=$out/corpus/$t
	crashes=$out/crashes/$t
	log=$out/logs/$t.log
	mkdir -p "$work" "$crashes" "$(dirname "$log")"
	: >"$log"
	dirs=("$work" "$src/corpus/$t")
	[ -d "$src/regressions/$t" ] && dirs+=("$src/regressions/$t")
	opts=(-error_exitcode=77 -timeout=10 -rss_limit_mb=2048 -max_len=16384
		-artifact_prefix="$crashes/" -print_final_stats=1)
	if [ "$mode" = smoke ] &&
		! nice -n 19 "$bin" "${opts[@]}" -runs=0 "${dirs[@]}" >"$log" 2>&1; then
		echo "fuzz $t: FAILED replaying its corpus and regressions (see $log)"
		failed+=("$t")
		continue
	fi
	# Fuzzing writes new inputs to the first directory only: $work.
	start=$(date +%s)
	nice -n 19 "$bin" "${opts[@]}" -max_total_time="$seconds" \
		"$work" "$src/corpus/$t" >>"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
	line="fuzz $t: ${runs:-?} executions, ${rate:-?} exec/s in $took s"
	if [ $rc -ne 0 ]; then
		line+=" FAILED (status $rc; see $log and $crashes/)"
		failed+=("$t")
	fi
	echo "$line"
	echo "$(date -u +%FT%TZ) $line" >>"$out/fuzz-stats.txt"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: $# target(s) passed"
