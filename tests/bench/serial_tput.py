#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""8250 (COM1) transmit throughput of vmm into --serial file: (make bench).

    serial_tput.py [--runs N] [--bytes N] [--label L] VMM KERNEL [OPT=V ...]

Boots guests/uart `mode=tput bytes=N OPT=V...` N times with the console in
a file on tmpfs when there is one. Each run gives two figures:
  - host side: wall time between the moments TPUT_BEGIN and TPUT_END
    appear in the file (polled every POLL_S, far below a run's length),
    and the payload bytes found between them, which must be exactly N;
  - guest side: the guest's own TSC count around its transmit loop
    ("TPUT bytes=N cycles=C tsc_khz=K").
Prints one table row: min / median / max MB/s (10^6 B/s) each side, the
median total run time, and how many runs were good. Figures are printed,
never asserted; a run whose payload is not exactly N bytes is bad.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

POLL_S = 0.002
BEGIN = b"TPUT_BEGIN\n"
END = b"TPUT_END\n"
TPUT_RE = re.compile(rb"^TPUT bytes=(\d+) cycles=(\d+) tsc_khz=(\d+)", re.M)


def run_once(vmm, kernel, nbytes, opts, path):
    cmdline = " ".join(["mode=tput", "bytes=%d" % nbytes] + opts)
    cmd = ["timeout", "--kill-after=5", "300", vmm, "--kernel", kernel,
           "--mem", "64M", "--debug-exit", "--serial", "file:" + path,
           "--cmdline", cmdline]
    open(path, "wb").close()  # no stale markers from the last run
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t_begin = t_end = None
    seen = b""
    with open(path, "rb") as f:  # vmm truncates it (empty already)
        while True:
            done = proc.poll() is not None
            seen += f.read()
            now = time.monotonic()
            if t_begin is None and BEGIN in seen:
                t_begin = now
            if t_end is None and END in seen:
                t_end = now
            if done:
                break
            time.sleep(POLL_S)
    t_total = time.monotonic() - t0
    err = proc.stderr.read().decode(errors="replace")
    b, e = seen.find(BEGIN), seen.find(END)
    m = TPUT_RE.search(seen)
    if proc.returncode != 0 or b < 0 or e < 0 or not m or t_begin is None:
        return None, "status %d, markers %s/%s, stderr: %s" % (
            proc.returncode, b >= 0, e >= 0, err.strip()[-200:])
    payload = e - (b + len(BEGIN))
    if payload != nbytes or int(m.group(1)) != nbytes:
        return None, "payload %d bytes, expected %d" % (payload, nbytes)
    cycles, khz = int(m.group(2)), int(m.group(3))
    host_s = t_end - t_begin
    guest_s = cycles / (khz * 1000.0)
    return (nbytes / host_s / 1e6, nbytes / guest_s / 1e6, t_total * 1e3,
            guest_s * 1e6 / nbytes), None


def mmm(values, fmt):
    return " / ".join(fmt % v for v in (min(values), statistics.median(values),
                                        max(values)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bytes", type=int, default=65536)
    ap.add_argument("--label", default=None)
    ap.add_argument("vmm")
    ap.add_argument("kernel")
    ap.add_argument("opts", nargs="*", help="extra guest options, OPT=V")
    a = ap.parse_args()
    tmpdir = "/dev/shm" if os.path.isdir("/dev/shm") else None
    fd, path = tempfile.mkstemp(prefix="serial-tput.", dir=tmpdir)
    os.close(fd)
    good, bad = [], []
    try:
        for _ in range(a.runs):
            res, why = run_once(a.vmm, a.kernel, a.bytes, a.opts, path)
            (good.append(res) if res else bad.append(why))
    finally:
        os.unlink(path)
    label = a.label or (" ".join(a.opts) or "default")
    if not good:
        print("%-24s no good run: %s" % (label, bad[0] if bad else "?"))
        return 1
    print("%-24s %-25s %-25s %7.1f %8.1f   %d/%d" % (
        label, mmm([g[0] for g in good], "%.4f"),
        mmm([g[1] for g in good], "%.4f"),
        statistics.median([g[3] for g in good]),
        statistics.median([g[2] for g in good]), len(good), a.runs))
    for why in bad:
        print("    bad run: %s" % why)
    return 0


if __name__ == "__main__":
    sys.exit(main())
