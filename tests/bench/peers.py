#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vmm and QEMU side by side, same run, same guests (make bench).

    peers.py [--only startup,linux,console] [--qemu PATH]

Every figure is taken for vmm and for QEMU (Debian's qemu-system-x86, -accel
kvm -cpu host, machines microvm and q35) on the same guest images, runs of
the different VMMs interleaved so drift hits them alike:

  startup  VMM start (just before exec) -> the guest's first serial line:
           guests/hello (vmm: its bzImage; QEMU: the same guest's PVH ELF,
           -kernel hello.elf, both `action=exit:0`), RUNS_HELLO runs.
  linux    VMM start -> INIT_REACHED of the minimal 6.1 kernel
           (build/guests/linux bzImage + initramfs, 256M, serial console on
           the VMM's stdout), 1 and 2 vCPUs, RUNS_LINUX runs each.
           Peak RSS (VmHWM) of the VMM process, hello and Linux runs.
  console  guest -> file console throughput: the 8250 (guests/uart
           mode=tput, LSR poll + THR per byte at CPL 3, UART_BYTES bytes,
           wall time between its TPUT_BEGIN/TPUT_END markers in the file)
           and virtio-console (guests/vcon bulk from CPL 3, VCON_MIB MiB,
           wall time from the file's first byte to its last), RUNS_TPUT
           runs. QEMU's virtconsole is a virtio-serial-device on microvm's
           virtio-mmio (modern layout, ioapic2 off so its GSI is < 24; the
           guest finds it through the virtio_mmio.device= entry QEMU
           appends with acpi=off); q35 has no virtio-mmio, so "-" there.

Tables print median, p90 and min-max per VMM (with few runs p90 is close
to the max). Figures are printed, never asserted. QEMU columns are left
out when qemu-system-x86_64 is not installed.
"""
import argparse
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
O = os.environ.get("O", "build")
OB = O if os.path.isabs(O) else os.path.join(TOP, O)
GUESTS = os.path.join(OB, "guests")
LINUX = os.environ.get("LINUX_GUEST", os.path.join(TOP, "build/guests/linux"))
VMM = os.environ.get("VMM", os.path.join(OB, "vmm"))
# The previous release's binary (tests/bench/run.sh builds it from the tag
# VMM_PREV_REF), measured as one more column: the library split must not
# cost anything measurable.
VMM_PREV = os.environ.get("VMM_PREV")
VMM_PREV_NAME = "vmm " + os.environ.get("VMM_PREV_REF", "prev")
LINUX_CMDLINE = "console=ttyS0 panic=-1 reboot=acpi"


def env_int(name, default):
    return int(os.environ.get(name, str(default)))


# --- command lines ------------------------------------------------------------
# Each builder returns argv for one VMM given the same description of the VM.
# serial/console: "stdio", "none" or a file path.

def vmm_argv(kernel, cmdline, cpus=1, mem="256M", initrd=None,
             serial="stdio", console=None, debug_exit=False, binary=None):
    argv = [binary or VMM, "--kernel", kernel["vmm"], "--cpus", str(cpus), "--mem", mem,
            "--cmdline", cmdline]
    if initrd:
        argv += ["--initrd", initrd]
    argv += ["--serial", serial if serial in ("stdio", "none")
             else "file:" + serial]
    if console:
        argv += ["--console", "file:" + console]
    if debug_exit:
        argv.append("--debug-exit")
    return argv


def qemu_argv(qemu, machine, kernel, cmdline, cpus=1, mem="256M",
              initrd=None, serial="stdio", console=None, debug_exit=False):
    mem_mb = mem[:-1] if mem.endswith("M") else mem
    if console:
        # virtio-mmio (microvm only): modern layout for guests/vcon, and
        # the transports on the first IOAPIC (GSI 5..12).
        machine += ",acpi=off,ioapic2=off"
    argv = [qemu, "-M", machine, "-accel", "kvm", "-cpu", "host",
            "-smp", str(cpus), "-m", mem_mb, "-nodefaults",
            "-no-user-config", "-display", "none", "-no-reboot",
            "-kernel", kernel["qemu"], "-append", cmdline]
    if initrd:
        argv += ["-initrd", initrd]
    argv += ["-serial", serial if serial in ("stdio", "none")
             else "file:" + serial]
    if console:
        argv += ["-global", "virtio-mmio.force-legacy=false",
                 "-chardev", "file,id=con0,path=" + console,
                 "-device", "virtio-serial-device",
                 "-device", "virtconsole,chardev=con0"]
    if debug_exit:
        argv += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    return argv


def peers(qemu):
    """(column name, argv builder) for every VMM compared."""
    cols = [("vmm", vmm_argv)]
    if VMM_PREV and os.access(VMM_PREV, os.X_OK):
        cols.append((VMM_PREV_NAME,
                     lambda *a, **k: vmm_argv(*a, binary=VMM_PREV, **k)))
    if qemu:
        for m in ("microvm", "q35"):
            cols.append(("QEMU " + m,
                         lambda *a, m=m, **k: qemu_argv(qemu, m, *a, **k)))
    return cols


# --- running one VM -----------------------------------------------------------

def hwm_kib(pid):
    """VmHWM (peak RSS) of a live process in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def run_vm(argv, marker=None, limit=120, after=20):
    """Start argv with stdout piped; time until a stdout line contains
    marker (None: the first line). Then let the VMM exit (the guest powers
    off; after `after` s it is stopped with SIGTERM, then SIGKILL) and
    return (seconds to the marker or None, peak RSS in KiB, exit status).

    Peak RSS is the process' VmHWM, read every 20 ms while it runs (the
    mark only grows; the last reading before exit is the figure).
    ru_maxrss would not do: exec keeps the high-water mark of the image it
    replaces, i.e. this Python's RSS (vfork shares its memory)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    fd, buf, t_mark, rss = p.stdout.fileno(), b"", None, None
    end, eof, stopping = t0 + limit, False, 0
    while p.poll() is None:
        now = time.monotonic()
        if now >= end:
            if stopping == 0:
                p.send_signal(signal.SIGTERM)
                end, stopping = now + 5, 1
            else:
                p.kill()
                end = now + 60
        r = []
        if not eof:
            r, _, _ = select.select([fd], [], [], 0.02)
        else:
            time.sleep(0.02)
        rss = hwm_kib(p.pid) or rss
        if not r:
            continue
        chunk = os.read(fd, 65536)
        now = time.monotonic()
        if not chunk:
            eof = True
            continue
        if t_mark is not None:
            continue  # keep draining so a chatty guest never blocks
        buf += chunk
        lines = buf.split(b"\n")
        if (marker is None and len(lines) > 1) or (
                marker is not None and any(marker in ln for ln in lines)):
            t_mark = now - t0
            if stopping == 0:
                end = now + after
        buf = lines[-1][-4096:]
    p.stdout.close()
    return t_mark, rss, p.returncode


# --- statistics and tables ----------------------------------------------------

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round((len(v) - 1) * p / 100.0)))]


def cell(v, fmt, scale=1.0):
    """'median  p90  [min-max]' of v, or '-' / 'failed'."""
    if v is None:
        return "-"
    if not v:
        return "failed"
    v = [x * scale for x in v]
    return ("%s p90 %s [%s-%s]" % (fmt % statistics.median(v), fmt % pct(v, 90),
                                   fmt % min(v), fmt % max(v)))


def ratio(a, b):
    if not a or not b:
        return "-"
    return "%.2fx" % (statistics.median(b) / statistics.median(a))


def table(title, cols, rows, fmt, scale=1.0, note=None, ratio_of=True):
    """rows: [(label, {col: [values] or None})]. Ratio columns: each QEMU
    column's median over vmm's (for times: >1 means vmm is faster)."""
    names = [c for c, _ in cols]
    extra = [n for n in names[1:]] if ratio_of else []
    w = [max(len(lbl) for lbl, _ in rows + [("", 0)]) + 2]
    cells = [[cell(vals.get(n), fmt, scale) for n in names] for _, vals in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) + 2
              for i, n in enumerate(names)]
    print(title)
    head = "%-*s" % (w[0], "") + "".join(
        "%-*s" % (widths[i], n) for i, n in enumerate(names))
    head += "".join("%-*s" % (len(n) + 12, n + " / vmm") for n in extra)
    print("  " + head)
    for (lbl, vals), r in zip(rows, cells):
        line = "%-*s" % (w[0], lbl) + "".join(
            "%-*s" % (widths[i], c) for i, c in enumerate(r))
        line += "".join("%-*s" % (len(n) + 12, ratio(vals.get("vmm"),
                                                     vals.get(n)))
                        for n in extra)
        print("  " + line.rstrip())
    if note:
        print("  " + note)
    print()
    sys.stdout.flush()


# --- the benchmarks -----------------------------------------------------------

def bench_startup(cols):
    runs = env_int("RUNS_HELLO", 7)
    kernel = {"vmm": os.path.join(GUESTS, "hello.bzImage"),
              "qemu": os.path.join(GUESTS, "hello.elf")}
    times = {c: [] for c, _ in cols}
    rss = {c: [] for c, _ in cols}
    for i in range(runs + 1):  # run 0 warms the page cache, not counted
        for c, build in cols:
            argv = build(kernel, "action=exit:0", debug_exit=True)
            t, r, _ = run_vm(argv, marker=None, limit=60, after=10)
            if i and t is not None:
                times[c].append(t)
            if i and r is not None:
                rss[c].append(r)
    table("start -> guest's first serial line, guests/hello (vmm: bzImage; "
          "QEMU: PVH ELF), 256M, %d runs, ms" % runs, cols,
          [("first serial line", times)], "%.0f", 1e3)
    return rss


def bench_linux(cols):
    runs = env_int("RUNS_LINUX", 3)
    kernel = {"vmm": os.path.join(LINUX, "bzImage"),
              "qemu": os.path.join(LINUX, "bzImage")}
    initrd = os.path.join(LINUX, "initramfs.cpio.gz")
    if not os.path.exists(kernel["vmm"]) or not os.path.exists(initrd):
        print("linux: %s or %s missing (guests/linux/build.sh)\n"
              % (kernel["vmm"], initrd))
        return []
    rows_t, rows_rss = [], []
    for cpus in (1, 2):
        times = {c: [] for c, _ in cols}
        rss = {c: [] for c, _ in cols}
        for _ in range(runs):
            for c, build in cols:
                argv = build(kernel, LINUX_CMDLINE, cpus=cpus, initrd=initrd)
                t, r, _ = run_vm(argv, marker=b"INIT_REACHED", limit=180,
                                 after=20)
                if t is not None:
                    times[c].append(t)
                if r is not None:
                    rss[c].append(r)
        rows_t.append(("%d vCPU%s" % (cpus, "s" if cpus > 1 else ""), times))
        rows_rss.append(("Linux, %d vCPU%s" % (cpus, "s" if cpus > 1 else ""),
                         rss))
    table("start -> INIT_REACHED, minimal Linux 6.1 bzImage + initramfs, "
          "256M, serial console, %d runs, s" % runs, cols, rows_t, "%.2f")
    return rows_rss


def file_rate(argv, path, nbytes, limit=300):
    """Run argv writing nbytes into the file path; MB/s between the first
    and the last byte appearing there (polled every 2 ms), or None."""
    open(path, "wb").close()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_first = t_last = None
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        done = p.poll() is not None
        size = os.path.getsize(path)
        now = time.monotonic()
        if t_first is None and size > 0:
            t_first = now
        if size >= nbytes:
            t_last = now
            break
        if done:
            break
        time.sleep(0.002)
    reap(p)
    if t_last is None or t_last <= t_first:
        return None
    return nbytes / (t_last - t_first) / 1e6


def reap(p):
    """Wait up to 20 s for a VMM that finished its work, then kill it."""
    if p.poll() is None:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def uart_rate(argv, path, nbytes, limit=300):
    """guests/uart mode=tput into the file path: MB/s between the moments
    TPUT_BEGIN and TPUT_END appear, if the payload is exactly nbytes."""
    open(path, "wb").close()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_b = t_e = None
    seen = b""
    deadline = time.monotonic() + limit
    with open(path, "rb") as f:
        while time.monotonic() < deadline:
            done = p.poll() is not None
            seen += f.read()
            now = time.monotonic()
            if t_b is None and b"TPUT_BEGIN\n" in seen:
                t_b = now
            if t_e is None and b"TPUT_END\n" in seen:
                t_e = now
            if done or t_e is not None:
                break
            time.sleep(0.002)
    reap(p)
    b, e = seen.find(b"TPUT_BEGIN\n"), seen.find(b"TPUT_END\n")
    if t_e is None or b < 0 or e - (b + 11) != nbytes:
        return None
    return nbytes / (t_e - t_b) / 1e6


def bench_console(cols):
    runs = env_int("RUNS_TPUT", 3)
    nbytes = env_int("UART_BYTES", 4096)
    mib = env_int("VCON_MIB", 16)
    uart = {"vmm": os.path.join(GUESTS, "uart.bzImage"),
            "qemu": os.path.join(GUESTS, "uart.elf")}
    vcon = {"vmm": os.path.join(GUESTS, "vcon.bzImage"),
            "qemu": os.path.join(GUESTS, "vcon.elf")}
    ser = {c: [] for c, _ in cols}
    con = {c: ([] if c in ("vmm", "QEMU microvm") else None) for c, _ in cols}
    tmp = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=tmp) as d:
        path = os.path.join(d, "out")
        for _ in range(runs):
            for c, build in cols:
                r = uart_rate(build(uart, "mode=tput bytes=%d cpl=3 poll=1"
                                    % nbytes, mem="64M", serial=path,
                                    debug_exit=True), path, nbytes)
                if r:
                    ser[c].append(r)
                if con[c] is None:
                    continue
                r = file_rate(build(vcon, "vcon=bulk vcon.mb=%d" % mib,
                                    serial="none", console=path,
                                    debug_exit=True), path, mib << 20)
                if r:
                    con[c].append(r)
    table("guest -> file console throughput, %d runs, MB/s (higher is "
          "better)" % runs, cols,
          [("8250, %d B, LSR poll + THR, CPL 3" % nbytes, ser),
           ("virtio-console, %d MiB, CPL 3" % mib, con)], "%.4g",
          note="8250: guests/uart, between its TPUT_BEGIN/END markers; "
          "virtio: guests/vcon, first to last byte in the file; "
          "q35: no virtio-mmio")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="startup,linux,console")
    ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64"))
    a = ap.parse_args()
    if a.qemu and not os.path.exists("/dev/kvm"):
        a.qemu = None
    cols = peers(a.qemu)
    what = a.only.split(",")
    print("== vmm %s QEMU (%s), same guests, runs interleaved"
          % ("vs" if a.qemu else "without",
             qemu_version(a.qemu) if a.qemu else "qemu-system-x86_64 not found"))
    print()
    rss_rows = []
    if "startup" in what:
        rss_rows.append(("hello", bench_startup(cols)))
    if "linux" in what:
        rss_rows += bench_linux(cols)
    if rss_rows:
        table("peak RSS of the VMM process (VmHWM, guest pages it "
              "touched included), MiB", cols, rss_rows, "%.1f", 1 / 1024.0)
    if "console" in what:
        bench_console(cols)


def qemu_version(qemu):
    try:
        out = subprocess.run([qemu, "--version"], capture_output=True,
                             text=True, timeout=30).stdout
        return out.splitlines()[0].replace("QEMU emulator version ", "QEMU ")
    except (OSError, subprocess.SubprocessError, IndexError):
        return qemu


if __name__ == "__main__":
    main()
