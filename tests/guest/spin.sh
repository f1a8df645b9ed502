#!/usr/bin/env bash
# guests/spin: a CPL-3 busy loop (with and without LAPIC timer interrupts
# arriving at CPL 3) and an idle loop in HLT woken by the LAPIC timer.
# Only completion is checked (status 0, the summary line, SUCCESS); the
# durations are reported by the guest but never compared with limits.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/spin.bzImage" "$GUESTS/spin.elf"

# name | image | cmdline | ERE for the summary line. The idle loop stops
# once it has counted its ticks, but a periodic LAPIC timer that fired late
# delivers its backlog back to back, so one or two more may land in the
# same wake-up before the guest masks them (seen in the nested L1: 201).
cases=(
	"spin-ticks-bz|spin.bzImage|mode=spin spin_ms=200 tick_us=1000|^SPIN_MS"
	"spin-quiet-pvh|spin.elf|mode=spin spin_ms=200 tick_us=0|ticks=0$"
	"idle-bz|spin.bzImage|mode=idle idle_ms=200|^IDLE_MS=200 ticks=20[0-2] "
	"idle-pvh|spin.elf|mode=idle idle_ms=100 tick_us=5000|ticks=2[0-2] "
)
for c in "${cases[@]}"; do
	IFS='|' read -r name image cmdline summary <<<"$c"
	vmm_run "$name" 20 --kernel "$GUESTS/$image" --mem 64M --debug-exit \
		--cmdline "$cmdline"
	expect_status "$name" 0 &&
		expect_log "$name" "$summary" '^SUCCESS$' &&
		expect_no_log "$name" '^FAIL' &&
		pass "$name"
done
finish
