#!/usr/bin/env bash
# SIGTERM while the serial console's stdout is a full pipe that nobody
# reads (`vmm --serial stdio ... | sleep 1000`): vmm must still stop in
# order, with status 143 (128 + SIGTERM), and say on stderr, in one line,
# how many bytes of output it could not write. The guest (guests/uart
# mode=tput) writes THR in a loop, so its vCPU is inside a console write
# on the full pipe when the signal comes.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/uart.bzImage"

name=full-stdout-sigterm
fifo=$TMP/stdout
mkfifo "$fifo"
ERR=$TMP/$name.err LOG=$TMP/$name.log
: >"$LOG"

# The reader holds the pipe open and never reads; it says when it is full.
# It first shrinks the pipe to one page, so that the guest's 1-byte port
# writes (one exit each) fill it 16 times sooner than the default 64 KiB:
# under ASan in the nested L1 a slow L1 has needed more than three minutes
# for 64 KiB. With one page, "full" is any byte held when vmm polls before
# writing (the kernel lacks RWF_NOWAIT for pipes: poll says writable only
# while a page is free); with a larger pipe that kept its size, all pages
# in use, the last one perhaps holding 1 byte.
python3 - "$fifo" >"$TMP/reader.out" <<'PY' &
import array, fcntl, os, sys, termios, time
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    fcntl.fcntl(fd, 1031, 4096)  # F_SETPIPE_SZ
except OSError:
    pass  # EBUSY: vmm wrote more than a page already; keep the size
size = fcntl.fcntl(fd, 1032)  # F_GETPIPE_SZ
print("size", size, flush=True)
n = array.array("i", [0])
while True:
    fcntl.ioctl(fd, termios.FIONREAD, n)
    if n[0] > max(size - 4096, 0):
        print("full", flush=True)
        break
    time.sleep(0.01)
time.sleep(3600)
PY
reader=$!

# Limits, not timings: 1-byte port writes fill a 64 KiB pipe in about a
# second on a host, but under ASan in the nested L1 it has taken minutes
# (the first version's 60 s limit ended vmm before it blocked). The wait
# for "full" and for vcpu0 to block below end 10 s before this limit.
CMD="timeout --kill-after=5 240 $VMM --kernel $GUESTS/uart.bzImage --serial stdio --cmdline 'mode=tput bytes=1000000000 poll=0' >FIFO"
timeout --kill-after=5 240 "$VMM" --kernel "$GUESTS/uart.bzImage" \
	--serial stdio --cmdline "mode=tput bytes=1000000000 poll=0" \
	>"$fifo" 2>"$ERR" </dev/null &
VMM_PID=$!
SECONDS=0
while [ $SECONDS -lt 220 ]; do
	grep -q full "$TMP/reader.out" && break
	sleep 0.1
done
# Then the guest's vCPU thread must be asleep in vmm's console write: it
# never sleeps otherwise while the guest writes in a loop.
vmm_pid=$(pgrep -P "$VMM_PID" | head -n 1)
tid=
for t in /proc/"$vmm_pid"/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" = vcpu0 ] && tid=${t##*/}
done
asleep=0 state=
while [ $SECONDS -lt 230 ]; do
	[ -n "$tid" ] || break
	read -r _ _ state _ <"/proc/$vmm_pid/task/$tid/stat" || break
	if [ "$state" = S ]; then asleep=$((asleep + 1)); else asleep=0; fi
	[ $asleep -ge 20 ] && break
	sleep 0.01
done
if ! grep -q full "$TMP/reader.out" || [ $asleep -lt 20 ]; then
	GT_CASES=$((GT_CASES + 1))
	if grep -q full "$TMP/reader.out"; then
		why="vcpu0 never blocked (tid '$tid', last state '$state')"
	else
		why="the pipe never filled up ($(tr '\n' ' ' <"$TMP/reader.out"))"
	fi
	gt_fail $name "$why; stderr: $(head -c 300 "$ERR")"
	kill "$VMM_PID" "$reader" 2>/dev/null
	finish
fi
# timeout passes the signal on to vmm.
kill -TERM "$VMM_PID"
vmm_wait
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
lines=$(wc -l <"$ERR")
if [ "$RC" -ne 143 ]; then
	gt_fail $name "exit status $RC, expected 143 (stopped by SIGTERM)"
elif [ "$lines" -ne 1 ] ||
	! grep -qE '^vmm: warning: console: stdio: [0-9]+ bytes of output not written' "$ERR"; then
	gt_fail $name "stderr: $lines lines, not one saying how many bytes were lost"
else
	pass "$name: $(cat "$ERR")"
fi
finish
