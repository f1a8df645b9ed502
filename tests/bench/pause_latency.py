#!/usr/bin/env python3
"""Pause/resume latency through the control socket (make bench).

Boots the spin guest (vCPU 0 spinning at CPL 3, the other vCPUs waiting
for INIT/SIPI inside KVM_RUN) with --api, then times ROUNDS pause and
resume requests, each from sending the request line to reading the reply
(the VMM replies once every vCPU is parked / released). Printed as
min / median / p99 / max; never asserted.
"""
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p / 100))]


def ask(sock, f, line):
    t0 = time.monotonic_ns()
    sock.sendall(line)
    reply = f.readline()
    t = (time.monotonic_ns() - t0) / 1e3
    if b'"ok":true' not in reply:
        sys.exit("pause_latency: unexpected reply %r" % reply)
    return t


def bench(vmm, kernel, cpus, rounds):
    with tempfile.TemporaryDirectory() as d:
        api = os.path.join(d, "api")
        p = subprocess.Popen([vmm, "--kernel", kernel, "--cpus", str(cpus),
                              "--mem", "64M", "--serial", "none",
                              "--debug-exit", "--api", api, "--cmdline",
                              "mode=spin spin_ms=600000 tick_us=0"])
        for _ in range(200):
            if os.path.exists(api):
                break
            time.sleep(0.01)
        time.sleep(0.3)
        s = socket.socket(socket.AF_UNIX)
        s.connect(api)
        f = s.makefile("rb")
        pause, resume = [], []
        for _ in range(rounds):
            pause.append(ask(s, f, b'{"cmd":"pause"}\n'))
            resume.append(ask(s, f, b'{"cmd":"resume"}\n'))
        ask(s, f, b'{"cmd":"stop"}\n')
        p.wait(timeout=30)
    for name, v in (("pause", pause), ("resume", resume)):
        print("  %2d vCPUs %-6s %7.0f / %7.0f / %7.0f / %7.0f us"
              % (cpus, name, min(v), statistics.median(v), pct(v, 99),
                 max(v)))


def main():
    vmm, kernel = sys.argv[1], sys.argv[2]
    rounds = int(os.environ.get("ROUNDS", "200"))
    print("pause/resume through --api, %d rounds (min / median / p99 / max)"
          % rounds)
    for cpus in (1, 64):
        bench(vmm, kernel, cpus, rounds)


if __name__ == "__main__":
    main()
