# tests/linux/l1-fs.sh: the L1 side of the virtio-fs cases
# (tests/linux/cases), part of the /test.sh that tests/linux/run.sh
# generates. Each case shares DIR/share (a tmpfs in L1) with --fs.

# The shared directory, and a secret next to it (outside it) whose word
# is also the fs-confine case's fs_secret=: the guest must never read it.
# Links inside point every way out.
FS_SECRET=SECRET-fs-7f3a9c-outside
#
# The share is an ext4 image of L1's tmpfs, loop-mounted: the L1's 6.1
# tmpfs has no user.* xattrs, and its ext4 root no room for a 1 GiB file.
fs_setup_share() {
	local d=$1 s=$1/share
	mkdir -p "$s"
	modprobe loop 2>/dev/null
	losetup -d /dev/loop6 2>/dev/null
	truncate -s 1400M "$d/share.img" && mkfs.ext4 -q -F "$d/share.img" &&
		losetup /dev/loop6 "$d/share.img" && mount /dev/loop6 "$s" || return 1
	fs_fill_share "$d"
}

# The same on a tmpfs of its own, where vmm runs every metadata step on
# its io thread instead of through io_uring (fs-tmpfs).
fs_setup_share_tmpfs() {
	mkdir -p "$1/share" && mount -t tmpfs -o size=64m fstmp "$1/share" &&
		fs_fill_share "$1"
}

fs_fill_share() {
	local d=$1 s=$1/share
	echo "$FS_SECRET" >"$d/secret.txt"
	echo hello >"$s/hello.txt"
	ln -s ../secret.txt "$s/up"
	ln -s / "$s/abs"
	ln -s ../../../../../../../../.. "$s/deep"
	mkdir -p "$s/proc/self/fd"
}

fs_umount_share() {
	umount "$1/share" 2>/dev/null
	losetup -d /dev/loop6 2>/dev/null
	rm -f "$1/share.img"
	return 0
}

# What the guest did, seen from the host.
fs_check_work() {
	local d=$1 w=$1/share/work sum big small bad=
	sum=$(sed -n 's/.*FS_DATA sha256=\([0-9a-f]*\).*/\1/p' "$d/serial.log" | head -n1)
	big=$(sed -n 's/.*FS_BIG bytes=\([0-9]*\).*/\1/p' "$d/serial.log" | head -n1)
	[ -n "$sum" ] && [ "$(sha256sum "$w/renamed.bin" | cut -d' ' -f1)" = "$sum" ] || bad="$bad data"
	[ "$(stat -c %i "$w/renamed.bin")" = "$(stat -c %i "$w/hard.bin")" ] || bad="$bad hardlink"
	[ "$(readlink "$w/soft.bin")" = renamed.bin ] || bad="$bad symlink"
	[ "$(stat -c %a:%u:%g "$w/renamed.bin")" = 640:1234:5678 ] || bad="$bad mode/owner"
	python3 -c "
import os, sys
p = '$w/renamed.bin'
sys.exit(0 if os.getxattr(p, 'user.keep') == b'kept' and 'user.gone' not in os.listxattr(p) else 1)
" || bad="$bad xattr"
	[ "$(cat "$w/synced.txt" 2>/dev/null)" = synced ] || bad="$bad fsync-file"
	[ -n "$big" ] && [ "$(stat -c %s "$w/big.bin")" = "$big" ] || bad="$bad big-size"
	cmp -s -n "${big:-1}" "$w/big.bin" /dev/zero || bad="$bad big-content"
	small=$(sed -n 's/.*FS_SMALL count=\([0-9]*\).*/\1/p' "$d/serial.log" | head -n1)
	[ -n "$small" ] && [ "$(find "$w/small" -type f | wc -l)" = "$small" ] || bad="$bad small-count"
	[ "$(cat "$w/small/f${small:-0}" 2>/dev/null)" = "$small" ] || bad="$bad small-content"
	[ ! -e "$w/tree" ] || bad="$bad rmtree"
	[ -z "$bad" ] && echo "FS_HOST_OK" || echo "FS_HOST_BAD$bad"
	# Nothing outside the share changed.
	[ "$(cat "$d/secret.txt")" = "$FS_SECRET" ] || echo "FS_SECRET_CHANGED"
	fs_umount_share "$d"
}

fs_check_share() {
	[ "$(cat "$1/secret.txt")" = "$FS_SECRET" ] || echo "FS_SECRET_CHANGED"
	fs_umount_share "$1"
}

# The minimal guest's own root (its initramfs) as a directory to boot from,
# unpacked by python (the L1 has no cpio): newc entries, with their modes.
fs_setup_root() {
	mkdir -p "$1/root" && python3 - "$1/root" <<'PY' && [ -x "$1/root/init" ]
import gzip, os, stat, sys
root = sys.argv[1]
data = gzip.open("/guest/initramfs.cpio.gz").read()
at = 0
while True:
    h = data[at:at + 110]
    assert h[:6] in (b"070701", b"070702"), "not a newc archive"
    f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
    mode, size, namesize = f[1], f[6], f[11]
    rdev = os.makedev(f[9], f[10])
    name = data[at + 110:at + 110 + namesize - 1].decode()
    at = (at + 110 + namesize + 3) & ~3
    body = data[at:at + size]
    at = (at + size + 3) & ~3
    if name == "TRAILER!!!":
        break
    path = os.path.join(root, name)
    if name in (".", ""):
        continue
    if stat.S_ISDIR(mode):
        os.makedirs(path, exist_ok=True)
    elif stat.S_ISLNK(mode):
        os.symlink(body.decode(), path)
    elif stat.S_ISREG(mode):
        with open(path, "wb") as out:
            out.write(body)
    else:
        os.mknod(path, mode, rdev)
    if not stat.S_ISLNK(mode):
        os.chmod(path, stat.S_IMODE(mode))
PY
}

fs_check_root() {
	[ "$(cat "$1/root/root-written" 2>/dev/null)" = "written by the guest" ] &&
		echo "FS_ROOT_HOST_OK" || echo "FS_ROOT_HOST_BAD"
}
