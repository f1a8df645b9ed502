# SPDX-License-Identifier: MIT
"""What the benchmarks that boot Linux guests (fio_blk.py, echo_latency.py,
net_vsock.py, fs_bench.py) share: where the VMM, the minimal guest and the
L1's root image are, the check that they exist, one L2 run to its end, the
kept log of a run that fell short, and the table of medians."""
import os
import re
import statistics
import subprocess
import time

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


def boot(argv, serial, limit):
    """Run one L2 to its end (stopped after @limit s): its status (or
    "timeout"), its stderr, the text of its serial file @serial (removed
    first) and the seconds it took."""
    if os.path.exists(serial):
        os.unlink(serial)
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=limit)
        rc, err = p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", (e.stderr or b"").decode(errors="replace")
    text = ""
    if os.path.exists(serial):
        with open(serial, errors="replace") as f:
            text = f.read()
    return rc, err, text, time.monotonic() - t0


def keep_failed(bench, label, rc, secs, got, want, err, text):
    """A run that fell short: its guest log kept as OB/bench/BENCH-LABEL-T.log
    and one line saying what came back."""
    os.makedirs(os.path.join(OB, "bench"), exist_ok=True)
    keep = os.path.join(OB, "bench", "%s-%s-%d.log" % (
        bench, re.sub(r"[^A-Za-z0-9]+", "_", label), int(time.time())))
    with open(keep, "w") as f:
        f.write(text)
    tail = [ln for ln in text.replace("\r", "").splitlines() if ln.strip()][-3:]
    print("  (%s: status %s after %.0f s, %d of %d results; stderr: %s; "
          "guest: %s; log %s)" % (label, rc, secs, got, want,
                                  err.strip().splitlines()[-1:] or "-",
                                  " | ".join(tail) or "-", keep), flush=True)


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
