#!/usr/bin/env bash
# vmm's exit status for each way a guest can end the VM (guests/hello
# action=...): ACPI S5 power-off 0, ACPI reset register 3, i8042 reset
# pulse 3, triple fault 4, debug-exit write of V: V. Power-off, reset and
# the triple fault run without --debug-exit, so the status can only come
# from the event itself (hello falls back to a triple fault, status 4, if
# the event does not stop the VM; a poweroff test therefore cannot pass
# by accident).
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/hello.bzImage" "$GUESTS/hello.elf"

# name image action status debug-exit
cases=(
	"poweroff-bz  hello.bzImage poweroff 0   no"
	"poweroff-pvh hello.elf     poweroff 0   no"
	"reset-bz     hello.bzImage reset    3   no"
	"i8042-bz     hello.bzImage i8042    3   no"
	"triple-bz    hello.bzImage triple   4   no"
	"triple-pvh   hello.elf     triple   4   no"
	"exit42-bz    hello.bzImage exit:42  42  yes"
	"exit255-pvh  hello.elf     exit:255 255 yes"
	"exit0-bz     hello.bzImage exit:0   0   yes"
)
for c in "${cases[@]}"; do
	read -r name image action status dbg <<<"$c"
	args=(--kernel "$GUESTS/$image" --mem 64M --cmdline "action=$action")
	[ "$dbg" = yes ] && args+=(--debug-exit)
	vmm_run "$name" 20 "${args[@]}"
	expect_status "$name" "$status" &&
		expect_log "$name" "^hello: action $action\$" &&
		expect_no_log "$name" '^FAIL|guest_exit' &&
		pass "$name"
done

# Ctrl-A x on a stdio terminal ends the VM in order: status 0, the
# terminal restored. The guest would spin for a minute otherwise.
need_file "$GUESTS/spin.bzImage"
GT_CASES=$((GT_CASES + 1))
LOG=$TMP/ctrl-a-x.log ERR=$TMP/ctrl-a-x.err
CMD="(a pty) $VMM --kernel $GUESTS/spin.bzImage --serial stdio --cmdline spin_ms=60000; keys: Ctrl-A x"
python3 - "$VMM" "$GUESTS/spin.bzImage" >"$LOG" 2>"$ERR" <<'PY'
import os, pty, select, sys, termios, time
vmm, kernel = sys.argv[1:3]
pid, fd = pty.fork()
if pid == 0:
    os.execv(vmm, [vmm, "--kernel", kernel, "--serial", "stdio",
                   "--cmdline", "spin_ms=60000"])
before = None
deadline = time.monotonic() + 60
out = b""
while time.monotonic() < deadline and b"spin" not in out:
    r, _, _ = select.select([fd], [], [], 1)
    if r:
        try:
            out += os.read(fd, 4096)
        except OSError:
            break
os.write(fd, b"\x01x")
end = time.monotonic() + 30
status = None
while time.monotonic() < end:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = os.waitstatus_to_exitcode(st)
        break
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            os.read(fd, 4096)
        except OSError:
            pass
if status is None:
    os.kill(pid, 9)
    print("vmm still running 30 s after Ctrl-A x")
    sys.exit(1)
print("status", status)
sys.exit(0 if status == 0 else 1)
PY
RC=$?
[ "$RC" = 0 ] && pass ctrl-a-x || gt_fail ctrl-a-x "vmm did not end with status 0 on Ctrl-A x: $(cat "$LOG")"
finish
