#!/bin/bash
# guests/l1/interactive.sh [VMM ARGS...] : `make run` on a host whose KVM
# cannot run Linux (PVM): the demo runs nested.
#
# Boots the nested L1 (guests/l1/run.sh -i: QEMU TCG, kvm-amd inside) with
# its console on this terminal and, inside it, runs in the foreground
#   vmm --kernel <stock vmlinuz> --initrd <stock initramfs>
#       --cmdline 'console=hvc0 interactive=1 shell_tty=hvc0 panic=-1 reboot=acpi'
#       --cpus 2 --mem 512M --serial none --console stdio [VMM ARGS...]
# so the user lands in a shell of Debian's cloud kernel (L2) on virtio-console
# (hvc0): a keystroke is one virtqueue buffer for L2, not an 8250 exit per
# register access. L1's console and the guest's hvc0 get this terminal's
# size (on hvc0 through tty_size=: Linux would apply VIRTIO_CONSOLE_F_SIZE
# only at a later resize). Leaving that
# shell powers L2 off, vmm exits, L1 powers off and QEMU ends; Ctrl-A X kills
# QEMU at any time. Needs the outputs of guests/stock/build.sh and
# guests/l1/build.sh under $GUESTS (default build/guests) and $O/vmm.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
O=${O:-build}
case $O in /*) ob=$O ;; *) ob=$top/$O ;; esac
vmm=${VMM:-$ob/vmm}
guests=${GUESTS:-$top/build/guests}
stock=$guests/stock

for f in "$stock/vmlinuz" "$stock/initramfs.cpio.gz"; do
	[ -f "$f" ] || { echo "interactive.sh: $f missing; run: guests/stock/build.sh $stock" >&2; exit 2; }
done

script=$(mktemp "${TMPDIR:-/tmp}/l1-demo.XXXXXX")
trap 'rm -f "$script"' EXIT
{
	echo '#!/bin/bash'
	tty_size=
	if size=$(stty size 2>/dev/null) && [ "$size" != "0 0" ]; then
		printf 'stty rows %d cols %d\n' $size
		tty_size=" tty_size=${size% *}x${size#* }"
	fi
	echo 'echo "L1: starting vmm with the Debian cloud kernel (2 vCPUs, 512M) on virtio-console; exit its shell to quit"'
	# --foreground: vmm stays in the terminal's process group, so it may
	# put the terminal in raw mode and read it (no SIGTTOU/SIGTTIN stop).
	printf 'timeout --foreground 7200 "$VMM" --kernel /guest/stock-vmlinuz --initrd /guest/stock-initramfs.cpio.gz'
	printf " --cmdline 'console=hvc0 interactive=1 shell_tty=hvc0%s panic=-1 reboot=acpi'" "$tty_size"
	printf ' --cpus 2 --mem 512M --serial none --console stdio'
	for a in "$@"; do printf ' %q' "$a"; done
	echo
	echo 'rc=$?'
	echo 'stty sane 2>/dev/null'
	echo 'echo "L1: vmm exited with status $rc"'
	echo 'exit $rc'
} >"$script"

echo "note: this host's KVM cannot run Linux guests, so the demo runs nested: vmm inside a QEMU TCG L1 VM (slower; Ctrl-A X quits QEMU)."
"$here/run.sh" -i --vmm "$vmm" --l1 "$guests/l1" \
	-f "$stock/vmlinuz:stock-vmlinuz" \
	-f "$stock/initramfs.cpio.gz:stock-initramfs.cpio.gz" -- "$script"
