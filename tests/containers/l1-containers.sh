#!/bin/bash
# tests/containers/l1-containers.sh: the container tests, run inside the
# nested L1 by tests/containers/run.sh (guests/l1/run.sh runs it with bash).
#
# Debian's crun and podman (the L1 image, guests/l1/packages) run a busybox
# OCI bundle through vmm's crun handler, installed the way `make install`
# does it: tests/containers/run.sh installs into $CT_ROOT (DESTDIR) and this
# script copies that tree onto the L1's root. Every workload runs in a VM of
# the runner image; each test checks that it did (the guest's kernel is the
# runner's, not the L1's).
#
# Prints "PASS container/NAME (N s)" or "FAIL container/NAME: reason" (then
# indented details) per test, and "CONTAINERS_DONE" at the end.
# Environment: CT_ROOT (the DESTDIR tree), CT_ONLY (test names, space
# separated; default all), CT_TOP (the checkout: guests/l1/run.sh runs a
# copy of this script from its run directory).
set -u
top=${CT_TOP:?CT_TOP must name the checkout}
here=$top/tests/containers
work=/var/tmp/ct
rootfs=$work/rootfs # ct_setup makes it
l1_release=$(uname -r)

# --- reporting -----------------------------------------------------------------------------
t_name='' t_start=0 t_bad=''
t_begin() { t_name=$1 t_start=$SECONDS t_bad=''; echo "CT_BEGIN $1"; }
# bad REASON: the current test fails (all reasons are reported).
bad() { t_bad="$t_bad${t_bad:+; }$*"; }
# t_end [FILE...]: the verdict; on a failure the files' last lines follow.
t_end() {
	local f
	if [ -z "$t_bad" ]; then
		echo "PASS container/$t_name ($((SECONDS - t_start)) s)"
		return
	fi
	echo "FAIL container/$t_name: $t_bad"
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "    --- $(basename "$f"):"
		tail -c 2000 "$f" | tail -n 12 | sed 's/^/    /'
	done
	if [ -s "$work/serial.log" ]; then
		echo "    --- the guest's kernel log:"
		tail -n 15 "$work/serial.log" | sed 's/^/    /'
	fi
}
want() { [ -z "${CT_ONLY:-}" ] || [[ " $CT_ONLY " == *" $1 "* ]]; }

# --- set-up ------------------------------------------------------------------------------
. "$here/lib.sh"
setup() {
	ct_setup "$work" || { echo "FAIL container/setup: $ct_why"; return 1; }
	# Two different 10 MiB patterns: stdout gets one, stderr the other.
	head -c 10485760 /dev/urandom >"$rootfs/work/pattern.out" &&
		head -c 10485760 /dev/urandom >"$rootfs/work/pattern.err" || return 1
	echo "CT_SETUP ok: crun $(crun --version | head -n1 | awk '{print $3}'), L1 kernel $l1_release"
}

# bundle NAME [bundle.py options] -- ARG...: $work/NAME with its config.json;
# every bundle logs its guest's kernel to /work/NAME.serial in the rootfs.
bundle() {
	local name=$1
	shift
	python3 "$here/bundle.py" "$work/$name" "$rootfs" "$@" >"$work/bundle.err" 2>&1 ||
		{ bad "bundle.py: $(tail -n 1 "$work/bundle.err")"; return 1; }
}
VMM_ANN=(--ann run.oci.handler=vmm --ann vmm.serial=/work/serial.log --kvm)

# run_ct NAME LIMIT [crun args...]: `crun run` of bundle NAME, its stdout
# and stderr in $work/NAME.out and .err, its status in $rc.
run_ct() {
	local name=$1 limit=$2
	shift 2
	rm -f "$rootfs/work/serial.log"
	timeout -k 5 "$limit" "$@" run -b "$work/$name" "ct-$name" \
		>"$work/$name.out" 2>"$work/$name.err" </dev/null
	rc=$?
	cp "$rootfs/work/serial.log" "$work/serial.log" 2>/dev/null || : >"$work/serial.log"
	crun delete -f "ct-$name" >/dev/null 2>&1
	[ $rc != 124 ] || bad "crun run did not end within $limit s"
}

# in_vm FILE: FILE holds a line "KERNEL=<release>" printed by the workload;
# it must be the runner's kernel, not the L1's.
in_vm() {
	local k
	k=$(sed -n 's/^KERNEL=//p' "$1" | head -n 1)
	[ -n "$k" ] || { bad "the workload printed no KERNEL= line"; return; }
	[ "$k" != "$l1_release" ] || bad "the workload ran on the L1's kernel ($k), not in a VM"
}

# wait_file PATH SECONDS: until PATH exists.
wait_file() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.2
	done
	return 1
}

