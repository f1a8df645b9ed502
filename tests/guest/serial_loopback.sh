#!/usr/bin/env bash
# The 16550A's internal loopback (MCR.LOOP) in vmm's UART, checked by
# guests/uart mode=loopback as a driver's probe would: MSR follows MCR
# (CTS=RTS, DSR=DTR, RI=OUT1, DCD=OUT2, what Linux's 8250 autoconfig
# tests), THR bytes come back through RBR in order with LSR.DR, the FIFO
# holds 16, FCR resets it, IIR priorities (RX data over THRE) and THRI
# cleared by an IIR read, IER/SCR/divisor latch, and the RX-data interrupt
# through the IOAPIC. Looped-back bytes must not reach the console.
# Also the output path (mode=tput, the bench's guest, at CPL 3 and CPL 0):
# every byte written to THR must reach the --serial file, in order.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/uart.bzImage" "$GUESTS/uart.elf"

checks=(
	'^OK: loopback: MSR follows MCR'
	'^OK: loopback: FIFO reset'
	'^OK: loopback: THR to RBR'
	'^OK: loopback: FCR receiver reset'
	'^OK: loopback: IIR priority'
	'^OK: loopback: SCR, divisor latch'
	'^OK: loopback: RX interrupt via IOAPIC'
	'^SUCCESS$'
)
for image in uart.bzImage uart.elf; do
	name=loopback-${image#uart.}
	vmm_run "$name" 20 --kernel "$GUESTS/$image" --mem 64M --debug-exit \
		--cmdline "mode=loopback"
	expect_status "$name" 0 && expect_log "$name" "${checks[@]}" &&
		expect_no_log "$name" '^FAIL' &&
		expect_no_log "$name" 'lbQz7' && pass "$name"
done

# The payload sits between "TPUT_BEGIN\n" and "TPUT_END\n": lines of 63
# letters (a..z repeating) and a newline, cut to N bytes.
expect_payload() {
	local name=$1 n=$2 why
	why=$(python3 - "$LOG" "$n" <<'PY'
import sys
log, n = open(sys.argv[1], "rb").read(), int(sys.argv[2])
line = bytes(97 + i % 26 for i in range(63)) + b"\n"
want = (line * (n // 64 + 1))[:n]
b, e = log.find(b"TPUT_BEGIN\n"), log.find(b"TPUT_END\n")
if b < 0 or e < b:
    sys.exit("no TPUT_BEGIN ... TPUT_END")
got = log[b + len(b"TPUT_BEGIN\n"):e]
if got != want:
    sys.exit("payload of %d bytes differs from the %d sent" % (len(got), n))
PY
	) || {
		gt_fail "$name" "$why"
		return 1
	}
	return 0
}

if command -v python3 >/dev/null; then
	for cpl in 3 0; do
		name=tput-cpl$cpl
		vmm_run "$name" 30 --kernel "$GUESTS/uart.elf" --mem 64M \
			--debug-exit --cmdline "mode=tput bytes=3001 cpl=$cpl"
		expect_status "$name" 0 &&
			expect_log "$name" "^TPUT bytes=3001 cycles=[0-9]+ " \
				'^SUCCESS$' &&
			expect_no_log "$name" '^FAIL' &&
			expect_payload "$name" 3001 && pass "$name"
	done
else
	echo "skip tput: python3 is needed for the payload check"
fi

# Options the guest must refuse (status 20, a FAIL line naming them).
name=bad-mode
vmm_run "$name" 20 --kernel "$GUESTS/uart.bzImage" --mem 64M --debug-exit \
	--cmdline "mode=bogus"
expect_status "$name" 20 && expect_log "$name" "^FAIL: uart: unknown mode" &&
	pass "$name"
finish
