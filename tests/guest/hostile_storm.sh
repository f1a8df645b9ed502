#!/usr/bin/env bash
# The hostile-guest storm (guests/storm), seeded from its command line so
# that a failing seed can be run again by hand. The guest gets a console,
# two disks, an rng, a net device, a vsock device and a shared directory,
# attacks all of them but the second disk, and then proves on that disk
# that vmm still works. Per case:
#  - phase 1: random 1/2/4/8-byte MMIO reads and writes, aligned or not,
#    over each attacked device's whole window (registers, config space
#    and beyond) and the ACPI sleep/reset registers; random port I/O on
#    the 16550 (0x3f8-0x3ff) and the i8042 (0x60, 0x64). Left out, as
#    they end the VM on purpose: the debug-exit ports 0xf4-0xf7, 0xfe to
#    the i8042 command port 0x64 (reset), SLP_EN with SLP_TYP 5 (S5) and
#    the FADT's reset value 0x42 in the reset register (guests/storm/
#    regs.c says why queue addresses are bent to junk memory);
#  - phase 2: malformed chains and queue set-ups on every queue of every
#    attacked device (guests/storm/chains.c lists the 18 kinds);
#  - phase 3: QueueNotify writes (DOORBELLS below), some to queues that
#    do not exist, devices restarted mid-flood; the marker's count must
#    reach DOORBELLS;
#  - phase 4: resets with disk requests in flight, console output,
#    rng/net/fs work posted and a vsock connection open (to a listener
#    here); each device must work after re-initialisation: a disk read,
#    a console line ("storm: console alive", checked in the console's
#    file), an rng buffer, a second vsock connection accepted;
#  - phase 5: an interrupt storm of rng completions acknowledged with
#    random InterruptACK bits, from the handler and from the driver;
#  - then the spared disk: 1024 sectors of a pattern written, flushed and
#    read back by the guest, and here the image must hold exactly that.
# Every case checks: status 0 through --debug-exit (vmm neither aborted
# nor crashed), "STORM SURVIVED seed=S doorbells=N" on the serial line,
# the spared image byte for byte, the attacked image's size, no
# sanitizer report or "runtime error" and no "seccomp:" line on stderr.
# (The warnings are rate-limited; how many pass depends on the run's
# length, so this test does not count them: tests/unit/test_log.c checks
# the limiter.) Seeds 1 and 3 run on the default io loop, seed 2 on
# epoll (all three on the loop VMM_TEST_IO_LOOP names, if set). Net and
# vsock peers are python3 listeners that accept and drain.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/storm.bzImage"
command -v python3 >/dev/null || skip "python3 is needed for the peers"
K=$GUESTS/storm.bzImage
VSOCK_PORT=5555
SPARE_SECTORS=1024
DISK_SIZE=$((2 << 20))
# The storm's size per case. In the nested L1 (QEMU TCG) on a busy 2-core
# host one doorbell took 1-2 ms and one chain case a quarter of a second,
# so the tier runs a short storm per seed; the guest's defaults are the
# full one (40000 accesses, 3000 chain cases, 1000000 doorbells, 10000
# completions). By hand: STORM_DOORBELLS=N and STORM_SIZES="..." (empty:
# the guest's full sizes) change them, STORM_SEEDS="S..." runs only those
# seeds on the default loop, STORM_TIMEOUT=S gives each case S seconds
# (600).
DOORBELLS=${STORM_DOORBELLS:-10000}
SIZES=${STORM_SIZES-"storm.regs=1500 storm.chains=120 storm.irqs=300"}
CASE_TIMEOUT=${STORM_TIMEOUT:-600}

# drain.py PATH...: listen on each unix socket, accept, read until EOF.
cat >"$TMP/drain.py" <<'PY'
import socket, sys, threading
def drain(c):
    try:
        while c.recv(65536):
            pass
    except OSError:
        pass
    c.close()
def serve(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=drain, args=(c,), daemon=True).start()
for p in sys.argv[2:]:
    threading.Thread(target=serve, args=(p,), daemon=True).start()
serve(sys.argv[1])
PY