# --- the tests ------------------------------------------------------------------------------
t_status() {
	t_begin status
	local want_rc
	for want_rc in 0 7; do
		bundle st "${VMM_ANN[@]}" -- sh -c "echo KERNEL=\$(uname -r); exit $want_rc" || break
		run_ct st 180 crun
		[ "$rc" = "$want_rc" ] || bad "exit $want_rc: crun run returned $rc"
		in_vm "$work/st.out"
		# vmm.serial: the guest kernel's log, the runner's info lines in it.
		grep -q "runner: exit $want_rc" "$work/serial.log" ||
			bad "exit $want_rc: no 'runner: exit' line in the vmm.serial log"
		! grep -q KERNEL= "$work/serial.log" ||
			bad "the workload's output reached the kernel log"
	done
	# A program the guest cannot find: 127, as a shell says it.
	bundle st "${VMM_ANN[@]}" -- /no/such/program && run_ct st 180 crun
	[ "$rc" = 127 ] || bad "a missing program: crun run returned $rc, want 127"
	t_end "$work/st.out" "$work/st.err"
}

# SIGNAL EXPECTED: a sleeping workload, `crun kill` SIGNAL; also `crun exec`
# into it, which must be refused.
t_kill_one() {
	local sig=$1 expect=$2 id=ct-kill pid
	rm -f "$rootfs/work/started"
	bundle kill "${VMM_ANN[@]}" -- sh -c 'touch /work/started; exec sleep 1000' || return
	rm -f "$rootfs/work/serial.log"
	crun run -b "$work/kill" $id >"$work/kill.out" 2>"$work/kill.err" </dev/null &
	pid=$!
	if ! wait_file "$rootfs/work/started" 180; then
		bad "$sig: the workload did not start within 180 s"
		kill -9 $pid 2>/dev/null
	else
		if [ "$sig" = TERM ]; then
			timeout 60 crun exec $id true >"$work/exec.out" 2>&1
			local erc=$?
			[ $erc != 0 ] || bad "crun exec succeeded"
			grep -q 'vmm' "$work/exec.out" || bad "crun exec's refusal does not say why: $(head -c 200 "$work/exec.out")"
		fi
		crun kill $id "$sig" || bad "crun kill $id $sig failed"
	fi
	if ! timeout 120 tail --pid=$pid -f /dev/null; then
		bad "crun kill $sig: crun run still running 120 s later"
		kill -9 $pid 2>/dev/null
	fi
	wait $pid
	rc=$?
	cp "$rootfs/work/serial.log" "$work/serial.log" 2>/dev/null
	crun delete -f $id >/dev/null 2>&1
	[ "$rc" = "$expect" ] || bad "crun kill $sig: crun run returned $rc, want $expect"
}
t_kill() {
	t_begin kill
	t_kill_one KILL 137
	t_kill_one TERM 143
	t_end "$work/kill.err" "$work/exec.out"
}

t_stdio() {
	t_begin stdio
	bundle io "${VMM_ANN[@]}" -- sh -c 'cat /work/pattern.out; cat /work/pattern.err >&2' &&
		run_ct io 300 crun
	[ "$rc" = 0 ] || bad "crun run returned $rc"
	cmp -s "$work/io.out" "$rootfs/work/pattern.out" ||
		bad "stdout is not the 10 MiB pattern ($(stat -c %s "$work/io.out") bytes)"
	cmp -s "$work/io.err" "$rootfs/work/pattern.err" ||
		bad "stderr is not the other 10 MiB pattern ($(stat -c %s "$work/io.err") bytes)"
	t_end
	t_begin stdin
	local want
	want=$(sha256sum <"$rootfs/work/pattern.out" | cut -d' ' -f1)
	bundle in "${VMM_ANN[@]}" -- sh -c 'echo KERNEL=$(uname -r); sha256sum' || return
	rm -f "$rootfs/work/serial.log"
	timeout -k 5 300 crun run -b "$work/in" ct-in <"$rootfs/work/pattern.out" \
		>"$work/in.out" 2>"$work/in.err"
	rc=$?
	crun delete -f ct-in >/dev/null 2>&1
	[ "$rc" = 0 ] || bad "crun run returned $rc"
	grep -q "^$want " "$work/in.out" || bad "the workload's sha256 of its stdin is not the host's ($want)"
	in_vm "$work/in.out"
	t_end "$work/in.out" "$work/in.err"
}

t_process() {
	t_begin process
	bundle pr "${VMM_ANN[@]}" --env CT_VAR=spec-value --cwd /home/user --user 1000:1000 \
		--group 10 -- sh -c 'echo KERNEL=$(uname -r); echo "VAR=$CT_VAR CWD=$(pwd) ID=$(id -u):$(id -g) GROUPS=$(id -G)"; echo from-the-guest >/work/written' &&
		run_ct pr 180 crun
	[ "$rc" = 0 ] || bad "crun run returned $rc"
	grep -q '^VAR=spec-value CWD=/home/user ID=1000:1000 GROUPS=1000 10$' "$work/pr.out" ||
		bad "env/cwd/user: $(grep '^VAR=' "$work/pr.out")"
	in_vm "$work/pr.out"
	[ "$(cat "$rootfs/work/written" 2>/dev/null)" = from-the-guest ] ||
		bad "the file the container wrote is not in the bundle's rootfs"
	[ "$(stat -c %u:%g "$rootfs/work/written" 2>/dev/null)" = 1000:1000 ] ||
		bad "the file the container wrote is not owned by 1000:1000"
	t_end "$work/pr.out" "$work/pr.err"
}

