#!/bin/bash
# guests/run-demo.sh [VMM ARGS...] : `make run`: boot Debian's cloud kernel
# with our VMM and give the user its shell on this terminal, through
# virtio-console (the guest's hvc0, sized like this terminal and following
# its resizes; the boot log is replayed to hvc0 once its driver loads).
#
# If this host's /dev/kvm can run Linux (real VT-x/AMD-V), vmm runs directly:
#   vmm --kernel build/guests/stock/vmlinuz --initrd .../initramfs.cpio.gz
#       --cmdline 'console=hvc0 interactive=1 shell_tty=hvc0 panic=-1 reboot=acpi'
#       --cpus 2 --mem 512M --serial none --console stdio [VMM ARGS...]
# Otherwise (no /dev/kvm, a KVM "PVM" host: /sys/module/kvm_pvm exists, or
# /proc/cpuinfo shows neither vmx nor svm) the same runs nested inside a
# QEMU TCG L1 through guests/l1/interactive.sh.
# DEMO_MODE=direct|nested overrides the detection. The stock kernel (and the
# L1 when needed) are built first if missing (cached in $GUESTS, default
# build/guests); the VMM is $VMM, default $O/vmm (O defaults to build).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/.." && pwd)
O=${O:-build}
case $O in /*) ob=$O ;; *) ob=$top/$O ;; esac
vmm=${VMM:-$ob/vmm}
export O VMM=$vmm

[ -x "$vmm" ] || { echo "run-demo.sh: $vmm missing; run make first" >&2; exit 2; }

host_kvm_runs_linux() {
	[ -c /dev/kvm ] || return 1
	[ -d /sys/module/kvm_pvm ] && return 1
	grep -qwE 'vmx|svm' /proc/cpuinfo || return 1
	return 0
}

mode=${DEMO_MODE:-}
if [ -z "$mode" ]; then
	if host_kvm_runs_linux; then mode=direct; else mode=nested; fi
fi

guests=${GUESTS:-$top/build/guests}
stock=$guests/stock
if [ ! -f "$stock/vmlinuz" ] || [ ! -f "$stock/initramfs.cpio.gz" ]; then
	"$here/stock/build.sh" "$stock"
fi

case $mode in
direct)
	exec "$vmm" --kernel "$stock/vmlinuz" --initrd "$stock/initramfs.cpio.gz" \
		--cmdline 'console=hvc0 interactive=1 shell_tty=hvc0 panic=-1 reboot=acpi' \
		--cpus 2 --mem 512M --serial none --console stdio "$@"
	;;
nested)
	"$here/l1/build.sh" "$guests/l1" >/dev/null # cached: builds only what is missing
	exec "$here/l1/interactive.sh" "$@"
	;;
*)
	echo "run-demo.sh: DEMO_MODE must be direct or nested, not '$mode'" >&2
	exit 2
	;;
esac
