#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""netpeer.py: one end of a stream for the net and vsock tests and benchmarks.

Runs on both sides: in the nested L1 (from the checkout) and in the Linux
test guest (from its initramfs, /etc/netpeer.py, copied into the chroot of
the L1's Debian root image, whose python3 runs it). Python's standard
library only.

An endpoint SPEC is one of
    tcp:HOST:PORT       TCP (listen: tcp:ADDR:PORT, ADDR may be 0.0.0.0)
    vsock:CID:PORT      AF_VSOCK (listen: vsock:PORT, any CID)
    unix:PATH           a unix stream socket (listen: binds PATH)
    uds:PATH:PORT       vmm's vsock unix socket PATH (Firecracker's hybrid
                        protocol): connect, write "CONNECT PORT\\n", read
                        "OK <host port>\\n", then the stream; retried until
                        the guest listens (the VMM closes the socket, no OK)
Commands (each prints one result line, KEY=VALUE words):
    cid                                   CID=<this machine's vsock CID>
    send TO FILE                          SENT bytes=<n> rc=0
    recv LISTEN                           RECV bytes=<n> sha256=<hex>
    echo LISTEN --count N                 ECHOED conns=<n> bytes=<n>
    many TO --conns N --bytes B           MANY ok=<n> bad=<n> [first: why]
    sink LISTEN                           serves throughput runs (forever)
    tput TO --seconds S                   TPUT bytes=<n> secs=<s> mbit=<x>
    pong LISTEN                           1-byte echo server (forever)
    ping TO --rounds N                    RTT n=<n> p50_us= p90_us= p99_us=
    take FROM                             TAKE bytes=<n> sha256=<hex> end=<e>
    flood TO                              FLOOD bytes=<n> end=<e>
    cut TO --bytes B [--mode recv]        CUT bytes=<n> sha256=<hex>
