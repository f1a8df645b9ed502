#!/usr/bin/env bash
# Serial input through vmm's 16550A, end to end: guests/uart mode=echo
# receives N known bytes with the RX-data interrupt (FIFO on, IOAPIC pin
# 4, HLT between interrupts), echoes them raw and prints
# "RECEIVED n=N sum=FNV1A". N is far above the 16-byte FIFO, so input must
# wait in the backend while the FIFO is full and nothing may be lost: the
# count, the hash and the echoed bytes are all compared with the input.
# Backends: --serial stdio (stdin a file, a pipe written in bursts), pty
# and socket:PATH (tests/guest/serial_attach.py plays the user). One case
# resets the receiver FIFO through FCR while it is full of early input, as
# Linux's 8250 start-up does: up to 16 bytes go, the rest must still come.
# Cases whose backend vmm does not implement yet are skipped, not failed.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/uart.bzImage" "$GUESTS/uart.elf"
command -v python3 >/dev/null || skip "python3 is needed for the checks"
HERE=$(cd "$(dirname "$0")" && pwd)

# Every byte value (NUL, LF, CR, ^C, ^D, ^Z, 0xff...), then pseudo-random
# bytes from a fixed seed: a failure reproduces with the same input.
make_input() {
	python3 - "$1" "$2" <<'PY'
import random, sys
n = int(sys.argv[2])
data = bytes(range(256)) + random.Random(n).randbytes(max(0, n - 256))
open(sys.argv[1], "wb").write(data[:n])
PY
}

# stdio backend: stdin from $input (a file) or from a pipe fed in bursts.
run_stdio() {
	local name=$1 limit=$2 input=$3 how=$4
	shift 4
	LOG=$TMP/$name.log
	ERR=$TMP/$name.err
	CMD="timeout --kill-after=5 $limit $VMM --serial stdio $* <$input"
	if [ "$how" = pipe ]; then
		python3 -c '
import sys, time
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 37):
    sys.stdout.buffer.write(data[i:i + 37])
    sys.stdout.buffer.flush()
    time.sleep(0.02)
' "$input" | timeout --kill-after=5 "$limit" "$VMM" --serial stdio "$@" \
			>"$LOG" 2>"$ERR"
		RC=${PIPESTATUS[1]}
	else
		timeout --kill-after=5 "$limit" "$VMM" --serial stdio "$@" \
			<"$input" >"$LOG" 2>"$ERR"
		RC=$?
	fi
	GT_CASES=$((GT_CASES + 1))
}

# pty / socket:PATH backend through the helper. Returns 1 (case skipped,
# not counted) if vmm says the backend is not implemented.
run_attached() {
	local name=$1 limit=$2 input=$3 mode=$4 spec=$5
	shift 5
	LOG=$TMP/$name.log
	ERR=$TMP/$name.err
	CMD="$HERE/serial_attach.py $mode $input LOG ERR -- timeout"
	CMD+=" --kill-after=5 $limit $VMM --serial $spec $*"
	python3 "$HERE/serial_attach.py" "$mode" "$input" "$LOG" "$ERR" -- \
		timeout --kill-after=5 "$limit" "$VMM" --serial "$spec" "$@" \
		>/dev/null 2>&1
	RC=$?
	if grep -q "not implemented" "$ERR"; then
		echo "skip $name: $(grep -m1 'not implemented' "$ERR")"
		return 1
	fi
	GT_CASES=$((GT_CASES + 1))
	return 0
}

