
# tests/linux/l1-blk.sh: setup and check steps of the virtio-blk and
# virtio-rng cases (tests/linux/cases, options setup= and check=), part of
# the /test.sh that runs inside the nested L1 (Debian's e2fsprogs and
# util-linux). Each is called as FN CASE_DIR DISK_DIR: CASE_DIR
# (/tmp/cases/NAME, tmpfs) holds the L2's stream logs, DISK_DIR
# (/var/tmp/cases/NAME, L1's ext4 root) takes images used with direct=on.
# A check prints its verdicts as markers for the case's expectations.

# blk_guest FILE: the L2's own lines (serial, stdout, console streams).
blk_guest() {
	cat "$1/serial.log" "$1/stdout.log" "$1/console.log" 2>/dev/null | tr -d '\r'
}

# An empty ext4 file system, made here as a user would, for the L2 to fill.
blk_setup_ext4() {
	mkfs.ext4 -q -F -L l2disk "$2/ext4.img" 64M
}

# The image must be a clean file system holding every file the L2 said it
# wrote, byte for byte: e2fsck -fn reads it as is, debugfs dumps each file.
blk_check_ext4() {
	local img=$2/ext4.img n=0 bad=0 path sum got line
	if e2fsck -fn "$img" >"$1/e2fsck.out" 2>&1; then
		echo "E2FSCK_OK"
	else
		echo "E2FSCK_FAILED status $?"
		tail -n 20 "$1/e2fsck.out"
	fi
	# (No process substitution: L1's /dev has no /dev/fd.)
	blk_guest "$1" | grep 'FILE_SHA256 path=' >"$1/files"
	while read -r line; do
		path=$(echo "$line" | sed -n 's/.*FILE_SHA256 path=\([^ ]*\) sha256=.*/\1/p')
		sum=$(echo "$line" | sed -n 's/.* sha256=\([0-9a-f]*\).*/\1/p')
		[ -n "$path" ] && [ -n "$sum" ] || continue
		rm -f "$1/dump"
		debugfs -R "dump -p $path $1/dump" "$img" 2>/dev/null
		got=$(sha256sum <"$1/dump" 2>/dev/null | cut -d' ' -f1)
		n=$((n + 1))
		if [ "$got" != "$sum" ]; then
			echo "FILE_MISMATCH path=$path guest=$sum image=${got:-unreadable}"
			bad=$((bad + 1))
		fi
	done <"$1/files"
	rm -f "$1/dump" "$1/files"
	if [ $n -gt 0 ] && [ $bad = 0 ]; then
		echo "DEBUGFS_OK files=$n"
	else
		echo "DEBUGFS_BAD files=$n mismatched=$bad"
	fi
}

# A read-only ext4 image with one file, and a blank image to write to.
blk_setup_ro() {
	mkdir -p "$1/ro.d"
	head -c 200000 /dev/urandom >"$1/ro.d/data.bin"
	mkfs.ext4 -q -F -d "$1/ro.d" "$1/ro.img" 8M
	rm -rf "$1/ro.d"
	truncate -s 8M "$1/rw.img"
	sha256sum <"$1/ro.img" | cut -d' ' -f1 >"$1/ro.sum"
	head -c 1048576 "$1/ro.img" | sha256sum | cut -d' ' -f1 >"$1/ro.head"
}

blk_check_ro() {
	[ "$(sha256sum <"$1/ro.img" | cut -d' ' -f1)" = "$(cat "$1/ro.sum")" ] &&
		echo "RO_IMAGE_UNCHANGED" || echo "RO_IMAGE_CHANGED"
	blk_guest "$1" | grep -q "RO_SHA256=$(cat "$1/ro.head")" &&
		echo "RO_CONTENT_OK" || echo "RO_CONTENT_BAD"
}

# 16 MiB of random data, raw, seen by the L2 through a loop device: a
# block device as the backend (its size comes from BLKGETSIZE64, not stat).
blk_setup_loop() {
	head -c 16777216 /dev/urandom >"$2/raw.img"
	sha256sum <"$2/raw.img" | cut -d' ' -f1 >"$1/raw.sum"
	modprobe loop 2>/dev/null
	losetup -d /dev/loop7 2>/dev/null
	losetup /dev/loop7 "$2/raw.img"
}

