#!/bin/bash
# tests/linux/run.sh [-v] [NAME...] : the Linux test tier.
#
# Boots real Linux guests (L2) with our VMM inside ONE nested L1 (QEMU TCG,
# kvm-amd; see guests/l1/run.sh), one case after the other, as listed in
# tests/linux/cases (or only the cases named on the command line). Each case
# is a vmm command line plus the markers its output must show. Prints one
# line per case:
#   PASS <name> (<s> s, /init after <s> s)
#   FAIL <name>: <reason>
#   SKIP <name>: <reason>
# then "N passed, N failed, N skipped"; exits 0 only if every case passed,
# 77 (with a SKIP line) if qemu, the VMM or the guest images are missing.
# Logs: $O/test-logs/linux/ (l1.log = L1's whole console, <name>/<stream>.log).
# -v streams L1's console while it runs.
#
# Needs: `make` ($O/vmm) and the guest images of guests/linux/build.sh,
# guests/stock/build.sh and guests/l1/build.sh under build/guests/.
# Environment: O (build), VMM ($O/vmm), GUESTS (build/guests), CASES (the
# case list, tests/linux/cases), LINUX_LOGDIR ($O/test-logs/linux),
# LINUX_L1_MEM (the L1's memory, guests/l1/run.sh -m; default 6144M: the
# virtio-fs workload's share and its 1 GiB file live in the L1's RAM).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
O=${O:-build}
case $O in /*) ob=$O ;; *) ob=$top/$O ;; esac
vmm=${VMM:-$ob/vmm}
guests=${GUESTS:-$top/build/guests} # the same images for every $O
logdir=${LINUX_LOGDIR:-$ob/test-logs/linux}
cases_file=${CASES:-$here/cases}
# quiet: an L2 prints its boot log through the emulated 16550, two exits
# per byte; quiet saves about 1.5 s of each boot in the L1 (6.4 -> 5.0 s,
# measured). Warnings, errors and panics still print, and so does /init.
base_cmdline="console=ttyS0 quiet panic=-1 reboot=acpi"

verbose=0
if [ "${1:-}" = -v ]; then verbose=1; shift; fi
only=("$@")

skip_all() {
	echo "SKIP linux: $*"
	exit 77
}

# --- prerequisites ----------------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 not installed (apt-get install -y qemu-system-x86)"
[ -x "$vmm" ] || skip_all "VMM binary $vmm missing (run make)"
gfiles=(
	"$guests/linux/bzImage:bzImage"
	"$guests/linux/vmlinux:vmlinux"
	"$guests/linux/initramfs.cpio.gz:initramfs.cpio.gz"
	"$guests/stock/vmlinuz:stock-vmlinuz"
	"$guests/stock/initramfs.cpio.gz:stock-initramfs.cpio.gz"
)
for f in "${gfiles[@]}" "$guests/l1/vmlinuz:" "$guests/l1/base.cpio:" "$guests/l1/root.img:"; do
	[ -f "${f%%:*}" ] || skip_all "${f%%:*} missing (run make guests)"
done
# The L1's root image, a Debian system with fio: L1 runs it snapshot=on,
# so the file itself stays as built and an L2 may use it as a read-only
# root disk, through the checkout shared at the same path in L1.
l1root=$(readlink -f "$guests/l1/root.img")

# --- cases -----------------------------------------------------------------------------
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; echo "${s%"${s##*[![:space:]]}"}"; }
names=()
declare -A c_args c_expect c_timeout c_setup c_check c_wrap
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	IFS='|' read -r f_name f_args f_expect f_opts <<<"$line"
	name=$(trim "$f_name")
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] || { echo "FAIL linux: bad case name '$name' in $cases_file"; exit 1; }
	if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
	names+=("$name")
	c_args[$name]=$(trim "$f_args")
	c_expect[$name]=$(trim "$f_expect")
	c_timeout[$name]=180 c_setup[$name]=- c_check[$name]=- c_wrap[$name]=-
	for o in ${f_opts:-}; do
		case $o in
		timeout=*) c_timeout[$name]=${o#timeout=} ;;
		setup=*) c_setup[$name]=${o#setup=} ;;
		check=*) c_check[$name]=${o#check=} ;;
		wrap=*) c_wrap[$name]=${o#wrap=} ;;
		esac
	done
done <"$cases_file"
[ ${#names[@]} -gt 0 ] || skip_all "no case selected from $cases_file"

# --- the script L1 runs ----------------------------------------------------------------
rm -rf "$logdir"
mkdir -p "$logdir"

# write_script FILE NAME...: the /test.sh for L1 running these cases; sets
# total_limit (seconds) for the whole L1 run.
write_script() {
	local script=$1 name args
	shift
	total_limit=120 # L1 boot and power-off
	{
		echo "#!/bin/sh"
		printf 'LX_TOP=%q\n' "$top"
		# The io loop every L2's vmm uses (VMM_TEST_IO_LOOP; --io-loop).
		printf 'LX_IO_LOOP=%q\n' "${VMM_TEST_IO_LOOP:-}"
		cat "$here/l1-lib.sh" "$here/l1-blk.sh" "$here/l1-net.sh" "$here/l1-fs.sh" \
			"$here/l1-con.sh"
		for name in "$@"; do
			args=${c_args[$name]}
			args=${args//@G@//guest}
			args=${args//@CMDLINE@/$base_cmdline}
			args=${args//@SERIAL@//tmp/cases/$name/serial.log}
			args=${args//@CONSOLE@//tmp/cases/$name/console.log}
			args=${args//@DIR@//tmp/cases/$name}
			args=${args//@DISKDIR@//var/tmp/cases/$name}
			args=${args//@L1ROOT@/$l1root}
			# The arguments go through eval inside L1: quote them once more.
			printf 'run_case %s %s %q %s %s %s\n' "$name" "${c_timeout[$name]}" "$args" \
				"${c_setup[$name]}" "${c_check[$name]}" "${c_wrap[$name]}"
			total_limit=$((total_limit + c_timeout[$name] + 15))
		done
		echo 'echo "ALL_CASES_DONE"'
		echo 'exit 0'
	} >"$script"
	# busybox sh has no $'...' quoting, which printf %q may emit; refuse it.
	if grep -q "\$'" "$script"; then
		echo "FAIL linux: a case's arguments need \$'...' quoting (no control characters please)"
		exit 1
	fi
}

# run_l1 LOG NAME...: one L1 boot running these cases; sets l1rc.
run_l1() {
	local log=$1 f l1_args
	shift
	write_script "$logdir/l1-test.sh" "$@"
	l1_args=(-t "$total_limit" -l "$log" --vmm "$vmm" --l1 "$guests/l1" -m "${LINUX_L1_MEM:-6144M}")
	for f in "${gfiles[@]}"; do l1_args+=(-f "$f"); done
	[ $verbose = 1 ] || l1_args+=(-q)
	set +e
	"$top/guests/l1/run.sh" "${l1_args[@]}" -- "$logdir/l1-test.sh" \
		2>>"$logdir/harness.err"
	l1rc=$?
	set -e
}

start=$(date +%s)
run_l1 "$logdir/l1.log" "${names[@]}"
l1_failure=
if [ $l1rc != 0 ]; then
	l1_failure="L1 run failed (rc=$l1rc): $(tail -n 1 "$logdir/harness.err")"
fi
tr -d '\r' <"$logdir/l1.log" >"$logdir/l1.clean.log"
# The nested L1 is QEMU TCG emulating SVM; very rarely its own kernel
# locks up (soft lockups on both of its CPUs, l1/run.sh exits 126) or
# panics (once: a stack overflow in its exception entry on a KVM vCPU
# thread). That is the harness failing, not vmm: run the cases it never
# finished once more in a fresh L1, and say so.
if [ "$l1rc" != 0 ]; then
	unfinished=()
	for name in "${names[@]}"; do
		grep -qE "^CASE_END $name rc=" "$logdir/l1.clean.log" ||
			unfinished+=("$name")
	done
	if [ ${#unfinished[@]} -gt 0 ]; then
		echo "note: L1 ended early (rc=$l1rc: $(tail -n 1 "$logdir/harness.err")); retrying ${unfinished[*]} in a fresh L1"
		run_l1 "$logdir/l1-retry.log" "${unfinished[@]}"
		[ $l1rc = 0 ] && l1_failure= ||
			l1_failure="L1 retry failed (rc=$l1rc): $(tail -n 1 "$logdir/harness.err")"
		tr -d '\r' <"$logdir/l1-retry.log" >>"$logdir/l1.clean.log"
	fi
fi
elapsed=$(($(date +%s) - start))

# --- split L1's console into per-case stream logs --------------------------------------
# split_streams DIR CLEANLOG: DIR/<case>/<stream>.log from one L1's console.
split_streams() {
	awk -v dir="$1" '
	match($0, /^\[[A-Za-z0-9._-]+:(stdout|stderr|serial|console|setup|check|threads)\] ?/) {
		tag = substr($0, 2, RLENGTH - 2); sub(/\] ?$/, "", tag)
		split(tag, p, ":")
		f = dir "/" p[1] "/" p[2] ".log"
		if (!(p[1] in made)) { system("mkdir -p \"" dir "/" p[1] "\""); made[p[1]] = 1 }
		print substr($0, RLENGTH + 1) >> f
		close(f)
	}' "$2"
}
split_streams "$logdir" "$logdir/l1.clean.log"

# --- verdicts ------------------------------------------------------------------------------
# check_marker DIR NAME MARKER: return 0 if it holds; prints the reason if not.
check_marker() {
	local dir=$1 name=$2 m=$3 streams=(stdout stderr serial console setup check) files=() f neg=0
	if [[ $m =~ ^(stdout|stderr|serial|console|setup|check):(.*)$ ]]; then
		streams=("${BASH_REMATCH[1]}")
		m=${BASH_REMATCH[2]}
	fi
	for f in "${streams[@]}"; do
		[ -f "$dir/$name/$f.log" ] && files+=("$dir/$name/$f.log")
	done
	[ ${#files[@]} -gt 0 ] || files=(/dev/null)
	if [[ $m == '!'* ]]; then neg=1; m=${m#!}; fi
	m=${m//+/ }
	if [[ $m =~ ^([A-Za-z0-9_]+)~([0-9]+)/([0-9]+)$ ]]; then
		local key=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]} pct=${BASH_REMATCH[3]} got
		got=$(grep -ohE "(^|[^A-Za-z0-9_])$key=[0-9]+" "${files[@]}" | head -n1 | sed 's/.*=//' || true)
		if [ -z "$got" ]; then echo "no $key= line"; return 1; fi
		if [ $(((got - want) * 100 > want * pct || (want - got) * 100 > want * pct)) = 1 ]; then
			echo "$key=$got not within $pct% of $want"
			return 1
		fi
		return 0
	fi
	if grep -qwF -- "$m" "${files[@]}"; then
		[ $neg = 0 ] || { echo "unexpected '$m' in ${streams[*]}"; return 1; }
	else
		[ $neg = 1 ] || { echo "no '$m' in ${streams[*]}"; return 1; }
	fi
	return 0
}

# judge DIR CLEANLOG FAILURE NAME: sets ok (1/0), reason, secs, init_s.
judge() {
	local dir=$1 clean=$2 l1fail=$3 name=$4 endline rc m r
	local reasons=()
	ok=0 reason= secs=- init_s=-
	endline=$(grep -E "^CASE_END $name rc=" "$clean" | tail -n1 || true)
	if [ -z "$endline" ]; then
		if grep -q "^CASE_BEGIN $name\$" "$clean"; then
			reason="case started but never finished (${l1fail:-L1 ended})"
		else
			reason="case did not run (${l1fail:-L1 ended before it})"
		fi
		return
	fi
	rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$endline")
	secs=$(sed -n 's/.* secs=\([0-9.]*\).*/\1/p' <<<"$endline")
	init_s=$(sed -n 's/.* init_secs=\([0-9.-]*\).*/\1/p' <<<"$endline")
	if [[ $endline == *" timed_out=1"* ]]; then
		reasons+=("timed out after ${c_timeout[$name]} s (vmm stopped, rc=$rc)")
	fi
	for m in ${c_expect[$name]}; do
		if [[ $m =~ ^rc=([0-9]+)$ ]]; then
			if [ "$rc" != "${BASH_REMATCH[1]}" ] && [[ $endline != *" timed_out=1"* ]]; then
				reasons+=("vmm exit status $rc, want ${BASH_REMATCH[1]}")
			fi
		elif ! r=$(check_marker "$dir" "$name" "$m"); then
			reasons+=("$r")
		fi
	done
	if [ ${#reasons[@]} = 0 ]; then
		ok=1
	else
		reason=$(printf '%s; ' "${reasons[@]}")
		reason=${reason%; }
	fi
}

# show_logs DIR NAME: the end of each stream of a failed run.
show_logs() {
	local s
	for s in stderr serial stdout console setup check threads; do
		[ -s "$1/$2/$s.log" ] || continue
		if [ $s = threads ]; then
			echo "    --- the VMM's threads near the limit ---"
			grep -E '^(PROCESS|THREAD|LIVE_STATS)' "$1/$2/$s.log" | sed 's/^/    /'
			continue
		fi
		echo "    --- last lines of $s ---"
		tail -n 12 "$1/$2/$s.log" | sed 's/^/    /'
	done
}

declare -A v_ok v_reason v_secs v_init
failed_names=()
for name in "${names[@]}"; do
	judge "$logdir" "$logdir/l1.clean.log" "$l1_failure" "$name"
	v_ok[$name]=$ok v_reason[$name]=$reason v_secs[$name]=$secs v_init[$name]=$init_s
	[ $ok = 1 ] || failed_names+=("$name")
done

# The nested L1 is QEMU TCG emulating SVM for KVM: now and then an L2
# kernel dies there in ways that point at the emulation (a vCPU triple
# faulting at the reset vector, a double fault on a syscall entry). A
# case that failed is run
# once more in a fresh L1; it passes only if that run passes, and both
# runs are reported, the first one's logs kept. More than 3 failures are
# not such an accident: no rerun then.
rerun_dir=$logdir/rerun
if [ ${#failed_names[@]} -gt 0 ] && [ ${#failed_names[@]} -le 3 ]; then
	echo "note: rerunning ${failed_names[*]} once in a fresh L1"
	for name in "${failed_names[@]}"; do
		echo "    first run of $name: ${v_reason[$name]} (logs $logdir/$name/)"
		show_logs "$logdir" "$name"
	done
	rm -rf "$rerun_dir"
	mkdir -p "$rerun_dir"
	run_l1 "$rerun_dir/l1.log" "${failed_names[@]}"
	rerun_failure=
	[ $l1rc = 0 ] || rerun_failure="L1 rerun failed (rc=$l1rc): $(tail -n 1 "$logdir/harness.err")"
	tr -d '\r' <"$rerun_dir/l1.log" >"$rerun_dir/l1.clean.log"
	split_streams "$rerun_dir" "$rerun_dir/l1.clean.log"
fi

passed=0 failed=0 skipped=0 flaky=()
for name in "${names[@]}"; do
	if [ "${v_ok[$name]}" = 1 ]; then
		echo "PASS $name (${v_secs[$name]} s, /init after ${v_init[$name]} s)"
		passed=$((passed + 1))
		continue
	fi
	if [ -d "$rerun_dir" ] && [[ " ${failed_names[*]} " == *" $name "* ]]; then
		judge "$rerun_dir" "$rerun_dir/l1.clean.log" "$rerun_failure" "$name"
		if [ $ok = 1 ]; then
			echo "PASS $name (${secs} s, /init after ${init_s} s) on its rerun; first run: ${v_reason[$name]}"
			passed=$((passed + 1))
			flaky+=("$name")
			continue
		fi
		echo "FAIL $name: ${v_reason[$name]}; rerun: $reason (logs $logdir/$name/, $rerun_dir/$name/)"
		show_logs "$rerun_dir" "$name"
	else
		echo "FAIL $name: ${v_reason[$name]} (${v_secs[$name]} s; logs $logdir/$name/)"
		show_logs "$logdir" "$name"
	fi
	failed=$((failed + 1))
done
[ ${#flaky[@]} = 0 ] || echo "note: passed only on a rerun: ${flaky[*]}"
echo "linux tier: L1 run took ${elapsed} s ($(grep -m1 -o 'L1_KVM_READY uptime=[0-9.]*' "$logdir/l1.clean.log" || echo 'no /dev/kvm')); logs in $logdir"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
