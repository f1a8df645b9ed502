#!/usr/bin/env bash
# guests/smp: the BSP starts every AP listed in the MADT with INIT/SIPI/SIPI
# and counts them. Expected: status 0, "APS_STARTED=<N-1>" and "SUCCESS"
# for N = 1, 2, 8 and 64 vCPUs (bzImage), and 8 vCPUs through PVH.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/smp.bzImage" "$GUESTS/smp.elf"

for c in "bz 1" "bz 2" "bz 8" "bz 64" "pvh 8"; do
	read -r kind cpus <<<"$c"
	image=smp.bzImage
	[ "$kind" = pvh ] && image=smp.elf
	name=smp-$kind-c$cpus
	vmm_run "$name" 30 --kernel "$GUESTS/$image" --cpus "$cpus" \
		--mem 64M --debug-exit --cmdline "cpus=$cpus"
	expect_status "$name" 0 &&
		expect_log "$name" "^APS_STARTED=$((cpus - 1))\$" '^SUCCESS$' &&
		expect_no_log "$name" '^FAIL' &&
		pass "$name"
done
finish