blk_check_loop() {
	losetup -d /dev/loop7
	blk_check_raw_sum "$1" vda
}

# 16 MiB of random data in a plain file.
blk_setup_raw() {
	head -c 16777216 /dev/urandom >"$1/raw.img"
	sha256sum <"$1/raw.img" | cut -d' ' -f1 >"$1/raw.sum"
}

blk_check_raw() {
	blk_check_raw_sum "$1" vda
}

blk_check_raw_sum() {
	blk_guest "$1" | grep -q "RAW_SHA256 name=$2 sha256=$(cat "$1/raw.sum")" &&
		echo "RAW_OK" || echo "RAW_BAD (want $(cat "$1/raw.sum"))"
}

# The scratch disk for fio: 128 MiB on L1's ext4 (direct=on needs O_DIRECT,
# which tmpfs lacks).
blk_setup_fio() {
	truncate -s 128M "$2/scratch.img"
}

# --rng rate=65536 and rng_bytes=262144 on the L2's command line: at that
# rate 256 KiB take 4 s; even if the limiter lets a whole second's worth
# through at once, 2 s is a floor no correct limiter beats.
blk_check_rng_rate() {
	local secs
	secs=$(blk_guest "$1" | sed -n 's/.*RNG_SECS=\([0-9.]*\).*/\1/p' | head -n1)
	[ -n "$secs" ] || { echo "RNG_RATE_UNKNOWN"; return; }
	if awk -v s="$secs" 'BEGIN { exit !(s >= 2.0) }'; then
		echo "RNG_RATE_OK secs=$secs"
	else
		echo "RNG_RATE_TOO_FAST secs=$secs"
	fi
}

# --- host file systems and devices that fail ------------------------------------
# blk_stderr_bounded CASE_DIR: vmm's warnings about a guest's failing
# requests are rate-limited per device (LOG_RATELIMIT_BURST lines per
# LOG_RATELIMIT_INTERVAL_NS, 10 per 5 s): at most that many for the time
# since the setup (CASE_DIR/t0, uptime), however many requests failed.
blk_stderr_bounded() {
	local n limit
	n=$(grep -c . "$1/stderr.log" 2>/dev/null)
	limit=$(awk -v a="$(cat "$1/t0")" -v b="$(cut -d' ' -f1 /proc/uptime)" \
		'BEGIN { print 10 * (int((b - a) / 5) + 2) }')
	if [ "${n:-0}" -le "$limit" ]; then
		echo "BLK_STDERR_BOUNDED lines=$n limit=$limit"
	else
		echo "BLK_STDERR_FLOOD lines=$n limit=$limit"
	fi
}

# blk_io_errors CASE_DIR: the disk's io_errors counter (--stats file).
blk_io_errors() {
	tr -d '\n\t ' <"$1/stats.json" 2>/dev/null | grep -o '"io_errors":[0-9]*' |
		head -n1 | cut -d: -f2
}

# blk_range_sha FILE MIB_OFFSET MIB_COUNT
blk_range_sha() {
	dd if="$1" bs=1M skip="$2" count="$3" 2>/dev/null | sha256sum | cut -d' ' -f1
}

# A 16 MiB sparse image on a 4 MiB tmpfs: the guest's writes into its
# holes fail with ENOSPC once the tmpfs is full.
blk_setup_enospc() {
	cut -d' ' -f1 /proc/uptime >"$1/t0"
	mkdir -p "$1/full" &&
		mount -t tmpfs -o size=4m lxfull "$1/full" &&
		truncate -s 16M "$1/full/disk.img"
}

