#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""conpeer.py: the users of a guest console that come and go, for the
Linux tier's console cases (tests/linux/cases: con-pty, con-socket), run
in the nested L1 next to vmm. The guest's side is guests/linux/init-con.sh.

    conpeer.py pty STDERR_LOG SERIAL_LOG OUTDIR
        Waits for vmm's "console: /dev/pts/N" line in STDERR_LOG. Reader 1
        opens the pty (raw), reads the guest's "A" lines up to PTY_WAIT1,
        types "go1", reads on up to PTY_GOT1 and closes the pty while the
        guest goes on writing its "B" lines. Once SERIAL_LOG shows
        PTY_B_DONE (all of them written, most with nobody attached),
        reader 2 opens the pty, reads up to PTY_WAIT2, types "go2" and
        reads up to PTY_END.
    conpeer.py socket PATH OUTDIR
        Client 1 connects to the --console socket:PATH, reads 64 KiB of
        the guest's "F" lines and closes with the rest unread (the guest
        is in the middle of writing to it). Client 2 connects at once,
        reads up to SOCK_WAIT, sends "go" and reads up to SOCK_END.

What each reader or client got goes to OUTDIR/<name>.log; then one line
each, which the case's check prints:
    PTY_READER1 ok=<0|1> a_lines=<n> (every "A" line, in order)
    PTY_READER2 ok=<0|1> b_first=<n> b_last=<n> c_lines=<n> (a run of "B"
        lines without a gap up to the last one, PTY_WAIT2, every "C" line
        in order, PTY_END)
    SOCK_CLIENT1 ok=<0|1> bytes=<n> f_lines=<n> (64 KiB, from "F 1" on, in
        order)
    SOCK_CLIENT2 ok=<0|1> f_first=<n> f_last=<n> g_lines=<n>
"""
import os
import socket
import sys
import time
import tty

CHUNK = 1 << 16


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def wait_for(path, text):
    """Poll a log file (written by others) until it holds text."""
    while True:
        try:
            with open(path, "rb") as f:
                data = f.read()
            if text in data:
                return data
        except FileNotFoundError:
            pass
        time.sleep(0.1)


class Reader:
    """Everything read from one fd, searched for markers as it comes."""

    def __init__(self, recv):
        self.recv = recv
        self.data = bytearray()

    def until(self, marker, pos=0):
        """Read until marker appears at or after pos; its end offset."""
        while True:
            i = self.data.find(marker, pos)
            if i >= 0:
                return i + len(marker)
            b = self.recv()
            if not b:
                raise SystemExit("conpeer: stream ended before %r" % marker)
            self.data.extend(b)

    def at_least(self, n):
        """Read n bytes; False if the stream ends before."""
        while len(self.data) < n:
            b = self.recv()
            if not b:
                return False
            self.data.extend(b)
        return True


def lines(data):
    """Complete lines, without CR: the guest's tty writes CR LF."""
    text = bytes(data).replace(b"\r", b"").decode("ascii", "replace")
    return text.split("\n")[:-1]


def numbers(ls, prefix):
    """The numbers of the lines "PREFIX n", in order of arrival."""
    got = []
    for line in ls:
        w = line.split(" ")
        if len(w) == 2 and w[0] == prefix and w[1].isdigit():
            got.append(int(w[1]))
    return got


def run_of(nums, last):
    """Do nums make one run without a gap that ends at last?"""
    return bool(nums) and nums[-1] == last and \
        nums == list(range(nums[0], last + 1))


def save(outdir, name, data):
    with open(os.path.join(outdir, name + ".log"), "wb") as f:
        f.write(data)


def pty_open(path):
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return fd


def cmd_pty(stderr_log, serial_log, outdir):
    log = wait_for(stderr_log, b"console: /dev/pts/")
    path = log.split(b"console: ", 1)[1].split(b"\n", 1)[0].decode()

    fd = pty_open(path)
    r1 = Reader(lambda: os.read(fd, CHUNK))
    end = r1.until(b"PTY_WAIT1")
    os.write(fd, b"go1\n")
    r1.until(b"PTY_GOT1 go1", end)
    os.close(fd)  # the guest writes on: its B lines
    save(outdir, "reader1", r1.data)
    a = numbers(lines(r1.data), "A")
    out("PTY_READER1 ok=%d a_lines=%d" % (a == list(range(1, 2001)), len(a)))

    wait_for(serial_log, b"PTY_B_DONE")
    fd = pty_open(path)
    r2 = Reader(lambda: os.read(fd, CHUNK))
    end = r2.until(b"PTY_WAIT2")
    os.write(fd, b"go2\n")
    r2.until(b"PTY_END", end)
    os.close(fd)
    save(outdir, "reader2", r2.data)
    ls = lines(r2.data)
    b, c = numbers(ls, "B"), numbers(ls, "C")
    ok = run_of(b, 20000) and c == list(range(1, 501)) and \
        "PTY_WAIT2" in ls and "PTY_GOT2 go2" in ls
    out("PTY_READER2 ok=%d b_first=%d b_last=%d c_lines=%d" % (
        ok, b[0] if b else 0, b[-1] if b else 0, len(c)))


def sock_connect(path):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            time.sleep(0.1)


def cmd_socket(path, outdir):
    s = sock_connect(path)
    c1 = Reader(lambda: s.recv(CHUNK))
    full = c1.at_least(CHUNK)
    s.close()  # the guest is still writing; unread bytes: a reset
    save(outdir, "client1", c1.data)
    f = numbers(lines(c1.data), "F")
    out("SOCK_CLIENT1 ok=%d bytes=%d f_lines=%d%s" % (
        full and bool(f) and f == list(range(1, len(f) + 1)), len(c1.data),
        len(f), "" if full else " (the stream ended)"))

    s = sock_connect(path)
    c2 = Reader(lambda: s.recv(CHUNK))
    end = c2.until(b"SOCK_WAIT")
    s.sendall(b"go\n")
    c2.until(b"SOCK_END", end)
    s.close()
    save(outdir, "client2", c2.data)
    ls = lines(c2.data)
    f, g = numbers(ls, "F"), numbers(ls, "G")
    ok = run_of(f, 60000) and g == list(range(1, 501)) and \
        "SOCK_WAIT" in ls and "SOCK_GOT go" in ls
    out("SOCK_CLIENT2 ok=%d f_first=%d f_last=%d g_lines=%d" % (
        ok, f[0] if f else 0, f[-1] if f else 0, len(g)))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "pty":
        cmd_pty(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "socket":
        cmd_socket(*sys.argv[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
