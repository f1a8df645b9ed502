#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-net and virtio-vsock: the same L2 on vmm and on QEMU (make bench).

    net_vsock.py [--qemu PATH] [--runs N] [--secs S] [--only tap,passt,vsock]

The guest is the minimal 6.1 kernel (build/guests/linux, 2 vCPUs, 512M) with
the L1's own Debian image as a read-only root disk (serial=root) for iperf3
and python3 (guests/linux/init-net.sh, test=net-bench / vsock-bench). Runs
as root in the nested L1 (or on a host with KVM): it makes taps and loads
tun, vhost_net and vhost_vsock.

  tap    iperf3 TCP, the guest (10.0.2.2) against `iperf3 -s` on a tap in
         the L1 (10.0.2.1): guest -> L1, then L1 -> guest (-R), S seconds
         each. vmm --net tap=; QEMU -netdev tap,vhost=off (userspace
         virtio-net) and vhost=on (the L1 kernel's vhost-net), both
         virtio-net-device on microvm's virtio-mmio (modern), as vmm's.
  passt  the same iperf3 runs through passt (a fresh `passt -f -1` per
         run; the guest takes its address by DHCP and reaches iperf3 on the
         L1's loopback through the gateway address): vmm --net socket=;
         QEMU -netdev stream,addr.type=unix.
  vsock  L1 -> guest and guest -> L1 stream throughput (netpeer.py tput
         into a sink, 256 KiB writes, S seconds) and the round trip of one
         byte, L1 -> guest -> L1 (netpeer.py ping/pong, ROUNDS rounds after
         10 warm-up ones; p50/p90/p99). vmm: its unix socket, "CONNECT
         <port>", and <socket>_<port> for the guest's connects; QEMU:
         vhost-vsock-device (the L1 kernel's vhost_vsock), AF_VSOCK in the
         L1.

Every configuration runs NET_RUNS (default 3) times, interleaved; tables
show medians, ratios are vmm / QEMU (above 1: vmm moves more; for
latencies, below 1: vmm is faster). Figures are printed, never asserted.
"""
import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from l2bench import CMDLINE, L1ROOT, LINUX, OB, TOP, VMM, missing_input

NETPEER = [sys.executable, os.path.join(TOP, "guests/linux/netpeer.py")]
TAP, EXT = "bnt0", "bnext0"
CID = 5


def sh(*argv, check=True):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, check=check)


def vmm_argv(serial, net=None, vsock=None, append=""):
    argv = [VMM, "--kernel", os.path.join(LINUX, "bzImage"),
            "--initrd", os.path.join(LINUX, "initramfs.cpio.gz"),
            "--cpus", "2", "--mem", "512M", "--serial", "file:" + serial,
            "--disk", "path=%s,readonly=on,serial=root" % L1ROOT,
            "--cmdline", CMDLINE + " " + append]
    if net:
        argv += ["--net", net]
    if vsock:
        argv += ["--vsock", vsock]
    return argv


def qemu_argv(qemu, serial, devices, append=""):
    return [qemu, "-M", "microvm,acpi=on", "-accel", "kvm", "-cpu", "host",
            "-smp", "2", "-m", "512", "-nodefaults", "-no-user-config",
            "-display", "none", "-no-reboot",
            "-global", "virtio-mmio.force-legacy=false",
            "-kernel", os.path.join(LINUX, "bzImage"),
            "-initrd", os.path.join(LINUX, "initramfs.cpio.gz"),
            "-append", CMDLINE + " " + append, "-serial", "file:" + serial,
            "-drive", "if=none,id=root,file=%s,format=raw,readonly=on" % L1ROOT,
            "-device", "virtio-blk-device,drive=root,serial=root"] + devices


class Guest:
    """One VMM run with its serial console in a file, read as it grows."""

    def __init__(self, argv, serial, limit):
        self.serial, self.argv = serial, argv
        if os.path.exists(serial):
            os.unlink(serial)
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        self.deadline = time.monotonic() + limit

    def text(self):
        try:
            with open(self.serial, errors="replace") as f:
                return f.read().replace("\r", "")
        except FileNotFoundError:
            return ""

    def wait_for(self, marker):
        """True once marker shows up; False if the VMM exits or time is up."""
        while time.monotonic() < self.deadline:
            if marker in self.text():
                return True
            if self.p.poll() is not None:
                return marker in self.text()
            time.sleep(0.1)
        return False

    def finish(self, label):
        """Let the guest power off (stop it at the deadline); the serial
        text. A failed run keeps its log under build/bench/."""
        try:
            err = self.p.communicate(timeout=max(1, self.deadline - time.monotonic()))[1]
        except subprocess.TimeoutExpired:
            self.p.send_signal(signal.SIGTERM)
            err = self.p.communicate()[1]
        text = self.text()
        if self.p.returncode != 0 or "DONE" not in text:
            os.makedirs(os.path.join(OB, "bench"), exist_ok=True)
            keep = os.path.join(OB, "bench", "net_vsock-%s-%d.log" % (
                re.sub(r"[^A-Za-z0-9]+", "_", label), int(time.time())))
            with open(keep, "w") as f:
                f.write(text + "\n--- stderr ---\n" + err.decode(errors="replace"))
            tail = [ln for ln in text.splitlines() if ln.strip()][-2:]
            print("  (%s: status %s; stderr: %s; guest: %s; log %s)" % (
                label, self.p.returncode,
                (err.decode(errors="replace").strip().splitlines() or ["-"])[-1],
                " | ".join(tail) or "-", keep))
            sys.stdout.flush()
        return text


def kv(text, head):
    """{key: value} of the first line starting with head (after any prefix)."""
    for line in text.splitlines():
        i = line.find(head + " ")
        if i >= 0:
            return dict(w.split("=", 1) for w in line[i:].split()[1:] if "=" in w)
    return {}


# --- tap and passt: iperf3 -------------------------------------------------------

def iperf_guest(argv, label, limit):
    g = Guest(argv, argv_serial(argv), limit)
    text = g.finish(label)
    res = {}
    for d in ("tx", "rx"):
        m = re.search(r"NET_BENCH dir=%s mbit=([0-9.]+) rc=0" % d, text)
        if m and float(m.group(1)) > 0:
            res[d] = float(m.group(1))
    return res


def argv_serial(argv):
    for i, a in enumerate(argv):
        if a.startswith("file:"):
            return a[5:]
    raise ValueError("no serial file")


def setup_tap():
    sh("ip", "link", "del", TAP, check=False)
    sh("ip", "tuntap", "add", TAP, "mode", "tap")
    sh("ip", "addr", "add", "10.0.2.1/24", "dev", TAP)
    sh("ip", "link", "set", TAP, "up")


def setup_ext():
    """passt's template interface (L1 has no network of its own)."""
    sh("ip", "link", "del", EXT, check=False)
    sh("ip", "tuntap", "add", EXT, "mode", "tap")
    sh("ip", "addr", "add", "192.168.77.1/24", "dev", EXT)
    sh("ip", "link", "set", EXT, "up")
    sh("ip", "route", "add", "default", "via", "192.168.77.254", "dev", EXT,
       "onlink", check=False)


def start_passt(tmp):
    d = os.path.join(tmp, "passt")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o777)  # passt drops to nobody
    path = os.path.join(d, "passt.sock")
    if os.path.exists(path):
        os.unlink(path)
    p = subprocess.Popen(["passt", "-f", "-1", "-q", "-s", path],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(path) or p.poll() is not None:
            break
        time.sleep(0.05)
    return p, path


def stop(p):
    if p and p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bench_tap(qemu, runs, secs, tmp):
    serial = os.path.join(tmp, "serial.log")
    append = ("test=net-up,net-bench net_ip=10.0.2.2/24 net_peer=10.0.2.1 "
              "bench_s=%d" % secs)
    limit = 120 + 4 * secs
    netdev = "tap,id=n0,ifname=%s,script=no,downscript=no" % TAP
    cols = [("vmm", lambda: vmm_argv(serial, net="tap=" + TAP, append=append))]
    if qemu:
        for vh in ("off", "on"):
            cols.append(("QEMU vhost=" + vh, lambda vh=vh: qemu_argv(
                qemu, serial, ["-netdev", netdev + ",vhost=" + vh,
                               "-device", "virtio-net-device,netdev=n0"], append)))
    setup_tap()
    srv = subprocess.Popen(["iperf3", "-s", "-B", "10.0.2.1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    vals = {c: {"tx": [], "rx": []} for c, _ in cols}
    try:
        for _ in range(runs):
            for c, build in cols:
                for d, v in iperf_guest(build(), "tap " + c, limit).items():
                    vals[c][d].append(v)
    finally:
        stop(srv)
        sh("ip", "link", "del", TAP, check=False)
    return cols, vals


def bench_passt(qemu, runs, secs, tmp):
    serial = os.path.join(tmp, "serial.log")
    append = "test=net-up,net-bench bench_s=%d" % secs
    limit = 120 + 4 * secs
    cols = [("vmm", lambda path: vmm_argv(serial, net="socket=" + path,
                                          append=append))]
    if qemu:
        cols.append(("QEMU stream", lambda path: qemu_argv(
            qemu, serial, ["-netdev", "stream,id=n0,server=off,addr.type=unix,"
                           "addr.path=" + path,
                           "-device", "virtio-net-device,netdev=n0"], append)))
    setup_ext()
    srv = subprocess.Popen(["iperf3", "-s"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    vals = {c: {"tx": [], "rx": []} for c, _ in cols}
    try:
        for _ in range(runs):
            for c, build in cols:
                passt, path = start_passt(tmp)
                try:
                    for d, v in iperf_guest(build(path), "passt " + c, limit).items():
                        vals[c][d].append(v)
                finally:
                    stop(passt)
    finally:
        stop(srv)
        sh("ip", "route", "del", "default", "via", "192.168.77.254", check=False)
        sh("ip", "link", "del", EXT, check=False)
    return cols, vals


# --- vsock -----------------------------------------------------------------------

def netpeer(*args, timeout=120):
    """netpeer.py's output; on a failure or timeout, a note says so."""
    try:
        p = subprocess.run(NETPEER + list(args), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        text, rc = p.stdout.decode(errors="replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        text, rc = (e.stdout or b"").decode(errors="replace"), "timeout %d s" % timeout
    if rc != 0:
        print("  (netpeer.py %s %s: %s; %s)" % (args[0], args[1], rc,
                                              " | ".join(text.strip().splitlines()[-2:]) or "-"))
        sys.stdout.flush()
    return text


def vsock_run(argv, ep, sink, label, secs, rounds):
    """One guest: L1 -> guest throughput, round trips, then guest -> L1.
    ep(port) is the endpoint of the guest's port; sink, the L1's sink."""
    res = {}
    srv = subprocess.Popen(NETPEER + ["sink", sink], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    g = Guest(argv, argv_serial(argv), 150 + 4 * secs + rounds // 100)
    try:
        if g.wait_for("VSOCK_BENCH_READY"):
            t = kv(netpeer("tput", ep(5201), "--seconds", str(secs)), "TPUT")
            if "mbit" in t:
                res["h2g"] = float(t["mbit"])
            r = kv(netpeer("ping", ep(5202), "--rounds", str(rounds)), "RTT")
            for k in ("p50_us", "p90_us", "p99_us"):
                if k in r:
                    res[k] = float(r[k])
            netpeer("send", ep(5204), "/dev/null", timeout=60)  # go on
        text = g.finish(label)
        t = kv(text, "VSOCK_G2H_TPUT")
        if "mbit" in t:
            res["g2h"] = float(t["mbit"])
    finally:
        stop(srv)
    return res


def bench_vsock(qemu, runs, secs, rounds, tmp):
    serial = os.path.join(tmp, "serial.log")
    uds = os.path.join(tmp, "v.sock")
    append = "test=vsock-bench bench_s=%d" % secs
    cols = [("vmm", lambda: vsock_run(
        vmm_argv(serial, vsock="cid=%d,socket=%s" % (CID, uds), append=append),
        lambda port: "uds:%s:%d" % (uds, port), "unix:%s_5203" % uds,
        "vsock vmm", secs, rounds))]
    if qemu:
        cols.append(("QEMU vhost", lambda: vsock_run(
            qemu_argv(qemu, serial, ["-device", "vhost-vsock-device,guest-cid=%d"
                                     % CID], append),
            lambda port: "vsock:%d:%d" % (CID, port), "vsock:5203",
            "vsock QEMU", secs, rounds)))
    keys = ("h2g", "g2h", "p50_us", "p90_us", "p99_us")
    vals = {c: {k: [] for k in keys} for c, _ in cols}
    for _ in range(runs):
        for c, run in cols:
            for k, v in run().items():
                vals[c][k].append(v)
    return cols, vals


# --- tables ----------------------------------------------------------------------

def med(v):
    return statistics.median(v) if v else None


def show(title, cols, vals, rows, note=None):
    """rows: [(label, key, unit, higher_is_better)]; ratio columns vmm / each
    other column."""
    names = [c for c, _ in cols]
    others = names[1:]
    head = ["", "unit"] + names + ["vmm / " + n for n in others]
    out = []
    for label, key, unit in rows:
        r = [label, unit]
        for n in names:
            m = med(vals[n][key])
            r.append("-" if m is None else ("%.0f" % m if m >= 100 else "%.1f" % m))
        base = med(vals["vmm"][key])
        for n in others:
            m = med(vals[n][key])
            r.append("-" if not base or not m else "%.2fx" % (base / m))
        out.append(r)
    w = [max(len(r[i]) for r in out + [head]) + 2 for i in range(len(head))]
    print(title)
    for r in [head] + out:
        print("  " + "".join("%-*s" % (w[i], x) for i, x in enumerate(r)).rstrip())
    if note:
        print("  " + note)
    print()
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("NET_RUNS", "3")))
    ap.add_argument("--secs", type=int, default=int(os.environ.get("NET_SECS", "5")))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("VSOCK_ROUNDS", "2000")))
    ap.add_argument("--only", default=os.environ.get("NET_ONLY", "tap,passt,vsock"))
    a = ap.parse_args()
    title = "== virtio-net and virtio-vsock"
    if missing_input():
        print("%s: skipped (%s missing)" % (title, missing_input()))
        return 0
    if os.geteuid() != 0:
        print("%s: skipped (needs root: taps, modules)" % title)
        return 0
    for m in ("tun", "vhost_net", "vhost_vsock"):
        sh("modprobe", m, check=False)
    what = a.only.split(",")
    missing = [t for t in ("iperf3", "passt") if not shutil.which(t)]
    if missing:
        print("%s: %s not installed (guests/l1/packages); skipping what needs it"
              % (title, " ".join(missing)))
        what = [w for w in what if w == "vsock" or (w == "tap" and "iperf3" not in missing)]
    if a.qemu and not os.path.exists("/dev/kvm"):
        a.qemu = None
    print("%s (minimal 6.1 kernel, 2 vCPUs, 512M, virtio-mmio) vs QEMU %s; "
          "%d run%s of each, interleaved, medians; %d s per throughput run"
          % (title, "(%s)" % os.path.basename(a.qemu) if a.qemu else "(not installed)",
             a.runs, "" if a.runs == 1 else "s", a.secs))
    sys.stdout.flush()
    tmp = tempfile.mkdtemp(prefix="net-vsock.")
    os.chmod(tmp, 0o755)  # passt, as nobody, makes its socket below
    t0 = time.monotonic()
    try:
        if "tap" in what:
            cols, vals = bench_tap(a.qemu, a.runs, a.secs, tmp)
            show("virtio-net on a tap: iperf3 TCP, Mbit/s (higher is better)", cols, vals,
                 [("guest -> L1", "tx", "Mbit/s"), ("L1 -> guest", "rx", "Mbit/s")])
        if "passt" in what:
            cols, vals = bench_passt(a.qemu, a.runs, a.secs, tmp)
            show("virtio-net through passt: iperf3 TCP, Mbit/s (higher is better)",
                 cols, vals,
                 [("guest -> L1", "tx", "Mbit/s"), ("L1 -> guest", "rx", "Mbit/s")])
        if "vsock" in what:
            cols, vals = bench_vsock(a.qemu, a.runs, a.secs, a.rounds, tmp)
            show("virtio-vsock: stream throughput (Mbit/s, higher is better) and "
                 "1-byte round trip L1 -> guest -> L1 (us, lower is better)",
                 cols, vals,
                 [("L1 -> guest", "h2g", "Mbit/s"), ("guest -> L1", "g2h", "Mbit/s"),
                  ("round trip p50", "p50_us", "us"),
                  ("round trip p90", "p90_us", "us"),
                  ("round trip p99", "p99_us", "us")],
                 note="%d round trips per run; python3 netpeer.py on both sides "
                      "(its own cost is in every figure, alike for both VMMs)"
                      % a.rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("  (%.0f s)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