# What the guest wrote and was told was written is in the image: the
# fsynced first 2 MiB (its second MiB rewritten once the disk was full)
# and every MiB dd counted before the first failure.
blk_check_enospc() {
	local d=$1 img=$1/full/disk.img want n sum
	want=$(blk_guest "$d" | sed -n 's/.*ENOSPC_FINAL_A_SHA256=\([0-9a-f]*\).*/\1/p' | head -n1)
	if [ -n "$want" ] && [ "$(blk_range_sha "$img" 0 2)" = "$want" ]; then
		echo "ENOSPC_HOST_A_OK"
	else
		echo "ENOSPC_HOST_A_BAD guest=${want:-none} image=$(blk_range_sha "$img" 0 2)"
	fi
	n=$(blk_guest "$d" | sed -n 's/.*ENOSPC_B_ACKED mib=\([0-9]*\) .*/\1/p' | head -n1)
	sum=$(blk_guest "$d" | sed -n 's/.*ENOSPC_B_ACKED mib=[0-9]* sha256=\([0-9a-f]*\).*/\1/p' | head -n1)
	if [ "${n:-0}" -gt 0 ] && [ "$(blk_range_sha "$img" 2 "$n")" = "$sum" ]; then
		echo "ENOSPC_HOST_B_OK mib=$n"
	else
		echo "ENOSPC_HOST_B_BAD mib=${n:-none} guest=${sum:-none}"
	fi
	echo "IO_ERRORS=$(blk_io_errors "$d") $(df -k "$d/full" | tail -n1)"
	blk_stderr_bounded "$d"
	umount "$d/full"
}

# 8 MiB of random data behind a device-mapper table whose fifth MiB is
# the `error` target (every I/O to it fails with EIO), over a loop device.
blk_setup_eio() {
	local d=$1 lo
	cut -d' ' -f1 /proc/uptime >"$d/t0"
	head -c 8388608 /dev/urandom >"$d/eio.img"
	echo "$(blk_range_sha "$d/eio.img" 0 4) $(blk_range_sha "$d/eio.img" 4 1)" \
		"$(blk_range_sha "$d/eio.img" 5 3)" >"$d/eio.sums"
	modprobe loop 2>/dev/null
	modprobe dm_mod 2>/dev/null
	dmsetup --noudevsync remove lxeio 2>/dev/null
	lo=$(losetup -f --show "$d/eio.img") || return 1
	echo "$lo" >"$d/eio.loop"
	# (No udev in the L1: dmsetup makes /dev/mapper/lxeio itself.)
	printf '0 8192 linear %s 0\n8192 2048 error\n10240 6144 linear %s 10240\n' \
		"$lo" "$lo" | dmsetup --noudevsync create lxeio || return 1
	dmsetup mknodes lxeio
	dmsetup table lxeio
	[ -b /dev/mapper/lxeio ]
}

blk_check_eio() {
	local d=$1 img=$1/eio.img g
	dmsetup --noudevsync remove lxeio || echo "DMSETUP_REMOVE_FAILED"
	losetup -d "$(cat "$d/eio.loop")"
	set -- $(cat "$d/eio.sums")
	g=$(blk_guest "$d" | sed -n 's/.*EIO_GOOD1_SHA256=\([0-9a-f]*\).*/\1/p' | head -n1)
	[ "$g" = "$1" ] && echo "EIO_HOST_GOOD1_OK" || echo "EIO_HOST_GOOD1_BAD guest=${g:-none} l1=$1"
	g=$(blk_guest "$d" | sed -n 's/.*EIO_GOOD2_SHA256=\([0-9a-f]*\).*/\1/p' | head -n1)
	[ "$g" = "$3" ] && echo "EIO_HOST_GOOD2_OK" || echo "EIO_HOST_GOOD2_BAD guest=${g:-none} l1=$3"
	[ "$(blk_range_sha "$img" 4 1)" = "$2" ] && echo "EIO_HOST_BAD_RANGE_UNCHANGED" ||
		echo "EIO_HOST_BAD_RANGE_CHANGED"
	g=$(blk_guest "$d" | sed -n 's/.*EIO_WRITE_GOOD=ok sha256=\([0-9a-f]*\).*/\1/p' | head -n1)
	[ -n "$g" ] && [ "$(blk_range_sha "$img" 6 1)" = "$g" ] && echo "EIO_HOST_WRITE_OK" ||
		echo "EIO_HOST_WRITE_BAD guest=${g:-none}"
	echo "IO_ERRORS=$(blk_io_errors "$d")"
	blk_stderr_bounded "$d"
}
