# SPDX-License-Identifier: MIT
"""What the benchmarks that boot the minimal Linux guest (fio_blk.py,
net_vsock.py, fs_bench.py) share: where the VMM, the guest and the L1's
root image are, the check that they exist, and the table of medians."""
import os
import statistics

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
O = os.environ.get("O", "build")
OB = O if os.path.isabs(O) else os.path.join(TOP, O)
VMM = os.environ.get("VMM", os.path.join(OB, "vmm"))
LINUX = os.environ.get("LINUX_GUEST", os.path.join(TOP, "build/guests/linux"))
L1ROOT = os.path.realpath(os.environ.get(
    "L1_ROOT_IMG", os.path.join(TOP, "build/guests/l1/root.img")))
CMDLINE = "console=ttyS0 panic=-1 reboot=acpi"


def missing_input():
    """The first of the VMM, the guest and the L1's image not built, or None."""
    for f in (os.path.join(LINUX, "bzImage"), os.path.join(LINUX, "initramfs.cpio.gz"),
              L1ROOT, VMM):
        if not os.path.exists(f):
            return f
    return None


def fmt_median(v, integer=False):
    """The median of @v for a table cell: '-' when there is none."""
    if not v:
        return "-"
    m = statistics.median(v)
    return "%.0f" % m if integer or m >= 100 else "%.1f" % m


def ratio(a, b):
    """median(a) / median(b) as '1.23x', or '-'."""
    if not a or not b or not statistics.median(b):
        return "-"
    return "%.2fx" % (statistics.median(a) / statistics.median(b))


def print_table(head, rows):
    """Left-aligned columns, two spaces in."""
    w = [max(len(r[i]) for r in rows + [head]) + 2 for i in range(len(head))]
    for r in [head] + rows:
        print("  " + "".join("%-*s" % (w[i], x) for i, x in enumerate(r)).rstrip())
