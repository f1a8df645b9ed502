#!/usr/bin/env python3
"""virtio-console -> --console file: throughput (make bench).

guests/vcon writes MIB MiB of a pattern from CPL 3 through the transmit
queue; the VMM writes every chain to the file through io_uring before
returning it. Throughput is taken host side from whole-run wall times:
(MIB MiB) / (median time with MIB MiB - median time with 0 MiB), so boot
and exit costs cancel. Every run's file must hold exactly MIB MiB.
Figures are printed, never asserted.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run(vmm, kernel, mib, out):
    cmd = [vmm, "--kernel", kernel, "--debug-exit", "--serial", "none",
           "--console", "file:" + out, "--cmdline",
           "vcon=bulk vcon.mb=%d" % mib]
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300)
    t = time.monotonic() - t0
    size = os.path.getsize(out)
    if p.returncode != 0 or size != mib << 20:
        sys.exit("console_tput: run failed (status %d, %d bytes): %s"
                 % (p.returncode, size, p.stderr.decode()))
    return t


def main():
    vmm, kernel = sys.argv[1], sys.argv[2]
    mib = int(os.environ.get("MIB", "128"))
    runs = int(os.environ.get("RUNS", "5"))
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "console.out")
        base = [run(vmm, kernel, 0, out) for _ in range(runs)]
        full = [run(vmm, kernel, mib, out) for _ in range(runs)]
    net = statistics.median(full) - statistics.median(base)
    rates = sorted(mib * 1.048576 / max(t - statistics.median(base), 1e-6)
                   for t in full)
    print("virtio-console -> file:, %d MiB, %d runs" % (mib, runs))
    print("  throughput MB/s (min / median / max): %.0f / %.0f / %.0f"
          % (rates[0], mib * 1.048576 / net, rates[-1]))
    print("  run with 0 MiB: %.1f ms, with %d MiB: %.1f ms (medians)"
          % (statistics.median(base) * 1e3, mib,
             statistics.median(full) * 1e3))


if __name__ == "__main__":
    main()
