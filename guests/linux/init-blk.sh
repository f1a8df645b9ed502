# guests/linux/init-blk.sh: the virtio-blk and virtio-rng tests of the Linux
# test guests, sourced by /init (guests/linux/init.sh) from the initramfs
# (/etc/init-blk.sh) when the kernel command line asks for one of them:
# test=NAME[,NAME...], run in that order. busybox only, except for fio and
# blkdiscard, taken from a Debian root on a read-only disk.
#
#   disks       one line per virtio disk, in /sys/block order:
#               DISK name=vda serial=<GET_ID> ro=<0|1> sectors=<n> lbs=<n>
#                    queues=<n> discard=<max bytes> wzeroes=<max bytes>
#                    cache=<write back|write through>
#   disk-files  vda holds an ext4 file system: mount it, write files (text,
#               1 MiB and 8 MiB of random data, 64 small ones), print
#               FILE_SHA256 path=/<p> sha256=<h> for each, delete one file
#               and fstrim (discard), sync, unmount; mount again and read
#               every file back: DISK_FILES_OK files=<n> (or
#               DISK_FILES_BAD <why>); the host checks the image after.
#   disk-ro     the disk with ro=1 refuses a write (RO_WRITE=refused, or
#               RO_WRITE=allowed), RO_SHA256=<first MiB> is what it holds;
#               the disk with ro=0, if any, takes a write that reads back
#               (RW_WRITE=ok, or RW_WRITE=bad).
#   disk-raw    RAW_SHA256 name=vda sha256=<h> for every disk: the whole
#               device read through the page cache.
#   rng         RNG_CURRENT=<rng_current> RNG_AVAILABLE=<rng_available>,
#               then rng_bytes= (default 1 MiB) from /dev/hwrng:
#               RNG_BYTES=<n read> RNG_SECS=<s> RNG_RANDOM=yes|no (gzip
#               cannot shrink random data)
#   fio         the disk with serial=root is a Debian root (the L1's own
#               image, guests/l1): mount it read-only and chroot into it
#               for fio and blkdiscard; on the disk with serial=scratch:
#               write zeroes (blkdiscard -z) and discard, then fio with
#               crc32c verification, random read/write, iodepth 32, 2 jobs
#               on disjoint halves of fio_size= (default 64M):
#               WZEROES=ok|bad DISCARD=ok|failed FIO_RC=<fio status>
#               FIO_JOBS_OK=<jobs with err= 0>
#   fio-bench   the same root and scratch disks; the workloads of
#               tests/bench/fio_blk.py, fio_rt= seconds each (default 5),
#               direct I/O, libaio; one line each:
#               FIO_RESULT job=<name> rc=<n> iops=<n> kib_s=<n>
#               then FIO_BENCH_DONE.
#   disk-enospc the disk with serial=full is an image larger than the
#               file system holding it (tests/linux/l1-blk.sh): 2 MiB of
#               random data written and fsynced at offset 0
#               (ENOSPC_A_WRITE=ok|failed), then 8 MiB from offset 2 MiB,
#               which must fail part way: ENOSPC_B_FAILED err=eio (or
#               ENOSPC_B_WRITE=succeeded), ENOSPC_B_ACKED mib=<whole MiB
#               dd reported written> sha256=<h of them>; 20 more 4 KiB
#               writes into holes: ENOSPC_REPEAT failed=<n> of=20; the
#               second MiB rewritten (its pages exist: ENOSPC_REWRITE=ok);
#               then both regions read back with O_DIRECT:
#               ENOSPC_A_READBACK=ok|bad ENOSPC_B_READBACK=ok|bad and
#               ENOSPC_FINAL_A_SHA256=<h> of the first 2 MiB for the host.
#   disk-eio    the disk with serial=eio is a device-mapper table in the
#               L1 whose fifth MiB is an `error` target: the first 4 MiB
#               read (EIO_GOOD1_SHA256=<h>), reads and writes of the bad
#               MiB fail: EIO_READ_BAD=eio EIO_WRITE_BAD=eio (else =ok),
#               EIO_REPEAT failed=<n> of=20; the MiB after it to the end
#               still reads (EIO_GOOD2_SHA256=<h>), then 1 MiB written at
#               6 MiB reads back: EIO_WRITE_GOOD=ok|bad sha256=<h>.

