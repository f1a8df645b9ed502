#!/usr/bin/env python3
"""Start-up and memory benchmark for vmm (make bench).

Boots a tiny guest N times and reports, as min / median / max:
  - time from just before exec of vmm to the BSP's first KVM_RUN
    (vmm -v logs CLOCK_MONOTONIC at that point; same clock as here),
  - total wall time until vmm has exited,
  - time until the guest's first line arrives on vmm's stdout (the
    serial port), the start-up figure QEMU and kvmtool were measured with,
  - the VMM's own memory: RSS minus resident guest pages (vmm -v at exit).
Figures are printed, never asserted.
"""
import os
import re
import statistics
import subprocess
import sys
import time


def run_once(vmm, kernel, extra):
    # A run that hangs (a starved nested L1) is stopped and left out.
    cmd = ["timeout", "-k", "5", "60", vmm, "-v", "--kernel", kernel, "--serial", "stdio",
           "--debug-exit", "--mem", "256M"] + extra
    t0 = time.monotonic_ns()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.readline()  # the guest's first line on the serial port
    t_line = time.monotonic_ns()
    p.stdout.read()
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    t1 = time.monotonic_ns()
    p.stderr = err
    first = re.search(r"first KVM_RUN at monotonic (\d+) ns", p.stderr)
    mem = re.search(r"vmm overhead (\d+) KiB", p.stderr)
    rss = re.search(r"rss (\d+) KiB", p.stderr)
    if not first or not mem:
        print("  bad run (status %d): %s" % (p.returncode,
                                             p.stderr.strip()[-300:]))
        return None
    return ((int(first.group(1)) - t0) / 1e6, (t1 - t0) / 1e6,
            int(mem.group(1)) / 1024, int(rss.group(1)) / 1024,
            (t_line - t0) / 1e6)


def summary(values, unit):
    return "%.2f / %.2f / %.2f %s" % (min(values), statistics.median(values),
                                      max(values), unit)


def main():
    vmm = os.environ.get("VMM", "build/vmm")
    kernel = sys.argv[1] if len(sys.argv) > 1 else "build/guests/hello.bzImage"
    runs = int(os.environ.get("RUNS", "11"))
    # With VMM_PREV (the previous release, tests/bench/run.sh), both are
    # measured, runs interleaved so drift hits them alike.
    bins = [("vmm", vmm)]
    prev = os.environ.get("VMM_PREV")
    if prev and os.access(prev, os.X_OK):
        bins.append(("vmm " + os.environ.get("VMM_PREV_REF", "prev"), prev))
    for cpus in (1, 2):
        extra = ["--cpus", str(cpus), "--cmdline", "action=exit:0"]
        res = {name: [] for name, _ in bins}
        for _, b in bins:
            run_once(b, kernel, extra)  # warm the page cache
        for _ in range(runs):
            for name, b in bins:
                r = run_once(b, kernel, extra)
                if r:
                    res[name].append(r)
        for name, _ in bins:
            rs = res[name]
            if not rs:
                continue
            print("startup, %s, %d vCPU, %d runs (min / median / max):"
                  % (name, cpus, len(rs)))
            print("  exec -> first KVM_RUN   %s" % summary([r[0] for r in rs], "ms"))
            print("  exec -> first guest line on the serial port %s"
                  % summary([r[4] for r in rs], "ms"))
            print("  exec -> vmm exited      %s" % summary([r[1] for r in rs], "ms"))
            print("  VMM memory overhead     %s" % summary([r[2] for r in rs], "MiB"))
            print("  total RSS at exit       %s" % summary([r[3] for r in rs], "MiB"))


if __name__ == "__main__":
    main()
