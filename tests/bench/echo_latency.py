#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Keystroke -> echo latency of an interactive shell (make bench).

    echo_latency.py [--keys N] [--qemu PATH]

Boots Debian's stock cloud kernel (build/guests/stock: vmlinuz + the
initramfs whose /init gives a shell with interactive=1) with its console on
a unix socket, waits for the shell to settle, then sends N single
keystrokes one at a time (a letter, then a pause) and times each from the
write on the socket to the moment that byte comes back (the shell's line
editor echoes it). Consoles:
  vmm virtio-console  --console socket:PATH, console=hvc0 shell_tty=hvc0,
                      --serial none (as `make run`: /init starts its shell
                      on /dev/hvc0 once the virtio modules are loaded)
  vmm 8250            --serial socket:PATH, console=ttyS0
  (with --qemu: QEMU microvm's 8250, -serial unix:PATH,server=on)
Prints median / p90 / min / max in ms. Figures are printed, never asserted.
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from l2bench import TOP, VMM

STOCK = os.environ.get("STOCK_GUEST", os.path.join(TOP, "build/guests/stock"))
BOOT_LIMIT = 120


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round((len(v) - 1) * p / 100.0)))]


def connect(path, proc, limit):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            return s
        except OSError:
            s.close()
            time.sleep(0.05)
    return None


def read_until(s, pred, limit):
    """Read from s until pred(all bytes so far) or limit s pass."""
    buf = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
        if pred(buf):
            return buf, True
    return buf, False


def quiet(s, gap, limit):
    """Swallow output until none came for gap seconds."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        s.settimeout(gap)
        try:
            if not s.recv(4096):
                return False
        except socket.timeout:
            return True
    return False


def measure(argv, sock_path, keys):
    """Boot, wait for the shell, time `keys` keystrokes. Returns (list of
    seconds, note)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lat, note = [], ""
    try:
        s = connect(sock_path, p, 30)
        if s is None:
            return [], "no console socket (status %s)" % p.poll()
        # busybox sh's prompt ("~ # ") as the last thing on the console;
        # its line editor may follow it with a cursor-position query
        # (ESC [ 6 n) in the same read: terminal controls do not count.
        _, ok = read_until(
            s, lambda b: re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", b)
            .rstrip(b" ").endswith(b"#"), BOOT_LIMIT)
        if not ok:
            return [], "no shell prompt within %d s" % BOOT_LIMIT
        # The prompt, then nothing for a while: the shell waits for keys.
        quiet(s, 1.0, 30)
        letters = b"abcdefghijklmnopqrstuvwxyz"
        misses, seen = 0, b""
        for i in range(keys):
            k = letters[i % len(letters):][:1]
            t0 = time.monotonic()
            s.sendall(k)
            buf, ok = read_until(s, lambda b, k=k: k in b, 5)
            seen = (seen + buf)[-80:]
            if ok:
                lat.append(time.monotonic() - t0)
            misses = 0 if ok else misses + 1
            if misses == 3:  # the keys do not reach the shell: give up
                note = "no echo for 3 keys; last output %r" % seen
                break
            quiet(s, 0.05, 2)
            if (i + 1) % 16 == 0:  # keep the line short: kill it (^U)
                s.sendall(b"\x15")
                quiet(s, 0.2, 2)
        s.sendall(b"\x15poweroff -f\r")
        s.close()
    finally:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if len(lat) < keys and not note:
        note = "%d of %d echoes seen" % (len(lat), keys)
    return lat, note


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", type=int, default=int(os.environ.get("KEYS", 30)))
    ap.add_argument("--qemu", default=None)
    a = ap.parse_args()
    kernel = os.path.join(STOCK, "vmlinuz")
    initrd = os.path.join(STOCK, "initramfs.cpio.gz")
    if not os.path.exists(kernel) or not os.path.exists(initrd):
        print("echo latency: %s missing (guests/stock/build.sh)" % kernel)
        return 0
    # A known terminal size: busybox's line editor then sends no cursor
    # position query (ESC [ 6 n) that nobody here would answer.
    base = "panic=-1 reboot=acpi interactive=1 tty_size=24x80"
    print("keystroke -> echo, Debian's cloud kernel (%s), busybox sh on the "
          "console, %d keys one at a time, 2 vCPUs, 512M, ms"
          % (open(os.path.join(STOCK, "abi")).read().strip()
             if os.path.exists(os.path.join(STOCK, "abi")) else "stock",
             a.keys))
    print("  %-34s %8s %8s %8s %8s  %s" % ("console", "median", "p90", "min",
                                           "max", "n"))
    with tempfile.TemporaryDirectory() as d:
        sp = os.path.join(d, "con.sock")
        common = [VMM, "--kernel", kernel, "--initrd", initrd, "--cpus", "2",
                  "--mem", "512M"]
        cases = [
            ("vmm virtio-console (hvc0, socket)",
             common + ["--serial", "none", "--console", "socket:" + sp,
                       "--cmdline", "console=hvc0 shell_tty=hvc0 " + base]),
            ("vmm 8250 (ttyS0, socket)",
             common + ["--serial", "socket:" + sp,
                       "--cmdline", "console=ttyS0 " + base]),
        ]
        if a.qemu:
            cases.append((
                "QEMU microvm 8250 (ttyS0, socket)",
                [a.qemu, "-M", "microvm,acpi=on", "-accel", "kvm", "-cpu",
                 "host", "-smp", "2", "-m", "512", "-nodefaults",
                 "-no-user-config", "-display", "none", "-no-reboot",
                 "-kernel", kernel, "-initrd", initrd,
                 "-append", "console=ttyS0 " + base,
                 "-serial", "unix:%s,server=on,wait=off" % sp]))
        for name, argv in cases:
            if os.path.exists(sp):
                os.unlink(sp)
            lat, note = measure(argv, sp, a.keys)
            if not lat:
                print("  %-34s failed: %s" % (name, note or "?"))
                continue
            ms = [x * 1e3 for x in lat]
            print("  %-34s %8.2f %8.2f %8.2f %8.2f  %d %s"
                  % (name, statistics.median(ms), pct(ms, 90), min(ms),
                     max(ms), len(ms), note))
            sys.stdout.flush()
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
