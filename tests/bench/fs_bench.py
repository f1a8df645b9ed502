#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""virtio-fs: vmm's in-process server against QEMU + virtiofsd (make bench).

    fs_bench.py [--qemu PATH] [--virtiofsd PATH] [--runs N] [--mib N] [--rt S]
                [--only W,W]

The same guest (the minimal 6.1 kernel, 2 vCPUs, 512M, its root the L1's
Debian image read-only for python3, tar and fio) runs the workloads of
guests/linux/fsbench.py on one mounted directory:

  stat-tree      lstat of a 10,000-file tree, cold            entries/s
  create-unlink  2,000 empty files created, then unlinked      ops/s
  untar          a busybox-sized tarball (2,400 files, ~20 MB) files/s
  seq-write      --mib MiB in 1 MiB writes, fsync'd            MB/s
  seq-read       the same file, cold                           MB/s
  rand-read-4k   4 KiB random reads for --rt s, cold           IOPS

Columns:
  vmm            --fs tag=share,path=DIR: the server inside vmm, its
                 file I/O through the io thread's io_uring
  vmm-epoll      only when FS_COLS names it: the same with --io-loop epoll,
                 every file operation a plain syscall on the io thread
  virtiofsd      QEMU (-accel kvm, microvm, vhost-user-fs-device) with
                 Debian's /usr/lib/qemu/virtiofsd -o cache=auto on DIR
  virtiofsd-xattr  only when FS_COLS names it: the same with -o xattr,
                 serving xattrs as vmm does
  vmm prev       with VMM_PREV (a previous vmm binary, VMM_PREV_REF its
                 name): the vmm column again with that binary
  blk ext4       the reference: vmm --disk on an ext4 image made from DIR
                 (mkfs.ext4 -d), mounted by the guest
