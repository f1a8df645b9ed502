#!/usr/bin/env bash
# vmm must refuse bad options and unusable input files cleanly: exit status
# 2 ("usage error or unusable input", vmm --help), exactly one line on
# stderr starting with "vmm: ", no sanitizer report, no crash signal.
# Every case would otherwise boot a valid guest (guests/hello), so a vmm
# that ignores the problem fails the status check.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/hello.bzImage"

good=$GUESTS/hello.bzImage

# Derived bad images.
head -c 1000 "$good" >"$TMP/truncated.bzImage"
cp "$good" "$TMP/old.bzImage"
# boot.rst: the protocol version is the 16-bit field at 0x206; 2.09.
printf '\x09\x02' | dd of="$TMP/old.bzImage" bs=1 seek=$((0x206)) \
	conv=notrunc status=none
cp "$good" "$TMP/no64.bzImage"
# xloadflags (0x236) without XLF_KERNEL_64: no 64-bit entry point.
printf '\x00\x00' | dd of="$TMP/no64.bzImage" bs=1 seek=$((0x236)) \
	conv=notrunc status=none
# An initrd larger than all of RAM (sparse: costs no disk space).
truncate -s 128M "$TMP/big.initrd"
mkdir "$TMP/dir"
# A FIFO nobody writes: opening it to read would wait forever.
mkfifo "$TMP/fifo"
# The PVH guest without its Xen PHYS32_ENTRY note.
need_file "$GUESTS/hello.elf"
objcopy --remove-section .note.Xen "$GUESTS/hello.elf" "$TMP/nonote.elf" ||
	skip "objcopy failed"
# A dynamic executable (ET_DYN), not a kernel.
exe=$(type -P true)
# Disk images: a good one, an empty one, one on a read-only file system
# (a small tmpfs remounted ro: EROFS even for root) and one another
# process holds a write lock on (a POSIX lock conflicts with vmm's OFD
# lock as another vmm's would).
truncate -s 1M "$TMP/disk.img" "$TMP/locked.img"
: >"$TMP/empty.img"
mkdir "$TMP/ro"
if mount -t tmpfs -o size=2M tmpfs "$TMP/ro" 2>/dev/null; then
	truncate -s 1M "$TMP/ro/disk.img"
	mount -o remount,ro "$TMP/ro"
fi
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)' "$TMP/locked.img" >"$TMP/holder.out" &
holder=$!
# A unix socket someone listens on: a vsock device may not take it over.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
print("listening", flush=True)
time.sleep(600)' "$TMP/live.sock" >"$TMP/listener.out" &
listener=$!
trap 'kill $holder $listener 2>/dev/null; umount "$TMP/ro" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do grep -q locked "$TMP/holder.out" && break; sleep 0.1; done
for _ in $(seq 100); do grep -q listening "$TMP/listener.out" && break; sleep 0.1; done