# spare_ok FILE SEED: sectors 0..SPARE_SECTORS-1 hold guests/storm's
# pattern for SEED, the rest of the image zeros, and the size is kept.
spare_ok() {
	python3 - "$1" "$2" "$SPARE_SECTORS" "$DISK_SIZE" <<'PY'
import sys
path, seed, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
base = bytes(range(256)) * 3
got = open(path, "rb").read()
if len(got) != size:
    print("size %d, expected %d" % (len(got), size)); sys.exit(1)
for s in range(size // 512):
    if s < n:
        k = (s * 7 + seed) % 256
        want = s.to_bytes(8, "little") + seed.to_bytes(8, "little") + base[k:k + 496]
    else:
        want = bytes(512)
    if got[s * 512:(s + 1) * 512] != want:
        print("sector %d differs: %s" % (s, got[s * 512:s * 512 + 16].hex())); sys.exit(1)
PY
}

# stderr_ok NAME: no sanitizer or seccomp report.
stderr_ok() {
	local name=$1
	if grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error' "$ERR"; then
		gt_fail "$name" "sanitizer report on stderr:" \
			"$(grep -m1 -E 'Sanitizer|runtime error' "$ERR")"
		return 1
	fi
	if grep -q 'seccomp:' "$ERR"; then
		gt_fail "$name" "seccomp line on stderr: $(grep -m1 'seccomp:' "$ERR")"
		return 1
	fi
	return 0
}

# storm_case NAME SEED DOORBELLS [--io-loop=KIND]
storm_case() {
	local name=$1 seed=$2 bells=$3 d=$TMP/$1 why peer n
	shift 3
	mkdir -p "$d/fs"
	truncate -s $DISK_SIZE "$d/victim.img" "$d/spare.img"
	python3 "$TMP/drain.py" "$d/net.sock" "$d/v.sock_$VSOCK_PORT" &
	peer=$!
	for _ in $(seq 600); do
		[ -S "$d/net.sock" ] && [ -S "$d/v.sock_$VSOCK_PORT" ] && break
		sleep 0.1
	done
	vmm_run "$name" "$CASE_TIMEOUT" --kernel "$K" --debug-exit "$@" \
		--console "file:$d/console.out" \
		--disk "path=$d/victim.img" --disk "path=$d/spare.img" --rng \
		--net "socket=$d/net.sock" --vsock "cid=3,socket=$d/v.sock" \
		--fs "tag=storm,path=$d/fs" \
		--cmdline "storm.seed=$seed storm.doorbells=$bells $SIZES \
storm.vsock=$VSOCK_PORT" && true
	kill "$peer" 2>/dev/null
	wait "$peer" 2>/dev/null
	expect_status "$name" 0 && expect_log "$name" '^SUCCESS$' \
		"^STORM SURVIVED seed=$seed doorbells=[0-9]+ " \
		'^storm: vsock: connection to port [0-9]+: accepted, .*after the reset: accepted$' \
		'^storm: resets: ' '^storm: interrupts: [0-9]+ completions' \
		'^storm: spare disk: ' && stderr_ok "$name" || return 0
	n=$(sed -n "s/^STORM SURVIVED seed=$seed doorbells=\([0-9]*\) .*/\1/p" "$LOG")
	if [ "${n:-0}" -lt "$bells" ]; then
		gt_fail "$name" "$n doorbells, fewer than the $bells asked for"
	elif ! grep -q "storm: console alive seed=$seed" "$d/console.out"; then
		gt_fail "$name" "the console's file lacks the line sent after its reset"
	elif [ "$(stat -c %s "$d/victim.img")" != $DISK_SIZE ]; then
		gt_fail "$name" "the attacked image is $(stat -c %s "$d/victim.img") bytes"
	elif ! why=$(spare_ok "$d/spare.img" "$seed"); then
		gt_fail "$name" "spared image: $why"
	else
		pass "$name"
		# What the guest did, for the record.
		grep -aE '^STORM SURVIVED|^storm: (doorbells|chains|resets|interrupts|registers)' \
			"$LOG" | sed 's/^/    /'
	fi
}

# Three seeds: on the default io loop and on epoll, or all three on the
# loop VMM_TEST_IO_LOOP names (lib.bash adds --io-loop to every run).
if [ -n "${STORM_SEEDS:-}" ]; then
	for seed in $STORM_SEEDS; do
		storm_case "storm-$seed" "$seed" "$DOORBELLS"
	done
elif [ -n "${VMM_TEST_IO_LOOP:-}" ]; then
	storm_case storm-1 1 $DOORBELLS
	storm_case storm-2 2 $DOORBELLS
	storm_case storm-3 3 $DOORBELLS
else
	storm_case storm-1 1 $DOORBELLS
	storm_case storm-2-epoll 2 $DOORBELLS --io-loop=epoll
	storm_case storm-3 3 $DOORBELLS
fi

finish
