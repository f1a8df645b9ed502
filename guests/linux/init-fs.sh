# guests/linux/init-fs.sh: the virtio-fs tests of the Linux tier, sourced by
# /init (guests/linux/init.sh) for test=fs-...: a comma list run in order.
# Options on the kernel command line:
#   fs_tag=TAG       the tag to mount (default share) on /mnt/fs
#   fs_big_mib=N     size of the big file of fs-work (default 1024)
#   fs_small=N       how many small files fs-work writes (default 10000, even)
#   fs_secret=WORD   what the L1 wrote into a file outside the shared
#                    directory (fs-confine looks for it everywhere it can)
# Markers:
#   fs-mount    FS_MOUNT ok|failed
#   fs-work     a file-system workload on the mount, each step a marker:
#               FS_DATA sha256=<h> (16 MiB random, written), FS_READBACK ok
#               (read again after dropping caches), FS_RENAME ok, FS_LINKS
#               ok (hard link count 2, symlink target), FS_CHMOD ok (mode,
#               owner 1234:5678), FS_XATTR ok (set, get, list, remove),
#               FS_FSYNC ok, FS_BIG bytes=<n> (fs_big_mib MiB of zeros,
#               fsync'd), FS_SMALL count=<fs_small>, FS_LIST ok (ls and find
#               agree), FS_RMTREE ok, FS_WORK_DONE
#   fs-rw       4 MiB random written, read back after dropping caches,
#               renamed, removed: FS_RW ok
#   fs-confine  every way out of the mount the guest can try: FS_CONFINED ok,
#               or FS_LEAK <how>
#   fs-ro       a read-only share: reading works, every write is refused:
#               FS_RO ok, or FS_RO_BAD <what>
#   fs-root     the root file system is virtiofs and writable:
#               FS_ROOT type=<fstype> FS_ROOT_WRITE ok
#   fs-umount   FS_UMOUNT ok (the driver's DESTROY)
#   fs-mount-blk  the disk with serial=scratch (ext4) on /mnt/fs instead:
#               the virtio-blk reference of the benchmark. FS_MOUNT ok|failed
#   fs-bench    tests/bench/fs_bench.py's workloads on /mnt/fs
#               (guests/linux/fsbench.py, /etc/fsbench.py here, run by the
#               Debian root's python3): FSB_RESULT lines, FSB_DONE.
#               fsb_mib=N (file size, default 1024), fsb_rt=S (random
#               reads, default 10), fsb_only=W,W (some workloads: stat-tree,
#               create-unlink, untar, data)

fs_fail() { echo "FS_FAIL $*"; }

fs_mount() {
	mkdir -p /mnt/fs
	if mount -t virtiofs "$FS_TAG" /mnt/fs; then echo "FS_MOUNT ok"; else echo "FS_MOUNT failed"; return 1; fi
}

fs_mount_blk() {
	mkdir -p /mnt/fs
	blk_wait 2
	dev=$(blk_by_serial scratch) && mount -t ext4 "$dev" /mnt/fs &&
		echo "FS_MOUNT ok" || { echo "FS_MOUNT failed"; return 1; }
}

fs_bench() {
	net_root >/dev/null || return 1
	grep -q " /mnt/root/mnt " /proc/mounts || mount --bind /mnt/fs /mnt/root/mnt || return 1
	cp /etc/fsbench.py /mnt/root/tmp/fsbench.py
	net_chroot python3 /tmp/fsbench.py /mnt --mib "$FSB_MIB" --rt "$FSB_RT" \
		--only "$FSB_ONLY"
}

# Python from the Debian root, with the mount bound under it: xattrs and
# fsync, which busybox lacks.
fs_py() {
	net_root >/dev/null || return 1
	grep -q " /mnt/root/mnt " /proc/mounts || mount --bind /mnt/fs /mnt/root/mnt || return 1
	net_chroot python3 -c "$1"
}

