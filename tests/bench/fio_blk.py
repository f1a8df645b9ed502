#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-blk: fio in the same L2 on vmm and on QEMU, and the floor (make bench).

    fio_blk.py [--qemu PATH] [--runs N] [--rt SECONDS]

The guest is the minimal 6.1 kernel (build/guests/linux, 2 vCPUs, 512M)
booted with test=fio-bench (guests/linux/init-blk.sh): its root is the L1's
own Debian image (build/guests/l1/root.img, read-only, serial=root) for the
fio binary, and fio runs on a second disk (serial=scratch): a 256 MiB image
file on the L1's ext4 root, written in full before the first run so reads
hit allocated blocks. In the guest every job is libaio with O_DIRECT, a 1 s
ramp and FIO_RT (default 5) s of measurement:

  randread-4k-qd1  randread-4k-qd32  randwrite-4k-qd1  randwrite-4k-qd32  (IOPS)
  read-1m-qd8  write-1m-qd8                                              (MB/s)

Columns, each VMM with its io_uring backend:
  vmm direct       --disk ...,direct=on (O_DIRECT on the image)
  QEMU none        -drive ...,aio=io_uring,cache=none on an iothread
                   (virtio-blk-device on microvm's virtio-mmio, modern)
  vmm prev direct  with VMM_PREV (a previous vmm binary, VMM_PREV_REF its
                   name): vmm direct with that binary
  vmm buffered     --disk ... (the L1 page cache)
  QEMU writeback   cache=writeback, otherwise as above
  L1 direct / L1 buffered   the floor: the same fio jobs run in the L1 on
                   the same image file (io_uring engine, O_DIRECT or not)
Ratios are vmm / QEMU of the medians (above 1: vmm does more). FIO_RUNS
(default 1) repeats every configuration, interleaved; the table shows
medians. FIO_COLS (a comma list of column names, e.g. "vmm buffered,QEMU
writeback") measures only those. Figures are printed, never asserted.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from l2bench import (CMDLINE, L1ROOT, LINUX, VMM, boot, fmt_median, keep_failed,
                     missing_input, print_table, ratio)

# A previous vmm binary, measured as one more column (tests/bench/run.sh).
VMM_PREV = os.environ.get("VMM_PREV")
VMM_PREV_NAME = "vmm " + os.environ.get("VMM_PREV_REF", "prev")
SCRATCH_DIR = os.environ.get("FIO_SCRATCH_DIR", "/var/tmp/fio-blk")
SCRATCH_MIB = 256

# name, fio rw, block size, iodepth, unit (the in-guest list must match:
# guests/linux/init-blk.sh BLK_BENCH_JOBS)
JOBS = [
    ("randread-4k-qd1", "randread", "4k", 1, "IOPS"),
    ("randread-4k-qd32", "randread", "4k", 32, "IOPS"),
    ("randwrite-4k-qd1", "randwrite", "4k", 1, "IOPS"),
    ("randwrite-4k-qd32", "randwrite", "4k", 32, "IOPS"),
    ("read-1m-qd8", "read", "1m", 8, "MB/s"),
    ("write-1m-qd8", "write", "1m", 8, "MB/s"),
]


def vmm_argv(scratch, direct, rt, serial, binary=VMM):
    return [binary, "--kernel", os.path.join(LINUX, "bzImage"),
            "--initrd", os.path.join(LINUX, "initramfs.cpio.gz"),
            "--cpus", "2", "--mem", "512M", "--serial", "file:" + serial,
            "--disk", "path=%s,readonly=on,serial=root" % L1ROOT,
            "--disk", "path=%s,%sserial=scratch" % (
                scratch, "direct=on," if direct else ""),
            "--cmdline", "%s test=fio-bench fio_rt=%d" % (CMDLINE, rt)]


def qemu_argv(qemu, scratch, cache, rt, serial):
    # microvm with ACPI: the guest finds the virtio-mmio transports in the
    # DSDT as it does vmm's; modern virtio-mmio, as vmm offers.
    return [qemu, "-M", "microvm,acpi=on", "-accel", "kvm", "-cpu", "host",
            "-smp", "2", "-m", "512", "-nodefaults", "-no-user-config",
            "-display", "none", "-no-reboot",
            "-global", "virtio-mmio.force-legacy=false",
            "-kernel", os.path.join(LINUX, "bzImage"),
            "-initrd", os.path.join(LINUX, "initramfs.cpio.gz"),
            "-append", "%s test=fio-bench fio_rt=%d" % (CMDLINE, rt),
            "-serial", "file:" + serial,
            "-object", "iothread,id=io0",
            "-drive", "if=none,id=root,file=%s,format=raw,readonly=on" % L1ROOT,
            "-device", "virtio-blk-device,drive=root,serial=root",
            "-drive", "if=none,id=d0,file=%s,format=raw,aio=io_uring,cache=%s"
            % (scratch, cache),
            "-device", "virtio-blk-device,drive=d0,iothread=io0,serial=scratch"]


def parse_results(text):
    """{job: value} from FIO_RESULT lines: IOPS, or MB/s for 1m jobs."""
    out = {}
    for line in text.splitlines():
        if "FIO_RESULT " not in line:
            continue
        kv = dict(w.split("=", 1) for w in line.split("FIO_RESULT ", 1)[1].split()
                  if "=" in w)
        name = kv.get("job")
        if not name or kv.get("rc") != "0":
            continue
        unit = next((j[4] for j in JOBS if j[0] == name), "IOPS")
        out[name] = (int(kv["iops"]) if unit == "IOPS"
                     else int(kv["kib_s"]) * 1024 / 1e6)
    return out


def run_guest(argv, serial, limit):
    """Boot one L2 running the fio jobs; its results, or {} (and a note)."""
    rc, err, text, secs = boot(argv, serial, limit)
    res = parse_results(text)
    if rc != 0 or len(res) < len(JOBS) or "FIO_BENCH_DONE" not in text:
        # Keep the guest's whole log where the host sees it.
        keep_failed("fio_blk", os.path.basename(argv[0]), rc, secs, len(res),
                    len(JOBS), err, text)
    return res


def run_floor(scratch, direct, rt):
    """The same jobs in the L1 itself, io_uring, on the same image file."""
    res = {}
    for name, rw, bs, qd, unit in JOBS:
        argv = ["fio", "--name=" + name, "--filename=" + scratch,
                "--ioengine=io_uring", "--direct=%d" % direct, "--rw=" + rw,
                "--bs=" + bs, "--iodepth=%d" % qd, "--size=%dM" % SCRATCH_MIB,
                "--time_based", "--runtime=%d" % rt, "--ramp_time=1",
                "--randrepeat=0", "--output-format=terse", "--terse-version=3"]
        p = subprocess.run(argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for line in p.stdout.decode(errors="replace").splitlines():
            f = line.split(";")
            if f[0] != "3" or p.returncode != 0:
                continue
            w = "write" in rw
            iops, kib = (int(float(f[48])), int(f[47])) if w else \
                (int(float(f[7])), int(f[6]))
            res[name] = iops if unit == "IOPS" else kib * 1024 / 1e6
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("FIO_RUNS", "1")))
    ap.add_argument("--rt", type=int, default=int(os.environ.get("FIO_RT", "5")))
    a = ap.parse_args()

    title = "== virtio-blk: fio in the L2"
    if missing_input():
        print("%s: skipped (%s missing)" % (title, missing_input()))
        return 0
    if not shutil.which("fio"):
        print("%s: skipped (no fio here: guests/l1/packages)" % title)
        return 0

    os.makedirs(SCRATCH_DIR, exist_ok=True)
    scratch = os.path.join(SCRATCH_DIR, "scratch.img")
    # Every block written, so reads hit allocated extents (not holes), and
    # on L1's ext4 root, which has O_DIRECT (tmpfs has not).
    subprocess.run(["dd", "if=/dev/zero", "of=" + scratch, "bs=1M",
                    "count=%d" % SCRATCH_MIB, "conv=fsync", "status=none"],
                   check=True)
    tmp = tempfile.mkdtemp(prefix="fio-blk.")
    serial = os.path.join(tmp, "serial.log")
    limit = 120 + len(JOBS) * (a.rt + 10)

    cols = [("vmm direct", lambda: run_guest(
                vmm_argv(scratch, True, a.rt, serial), serial, limit))]
    if VMM_PREV and os.access(VMM_PREV, os.X_OK):
        cols.append((VMM_PREV_NAME + " direct", lambda: run_guest(
            vmm_argv(scratch, True, a.rt, serial, VMM_PREV), serial, limit)))
    if a.qemu:
        cols.append(("QEMU none", lambda: run_guest(
            qemu_argv(a.qemu, scratch, "none", a.rt, serial), serial, limit)))
    cols.append(("vmm buffered", lambda: run_guest(
        vmm_argv(scratch, False, a.rt, serial), serial, limit)))
    if a.qemu:
        cols.append(("QEMU writeback", lambda: run_guest(
            qemu_argv(a.qemu, scratch, "writeback", a.rt, serial), serial, limit)))
    cols.append(("L1 direct", lambda: run_floor(scratch, 1, a.rt)))
    cols.append(("L1 buffered", lambda: run_floor(scratch, 0, a.rt)))
    only = [c.strip() for c in os.environ.get("FIO_COLS", "").split(",") if c.strip()]
    if only:
        cols = [c for c in cols if c[0] in only]

    print("%s (minimal 6.1 kernel, 2 vCPUs, libaio, O_DIRECT in the guest) "
          "vs QEMU %s and the L1 floor;" % (title, "(" + os.path.basename(a.qemu) + ")"
                                            if a.qemu else "(not installed)"))
    print("   %d MiB image on L1's ext4, %d s per job after a 1 s ramp, %d run%s "
          "of each, medians" % (SCRATCH_MIB, a.rt, a.runs, "" if a.runs == 1 else "s"))
    sys.stdout.flush()
    vals = {c: {j[0]: [] for j in JOBS} for c, _ in cols}
    t0 = time.monotonic()
    for _ in range(a.runs):
        for c, run in cols:
            for name, v in run().items():
                vals[c][name].append(v)
    shutil.rmtree(tmp, ignore_errors=True)
    os.unlink(scratch)

    names = [c for c, _ in cols]
    pairs = [("vmm direct", "QEMU none"), ("vmm buffered", "QEMU writeback")]
    pairs = [p for p in pairs if p[1] in names]
    head = ["job", "unit"] + names + ["%s / %s" % p for p in pairs]
    rows = []
    for name, rw, bs, qd, unit in JOBS:
        rows.append([name, unit] + [fmt_median(vals[c][name], unit == "IOPS") for c in names] +
                    [ratio(vals[p[0]][name], vals[p[1]][name]) for p in pairs])
    print_table(head, rows)
    print("  (%.0f s)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
