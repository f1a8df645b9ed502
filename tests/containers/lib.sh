# shellcheck shell=bash
# tests/containers/lib.sh: what the container tests and the container
# benchmark (tests/bench/bench_crun.sh) do first, as root on a machine with
# crun, podman and busybox-static (the nested L1): source it, then
#   ct_setup WORK   install vmm from the DESTDIR tree $CT_ROOT onto / (as
#                   `make install` would: the crun handler, crun-vmm, the
#                   runner image), mount cgroup2 if nothing has, and make
#                   WORK/rootfs, a busybox root with /etc/passwd (root and
#                   user 1000) and a world-writable /work; configure podman
#                   for a machine without systemd or a network stack.
#                   Returns 1 with the reason in $ct_why.
ct_why=

ct_setup() {
	local work=$1 r=$1/rootfs a
	[ -d "${CT_ROOT:-}" ] || { ct_why="CT_ROOT '${CT_ROOT:-}' is not an install tree"; return 1; }
	cp -a "$CT_ROOT"/. / && ldconfig || { ct_why="cannot copy $CT_ROOT onto /"; return 1; }
	mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup ||
		{ ct_why="cannot mount cgroup2 on /sys/fs/cgroup"; return 1; }
	command -v busybox >/dev/null || { ct_why="no busybox (busybox-static)"; return 1; }
	rm -rf "$work" && mkdir -p "$r"/{bin,dev,proc,sys,tmp,etc,root,work,home/user} &&
		cp "$(command -v busybox)" "$r/bin/busybox" || { ct_why="cannot make $r"; return 1; }
	for a in $("$r/bin/busybox" --list); do
		[ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n' >"$r/etc/passwd"
	printf 'root:x:0:\nuser:x:1000:\nwheel:x:10:\n' >"$r/etc/group"
	chown 1000:1000 "$r/home/user"
	chmod 1777 "$r/work"
	mkdir -p /etc/containers
	printf '[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n' \
		>/etc/containers/containers.conf
}
