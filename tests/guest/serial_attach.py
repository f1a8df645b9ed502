#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Drive a vmm whose UART is on a pty or a unix socket (tests/guest helper).

    serial_attach.py pty|socket:PATH INPUT TRANSCRIPT STDERR -- CMD...

Runs CMD (vmm under `timeout`, with --serial pty or --serial socket:PATH
already among its arguments), finds the console the way a user would
(pty: the /dev/pts/N path vmm prints on stderr; socket: PATH once it
accepts connections), writes the bytes of INPUT to it, and saves
everything read back into TRANSCRIPT and vmm's stderr into STDERR. When
the transcript shows the line "EXIT_ACK?" (guests/uart exit_ack=1) one more
byte is sent, so that the guest exits only after the whole transcript was
read: a pty loses what its reader has not read once vmm closes it.

The pty is put in raw mode before anything is written: with the default
line discipline its echo would turn guest output into guest input.

Exit status: CMD's status; 125 if the console never appeared (the reason
is printed, and also goes at the end of STDERR).
"""
import errno
import os
import re
import selectors
import socket
import subprocess
import sys
import time
import tty

ACK_LINE = b"EXIT_ACK?\n"
FIND_TIMEOUT = 20.0


class Attach:
    def __init__(self, proc, err_path):
        self.proc = proc
        self.err = open(err_path, "wb")
        self.err_text = b""
        os.set_blocking(proc.stderr.fileno(), False)

    def pump_stderr(self):
        """Save what vmm wrote to stderr; False once it is closed."""
        try:
            data = os.read(self.proc.stderr.fileno(), 65536)
        except BlockingIOError:
            return True
        if not data:
            return False
        self.err.write(data)
        self.err.flush()
        self.err_text += data
        return True

    def wait_for(self, found):
        """Pump stderr until found() returns a value, vmm dies or time out."""
        deadline = time.monotonic() + FIND_TIMEOUT
        open_err = True
        while time.monotonic() < deadline:
            value = found()
            if value is not None:
                return value
            if self.proc.poll() is not None and not open_err:
                return None
            if open_err:
                open_err = self.pump_stderr()
            time.sleep(0.005)
        return None


def open_pty(att):
    def found():
        m = re.search(rb"(/dev/pts/\d+)", att.err_text)
        return m.group(1).decode() if m else None

    path = att.wait_for(found)
    if path is None:
        return None, "no /dev/pts/N path on vmm's stderr"
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    return fd, None


def open_socket(att, path):
    def found():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            s.close()
            return None
        return s

    sock = att.wait_for(found)
    if sock is None:
        return None, "no connection to %s" % path
    att.sock = sock  # keep the object alive: it owns the fd
    return sock.fileno(), None


def exchange(att, fd, data, out_path):
    """Write data, read until EOF/EIO, answer EXIT_ACK?. Returns output."""
    out = bytearray()
    acked = False
    sel = selectors.DefaultSelector()
    os.set_blocking(fd, False)
    sel.register(fd, selectors.EVENT_READ | (selectors.EVENT_WRITE
                                             if data else 0))
    sel.register(att.proc.stderr, selectors.EVENT_READ)
    err_open = True
    while True:
        for key, events in sel.select(timeout=0.5):
            if key.fileobj is att.proc.stderr:
                if not att.pump_stderr():
                    sel.unregister(att.proc.stderr)
                    err_open = False
                continue
            if events & selectors.EVENT_WRITE and data:
                try:
                    n = os.write(fd, data)
                    data = data[n:]
                except BlockingIOError:
                    pass
                if not data:
                    sel.modify(fd, selectors.EVENT_READ)
            if events & selectors.EVENT_READ:
                try:
                    chunk = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    if e.errno != errno.EIO:  # EIO: the pty master closed
                        raise
                    chunk = b""
                if not chunk:
                    sel.unregister(fd)
                    fd = -1
                    break
                out += chunk
                if not acked and ACK_LINE in out:
                    os.set_blocking(fd, True)
                    os.write(fd, b"\n")
                    os.set_blocking(fd, False)
                    acked = True
        if fd < 0 or (att.proc.poll() is not None and not err_open):
            break
    with open(out_path, "wb") as f:
        f.write(out)
    while err_open and att.pump_stderr():
        pass


def main():
    if len(sys.argv) < 7 or sys.argv[5] != "--":
        sys.exit(__doc__)
    mode, in_path, out_path, err_path = sys.argv[1:5]
    cmd = sys.argv[6:]
    with open(in_path, "rb") as f:
        data = f.read()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    att = Attach(proc, err_path)
    if mode == "pty":
        fd, why = open_pty(att)
    elif mode.startswith("socket:"):
        fd, why = open_socket(att, mode[len("socket:"):])
    else:
        sys.exit("serial_attach: unknown mode %r" % mode)
    if fd is None:
        proc.kill()
        proc.wait()
        while att.pump_stderr():
            pass
        msg = "serial_attach: %s (vmm status %s)" % (why, proc.returncode)
        att.err.write((msg + "\n").encode())
        print(msg, file=sys.stderr)
        open(out_path, "wb").close()
        return 125
    exchange(att, fd, data, out_path)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())
