#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The guest side of tests/bench/fs_bench.py: file-system workloads on one
mounted directory, each timed here in the guest and printed as

    FSB_RESULT name=<workload> value=<number> unit=<ops/s|MB/s|IOPS> secs=<s>

then FSB_DONE. Run as `python3 fsbench.py DIR [--mib N] [--rt S]` in the
Debian root the guest chroots into (fio comes from there too). DIR must hold
tree/ (10,000 files in 100 directories, made by the host before boot).
The guest's caches are dropped before every cold workload, and every
workload that writes ends with a sync inside its timing, so a block device
(whose page cache absorbs writes) and a FUSE mount (which sends each one to
its server) are timed to the same point: the data is with the host.

  stat-tree     lstat of every entry of tree/, cold (LOOKUP + GETATTR, or
                READDIRPLUS), entries per second
  create-unlink 2,000 empty files created then unlinked, operations/s
  untar         a busybox-sized tarball (2,400 files in 120 directories,
                about 24 MB, made here in tmpfs) extracted by GNU tar,
                files/s
  seq-write     --mib MiB written sequentially in 1 MiB blocks (fio psync,
                fsync at the end), MB/s
  seq-read      the same file read back cold, MB/s
  rand-read-4k  4 KiB random reads of that file for --rt seconds (fio psync,
                readahead off by fio's fadvise), IOPS
"""
import argparse
import os
import random
import subprocess
import sys
import tarfile
import time


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def report(name, value, unit, secs):
    print("FSB_RESULT name=%s value=%.1f unit=%s secs=%.2f" %
          (name, value, unit, secs), flush=True)


def stat_tree(top):
    drop_caches()
    n = 0
    t0 = time.monotonic()
    stack = [top]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                os.lstat(e.path)
                n += 1
                if e.is_dir(follow_symlinks=False):
                    stack.append(e.path)
    secs = time.monotonic() - t0
    report("stat-tree", n / secs, "ops/s", secs)
    return n


def create_unlink(top, count=2000):
    d = os.path.join(top, "cu")
    os.mkdir(d)
    os.sync()
    t0 = time.monotonic()
    for i in range(count):
        os.close(os.open(os.path.join(d, "f%d" % i),
                         os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    for i in range(count):
        os.unlink(os.path.join(d, "f%d" % i))
    os.sync()
    secs = time.monotonic() - t0
    os.rmdir(d)
    report("create-unlink", 2 * count / secs, "ops/s", secs)


def make_tarball(path, files=2400, dirs=120, seed=7):
    """A source-tree-like archive: sizes spread like a C project's."""
    rnd = random.Random(seed)
    blob = bytes(rnd.getrandbits(8) for _ in range(1 << 16)) * 4
    with tarfile.open(path, "w") as tar:
        for d in range(dirs):
            info = tarfile.TarInfo("src/d%03d" % d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for i in range(files):
            size = min(int(rnd.lognormvariate(8.3, 1.2)), len(blob))
            info = tarfile.TarInfo("src/d%03d/f%04d.c" % (i % dirs, i))
            info.size = size
            info.mode = 0o644
            off = rnd.randrange(0, len(blob) - size + 1)
            tar.addfile(info, _Reader(blob, off, size))
    return files


class _Reader:
    def __init__(self, blob, off, size):
        self.view = memoryview(blob)[off:off + size]
        self.at = 0

    def read(self, n=-1):
        end = len(self.view) if n < 0 else min(len(self.view), self.at + n)
        out = bytes(self.view[self.at:end])
        self.at = end
        return out


def untar(top):
    tarball = "/tmp/fsbench-src.tar"
    files = make_tarball(tarball)
    d = os.path.join(top, "untar")
    os.mkdir(d)
    drop_caches()
    t0 = time.monotonic()
    subprocess.run(["tar", "-xf", tarball, "-C", d], check=True)
    os.sync()
    secs = time.monotonic() - t0
    os.unlink(tarball)
    subprocess.run(["rm", "-rf", d], check=True)
    report("untar", files / secs, "files/s", secs)


def fio(name, path, rw, bs, mib, extra):
    argv = ["fio", "--name=" + name, "--filename=" + path, "--rw=" + rw,
            "--bs=" + bs, "--size=%dM" % mib, "--ioengine=psync",
            "--output-format=terse", "--terse-version=3"] + extra
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in p.stdout.decode(errors="replace").splitlines():
        f = line.split(";")
        if f[0] == "3" and p.returncode == 0:
            # terse v3: read KiB/s 7, IOPS 8, runtime ms 9; write 48, 49, 50
            w = "write" in rw
            kib, iops, ms = (int(f[47]), float(f[48]), int(f[49])) if w else \
                (int(f[6]), float(f[7]), int(f[8]))
            return kib * 1024 / 1e6, iops, ms / 1000.0
    sys.stderr.write(p.stderr.decode(errors="replace")[-500:])
    return None


def data(top, mib, rt):
    path = os.path.join(top, "big.bin")
    t0 = time.monotonic()
    r = fio("seq-write", path, "write", "1M", mib, ["--end_fsync=1"])
    secs = time.monotonic() - t0
    if r:
        # fio's own figure leaves out the final fsync: time it all.
        report("seq-write", mib * 1048576 / 1e6 / secs, "MB/s", secs)
    drop_caches()
    r = fio("seq-read", path, "read", "1M", mib, [])
    if r:
        report("seq-read", r[0], "MB/s", r[2])
    drop_caches()
    r = fio("rand-read-4k", path, "randread", "4k", mib,
            ["--time_based", "--runtime=%d" % rt, "--randrepeat=0"])
    if r:
        report("rand-read-4k", r[1], "IOPS", r[2])
    os.unlink(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--rt", type=int, default=10)
    ap.add_argument("--only", default="",
                    help="comma-separated: stat-tree, create-unlink, untar, "
                    "data (the three data workloads); default all")
    a = ap.parse_args()
    only = set(w for w in a.only.split(",") if w)
    runs = [("stat-tree", lambda: stat_tree(os.path.join(a.dir, "tree"))),
            ("create-unlink", lambda: create_unlink(a.dir)),
            ("untar", lambda: untar(a.dir)),
            ("data", lambda: data(a.dir, a.mib, a.rt))]
    for name, run in runs:
        if not only or name in only:
            run()
    print("FSB_DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
