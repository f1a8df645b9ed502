#!/usr/bin/env bash
# guests/hello booted as bzImage (64-bit entry) and as PVH ELF over a set of
# vCPU counts and memory sizes (below, at and above the 3 GiB MMIO hole),
# most with an initrd of random bytes. The guest checks the e820/PVH memory
# map against --mem, the command line, the initrd's FNV-1a hash, the ACPI
# tables (RSDP/XSDT/MADT CPU count/FADT hardware-reduced/DSDT \_S5), the
# MP table and (uart_irq=1) COM1's interrupt through the IOAPIC, and exits
# through debug-exit: status 0 and "SUCCESS" expected.
. "$(dirname "$0")/lib.bash"

need_kvm
need_vmm
need_file "$GUESTS/hello.bzImage" "$GUESTS/hello.elf"
command -v python3 >/dev/null || skip "python3 is needed for the initrd hash"

# An odd size, so the hash loop's tail is exercised.
initrd=$TMP/initrd.bin
head -c 300007 /dev/urandom >"$initrd"
size=$(stat -c %s "$initrd")
sum=$(fnv1a "$initrd")

# name image cpus mem mem_mb initrd(yes/no)
cases=(
	"bz-c1-64M     hello.bzImage 1  64M   64    yes"
	"pvh-c1-64M    hello.elf     1  64M   64    yes"
	"bz-c2-1G      hello.bzImage 2  1G    1024  no"
	"pvh-c8-1G     hello.elf     8  1G    1024  yes"
	"bz-c64-3584M  hello.bzImage 64 3584M 3584  yes"
	"pvh-c2-3584M  hello.elf     2  3584M 3584  no"
	"bz-c8-5G      hello.bzImage 8  5G    5120  yes"
	"pvh-c64-5G    hello.elf     64 5G    5120  yes"
)
for c in "${cases[@]}"; do
	read -r name image cpus mem mem_mb with_initrd <<<"$c"
	cmdline="mem_mb=$mem_mb cpus=$cpus uart_irq=1"
	args=(--kernel "$GUESTS/$image" --cpus "$cpus" --mem "$mem")
	args+=(--debug-exit)
	if [ "$with_initrd" = yes ]; then
		cmdline+=" initrd_size=$size initrd_sum=$sum"
		args+=(--initrd "$initrd")
	fi
	vmm_run "$name" 30 "${args[@]}" --cmdline "$cmdline"
	expect_status "$name" 0 &&
		expect_log "$name" '^OK: memmap' '^OK: initrd' '^OK: acpi' \
			'^OK: mptable' '^OK: irq' '^SUCCESS$' &&
		expect_no_log "$name" '^FAIL' &&
		pass "$name"
done
finish
