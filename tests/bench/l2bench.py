# SPDX-License-Identifier: MIT
"""What the benchmarks that boot Linux guests (fio_blk.py, echo_latency.py,
net_vsock.py, fs_bench.py) share: where the VMM, the minimal guest and the
L1's root image are, the check that they exist, one L2 run to its end, the
kept log of a run that fell short, and the table of medians."""
import os
import re
import statistics
import subprocess
import tempfile
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


def boot(argv, serial, limit, progress=None):
    """Run one L2 to its end (stopped after @limit s): its status (or
    "timeout"), its stderr, the text of its serial file @serial (removed
    first) and the seconds it took. With @progress (a regex), serial lines
    matching it are printed as they come, and a line every 120 s says the
    guest still runs: a long run then never looks like a frozen L1 to the
    harness, which stops an L1 whose console stays silent for 600 s."""
    if os.path.exists(serial):
        os.unlink(serial)
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as errf:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=errf)
        seen, last = 0, t0
        while True:
            try:
                p.wait(timeout=5)
                rc = p.returncode
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if now - t0 > limit:
                # SIGTERM first: vmm then writes its --stats (the queues'
                # indices and interrupt status tell a stall's side).
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
                rc = "timeout"
                break
            if progress is None:
                continue
            text = _read(serial)
            for ln in text[seen:].splitlines(keepends=True):
                if ln[-1] not in "\r\n":
                    break
                seen += len(ln)
                if re.search(progress, ln):
                    print("    " + ln.strip(), flush=True)
                    last = now
            if now - last >= 120:
                print("    (still running after %.0f s)" % (now - t0), flush=True)
                last = now
        errf.seek(0)
        err = errf.read().decode(errors="replace")
    return rc, err, _read(serial), time.monotonic() - t0


def _read(path):
    if not os.path.exists(path):
        return ""
    with open(path, errors="replace") as f:
        return f.read()


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