# crun-vmm selects the handler without the annotation; plain crun then
# runs the same bundle natively.
t_alias() {
	t_begin alias
	bundle al --ann vmm.serial=/work/serial.log --kvm -- sh -c 'echo KERNEL=$(uname -r)' &&
		run_ct al 180 crun-vmm
	[ "$rc" = 0 ] || bad "crun-vmm run returned $rc"
	in_vm "$work/al.out"
	run_ct al 60 crun
	[ "$rc" = 0 ] || bad "crun run (native) returned $rc"
	grep -qx "KERNEL=$l1_release" "$work/al.out" || bad "plain crun did not run the bundle natively"
	t_end "$work/al.out" "$work/al.err"
}

# terminal: true: the workload's tty is hvc0, of the size of crun's pty
# (process.consoleSize: crun sizes its pty from the spec, as podman -t
# asks it to). The output starts with "^@" natively too: the pty's echo
# of script(1)'s end of input.
t_terminal() {
	t_begin terminal
	bundle tt "${VMM_ANN[@]}" --terminal --size 37x111 -- sh -c 'echo KERNEL=$(uname -r); echo "TTY=$(tty) SIZE=$(stty size)"' || return
	rm -f "$rootfs/work/serial.log"
	timeout -k 5 180 script -qec "crun run -b $work/tt ct-tt" /dev/null \
		</dev/null >"$work/tt.out" 2>&1
	rc=$?
	crun delete -f ct-tt >/dev/null 2>&1
	tr -d '\r' <"$work/tt.out" | sed 's/^\^@//' >"$work/tt.txt"
	[ "$rc" = 0 ] || bad "crun run under script(1) returned $rc"
	grep -q '^TTY=/dev/hvc0 SIZE=37 111$' "$work/tt.txt" || bad "tty/size: $(grep '^TTY=' "$work/tt.txt")"
	in_vm "$work/tt.txt"
	t_end "$work/tt.txt"
}

# podman with its default seccomp profile (io_uring refused: the epoll loop).
t_podman() {
	t_begin podman
	timeout -k 5 300 podman run --rm --network none --rootfs \
		--annotation run.oci.handler=vmm --annotation vmm.serial=/work/serial.log \
		--device /dev/kvm "$rootfs" /bin/sh -c 'echo KERNEL=$(uname -r); echo podman-says-hi; exit 42' \
		>"$work/pm.out" 2>"$work/pm.err" </dev/null
	rc=$?
	cp "$rootfs/work/serial.log" "$work/serial.log" 2>/dev/null
	[ "$rc" = 42 ] || bad "podman run returned $rc, want 42"
	grep -qx podman-says-hi "$work/pm.out" || bad "the workload's output is missing"
	in_vm "$work/pm.out"
	# crun-vmm as podman's runtime: the handler without the annotation.
	timeout -k 5 300 podman run --rm --network none --runtime /usr/local/bin/crun-vmm \
		--device /dev/kvm --rootfs "$rootfs" /bin/sh -c 'echo KERNEL=$(uname -r)' \
		>"$work/pm-rt.out" 2>"$work/pm-rt.err" </dev/null
	rc=$?
	[ "$rc" = 0 ] || bad "podman --runtime crun-vmm returned $rc"
	in_vm "$work/pm-rt.out"
	t_end "$work/pm.out" "$work/pm.err" "$work/pm-rt.err"
}

# A bad set-up ends with one clear line on stderr and a failure status.
# ct_refused NAME WORDS ANNOTATIONS...: WORDS (a grep -E pattern) must be
# in stderr.
ct_refused() {
	local name=$1 pat=$2
	shift 2
	bundle "$name" "$@" -- sh -c 'echo KERNEL=$(uname -r)' && run_ct "$name" 120 crun
	[ "$rc" != 0 ] || bad "$name: crun run succeeded"
	grep -qE "$pat" "$work/$name.err" || bad "$name: stderr does not say '$pat': $(tail -n 2 "$work/$name.err")"
	! grep -q '^KERNEL=' "$work/$name.out" || bad "$name: the workload ran"
}
t_bad() {
	t_begin bad-setup
	ct_refused no-runner 'vmm: .*/nonexistent/bzImage' "${VMM_ANN[@]}" --ann vmm.kernel=/nonexistent/bzImage
	ct_refused no-kvm 'vmm: .*/dev/kvm' --ann run.oci.handler=vmm
	ct_refused bad-mem "vmm: .*'lots' is not a size" "${VMM_ANN[@]}" --ann vmm.mem=lots
	t_end "$work/no-runner.err" "$work/no-kvm.err" "$work/bad-mem.err"
}

if setup; then
	for t in status kill stdio process alias terminal podman bad; do
		want "$t" && "t_$t"
	done
fi
echo CONTAINERS_DONE
