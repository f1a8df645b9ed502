# tests/linux/l1-lib.sh: runs inside the nested L1 (busybox sh), as the first
# part of the /test.sh that tests/linux/run.sh generates; the second part is
# one `run_case NAME TIMEOUT ARGS SETUP CHECK` line per case of
# tests/linux/cases.
#
# run_case NAME TIMEOUT ARGS SETUP CHECK [WRAP] runs SETUP (a shell
# function of l1-blk.sh, l1-net.sh, l1-fs.sh or l1-con.sh, or - for none) with
# the case's two scratch directories (/tmp/cases/NAME on tmpfs and
# /var/tmp/cases/NAME on L1's ext4 root, where O_DIRECT works), boots one
# L2 with $VMM (set by L1's /init; started through WRAP, "SCRIPT,ARG,..."
# naming a program of tests/linux, when not -), bounded by `timeout`, notes when
# INIT_REACHED first shows up in any of its outputs, runs CHECK the same way
# as SETUP once the VMM has exited, then prints
#   CASE_BEGIN <name>
#   [<name>:<stream>] <line>     for stream in stdout stderr serial console
#                                setup check threads (the VMM's threads,
#                                when it was still running near the limit)
#   CASE_END <name> rc=<n> secs=<s> init_secs=<s or -> timed_out=<0|1>
# A SETUP that fails skips the VMM run (rc=125, "SETUP_FAILED" in setup).
# The host side (tests/linux/run.sh) parses this from L1's console log.

up() { cut -d' ' -f1 /proc/uptime; }

# What every thread of each running $VMM waits in, as the kernel sees it
# (state, wchan, the syscall and its first arguments, the kernel stack),
# and its fds: taken just before a case's time limit, for a VMM that
# hangs.
dump_vmm_threads() {
	local exe p t
	exe=$(readlink -f "$VMM")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$exe" ] || continue
		echo "PROCESS ${p#/proc/}"
		for t in "$p"/task/*; do
			echo "THREAD ${t##*/} $(cat "$t/comm" 2>/dev/null)" \
				"state=$(awk '/^State/ { print $2 }' "$t/status" 2>/dev/null)" \
				"wchan=$(cat "$t/wchan" 2>/dev/null)" \
				"syscall=$(cut -d' ' -f1-4 "$t/syscall" 2>/dev/null)"
			sed 's/^/    /' "$t/stack" 2>/dev/null
		done
		ls -l "$p/fd" 2>/dev/null | sed -n 's/.* \([0-9]*\) -> /    fd \1 -> /p'
	done
}
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

run_case() {
	name=$1 limit=$2 args=$3 setup=${4:--} check=${5:--} wrap=
	[ "${6:--}" = - ] || wrap="$LX_TOP/tests/linux/$(echo "$6" | tr , ' ')"
	d=/tmp/cases/$name dd=/var/tmp/cases/$name
	mkdir -p "$d" "$dd"
	echo "CASE_BEGIN $name"
	# Word-split the argument string with shell quoting rules.
	eval "set -- $args"
	init_s=-
	setup_ok=1
	if [ "$setup" != - ] && ! "$setup" "$d" "$dd" >"$d/setup.log" 2>&1; then
		echo "SETUP_FAILED ($setup)" >>"$d/setup.log"
		setup_ok=0
	fi
	t0=$(up)
	# TERM at the limit; KILL 15 s later should the VMM ignore TERM.
	if [ $setup_ok = 0 ]; then
		(exit 125) &
	else
		# shellcheck disable=SC2086 # $wrap: a command and its words
		timeout -s KILL $((limit + 15)) timeout "$limit" $wrap "$VMM" \
			${LX_IO_LOOP:+--io-loop=$LX_IO_LOOP} "$@" \
			</dev/null >"$d/stdout.log" 2>"$d/stderr.log" &
	fi
	pid=$!
	reader=
	dumped=0
	n=0
	while kill -0 "$pid" 2>/dev/null; do
		# Once a second: near the limit, record what the VMM waits in.
		n=$((n + 1))
		if [ $dumped = 0 ] && [ $((n % 10)) = 0 ] &&
			[ "$(awk -v a="$t0" -v b="$(up)" -v l="$limit" 'BEGIN { print (b - a >= l - 3) ? 1 : 0 }')" = 1 ]; then
			dump_vmm_threads >"$d/threads.log" 2>&1
			# With --api @DIR@/api.sock: the devices' state, live.
			[ -S "$d/api.sock" ] &&
				echo "LIVE_STATS $(timeout 5 "$VMM" ctl "$d/api.sock" stats 2>&1 |
					tr -d '\n\t ' | grep -o '"disks".*\|"nets".*\|"vsock".*' | head -n1)" >>"$d/threads.log"
			dumped=1
		fi
		# --console pty: attach to the printed pts like a user would, raw
		# and without echo, reading into the "console" stream. Output
		# from before we attached comes from vmm's replay ring. Not when
		# the setup left CASE_DIR/pty.manual: its own readers come and go.
		if [ -z "$reader" ] && [ ! -e "$d/pty.manual" ]; then
			pts=$(sed -n 's/^console: \(\/dev\/pts\/[0-9]*\)$/\1/p' "$d/stderr.log" 2>/dev/null)
			if [ -n "$pts" ]; then
				(exec 3<"$pts"; stty raw -echo <&3; exec cat <&3) >"$d/console.log" 2>/dev/null &
				reader=$!
			fi
		fi
		if [ "$init_s" = - ] && cat "$d"/*.log 2>/dev/null | grep -q INIT_REACHED; then
			init_s=$(dt "$t0" "$(up)")
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	[ -n "$reader" ] && { sleep 0.2; kill "$reader" 2>/dev/null; wait "$reader" 2>/dev/null; }
	t1=$(up)
	if [ "$check" != - ] && [ $setup_ok = 1 ]; then
		"$check" "$d" "$dd" >"$d/check.log" 2>&1 ||
			echo "CHECK_FAILED ($check, status $?)" >>"$d/check.log"
	fi
	for s in stdout stderr serial console setup check threads; do
		[ -s "$d/$s.log" ] || continue
		tr -d '\r' <"$d/$s.log" | sed "s/^/[$name:$s] /"
		echo
	done
	# A VMM stopped by timeout's SIGTERM may exit with any status: judge by time.
	late=$(awk -v a="$t0" -v b="$t1" -v l="$limit" 'BEGIN { print (b - a >= l) ? 1 : 0 }')
	echo "CASE_END $name rc=$rc secs=$(dt "$t0" "$t1") init_secs=$init_s timed_out=$late"
	rm -rf "$dd" # disk images: L1's root has about 1 GiB free
}