blk_up() { cut -d' ' -f1 /proc/uptime; }

# blk_wait N: wait up to 5 s for N virtio disks.
blk_wait() {
	i=0
	while [ "$(ls -d /sys/block/vd* 2>/dev/null | wc -l)" -lt "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# blk_by_serial ID: /dev/vdX of the disk whose GET_ID string is ID.
blk_by_serial() {
	for b in /sys/block/vd*; do
		[ "$(cat "$b/serial" 2>/dev/null)" = "$1" ] && { echo "/dev/${b##*/}"; return 0; }
	done
	echo "BLK_NO_DISK serial=$1" >&2
	return 1
}

blk_disks() {
	blk_wait 1
	for b in /sys/block/vd*; do
		[ -e "$b" ] || { echo "DISK none"; return; }
		q=$b/queue
		echo "DISK name=${b##*/} serial=$(cat "$b/serial" 2>/dev/null) ro=$(cat "$b/ro")" \
			"sectors=$(cat "$b/size") lbs=$(cat "$q/logical_block_size")" \
			"queues=$(ls -d "$b"/mq/* 2>/dev/null | wc -l)" \
			"discard=$(cat "$q/discard_max_bytes") wzeroes=$(cat "$q/write_zeroes_max_bytes")" \
			"cache=$(cat "$b/cache_type" 2>/dev/null)"
	done
}

blk_sha() { sha256sum "$1" | cut -d' ' -f1; }

blk_disk_files() {
	blk_wait 1
	m=/mnt/disk
	mkdir -p $m
	mount -t ext4 /dev/vda $m || { echo "DISK_FILES_BAD mount"; return; }
	mkdir -p $m/dir/small
	echo "written by $(uname -r) at uptime $(blk_up)" >$m/hello.txt
	head -c 1048576 /dev/urandom >$m/dir/rand-1m.bin
	dd if=/dev/urandom of=$m/dir/rand-8m.bin bs=1M count=8 2>/dev/null
	i=0
	while [ $i -lt 64 ]; do
		head -c $((i * 97 + 1)) /dev/urandom >$m/dir/small/f$i
		i=$((i + 1))
	done
	# Something to discard: a file written, synced, deleted, then fstrim.
	dd if=/dev/urandom of=$m/gone.bin bs=1M count=4 2>/dev/null
	sync
	rm $m/gone.bin
	sync
	fstrim -v $m >/tmp/fstrim.out 2>&1 && echo "FSTRIM=ok $(cat /tmp/fstrim.out)" ||
		echo "FSTRIM=failed $(cat /tmp/fstrim.out)"
	(cd $m && find . -type f | sort) >/tmp/files
	n=0
	while read -r f; do
		echo "FILE_SHA256 path=${f#.} sha256=$(blk_sha "$m/$f")"
		n=$((n + 1))
	done </tmp/files
	(cd $m && sha256sum $(cat /tmp/files)) >/tmp/sums
	sync
	umount $m || { echo "DISK_FILES_BAD umount"; return; }
	# Unmounted, the page cache of the file system is gone: this reads
	# the disk again.
	mount -t ext4 -o ro /dev/vda $m || { echo "DISK_FILES_BAD remount"; return; }
	if (cd $m && sha256sum -c -s /tmp/sums); then
		echo "DISK_FILES_OK files=$n"
	else
		echo "DISK_FILES_BAD reread"
	fi
	umount $m
}

blk_disk_ro() {
	blk_wait 2
	for b in /sys/block/vd*; do
		d=/dev/${b##*/}
		if [ "$(cat "$b/ro")" = 1 ]; then
			echo "RO_SHA256=$(dd if=$d bs=1M count=1 2>/dev/null | sha256sum | cut -d' ' -f1)"
			if dd if=/dev/zero of=$d bs=4096 count=1 conv=notrunc,fsync 2>/tmp/dd.err; then
				echo "RO_WRITE=allowed"
			else
				echo "RO_WRITE=refused ($(grep -m1 'dd:' /tmp/dd.err))"
			fi
		else
			head -c 65536 /dev/urandom >/tmp/pattern
			dd if=/tmp/pattern of=$d bs=65536 count=1 oflag=direct conv=notrunc 2>/dev/null
			got=$(dd if=$d bs=65536 count=1 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)
			[ "$got" = "$(blk_sha /tmp/pattern)" ] && echo "RW_WRITE=ok" || echo "RW_WRITE=bad"
		fi
	done
}

blk_disk_raw() {
	blk_wait 1
	for b in /sys/block/vd*; do
		echo "RAW_SHA256 name=${b##*/} sha256=$(blk_sha "/dev/${b##*/}")"
	done
}

blk_rng() {
	c=/sys/class/misc/hw_random
	i=0
	while [ "$(cat $c/rng_current 2>/dev/null)" = none ] && [ $i -lt 30 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "RNG_CURRENT=$(cat $c/rng_current 2>/dev/null) RNG_AVAILABLE=$(cat $c/rng_available 2>/dev/null)"
	n=1048576
	for arg in $(cat /proc/cmdline); do
		case $arg in rng_bytes=*) n=${arg#rng_bytes=} ;; esac
	done
	t0=$(blk_up)
	head -c "$n" /dev/hwrng >/tmp/rng.bin
	t1=$(blk_up)
	got=$(wc -c </tmp/rng.bin)
	# Random bytes do not compress: gzip output at least as long.
	gz=$(gzip -c /tmp/rng.bin | wc -c)
	random=no
	[ "$got" -gt 0 ] && [ "$gz" -ge "$got" ] && random=yes
	echo "RNG_BYTES=$got RNG_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') RNG_RANDOM=$random"
	rm -f /tmp/rng.bin
}

# blk_root: mount the Debian root (serial=root) read-only on /mnt/root,
# with /proc, /sys, /dev and a /tmp, for chroot.
blk_root() {
	blk_wait 2
	r=/mnt/root
	[ -d $r/proc ] && grep -q " $r " /proc/mounts && return 0
	rootdev=$(blk_by_serial root) || return 1
	mkdir -p $r
	# noload: never replay a journal on a disk we may not write.
	mount -t ext4 -o ro,noload "$rootdev" $r || { echo "BLK_ROOT_MOUNT_FAILED $rootdev"; return 1; }
	mount -t proc proc $r/proc && mount -t sysfs sysfs $r/sys &&
		mount -o bind /dev $r/dev && mount -t tmpfs tmpfs $r/tmp || {
		echo "BLK_ROOT_MOUNT_FAILED binds"
		return 1
	}
}

blk_chroot() { chroot /mnt/root /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp "$@"; }

blk_fio() {
	blk_root || return
	scratch=$(blk_by_serial scratch) || return
	size=64M
	for arg in $(cat /proc/cmdline); do
		case $arg in fio_size=*) size=${arg#fio_size=} ;; esac
	done
	# Write zeroes over 2 MiB of random data; discard the next 2 MiB.
	dd if=/dev/urandom of="$scratch" bs=1M count=2 oflag=direct conv=notrunc 2>/dev/null
	zero=$(head -c 2097152 /dev/zero | sha256sum | cut -d' ' -f1)
	if blk_chroot blkdiscard -z -o 0 -l 2097152 "$scratch" &&
		[ "$(dd if="$scratch" bs=1M count=2 iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1)" = "$zero" ]; then
		echo "WZEROES=ok"
	else
		echo "WZEROES=bad"
	fi
	blk_chroot blkdiscard -o 2097152 -l 2097152 "$scratch" && echo "DISCARD=ok" || echo "DISCARD=failed"
	half=$((${size%M} / 2))M
	blk_chroot fio --name=verify --filename="$scratch" --ioengine=libaio --direct=1 \
		--rw=randrw --bs=4k --iodepth=32 --numjobs=2 --size="$half" \
		--offset_increment="$half" --verify=crc32c --verify_fatal=1 \
		--do_verify=1 --verify_state_save=0 --randrepeat=0 >/tmp/fio.out 2>&1
	rc=$?
	cat /tmp/fio.out
	echo "FIO_RC=$rc FIO_JOBS_OK=$(grep -c 'err= 0' /tmp/fio.out)"
}

# dd's "N+M records out": N, the whole records it wrote.
blk_records_out() { sed -n 's/^\([0-9]*\)+[0-9]* records out.*/\1/p' "$1" | head -n1; }

# dd DEV-range reads and writes with O_DIRECT: what the disk says, not
# what the guest's page cache remembers.
blk_dsha() { dd if="$1" bs=1M skip="$2" count="$3" iflag=direct 2>/dev/null | sha256sum | cut -d' ' -f1; }

blk_disk_enospc() {
	blk_wait 1
	d=$(blk_by_serial full) || return
	head -c 2097152 /dev/urandom >/tmp/a.bin
	if dd if=/tmp/a.bin of="$d" bs=1M oflag=direct conv=notrunc,fsync 2>/dev/null; then
		echo "ENOSPC_A_WRITE=ok"
	else
		echo "ENOSPC_A_WRITE=failed"
	fi
	# More than the host's file system has room for: dd stops at the
	# first failed write; what it counts as written was acknowledged.
	head -c 8388608 /dev/urandom >/tmp/b.bin
	if dd if=/tmp/b.bin of="$d" bs=1M seek=2 oflag=direct conv=notrunc 2>/tmp/dd.err; then
		echo "ENOSPC_B_WRITE=succeeded"
	elif grep -q 'Input/output error' /tmp/dd.err; then
		echo "ENOSPC_B_FAILED err=eio"
	else
		echo "ENOSPC_B_FAILED err=other $(grep -m1 'dd:' /tmp/dd.err)"
	fi
	n=$(blk_records_out /tmp/dd.err)
	echo "ENOSPC_B_ACKED mib=${n:-0} sha256=$(head -c $((${n:-0} * 1048576)) /tmp/b.bin | sha256sum | cut -d' ' -f1)"
	# Holes past the data: each needs a new page on the full host.
	failed=0
	i=0
	while [ $i -lt 20 ]; do
		dd if=/dev/urandom of="$d" bs=4096 count=1 seek=$((3072 + i * 16)) \
			oflag=direct conv=notrunc 2>/dev/null || failed=$((failed + 1))
		i=$((i + 1))
	done
	echo "ENOSPC_REPEAT failed=$failed of=20"
	# Overwriting what exists needs no space.
	head -c 1048576 /dev/urandom >/tmp/c.bin
	dd if=/tmp/c.bin of="$d" bs=1M seek=1 oflag=direct conv=notrunc,fsync 2>/dev/null &&
		echo "ENOSPC_REWRITE=ok" || echo "ENOSPC_REWRITE=failed"
	want=$( (head -c 1048576 /tmp/a.bin && cat /tmp/c.bin) | sha256sum | cut -d' ' -f1)
	[ "$(blk_dsha "$d" 0 2)" = "$want" ] && echo "ENOSPC_A_READBACK=ok" ||
		echo "ENOSPC_A_READBACK=bad"
	[ "$(blk_dsha "$d" 2 "${n:-0}")" = "$(head -c $((${n:-0} * 1048576)) /tmp/b.bin | sha256sum | cut -d' ' -f1)" ] &&
		echo "ENOSPC_B_READBACK=ok" || echo "ENOSPC_B_READBACK=bad"
	echo "ENOSPC_FINAL_A_SHA256=$want"
	rm -f /tmp/a.bin /tmp/b.bin /tmp/c.bin
}

# blk_dd_eio CMD...: "eio" if the dd in CMD failed with EIO, "ok" if it worked.
blk_dd_eio() {
	if "$@" 2>/tmp/dd.err; then
		echo ok
	elif grep -q 'Input/output error' /tmp/dd.err; then
		echo eio
	else
		echo "other:$(grep -m1 'dd:' /tmp/dd.err | tr ' ' _)"
	fi
}

blk_disk_eio() {
	blk_wait 1
	d=$(blk_by_serial eio) || return
	echo "EIO_GOOD1_SHA256=$(blk_dsha "$d" 0 4)"
	echo "EIO_READ_BAD=$(blk_dd_eio dd if="$d" of=/dev/null bs=4096 skip=1100 count=1 iflag=direct)"
	echo "EIO_WRITE_BAD=$(blk_dd_eio dd if=/dev/zero of="$d" bs=4096 seek=1200 count=1 oflag=direct conv=notrunc)"
	failed=0
	i=0
	while [ $i -lt 20 ]; do
		dd if="$d" of=/dev/null bs=4096 skip=$((1024 + i * 12)) count=1 iflag=direct 2>/dev/null ||
			failed=$((failed + 1))
		i=$((i + 1))
	done
	echo "EIO_REPEAT failed=$failed of=20"
	echo "EIO_GOOD2_SHA256=$(blk_dsha "$d" 5 3)"
	head -c 1048576 /dev/urandom >/tmp/w.bin
	sum=$(blk_sha /tmp/w.bin)
	if dd if=/tmp/w.bin of="$d" bs=1M seek=6 oflag=direct conv=notrunc,fsync 2>/dev/null &&
		[ "$(blk_dsha "$d" 6 1)" = "$sum" ]; then
		echo "EIO_WRITE_GOOD=ok sha256=$sum"
	else
		echo "EIO_WRITE_GOOD=bad"
	fi
	rm -f /tmp/w.bin
}

# The workloads of tests/bench/fio_blk.py: name rw bs iodepth.
BLK_BENCH_JOBS="randread-4k-qd1:randread:4k:1 randread-4k-qd32:randread:4k:32
randwrite-4k-qd1:randwrite:4k:1 randwrite-4k-qd32:randwrite:4k:32
read-1m-qd8:read:1m:8 write-1m-qd8:write:1m:8"

blk_fio_bench() {
	blk_root || return
	scratch=$(blk_by_serial scratch) || return
	rt=5 jobs=$BLK_BENCH_JOBS
	for arg in $(cat /proc/cmdline); do
		case $arg in
		fio_rt=*) rt=${arg#fio_rt=} ;;
		fio_jobs=*) jobs=$(echo "${arg#fio_jobs=}" | tr , ' ') ;;
		esac
	done
	for j in $jobs; do
		name=${j%%:*} rest=${j#*:}
		rw=${rest%%:*} rest=${rest#*:}
		bs=${rest%%:*} qd=${rest#*:}
		# terse v3: field 8 read IOPS, 7 read KiB/s; 49 and 48 for writes.
		blk_chroot fio --name="$name" --filename="$scratch" --ioengine=libaio \
			--direct=1 --rw="$rw" --bs="$bs" --iodepth="$qd" --size=256M \
			--time_based --runtime="$rt" --ramp_time=1 --randrepeat=0 \
			--output-format=terse --terse-version=3 >/tmp/fio.out 2>/tmp/fio.err
		rc=$?
		awk -F';' -v n="$name" -v rc=$rc -v w="$rw" '
			$1 == 3 { r = (w ~ /write/) ? 0 : 1
				printf "FIO_RESULT job=%s rc=%d iops=%d kib_s=%d\n", n, rc,
					r ? $8 : $49, r ? $7 : $48; found = 1 }
			END { if (!found) printf "FIO_RESULT job=%s rc=%d iops=0 kib_s=0 none\n", n, rc }' /tmp/fio.out
		[ $rc = 0 ] || tail -n 3 /tmp/fio.err
	done
	echo "FIO_BENCH_DONE"
}

blk_test() {
	for t in $(echo "$1" | tr , ' '); do
		case $t in
		disks) blk_disks ;;
		disk-files) blk_disk_files ;;
		disk-ro) blk_disk_ro ;;
		disk-raw) blk_disk_raw ;;
		rng) blk_rng ;;
		fio) blk_fio ;;
		fio-bench) blk_fio_bench ;;
		disk-enospc) blk_disk_enospc ;;
		disk-eio) blk_disk_eio ;;
		*) echo "UNKNOWN_TEST=$t" ;;
		esac
	done
	# The root is read-only: unmounting it is only for tidiness.
	grep -q " /mnt/root " /proc/mounts &&
		umount /mnt/root/tmp /mnt/root/dev /mnt/root/sys /mnt/root/proc /mnt/root 2>/dev/null
	sync
}
