#!/usr/bin/env bash
# libvmm as its users get it: tests/lib/consumer.c, built by
# tests/lib/build.sh with pkg-config against `make install DESTDIR=`
# (shared and static), boots the hello and spin guests through <vmm/vmm.h>
# only: two VMs at once, pause/resume with runstate times, exit reasons,
# vmm_stop(), a refused kick signal, eight create/destroy rounds, and the
# process's own SIGRTMIN handler and SIGPIPE disposition left alone.
. "$(dirname "$0")/lib.bash"

need_kvm
need_file "$GUESTS/hello.bzImage" "$GUESTS/spin.bzImage"
lib=$O/tests/lib
[ -x "$lib/consumer-shared" ] ||
	skip "$lib/consumer-shared missing: tests/lib/build.sh runs in the unit tier first"

for kind in shared static; do
	bin=$lib/consumer-$kind
	if [ ! -x "$bin" ]; then
		# The sanitizer builds make only the shared one.
		[ $kind = static ] && [ -x "$lib/consumer-shared" ] && continue
		GT_CASES=$((GT_CASES + 1))
		RC=127 LOG=/dev/null ERR=/dev/null CMD=$bin
		gt_fail "$kind" "$bin was not built"
		continue
	fi
	GT_CASES=$((GT_CASES + 1))
	LOG=$TMP/$kind.log ERR=$TMP/$kind.err
	CMD="LD_LIBRARY_PATH=$lib/root/usr/lib $bin $GUESTS/hello.bzImage $GUESTS/spin.bzImage $TMP"
	LD_LIBRARY_PATH=$lib/root/usr/lib timeout 120 "$bin" \
		"$GUESTS/hello.bzImage" "$GUESTS/spin.bzImage" "$TMP" >"$LOG" 2>"$ERR"
	RC=$?
	expect_status "$kind" 0 && expect_log "$kind" '^CONSUMER OK$' && pass "$kind"
done
finish