DIR is on a tmpfs of its own, rebuilt before every guest, so every column
starts from the same tree. Each guest's workloads time themselves; every
write workload ends with sync inside its time. FS_RUNS (or --runs,
default 1) repeats every column, interleaved; the table shows medians and
vmm / virtiofsd (above 1: vmm does more). FS_ONLY (or --only) runs some
workloads: stat-tree, create-unlink, untar, data (the last three rows).
The vmm column also prints the FUSE requests its guest sent, by op (from
vmm's --stats), which tells round trips from server time. Figures are
printed, never asserted.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from l2bench import (CMDLINE, L1ROOT, LINUX, VMM, boot, fmt_median, keep_failed,
                     missing_input, print_table, ratio)

WORK = os.environ.get("FS_BENCH_DIR", "/var/tmp/fs-bench")
# A previous vmm binary, measured as one more column (tests/bench/run.sh).
VMM_PREV = os.environ.get("VMM_PREV")
VMM_PREV_NAME = "vmm " + os.environ.get("VMM_PREV_REF", "prev")
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"

WORKLOADS = [("stat-tree", "entries/s"), ("create-unlink", "ops/s"),
             ("untar", "files/s"), ("seq-write", "MB/s"), ("seq-read", "MB/s"),
             ("rand-read-4k", "IOPS")]


DATA = ("seq-write", "seq-read", "rand-read-4k")


def selected(a):
    """The result rows the chosen workloads produce."""
    only = set(a.only.split(",")) if a.only else None
    return [w for w in WORKLOADS if only is None or w[0] in only or
            (w[0] in DATA and "data" in only)]


def guest_cmdline(tests, a):
    return "%s test=%s fsb_mib=%d fsb_rt=%d fsb_only=%s" % (
        CMDLINE, tests, a.mib, a.rt, a.only)


def vmm_common(serial, binary=VMM):
    return [binary, "--kernel", os.path.join(LINUX, "bzImage"),
            "--initrd", os.path.join(LINUX, "initramfs.cpio.gz"),
            "--cpus", "2", "--mem", "512M", "--serial", "file:" + serial,
            "--disk", "path=%s,readonly=on,serial=root" % L1ROOT]


def make_tree(share):
    """share/tree: 100 directories of 100 small files each."""
    if os.path.exists(share):
        shutil.rmtree(share)
    for d in range(100):
        p = os.path.join(share, "tree", "d%02d" % d)
        os.makedirs(p)
        for f in range(100):
            with open(os.path.join(p, "f%02d" % f), "w") as fh:
                fh.write("%d/%d\n" % (d, f))


def parse(text):
    out = {}
    for line in text.splitlines():
        if "FSB_RESULT " not in line:
            continue
        kv = dict(w.split("=", 1) for w in line.split("FSB_RESULT ", 1)[1].split()
                  if "=" in w)
        try:
            out[kv["name"]] = float(kv["value"])
        except (KeyError, ValueError):
            pass
    return out


def run_guest(a, label, argv, serial, limit):
    """One L2 running the workloads; its results, or {} and a note."""
    rc, err, text, secs = boot(argv, serial, limit, progress=r"FSB_RESULT ")
    res = parse(text)
    want = len(selected(a))
    if rc != 0 or "FSB_DONE" not in text or len(res) < want:
        keep_failed("fs_bench", label, rc, secs, len(res), want, err, text)
    return res


def load_stats(stats):
    """vmm's --stats document, or None if it cannot be read."""
    try:
        with open(stats) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def print_ops(stats, doc):
    """The FUSE requests by op from vmm's --stats document."""
    try:
        fs = doc["fs"][0]
        ops = fs["ops"]
    except (TypeError, KeyError, IndexError):
        print("    (no op counts: %s unreadable)" % stats)
        return
    top = sorted(ops.items(), key=lambda kv: -kv[1])
    print("    FUSE requests: " + ", ".join("%s %d" % kv for kv in top), flush=True)
    if fs.get("requests") and "serve_ns" in fs:
        # Taken off the queue -> back in the used ring, in the server.
        print("    in the server: %.1f s in all, %.0f us per request (mean)" %
              (fs["serve_ns"] / 1e9, fs["serve_ns"] / fs["requests"] / 1e3),
              flush=True)
    op_ns = fs.get("op_ns", {})
    if op_ns:
        # By op, the largest totals first: where the server's time went.
        top = sorted(op_ns.items(), key=lambda kv: -kv[1])
        print("    in the server by op (s, us each): " + ", ".join(
            "%s %.2f %.0f" % (k, v / 1e9, v / 1e3 / max(ops.get(k, 1), 1))
            for k, v in top if v), flush=True)


def col_vmm(a, share, serial, limit, loop=None, binary=VMM, name="vmm"):
    make_tree(share)
    stats = os.path.join(WORK, "vmm-stats.json")
    argv = vmm_common(serial, binary) + [
        "--fs", "tag=share,path=" + share, "--stats", stats,
        "--cmdline", guest_cmdline("fs-mount,fs-bench,fs-umount", a)]
    if loop:
        argv[1:1] = ["--io-loop", loop]
    if os.path.exists(stats):
        os.unlink(stats)
    res = run_guest(a, name + (" " + loop if loop else ""), argv, serial, limit)
    doc = load_stats(stats)
    print_ops(stats, doc)
    print_exits(doc)
    if len(res) < len(selected(a)):
        print_queues(doc)
    return res


def print_exits(doc):
    """The guest's exits over the run, summed over its vCPUs, and per
    FUSE request: what each round trip costs the guest besides the
    server."""
    try:
        reqs = doc["fs"][0]["requests"]
    except (TypeError, KeyError, IndexError):
        return
    keys = ("exits", "mmio_exits", "io_exits", "halt_exits", "halt_wakeup")
    tot = {k: sum(c.get("kvm", {}).get(k, 0) for c in doc.get("vcpus", []))
           for k in keys}
    if tot["exits"]:
        print("    vCPU exits (all, per FUSE request): " + ", ".join(
            "%s %d %.1f" % (k, tot[k], tot[k] / max(reqs, 1)) for k in keys),
            flush=True)


def print_queues(doc):
    """A run that fell short: where vmm's fs queues and vCPUs stood."""
    if doc is None:
        return
    for v in doc.get("virtio", []):
        for i, q in enumerate(v.get("queues", [])):
            if q.get("ready"):
                print("    device %d queue %d: avail %d last_avail %d used %d"
                      " used_event %d avail_event %d int_status %d" % (
                          v["device_id"], i, q["avail"], q["last_avail"],
                          q["used"], q["used_event"], q["avail_event"],
                          v["int_status"]), flush=True)
    for c in doc.get("vcpus", []):
        print("    vcpu %d: %s, exits %s" % (c["id"], c["state"],
                                             c.get("kvm", {}).get("exits")),
              flush=True)


def col_blk(a, share, serial, limit):
    make_tree(share)
    img = os.path.join(WORK, "ext4.img")
    with open(img, "wb") as f:
        f.truncate((a.mib + 512) << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-d", share, img], check=True)
    shutil.rmtree(share)
    argv = vmm_common(serial) + [
        "--disk", "path=%s,serial=scratch" % img,
        "--cmdline", guest_cmdline("fs-mount-blk,fs-bench,fs-umount", a)]
    try:
        return run_guest(a, "blk ext4", argv, serial, limit)
    finally:
        os.unlink(img)


def wait_socket(path, proc, secs=20):
    end = time.monotonic() + secs
    while time.monotonic() < end and proc.poll() is None:
        if os.path.exists(path):
            return True
        time.sleep(0.1)
    return False


def col_virtiofsd(a, share, serial, limit, extra=()):
    make_tree(share)
    sock = os.path.join(WORK, "virtiofsd.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    log = open(os.path.join(WORK, "virtiofsd.log"), "w")
    d = subprocess.Popen([a.virtiofsd, "--socket-path=" + sock, "-o",
                          "source=" + share, "-o", "cache=auto", *extra],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        if not wait_socket(sock, d):
            print("  (virtiofsd did not start: see %s)" % log.name)
            return {}
        argv = [a.qemu, "-M", "microvm,acpi=on,memory-backend=mem",
                "-accel", "kvm", "-cpu", "host", "-smp", "2", "-m", "512",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-no-reboot", "-global", "virtio-mmio.force-legacy=false",
                "-object", "memory-backend-memfd,id=mem,size=512M,share=on",
                "-kernel", os.path.join(LINUX, "bzImage"),
                "-initrd", os.path.join(LINUX, "initramfs.cpio.gz"),
                "-append", guest_cmdline("fs-mount,fs-bench,fs-umount", a),
                "-serial", "file:" + serial,
                "-drive", "if=none,id=root,file=%s,format=raw,readonly=on" % L1ROOT,
                "-device", "virtio-blk-device,drive=root,serial=root",
                "-chardev", "socket,id=vfs,path=" + sock,
                "-device", "vhost-user-fs-device,chardev=vfs,tag=share"]
        return run_guest(a, "virtiofsd", argv, serial, limit)
    finally:
        if d.poll() is None:
            d.terminate()
            try:
                d.wait(10)
            except subprocess.TimeoutExpired:
                d.kill()
                d.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64"))
    ap.add_argument("--virtiofsd", default=VIRTIOFSD)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("FS_RUNS", "1")))
    ap.add_argument("--mib", type=int, default=int(os.environ.get("FS_MIB", "1024")))
    ap.add_argument("--rt", type=int, default=int(os.environ.get("FS_RT", "10")))
    ap.add_argument("--only", default=os.environ.get("FS_ONLY", ""))
    a = ap.parse_args()

    title = "== virtio-fs: file-system workloads in the L2"
    if missing_input():
        print("%s: skipped (%s missing)" % (title, missing_input()))
        return 0
    if os.geteuid() != 0:
        print("%s: skipped (needs root: a tmpfs of its own, virtiofsd)" % title)
        return 0
    os.makedirs(WORK, exist_ok=True)
    subprocess.run(["umount", WORK], stderr=subprocess.DEVNULL)
    # Room for the big file and the ext4 image's written blocks.
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dM" % (2 * a.mib + 1024),
                    "fs-bench", WORK], check=True)
    share = os.path.join(WORK, "share")
    serial = os.path.join(WORK, "serial.log")
    limit = 600 + a.mib

    cols = [("vmm", lambda: col_vmm(a, share, serial, limit))]
    have_peer = a.qemu and os.access(a.virtiofsd, os.X_OK)
    if have_peer:
        cols.append(("virtiofsd", lambda: col_virtiofsd(a, share, serial, limit)))
    cols.append(("blk ext4", lambda: col_blk(a, share, serial, limit)))
    only = [c.strip() for c in os.environ.get("FS_COLS", "").split(",") if c.strip()]
    if "vmm-epoll" in only:
        # On request only: the same server with every file operation a
        # plain syscall on the io thread (the epoll loop), against io_uring.
        cols.insert(1, ("vmm-epoll",
                        lambda: col_vmm(a, share, serial, limit, "epoll")))
    if have_peer and "virtiofsd-xattr" in only:
        # On request only: virtiofsd serving xattrs, as vmm does (without
        # -o xattr it refuses the first GETXATTR with ENOSYS and the guest
        # never asks again, so it is spared the security.capability
        # lookups the guest makes before writes and chowns).
        cols.insert(2, ("virtiofsd-xattr",
                        lambda: col_virtiofsd(a, share, serial, limit,
                                              ("-o", "xattr"))))
    if VMM_PREV and os.access(VMM_PREV, os.X_OK):
        cols.insert(1, (VMM_PREV_NAME,
                        lambda: col_vmm(a, share, serial, limit, binary=VMM_PREV,
                                        name=VMM_PREV_NAME)))
    if only:
        cols = [c for c in cols if c[0] in only]

    print("%s (minimal 6.1 kernel, 2 vCPUs, 512M): vmm's server vs %s," %
          (title, "QEMU + virtiofsd cache=auto" if have_peer else
           "(QEMU or virtiofsd not installed)"))
    print("   and virtio-blk ext4 as the reference; the shared directory on a tmpfs "
          "of L1; %d MiB file, %d s of random reads, %d run%s of each, medians" %
          (a.mib, a.rt, a.runs, "" if a.runs == 1 else "s"), flush=True)
    rows_wanted = selected(a)
    vals = {c: {w[0]: [] for w in WORKLOADS} for c, _ in cols}
    t0 = time.monotonic()
    try:
        for _ in range(a.runs):
            for c, run in cols:
                t1 = time.monotonic()
                res = run()
                for name, v in res.items():
                    if name in vals[c]:
                        vals[c][name].append(v)
                # As it goes: a run that dies later still leaves these.
                print("  %s (%.0f s): %s" % (c, time.monotonic() - t1, ", ".join(
                    "%s %.1f" % (n, res[n]) for n, _ in rows_wanted if n in res) or "-"),
                    flush=True)
    finally:
        subprocess.run(["umount", WORK], stderr=subprocess.DEVNULL)

    names = [c for c, _ in cols]
    head = ["workload", "unit"] + names
    peers = [p for p in ("virtiofsd", "virtiofsd-xattr")
             if "vmm" in names and p in names]
    head += ["vmm / " + p for p in peers]
    rows = []
    for name, unit in rows_wanted:
        r = [name, unit] + [fmt_median(vals[c][name]) for c in names]
        r += [ratio(vals["vmm"][name], vals[p][name]) for p in peers]
        rows.append(r)
    print_table(head, rows)
    print("  (%.0f s)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