fs_work() {
	w=/mnt/fs/work
	rm -rf $w
	mkdir $w || { fs_fail mkdir; return 1; }
	dd if=/dev/urandom of=$w/data.bin bs=1M count=16 2>/dev/null
	sum=$(sha256sum $w/data.bin | cut -d' ' -f1)
	echo "FS_DATA sha256=$sum"
	echo 3 >/proc/sys/vm/drop_caches
	[ "$(sha256sum $w/data.bin | cut -d' ' -f1)" = "$sum" ] && echo "FS_READBACK ok" || fs_fail readback
	mv $w/data.bin $w/renamed.bin && [ ! -e $w/data.bin ] && [ -f $w/renamed.bin ] &&
		echo "FS_RENAME ok" || fs_fail rename
	ln $w/renamed.bin $w/hard.bin && ln -s renamed.bin $w/soft.bin &&
		[ "$(stat -c %h $w/renamed.bin)" = 2 ] && [ "$(readlink $w/soft.bin)" = renamed.bin ] &&
		[ "$(sha256sum $w/soft.bin | cut -d' ' -f1)" = "$sum" ] &&
		echo "FS_LINKS ok" || fs_fail links
	chmod 640 $w/renamed.bin && chown 1234:5678 $w/renamed.bin &&
		[ "$(stat -c %a:%u:%g $w/renamed.bin)" = 640:1234:5678 ] &&
		echo "FS_CHMOD ok" || fs_fail "chmod $(stat -c %a:%u:%g $w/renamed.bin)"
	fs_py "
import os
p = '/mnt/work/renamed.bin'
os.setxattr(p, 'user.keep', b'kept')
os.setxattr(p, 'user.gone', b'x' * 300)
assert os.getxattr(p, 'user.gone') == b'x' * 300
assert set(os.listxattr(p)) >= {'user.keep', 'user.gone'}
os.removexattr(p, 'user.gone')
assert 'user.gone' not in os.listxattr(p)
print('FS_XATTR ok')
fd = os.open('/mnt/work/synced.txt', os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b'synced\n')
os.fsync(fd)
os.fdatasync(fd)
os.close(fd)
print('FS_FSYNC ok')
" || fs_fail "python xattr/fsync"
	dd if=/dev/zero of=$w/big.bin bs=1M count="$FS_BIG_MIB" conv=fsync 2>/dev/null
	echo "FS_BIG bytes=$(stat -c %s $w/big.bin)"
	mkdir $w/small && cd $w/small || { fs_fail small; return 1; }
	# Two writers at once, one per vCPU: requests from both in flight
	# (and half the wall time of the FUSE round trips under TCG).
	half=$((FS_SMALL / 2))
	for first in 1 $((half + 1)); do
		(
			i=$first
			while [ $i -lt $((first + half)) ]; do
				echo $i >f$i
				i=$((i + 1))
			done
		) &
	done
	wait
	cd /
	echo "FS_SMALL count=$(ls $w/small | wc -l)"
	[ "$(find $w/small -type f | wc -l)" = "$(ls -a $w/small | grep -c '^f')" ] &&
		[ "$(cat $w/small/f$((half + 1)))" = $((half + 1)) ] &&
		[ "$(cat $w/small/f$FS_SMALL)" = "$FS_SMALL" ] && echo "FS_LIST ok" || fs_fail list
	mkdir -p $w/tree/a/b/c && echo x >$w/tree/a/b/c/f && ln -s c $w/tree/a/b/l &&
		rm -rf $w/tree && [ ! -e $w/tree ] && echo "FS_RMTREE ok" || fs_fail rmtree
	echo "FS_WORK_DONE"
}

fs_rw() {
	w=/mnt/fs/rw
	rm -rf $w
	mkdir $w && dd if=/dev/urandom of=$w/a bs=1M count=4 2>/dev/null &&
		sum=$(sha256sum <$w/a) && echo 3 >/proc/sys/vm/drop_caches &&
		[ "$(sha256sum <$w/a)" = "$sum" ] && mv $w/a $w/b && [ ! -e $w/a ] &&
		[ "$(sha256sum <$w/b)" = "$sum" ] && rm -r $w && [ ! -e $w ] &&
		echo "FS_RW ok" || fs_fail rw
}

# fs_try HOW CMD...: the output of CMD must not hold the secret.
fs_try() {
	how=$1
	shift
	if "$@" 2>&1 | grep -q "$FS_SECRET"; then
		echo "FS_LEAK $how"
		FS_LEAKED=1
	fi
}

