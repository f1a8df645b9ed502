#!/usr/bin/env bash
# virtio-blk and virtio-rng over virtio-mmio, end to end with guests/vblk
# (a freestanding driver, its loops at CPL 3), on raw image files:
#  - pattern: the guest writes blk_pattern() over a range with every slot
#    of every queue in flight (multi-segment, some indirect), FLUSHes,
#    reads back and compares, DISCARDs and WRITE_ZEROES two ranges and
#    reads zeros there; here the image must hold exactly that, byte for
#    byte (python computes the same pattern), and the serial comes back
#    through GET_ID; once through the bzImage entry, once through PVH with
#    direct=on (on a file system with O_DIRECT: L1's /tmp is a tmpfs),
#    once by a driver without EVENT_IDX and INDIRECT_DESC;
#  - readonly=on: the pattern the host wrote reads back, OUT ends in
#    IOERR, DISCARD and WRITE_ZEROES in IOERR (or UNSUPP when the disk
#    does not offer them), and the image is unchanged;
#  - framing: chains cut anywhere (virtio 1.2, 2.6.4) write and read,
#    also with direct=on;
#  - hostile: past-the-end and unknown requests get IOERR and UNSUPP;
#    resets with reads in flight leave no late writes behind (a device
#    that does not wait for them is caught by chance, likeliest with
#    direct=on, where reads take longest; one that waits always passes); an
#    8-byte header, a chain without a status byte, a looping indirect
#    table and a buffer outside RAM each leave that disk in NEEDS_RESET
#    with a config interrupt while a second disk keeps working, and a reset
#    brings it back; the first image is untouched (same size and bytes);
#    on a zeroed image, and on data with direct=on;
#  - virtio-rng: 64 KiB that look random (chi-square), also rate limited;
#  - the virtio_mmio.device= order: console, disks as given, then rng;
#  - bad --disk / --rng input: status 2 and one error line.
# A vmm without --disk is a skip.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/vblk.bzImage" "$GUESTS/vblk.elf"
command -v python3 >/dev/null || skip "python3 is needed for the checks"
"$VMM" --help 2>&1 | grep -q -- '--disk' || skip "vmm has no --disk option yet"
K=$GUESTS/vblk.bzImage
# O_DIRECT needs a real file system; /var/tmp is one on our machines.
DDIR=$(mktemp -d /var/tmp/vblk-direct.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$TMP" "$DDIR"' EXIT

# img MODE FILE SIZE REGION...: MODE fill writes FILE (SIZE bytes, zeros
# but for the regions), MODE check compares FILE with that, byte for byte.
# A region is START:COUNT:SEED (guests/vblk's blk_pattern() of each
# sector) or START:COUNT:z (zeros, over earlier regions).
img() {
	python3 - "$@" <<'PY'
import os, sys
mode, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = bytes(range(256)) * 3
want = bytearray(size)
for r in sys.argv[4:]:
    start, count, seed = r.split(":")
    start, count = int(start), int(count)
    for s in range(start, start + count):
        if seed == "z":
            sec = bytes(512)
        else:
            k = (s * 7 + int(seed)) % 256
            sec = (s.to_bytes(8, "little") + int(seed).to_bytes(8, "little")
                   + base[k:k + 496])
        want[s * 512:(s + 1) * 512] = sec
if mode == "fill":
    with open(path, "wb") as f:
        f.write(want)
        os.fsync(f.fileno())  # allocated blocks: O_DIRECT reads do I/O
    sys.exit(0)
got = open(path, "rb").read()
if len(got) != size:
    print("size %d, expected %d" % (len(got), size))
    sys.exit(1)
for s in range(size // 512):
    if got[s * 512:(s + 1) * 512] != want[s * 512:(s + 1) * 512]:
        print("sector %d differs (starts %s, expected %s)" % (s,
              got[s * 512:s * 512 + 16].hex(), want[s * 512:s * 512 + 16].hex()))
        sys.exit(1)
PY
}

# The regions guests/vblk's pattern test leaves: START COUNT SEED.
pattern_regions() {
	local start=$1 n=$2 seed=$3 z=$(($2 / 8 & ~7))
	echo "$start:$n:$seed $((start + ($2 / 4 & ~7))):$z:z" \
		"$((start + ($2 / 2 & ~7))):$z:z"
}

# check_img NAME FILE SIZE REGION...: a case's image check.
check_img() {
	local name=$1 why
	shift
	if why=$(img check "$@"); then
		return 0
	fi
	gt_fail "$name" "image $(basename "$2"): $why"
	return 1
}

# Pattern: NAME KERNEL DIR SECTORS START COUNT SEED SERIAL DISK-OPTIONS
# GUEST-OPTIONS.
pattern_case() {
	local name=$1 kernel=$2 cap=$4 start=$5 n=$6 seed=$7 id=$8
	local opts=$9 more=${10} f=$3/$1.img
	truncate -s $((cap * 512)) "$f"
	vmm_run "$name" 120 --kernel "$kernel" --debug-exit \
		--disk "path=$f,serial=$id$opts" --cmdline "vblk=pattern \
vblk.seed=$seed vblk.start=$start vblk.sectors=$n vblk.cap=$cap \
vblk.serial=$id$more" && true
	# shellcheck disable=SC2046 # one word per region
	expect_status "$name" 0 && expect_log "$name" '^SUCCESS$' \
		"^vblk: GET_ID OK '$id'$" \
		"^vblk: pattern $n sectors from $start: " \
		'^vblk: discarded .*: zeros read back$' &&
		check_img "$name" "$f" $((cap * 512)) \
			$(pattern_regions "$start" "$n" "$seed") &&
		pass "$name"
}

pattern_case pattern "$K" "$TMP" 24576 8192 16384 4242 vblk-serial-0 "" ""
pattern_case pattern-pvh-direct "$GUESTS/vblk.elf" "$DDIR" 4096 0 4096 \
	123456789 12345678901234567890 ",direct=on" ""
# A driver without EVENT_IDX and INDIRECT_DESC (notification flags only).
pattern_case pattern-plain "$K" "$TMP" 8192 1000 4096 9 p "" " vblk.plain=1"

# Read-only: the host writes the pattern, the guest reads and may not write.
ro=$TMP/ro.img
img fill "$ro" $((4096 * 512)) 0:4096:77
sum=$(sha256sum <"$ro")
vmm_run readonly 60 --kernel "$K" --debug-exit \
	--disk "path=$ro,readonly=on,serial=ro" --cmdline "vblk=readonly \
vblk.seed=77 vblk.start=0 vblk.sectors=4096 vblk.cap=4096 vblk.serial=ro" &&
	true
if expect_status readonly 0 && expect_log readonly '^SUCCESS$' \
	'^vblk: read-only: 4096 sectors read as written$'; then
	if [ "$(sha256sum <"$ro")" != "$sum" ]; then
		gt_fail readonly "the read-only image changed"
	else
		pass readonly
	fi
fi

# Framing, buffered and direct=on (unaligned buffers: O_DIRECT must cope).
for c in "framing|$TMP|" "framing-direct|$DDIR|,direct=on"; do
	IFS='|' read -r name dir extra <<<"$c"
	truncate -s 1M "$dir/$name.img"
	vmm_run "$name" 60 --kernel "$K" --debug-exit \
		--disk "path=$dir/$name.img$extra" \
		--cmdline "vblk=framing vblk.start=100 vblk.seed=5" && true
	expect_status "$name" 0 && expect_log "$name" '^SUCCESS$' &&
		check_img "$name" "$dir/$name.img" $((1 << 20)) 100:8:5 &&
		pass "$name"
done

# Hostile: the victim (vda) must end as it began, the bystander (vdb)
# gets 16 sectors per round k = 0..4 at 16k, seed 1 + k. Once on zeros,
# once on data with direct=on, where reads in flight at a reset take long
# enough to land after it if the reset does not wait for them.
for c in "hostile|$TMP||" "hostile-direct|$DDIR|,direct=on|0:2048:3"; do
	IFS='|' read -r name dir extra fill <<<"$c"
	hv=$dir/$name-victim.img hb=$TMP/$name-bystander.img
	# shellcheck disable=SC2086 # $fill is one region or none
	img fill "$hv" $((1 << 20)) $fill
	truncate -s 1M "$hb"
	vmm_run "$name" 120 --kernel "$K" --debug-exit \
		--disk "path=$hv$extra" --disk "path=$hb" \
		--cmdline "vblk=hostile" && true
	# shellcheck disable=SC2086 # $fill is one region or none
	expect_status "$name" 0 && expect_log "$name" '^SUCCESS$' \
		'^vblk: hostile: read past the end: IOERR$' \
		'^vblk: hostile: type 99: UNSUPP$' \
		'^vblk: hostile: reset with [0-9]+ reads in flight .*, 0 written after it$' \
		'^vblk: hostile: 8-byte header: status 0x4f, config interrupt seen$' \
		'^vblk: hostile: no room for the status: status 0x4f, config interrupt seen$' \
		'^vblk: hostile: looping indirect table: status 0x4f, config interrupt seen$' \
		'^vblk: hostile: buffer outside RAM: status 0x4f, config interrupt seen$' &&
		check_img "$name" "$hv" $((1 << 20)) $fill &&
		check_img "$name" "$hb" $((1 << 20)) 0:16:1 16:16:2 32:16:3 \
			48:16:4 64:16:5 && pass "$name"
done

vmm_run rng 60 --kernel "$K" --debug-exit --rng --cmdline "vblk=rng" && true
expect_status rng 0 && expect_log rng '^SUCCESS$' \
	'^vblk: rng: 65536 bytes in [0-9]+ buffers' && pass rng

vmm_run rng-rate 60 --kernel "$K" --debug-exit --rng rate=65536 \
	--cmdline "vblk=rng vblk.rng=65536" && true
expect_status rng-rate 0 && expect_log rng-rate '^SUCCESS$' && pass rng-rate

# Device order: console, then the disks as given, then the rng, whatever
# the order of the options; the read-only disk is the guest's vdb.
truncate -s 64K "$TMP/o1.img" "$TMP/o2.img"
vmm_run order 60 --kernel "$K" --debug-exit --rng \
	--disk "path=$TMP/o1.img" --console "file:$TMP/order.out" \
	--disk "path=$TMP/o2.img,readonly=on" \
	--cmdline "vblk=rng vblk.order=3,2,2,4" && true
expect_status order 0 && expect_log order '^SUCCESS$' \
	'^vblk: device ids in order: 3,2,2,4$' && pass order

# Bad input: status 2 and one "vmm: error:" line, before any guest runs.
bad() {
	local name=$1
	shift
	vmm_run "$name" 10 --kernel "$K" --debug-exit "$@" && true
	if expect_status "$name" 2; then
		if [ "$(wc -l <"$ERR")" -ne 1 ] || ! grep -q '^vmm: error:' "$ERR"; then
			gt_fail "$name" "stderr is not one 'vmm: error:' line"
		else
			pass "$name"
		fi
	fi
}
bad bad-missing-image --disk "path=$TMP/none.img"
bad bad-unknown-key --disk "path=$ro,foo=1"
bad bad-no-path --disk "readonly=on"
bad bad-readonly-value --disk "path=$ro,readonly=yes"
bad bad-long-serial --disk "path=$ro,serial=123456789012345678901"
bad bad-rng-rate --rng rate=0

finish