# name | arguments (word-split) -- paths here contain no spaces
cases=(
	"no-kernel|--mem 64M"
	"missing-kernel|--kernel $TMP/does-not-exist"
	"kernel-is-dir|--kernel $TMP/dir"
	"kernel-is-fifo|--kernel $TMP/fifo"
	"kernel-is-chardev|--kernel /dev/null"
	"not-a-kernel|--kernel /etc/passwd"
	"elf-without-pvh-note|--kernel $TMP/nonote.elf"
	"elf-not-a-kernel|--kernel $exe"
	"truncated-bzimage|--kernel $TMP/truncated.bzImage"
	"protocol-2.09|--kernel $TMP/old.bzImage"
	"no-64bit-entry|--kernel $TMP/no64.bzImage"
	"missing-initrd|--kernel $good --initrd $TMP/does-not-exist"
	"initrd-is-fifo|--kernel $good --initrd $TMP/fifo"
	"initrd-over-ram|--kernel $good --mem 64M --initrd $TMP/big.initrd"
	"mem-1M|--kernel $good --mem 1M"
	"mem-absurd|--kernel $good --mem 999999G"
	"mem-garbage|--kernel $good --mem 12Q"
	"cpus-0|--kernel $good --cpus 0"
	"cpus-100000|--kernel $good --cpus 100000"
	"cpus-garbage|--kernel $good --cpus two"
	"unknown-option|--kernel $good --frobnicate"
	"missing-argument|--kernel"
	"serial-bad-dir|--kernel $good --serial file:/nonexistent/dir/x"
	"serial-bad-backend|--kernel $good --serial carrier-pigeon"
	"console-bad-dir|--kernel $good --console file:/nonexistent/dir/x"
	"stats-bad-dir|--kernel $good --stats /proc/nope/x"
	"api-bad-dir|--kernel $good --api /nonexistent/dir/sock"
	"serial-no-path|--kernel $good --serial socket:"
	"console-no-path|--kernel $good --console socket:"
	"mem-2^64|--kernel $good --mem 18446744073709551615"
	"clustered-unknown|--kernel $good -vx"
	"kernel-twice|--kernel $good --kernel $good"
	"mem-twice|--kernel $good --mem 64M --mem 128M"
	"serial-twice|--kernel $good --serial none --serial none"
	"disk-missing|--kernel $good --disk path=$TMP/does-not-exist"
	"disk-no-path|--kernel $good --disk readonly=on"
	"disk-unknown-key|--kernel $good --disk path=$TMP/disk.img,cache=none"
	"disk-bad-bool|--kernel $good --disk path=$TMP/disk.img,readonly=yes"
	"disk-long-serial|--kernel $good --disk path=$TMP/disk.img,serial=123456789012345678901"
	"disk-empty|--kernel $good --disk path=$TMP/empty.img"
	"disk-is-dir|--kernel $good --disk path=$TMP/dir"
	"disk-is-fifo|--kernel $good --disk path=$TMP/fifo"
	"disk-ro-fifo|--kernel $good --disk path=$TMP/fifo,readonly=on"
	"disk-is-chardev|--kernel $good --disk path=/dev/null"
	"disk-read-only-fs|--kernel $good --disk path=$TMP/ro/disk.img"
	"disk-locked|--kernel $good --disk path=$TMP/locked.img"
	"disk-locked-ro|--kernel $good --disk path=$TMP/locked.img,readonly=on"
	"disk-twice-same|--kernel $good --disk path=$TMP/disk.img --disk path=$TMP/disk.img"
	"net-no-listener|--kernel $good --net socket=$TMP/nobody.sock"
	"net-socket-is-file|--kernel $good --net socket=$TMP/disk.img"
	"net-bad-mac|--kernel $good --net tap=vmmbad0,mac=52:54:00:zz:00:01"
	"net-multicast-mac|--kernel $good --net tap=vmmbad0,mac=01:00:5e:00:00:01"
	"net-unknown-kind|--kernel $good --net user"
	"net-bad-fd|--kernel $good --net fd=999"
	"net-fd-not-tap|--kernel $good --net fd=0"
	"net-too-many|--kernel $good --net socket=/a --net socket=/b --net socket=/c --net socket=/d --net socket=/e"
	"vsock-cid-reserved|--kernel $good --vsock cid=2,socket=$TMP/v.sock"
	"vsock-no-socket|--kernel $good --vsock cid=3"
	"vsock-twice|--kernel $good --vsock cid=3,socket=$TMP/v.sock --vsock cid=4,socket=$TMP/w.sock"
	"vsock-dir-missing|--kernel $good --vsock cid=3,socket=$TMP/no/such/dir/v.sock"
	"vsock-in-use|--kernel $good --vsock cid=3,socket=$TMP/live.sock"
	"rng-bad-rate|--kernel $good --rng rate=fast"
	"rng-twice|--kernel $good --rng --rng"
)
for i in 1 2 3 4 5 6 7; do truncate -s 64K "$TMP/d$i"; done
# Every input is checked before /dev/kvm is opened: with a /dev/kvm that
# is not KVM (/dev/null bound over it, in a mount namespace of its own),
# the same cases still report the input, not the device.
nokvm=$TMP/nokvm.sh
real_vmm=$VMM
cat >"$nokvm" <<NOKVM
#!/bin/sh
exec unshare -m sh -c 'mount --bind /dev/null /dev/kvm && exec "\$0" "\$@"' "$real_vmm" "\$@"
NOKVM
chmod +x "$nokvm"
n=${#cases[@]}
for ((i = 0; i < n; i++)); do
	IFS='|' read -r name args <<<"${cases[$i]}"
	cases+=("nokvm-$name|$args")
done
for c in "${cases[@]}"; do
	IFS='|' read -r name args <<<"$c"
	# vmm_run adds --serial file:LOG unless the case has its own.
	case $name in
	nokvm-*) VMM=$nokvm ;;
	*) VMM=$real_vmm ;;
	esac
	# shellcheck disable=SC2086
	vmm_run "$name" 20 $args
	lines=$(wc -l <"$ERR")
	if [ "$RC" -ge 128 ]; then
		gt_fail "$name" "killed by a signal or timeout (status $RC)"
	elif [ "$RC" -ne 2 ]; then
		gt_fail "$name" "exit status $RC, expected 2"
	elif [ "$lines" -ne 1 ] || ! head -n 1 "$ERR" | grep -q '^vmm: '; then
		gt_fail "$name" "stderr: $lines lines, not one \"vmm: \" line"
	else
		pass "$name: $(cat "$ERR")"
	fi
done
# The control: with good input the same wrapper makes vmm fail on the
# device (status 1), so the nokvm- cases above did run without KVM.
VMM=$nokvm
vmm_run nokvm-good-input 20 --kernel "$good" --mem 64M --debug-exit \
	--cmdline "mem_mb=64 cpus=1"
VMM=$real_vmm
expect_status nokvm-good-input 1 &&
	grep -q '/dev/kvm' "$ERR" && pass "nokvm-good-input: $(cat "$ERR")" ||
	{ [ "$RC" != 1 ] || gt_fail nokvm-good-input "stderr does not name /dev/kvm"; }
finish
