#!/usr/bin/env bash
# vmm bench doorbell: every --notify mode with a small iteration count.
# Checks that the run completes (status 0), that the JSON is well-formed
# and complete (every test, every sample, summaries in order), that every
# sample is positive and finite, that the table and the SVG come out, and
# that bad options are usage errors. No timing thresholds: the figures
# themselves are never compared with anything.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/doorbell.bzImage" "$GUESTS/doorbell.elf"

ITER=60
SMALL=(--iterations "$ITER" --warmup 10 --rounds 2 --idle-ms 20
	--timeout-ms 5000)

# bench_run NAME LIMIT ARGS: like vmm_run, for the subcommand (whose
# argv[1] must be "bench"); stdout in $LOG, stderr in $ERR.
bench_run() {
	local name=$1 limit=$2
	shift 2
	LOG=$TMP/$name.out
	ERR=$TMP/$name.err
	CMD="timeout --kill-after=5 $limit $VMM bench doorbell $*"
	timeout --kill-after=5 "$limit" "$VMM" bench doorbell "$@" \
		>"$LOG" 2>"$ERR" </dev/null
	RC=$?
	GT_CASES=$((GT_CASES + 1))
}

# check_json NAME TESTS: the JSON in $LOG has exactly TESTS (keys), each
# with $ITER positive raw samples and ordered, finite summaries.
check_json() {
	local name=$1 tests=$2 out
	out=$(python3 - "$LOG" "$ITER" "$tests" 2>&1 <<'PY'
import json, math, sys
doc = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
want = sys.argv[3].split(",")
tests = doc["tests"]
assert sorted(tests) == sorted(want), f"tests {sorted(tests)} != {want}"
def finite(x):
    return isinstance(x, (int, float)) and math.isfinite(x)
for key, t in tests.items():
    assert t["samples"] == n, f"{key}: {t['samples']} samples"
    raw = t["raw_cycles"]
    assert len(raw) == n, f"{key}: {len(raw)} raw samples"
    assert all(isinstance(v, int) and v > 0 for v in raw), f"{key}: raw"
    for unit in ("ns", "cycles"):
        s = t[unit]
        seq = [s[k] for k in ("min", "p50", "p90", "p99", "p99_9", "max")]
        assert all(finite(v) and v > 0 for v in seq), f"{key} {unit}: {s}"
        assert seq == sorted(seq), f"{key} {unit}: not ordered: {seq}"
        assert finite(s["mean"]) and seq[0] <= s["mean"] <= seq[-1]
    assert t["cycles"]["max"] == max(raw) and t["cycles"]["min"] == min(raw)
    assert t["timeouts"] == 0, f"{key}: timeouts"
    assert 0 <= t["kicks"] <= n
    assert finite(t["io_cpu_pct"]) and t["io_cpu_pct"] >= 0
    if "floor" in tests:
        r = t["ratio_to_floor"]
        assert finite(r["p50"]) and r["p50"] > 0, f"{key}: ratio {r}"
    for part in ("to_device_ns", "to_guest_ns"):
        if part in t:
            assert all(finite(t[part][k]) and t[part][k] > 0
                       for k in ("p50", "p99", "max")), f"{key}: {part}"
assert finite(doc["idle"]["io_cpu_pct"]) and doc["idle"]["ms"] > 0
assert doc["host"]["tsc_khz"] > 0
assert doc["bad_markers"] == 0
print("ok")
PY
)
	if [ "$out" != ok ]; then
		gt_fail "$name" "JSON check: $out"
		return 1
	fi
	return 0
}

ALL=poll,irq,floor,exit

# Every host mode, all four measurements, through JSON with every sample.
for mode in uring epoll busy adaptive exit; do
	name=json-$mode
	bench_run "$name" 120 --notify "$mode" "${SMALL[@]}" --json --raw \
		--kernel "$GUESTS/doorbell.bzImage"
	expect_status "$name" 0 && check_json "$name" "$ALL" && pass "$name"
done

# adaptive is the product's polling (vmm --io-poll adaptive): also with a
# small ceiling, so that windows expire and doorbells come back in between.
bench_run adaptive-20us 120 --notify adaptive --poll-max-us 20 "${SMALL[@]}" \
	--json --raw --kernel "$GUESTS/doorbell.bzImage"
expect_status adaptive-20us 0 && check_json adaptive-20us "$ALL" &&
	pass adaptive-20us

# The KVM_IRQ_LINE experiment instead of the transport's irqfd.
bench_run irq-line 120 --notify uring --irq line "${SMALL[@]}" --json --raw \
	--tests b,c --kernel "$GUESTS/doorbell.bzImage"
expect_status irq-line 0 && check_json irq-line irq,floor && pass irq-line

# Driver variants: no EVENT_IDX; every request rings despite polling.
bench_run no-event-idx 120 --notify adaptive --event-idx off "${SMALL[@]}" \
	--json --raw --kernel "$GUESTS/doorbell.bzImage"
expect_status no-event-idx 0 && check_json no-event-idx "$ALL" &&
	pass no-event-idx
bench_run no-suppress 120 --notify busy --suppress off "${SMALL[@]}" \
	--json --raw --tests a,b --kernel "$GUESTS/doorbell.bzImage"
if expect_status no-suppress 0 && check_json no-suppress poll,irq; then
	if python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
assert all(t["kicks"] == t["samples"] for t in d["tests"].values())' \
		"$LOG" 2>/dev/null; then
		pass no-suppress
	else
		gt_fail no-suppress "a request did not ring with --suppress off"
	fi
fi

# The table and the SVG, from the PVH entry of the same guest.
name=table-svg
bench_run "$name" 120 --notify uring "${SMALL[@]}" --svg "$TMP/d.svg" \
	--pin-vcpu 0 --kernel "$GUESTS/doorbell.elf"
if expect_status "$name" 0 &&
	expect_log "$name" '^ns +n +p50 +p90 +p99 +p99\.9 +max' \
		'^\(a\) poll +60 ' '^\(b\) irq +60 ' '^\(c\) floor +60 ' \
		'^\(d\) exit +60 ' '^cycles ' '^io thread while the guest idled' &&
	expect_no_log "$name" '(nan|inf)'; then
	if python3 -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
assert r.tag.endswith("svg") and len(list(r.iter())) > 50' "$TMP/d.svg"; then
		pass "$name"
	else
		gt_fail "$name" "the SVG is not well-formed"
	fi
fi

# Usage errors are status 2 and say why.
for bad in "--notify sqpoll" "--iterations 0" "--tests a,z" "--bogus"; do
	name="usage ${bad%% *}"
	# shellcheck disable=SC2086 # split the option from its value
	bench_run "$name" 10 $bad
	if expect_status "$name" 2; then
		if grep -q 'vmm: error' "$ERR"; then
			pass "$name"
		else
			gt_fail "$name" "no error message"
		fi
	fi
done

# A kernel that is not the benchmark guest: the guest fails, vmm says so.
name=wrong-guest
need_file "$GUESTS/hello.bzImage"
bench_run "$name" 60 "${SMALL[@]}" --kernel "$GUESTS/hello.bzImage"
if [ "$RC" -ne 0 ] && grep -q 'guest failed\|samples' "$ERR"; then
	pass "$name"
else
	gt_fail "$name" "no failure reported without the benchmark guest"
fi

finish