fs_confine() {
	FS_LEAKED=0
	[ -n "$FS_SECRET" ] || { fs_fail "no fs_secret"; return 1; }
	m=/mnt/fs
	# The L1 made: up -> ../secret.txt, abs -> /, deep -> ../../../../..,
	# and the secret at ../secret.txt next to the shared directory.
	fs_try "relative symlink up" cat $m/up
	fs_try "through an absolute symlink" sh -c "cat $m/abs/tmp/cases/*/secret.txt"
	fs_try "through a deep symlink" sh -c "cat $m/deep/tmp/cases/*/secret.txt"
	fs_try "dot-dot of the mount" cat $m/../secret.txt
	# Every regular file of the mount, read (find follows no links: abs
	# and deep lead to the guest's own root, /dev/zero included).
	fs_try "every file of the mount" find $m -type f -exec cat {} +
	fs_try "names in the mount" ls -laR $m
	fs_try "/proc/self/fd names" sh -c "cat $m/proc/self/fd/*/secret.txt"
	# A symlink made by the guest that points out, then followed.
	ln -s ../../../../../../../../tmp $m/guest-up 2>/dev/null
	fs_try "guest-made symlink" sh -c "cat $m/guest-up/cases/*/secret.txt"
	# A directory swapped for a symlink while the guest walks it.
	mkdir -p $m/swap/dir
	(i=0; while [ $i -lt 50 ]; do
		mv $m/swap/dir $m/swap/d2 && ln -s ../.. $m/swap/dir
		rm -f $m/swap/dir && mv $m/swap/d2 $m/swap/dir
		i=$((i + 1))
	done) &
	sw=$!
	i=0
	while [ $i -lt 50 ]; do
		fs_try "swapped directory" cat $m/swap/dir/secret.txt
		i=$((i + 1))
	done
	wait $sw
	[ $FS_LEAKED = 0 ] && echo "FS_CONFINED ok"
}

fs_ro() {
	m=/mnt/fs
	bad=
	[ "$(cat $m/hello.txt 2>/dev/null)" = hello ] || bad="$bad read"
	touch $m/new 2>/dev/null && bad="$bad create"
	echo x >>$m/hello.txt 2>/dev/null && bad="$bad append"
	mkdir $m/d 2>/dev/null && bad="$bad mkdir"
	rm -f $m/hello.txt 2>/dev/null; [ -e $m/hello.txt ] || bad="$bad unlink"
	chmod 600 $m/hello.txt 2>/dev/null && bad="$bad chmod"
	ln -s x $m/l 2>/dev/null && bad="$bad symlink"
	touch $m/new 2>&1 | grep -q "Read-only file system" || bad="$bad not-EROFS"
	[ -z "$bad" ] && echo "FS_RO ok" || echo "FS_RO_BAD$bad"
}

fs_root() {
	echo "FS_ROOT type=$(awk '$2 == "/" { t = $3 } END { print t }' /proc/mounts)"
	echo "written by the guest" >/root-written && sync && echo "FS_ROOT_WRITE ok"
}

fs_test() {
	FS_TAG=share FS_BIG_MIB=1024 FS_SMALL=10000 FS_SECRET= FSB_MIB=1024 FSB_RT=10 FSB_ONLY=
	for arg in $(cat /proc/cmdline); do
		case $arg in
		fs_tag=*) FS_TAG=${arg#fs_tag=} ;;
		fs_big_mib=*) FS_BIG_MIB=${arg#fs_big_mib=} ;;
		fs_small=*) FS_SMALL=${arg#fs_small=} ;;
		fs_secret=*) FS_SECRET=${arg#fs_secret=} ;;
		fsb_mib=*) FSB_MIB=${arg#fsb_mib=} ;;
		fsb_rt=*) FSB_RT=${arg#fsb_rt=} ;;
		fsb_only=*) FSB_ONLY=${arg#fsb_only=} ;;
		esac
	done
	for t in $(echo "$1" | tr , ' '); do
		case $t in
		fs-mount) fs_mount || break ;;
		fs-mount-blk) fs_mount_blk || break ;;
		fs-bench) fs_bench ;;
		fs-work) fs_work ;;
		fs-rw) fs_rw ;;
		fs-confine) fs_confine ;;
		fs-ro) fs_ro ;;
		fs-root) fs_root ;;
		fs-umount)
			grep -q " /mnt/root " /proc/mounts &&
				umount /mnt/root/mnt /mnt/root/tmp /mnt/root/dev /mnt/root/sys /mnt/root/proc /mnt/root 2>/dev/null
			umount /mnt/fs && echo "FS_UMOUNT ok" || fs_fail umount
			;;
		*) echo "UNKNOWN_TEST=$t" ;;
		esac
	done
	sync
}
