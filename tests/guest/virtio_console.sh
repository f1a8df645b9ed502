#!/usr/bin/env bash
# virtio-console over virtio-mmio with ioeventfd doorbells and an irqfd,
# end to end with guests/vcon (a freestanding driver, its loops at CPL 3):
#  - a 64 MiB pattern written by the guest arrives in the file: backend
#    byte-exact (sha256 against the same pattern generated here);
#  - input typed into a pty or a socket reaches the guest and is echoed;
#    a pty opened only after the guest wrote gets that output replayed;
#  - a named port (F_MULTIPORT control queue) carries data both ways over
#    socket:PATH while port 0 writes to a file;
#  - a resize of the pty reaches the guest as a configuration change;
#  - chains that loop or point outside RAM leave vmm running and the
#    device in DEVICE_NEEDS_RESET, and a reset brings it back;
#  - all of it with the io thread's adaptive polling (the default,
#    --io-poll adaptive) and the bulk and echo cases with --io-poll off.
# The guest finds the device through the virtio_mmio.device= entry vmm
# appends to the command line; a vmm without virtio-console is a skip.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/vcon.bzImage" "$GUESTS/vcon.elf"
command -v python3 >/dev/null || skip "python3 is needed for the checks"
HERE=$(cd "$(dirname "$0")" && pwd)
K=$GUESTS/vcon.bzImage

# sha256 of guests/vcon's bulk pattern of $1 MiB: 4 KiB blocks, each the
# block number (8 bytes, little endian) then bytes (block + j) & 0xff.
pattern_sha() {
	python3 - "$1" <<'PY'
import hashlib, sys
base = bytes(range(256)) * 18
h = hashlib.sha256()
for k in range(int(sys.argv[1]) * 256):
    h.update(k.to_bytes(8, "little") + base[k % 256:k % 256 + 4088])
print(h.hexdigest())
PY
}

# Probe: does this vmm give the guest a virtio-console at all?
vmm_run probe 60 --kernel "$K" --debug-exit --console "file:$TMP/probe.out" \
	--cmdline "vcon=bulk vcon.mb=1"
GT_CASES=$((GT_CASES - 1))
case $RC in
0) ;;
30) skip "vmm gives the guest no virtio_mmio.device (not wired yet)" ;;
*) grep -q "unrecognized option\|unknown option" "$ERR" &&
	skip "vmm has no --console option yet" ;;
esac

# Bulk: 64 MiB through the bzImage entry, 8 MiB through PVH, polling on
# (the default, and explicitly with a small ceiling) and off.
for c in "bulk64|$K|64|" "bulk8-pvh|$GUESTS/vcon.elf|8|" \
	"bulk64-poll-off|$K|64|--io-poll off" \
	"bulk8-poll-20us|$K|8|--io-poll adaptive:20"; do
	IFS='|' read -r name kernel mb extra <<<"$c"
	out=$TMP/$name.out
	# shellcheck disable=SC2086 # $extra is an option and its value
	vmm_run "$name" 120 --kernel "$kernel" --debug-exit $extra \
		--console "file:$out" --cmdline "vcon=bulk vcon.mb=$mb" && true
	expect_status "$name" 0 && expect_log "$name" '^SUCCESS$' &&
		expect_log "$name" "^vcon: bulk $mb MiB" || continue
	want=$(pattern_sha "$mb")
	got=$(sha256sum "$out" | cut -d' ' -f1)
	if [ "$got" != "$want" ]; then
		gt_fail "$name" "sha256 $got of $(stat -c %s "$out") bytes," \
			"expected $want ($mb MiB)"
		continue
	fi
	pass "$name"
done

# Interactive cases through the helper: NAME SCRIPT TARGET VMM-ARGS...
attached() {
	local name=$1 script=$2 target=$3
	shift 3
	LOG=$TMP/$name.log
	ERR=$TMP/$name.err
	: >"$LOG"
	CMD="vcon_attach.py $script $target ... -- $VMM --serial file:$LOG $*"
	VCON_SERIAL=$LOG python3 "$HERE/vcon_attach.py" "$script" "$target" \
		"$TMP/$name.transcript" "$ERR" -- \
		timeout --kill-after=5 60 "$VMM" --serial "file:$LOG" "$@"
	RC=$?
	GT_CASES=$((GT_CASES + 1))
}

attached echo-pty echo pty --kernel "$K" --debug-exit --console pty \
	--cmdline "vcon=echo" && true
expect_status echo-pty 0 && expect_log echo-pty '^SUCCESS$' && pass echo-pty

attached echo-pty-poll-off echo pty --kernel "$K" --debug-exit \
	--console pty --io-poll off --cmdline "vcon=echo" && true
expect_status echo-pty-poll-off 0 && expect_log echo-pty-poll-off '^SUCCESS$' &&
	pass echo-pty-poll-off

attached echo-pty-late echo-late pty --kernel "$K" --debug-exit \
	--console pty --cmdline "vcon=echo" && true
expect_status echo-pty-late 0 && expect_log echo-pty-late '^SUCCESS$' &&
	pass echo-pty-late

attached echo-socket echo "socket:$TMP/con.sock" --kernel "$K" --debug-exit \
	--console "socket:$TMP/con.sock" --cmdline "vcon=echo" && true
expect_status echo-socket 0 && expect_log echo-socket '^SUCCESS$' &&
	pass echo-socket

attached port-socket echo "socket:$TMP/data.sock" --kernel "$K" \
	--debug-exit --console "file:$TMP/port0.out" \
	--port "data=socket:$TMP/data.sock" \
	--cmdline "vcon=port vcon.port=data" && true
if expect_status port-socket 0 && expect_log port-socket '^SUCCESS$' \
	"^vcon: port 'data' is port [0-9]+$"; then
	if grep -qx "console ok" "$TMP/port0.out"; then
		pass port-socket
	else
		gt_fail port-socket "port 0's file lacks 'console ok'"
	fi
fi

attached resize-pty resize pty --kernel "$K" --debug-exit --console pty \
	--cmdline "vcon=resize" && true
expect_status resize-pty 0 && expect_log resize-pty '^vcon: resized 33x111$' &&
	pass resize-pty

vmm_run bad-io-poll 10 --kernel "$K" --io-poll sometimes && true
if expect_status bad-io-poll 2; then
	if grep -q -- '--io-poll' "$ERR"; then
		pass bad-io-poll
	else
		gt_fail bad-io-poll "the error does not name --io-poll"
	fi
fi

vmm_run hostile 60 --kernel "$K" --debug-exit \
	--console "file:$TMP/hostile.out" --cmdline "vcon=hostile" && true
if expect_status hostile 0 && expect_log hostile '^SUCCESS$' \
	'^vcon: looping chain: status 0x4f, config interrupt seen$' \
	'^vcon: buffer outside RAM: status 0x4f, config interrupt seen$'; then
	if ! grep -q "needs reset" "$ERR"; then
		gt_fail hostile "stderr does not mention the reset"
	elif ! grep -qx "recovered twice" "$TMP/hostile.out"; then
		gt_fail hostile "no output after the second reset"
	else
		pass hostile
	fi
fi

finish