take reads until the stream ends, flood writes until it fails; <e> is
"eof" or the errno name that ended it (ECONNRESET, EPIPE, ...). cut sends
B random bytes (recv: reads B bytes) and closes at once, leaving whatever
the peer still sends unread: a peer that goes away mid-transfer.
With --accept, take, flood and cut listen on their endpoint (vsock:PORT,
unix:PATH) for one connection instead of connecting.
--tag T replaces the first word (SENT, RECV, ...).
A connect is retried for --wait seconds (default 60) while refused.
"""
import argparse
import errno
import fcntl
import hashlib
import os
import socket
import struct
import sys
import threading
import time

CHUNK = 1 << 16
TAGS = {"send": "SENT", "recv": "RECV", "echo": "ECHOED", "many": "MANY",
        "sink": "SINK", "tput": "TPUT", "pong": "PONG", "ping": "RTT",
        "take": "TAKE", "flood": "FLOOD", "cut": "CUT"}


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse(spec):
    kind, _, rest = spec.partition(":")
    if kind == "tcp":
        host, _, port = rest.rpartition(":")
        return kind, (host, int(port))
    if kind == "vsock":
        if ":" in rest:
            cid, _, port = rest.partition(":")
            return kind, (int(cid), int(port))
        return kind, (socket.VMADDR_CID_ANY, int(rest))
    if kind == "unix":
        return kind, rest
    if kind == "uds":
        path, _, port = rest.rpartition(":")
        return kind, (path, int(port))
    raise SystemExit("netpeer: bad endpoint '%s'" % spec)


def family(kind):
    return {"tcp": socket.AF_INET, "vsock": socket.AF_VSOCK,
            "unix": socket.AF_UNIX, "uds": socket.AF_UNIX}[kind]


def listen(spec, backlog=128):
    kind, addr = parse(spec)
    s = socket.socket(family(kind), socket.SOCK_STREAM)
    if kind == "tcp":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if kind == "unix" and os.path.exists(addr):
        os.unlink(addr)
    s.bind(addr)
    s.listen(backlog)
    return s


def read_line(s):
    line = b""
    while not line.endswith(b"\n"):
        c = s.recv(1)
        if not c:
            return None
        line += c
        if len(line) > 64:
            return None
    return line


def connect(spec, wait):
    """A connected socket to spec, retrying while nobody listens."""
    kind, addr = parse(spec)
    deadline = time.monotonic() + wait
    while True:
        s = socket.socket(family(kind), socket.SOCK_STREAM)
        try:
            if kind == "uds":
                s.connect(addr[0])
                s.sendall(b"CONNECT %d\n" % addr[1])
                line = read_line(s)
                if line is None or not line.startswith(b"OK "):
                    raise ConnectionRefusedError("no OK line: %r" % line)
            else:
                s.connect(addr)
            if kind == "tcp":
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s
        except (ConnectionRefusedError, ConnectionResetError,
                FileNotFoundError, TimeoutError, OSError) as e:
            s.close()
            if time.monotonic() >= deadline:
                raise SystemExit("netpeer: cannot connect to %s: %s" % (spec, e))
            time.sleep(0.2)


def drain(s, h=None):
    n = 0
    while True:
        b = s.recv(CHUNK)
        if not b:
            return n
        n += len(b)
        if h:
            h.update(b)


def cmd_cid(a):
    # IOCTL_VM_SOCKETS_GET_LOCAL_CID = _IO(7, 0xb9)
    with open("/dev/vsock", "rb") as f:
        buf = fcntl.ioctl(f, 0x7b9, b"\0" * 4)
    out("CID=%d" % struct.unpack("I", buf)[0])


def cmd_send(a):
    s = connect(a.endpoint, a.wait)
    n = 0
    with open(a.file, "rb") as f:
        while True:
            b = f.read(CHUNK)
            if not b:
                break
            s.sendall(b)
            n += len(b)
    s.shutdown(socket.SHUT_WR)
    drain(s)  # the peer closes once it has everything
    s.close()
    out("%s bytes=%d rc=0" % (a.tag, n))


def cmd_recv(a):
    ls = listen(a.endpoint)
    c, _ = ls.accept()
    h = hashlib.sha256()
    n = drain(c, h)
    c.close()
    out("%s bytes=%d sha256=%s" % (a.tag, n, h.hexdigest()))


def cmd_echo(a):
    ls = listen(a.endpoint)
    total = [0, 0]
    lock = threading.Lock()

    def serve(c):
        n = 0
        while True:
            b = c.recv(CHUNK)
            if not b:
                break
            c.sendall(b)
            n += len(b)
        c.close()
        with lock:
            total[0] += 1
            total[1] += n

    threads = []
    for _ in range(a.count):
        c, _ = ls.accept()
        t = threading.Thread(target=serve, args=(c,))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    out("%s conns=%d bytes=%d" % (a.tag, total[0], total[1]))


def cmd_many(a):
    """N connections open at once, each sends B random bytes and reads
    them back from an echo server: every one must come back byte-exact."""
    socks = [connect(a.endpoint, a.wait) for _ in range(a.conns)]
    results = [None] * a.conns

    def one(i, s):
        data = os.urandom(a.bytes)
        got = bytearray()

        def reader():
            while len(got) < len(data):
                b = s.recv(CHUNK)
                if not b:
                    break
                got.extend(b)

        r = threading.Thread(target=reader)
        r.start()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        r.join()
        s.close()
        results[i] = bytes(got) == data or "conn %d: %d of %d bytes back%s" % (
            i, len(got), len(data), "" if len(got) < len(data) else ", differing")

    threads = [threading.Thread(target=one, args=(i, s))
               for i, s in enumerate(socks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    bad = [r for r in results if r is not True]
    out("%s ok=%d bad=%d%s" % (a.tag, a.conns - len(bad), len(bad),
                                    (" first: " + str(bad[0])) if bad else ""))


def cmd_sink(a):
    ls = listen(a.endpoint)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=lambda c=c: (drain(c), c.close()),
                         daemon=True).start()


def cmd_tput(a):
    s = connect(a.endpoint, a.wait)
    buf = os.urandom(CHUNK) * 4
    n = 0
    t0 = time.monotonic()
    end = t0 + a.seconds
    while time.monotonic() < end:
        s.sendall(buf)
        n += len(buf)
    s.shutdown(socket.SHUT_WR)
    drain(s)  # the sink closes once it has read everything
    dt = time.monotonic() - t0
    s.close()
    out("%s bytes=%d secs=%.3f mbit=%.1f" % (a.tag, n, dt, n * 8 / dt / 1e6))


def cmd_pong(a):
    ls = listen(a.endpoint)

    def serve(c):
        while True:
            b = c.recv(1)
            if not b:
                break
            c.sendall(b)
        c.close()

    while True:
        c, _ = ls.accept()
        if c.family == socket.AF_INET:
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def pct(v, p):
    return v[min(len(v) - 1, int(round((len(v) - 1) * p / 100.0)))]


def cmd_ping(a):
    s = connect(a.endpoint, a.wait)
    lat = []
    for i in range(a.rounds + 10):  # 10 warm-up rounds, not counted
        t0 = time.perf_counter()
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise SystemExit("netpeer: ping: short echo")
        if i >= 10:
            lat.append((time.perf_counter() - t0) * 1e6)
    s.close()
    lat.sort()
    out("%s n=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f" % (
        a.tag, len(lat), pct(lat, 50), pct(lat, 90), pct(lat, 99)))


def endpoint(a):
    """The one connection of take, flood and cut (see --accept)."""
    if not a.accept:
        return connect(a.endpoint, a.wait)
    ls = listen(a.endpoint)
    c, _ = ls.accept()
    ls.close()
    return c


def err_name(e):
    return errno.errorcode.get(e.errno, str(e.errno)) if e.errno else str(e)


def cmd_take(a):
    s = endpoint(a)
    h = hashlib.sha256()
    n = 0
    end = "eof"
    try:
        n = drain(s, h)
    except OSError as e:
        end = err_name(e)
    s.close()
    out("%s bytes=%d sha256=%s end=%s" % (a.tag, n, h.hexdigest(), end))


def cmd_flood(a):
    s = endpoint(a)
    buf = os.urandom(CHUNK)
    n = 0
    while True:
        try:
            n += s.send(buf)
        except OSError as e:
            end = err_name(e)
            break
    s.close()
    out("%s bytes=%d end=%s" % (a.tag, n, end))


def cmd_cut(a):
    s = endpoint(a)
    h = hashlib.sha256()
    n = 0
    if a.mode == "recv":
        while n < a.bytes:
            b = s.recv(min(CHUNK, a.bytes - n))
            if not b:
                break
            h.update(b)
            n += len(b)
    else:
        data = os.urandom(a.bytes)
        s.sendall(data)
        h.update(data)
        n = len(data)
    s.close()  # no shutdown, no waiting for the peer
    out("%s bytes=%d sha256=%s" % (a.tag, n, h.hexdigest()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("cid")
    p.set_defaults(fn=cmd_cid)
    for name, fn, extra in (("send", cmd_send, ["file"]), ("recv", cmd_recv, []),
                            ("echo", cmd_echo, []), ("many", cmd_many, []),
                            ("sink", cmd_sink, []), ("tput", cmd_tput, []),
                            ("pong", cmd_pong, []), ("ping", cmd_ping, []),
                            ("take", cmd_take, []), ("flood", cmd_flood, []),
                            ("cut", cmd_cut, [])):
        p = sub.add_parser(name)
        p.add_argument("endpoint")
        for e in extra:
            p.add_argument(e)
        p.add_argument("--tag", default=TAGS[name])
        p.add_argument("--wait", type=float, default=60)
        p.add_argument("--count", type=int, default=1)
        p.add_argument("--conns", type=int, default=64)
        p.add_argument("--bytes", type=int, default=65536)
        p.add_argument("--seconds", type=float, default=5)
        p.add_argument("--rounds", type=int, default=1000)
        p.add_argument("--accept", action="store_true")
        p.add_argument("--mode", choices=("send", "recv"), default="send")
        p.set_defaults(fn=fn)
    a = ap.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