# The echo between "ECHO_BEGIN\n" and "\nECHO_END\n" must be input[k:k+n]
# (k = 0, or 1..16 with a FIFO reset), and the guest's hash its FNV-1a.
expect_echo() {
	local name=$1 input=$2 n=$3 flushed=$4 why
	why=$(python3 - "$LOG" "$input" "$n" "$flushed" <<'PY'
import re, sys
log, src = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
n, flushed = int(sys.argv[3]), sys.argv[4] == "yes"
b, e = log.find(b"ECHO_BEGIN\n"), log.rfind(b"\nECHO_END\n")
if b < 0 or e < b:
    sys.exit("no ECHO_BEGIN ... ECHO_END in the transcript")
echo = log[b + len(b"ECHO_BEGIN\n"):e]
offsets = range(1, 17) if flushed else [0]
k = next((k for k in offsets if src[k:k + n] == echo), None)
if len(echo) != n or k is None:
    first = next((i for i in range(min(len(echo), len(src)))
                  if echo[i] != src[i]), None)
    sys.exit("echo of %d bytes is not the input (%d bytes sent), first "
             "difference at %s" % (len(echo), n, first))
h = 0x811c9dc5
for c in echo:
    h = ((h ^ c) * 0x01000193) & 0xffffffff
m = re.search(rb"^RECEIVED n=(\d+) sum=([0-9a-f]{8}) irqs=(\d+)$", log, re.M)
if not m:
    sys.exit("no RECEIVED line")
if int(m.group(1)) != n or m.group(2).decode() != "%08x" % h:
    sys.exit("RECEIVED n=%s sum=%s, expected n=%d sum=%08x"
             % (m.group(1).decode(), m.group(2).decode(), n, h))
if int(m.group(3)) == 0:
    sys.exit("no RX interrupt was taken")
if flushed and k != 16:
    print("note: the FIFO reset dropped %d bytes, not 16" % k,
          file=sys.stderr)
PY
	) || {
		gt_fail "$name" "$why"
		return 1
	}
	return 0
}

big=$TMP/in4096.bin
make_input "$big" 4096
small=$TMP/in300.bin
make_input "$small" 300
early=$TMP/in316.bin
make_input "$early" 316

common=(--mem 64M --debug-exit)

name=stdio-file-bz
run_stdio $name 30 "$big" file --kernel "$GUESTS/uart.bzImage" \
	"${common[@]}" --cmdline "mode=echo timeout_ms=10000 n=4096"
expect_status $name 0 && expect_log $name '^SUCCESS$' &&
	expect_no_log $name '^FAIL' && expect_echo $name "$big" 4096 no &&
	pass $name

name=stdio-pipe-pvh
run_stdio $name 30 "$small" pipe --kernel "$GUESTS/uart.elf" \
	"${common[@]}" --cmdline "mode=echo timeout_ms=10000 n=300"
expect_status $name 0 && expect_log $name '^SUCCESS$' &&
	expect_no_log $name '^FAIL' && expect_echo $name "$small" 300 no &&
	pass $name

# 316 bytes sent, 16 of them (at most) dropped by the FIFO reset.
name=stdio-fifo-reset
run_stdio $name 30 "$early" file --kernel "$GUESTS/uart.bzImage" \
	"${common[@]}" \
	--cmdline "mode=echo timeout_ms=10000 n=300 flush_ms=100"
expect_status $name 0 && expect_log $name '^echo: receiver FIFO reset' \
	'^SUCCESS$' && expect_no_log $name '^FAIL' &&
	expect_echo $name "$early" 300 yes && pass $name

name=pty
if run_attached $name 30 "$small" pty pty --kernel "$GUESTS/uart.bzImage" \
	"${common[@]}" \
	--cmdline "mode=echo timeout_ms=10000 n=300 exit_ack=1"; then
	expect_status $name 0 && expect_log $name '^SUCCESS$' '^EXIT_ACK' &&
		expect_no_log $name '^FAIL' &&
		expect_echo $name "$small" 300 no && pass $name
fi

name=socket
sock=$TMP/console.sock
if run_attached $name 30 "$small" "socket:$sock" "socket:$sock" \
	--kernel "$GUESTS/uart.elf" "${common[@]}" \
	--cmdline "mode=echo timeout_ms=10000 n=300 exit_ack=1"; then
	expect_status $name 0 && expect_log $name '^SUCCESS$' '^EXIT_ACK' &&
		expect_no_log $name '^FAIL' &&
		expect_echo $name "$small" 300 no && pass $name
fi
finish
