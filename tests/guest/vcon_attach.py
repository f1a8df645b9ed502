#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Talk to guests/vcon through a virtio-console port (tests/guest helper).

    vcon_attach.py SCRIPT TARGET TRANSCRIPT STDERR -- CMD...

Runs CMD (vmm under `timeout`), attaches to TARGET the way a user would
(`pty` or `pty:LABEL`: the "/dev/pts/N" path vmm prints on stderr after
"console:" or "LABEL:"; `socket:PATH`: connect once PATH accepts), and
plays SCRIPT:

  echo    wait for "READY\\n", send a line and expect it back, send
          "quit" and expect "quitBYE\\n"
  echo-late  the same, attaching only once the guest's serial transcript
          (the file named by $VCON_SERIAL) says "READY sent": READY was
          written while nobody read and must come from the replay ring
  resize  (pty) wait for "size RxC", set the pty to 33 rows x 111 columns,
          expect "resized 33x111"

Everything read goes to TRANSCRIPT, vmm's stderr to STDERR. The pty is put
in raw mode before anything is written. Exit status: CMD's status; 125 if
the console never appeared or the conversation went wrong (the reason is
printed).
"""
import fcntl
import os
import re
import socket
import struct
import subprocess
import sys
import termios
import time
import tty

TIMEOUT = 30.0


class Fail(Exception):
    pass


class Session:
    def __init__(self, proc, err_path, transcript_path):
        self.proc = proc
        self.err = open(err_path, "wb")
        self.err_text = b""
        self.out = open(transcript_path, "wb")
        self.buf = b""
        self.fd = None
        self.sock = None
        os.set_blocking(proc.stderr.fileno(), False)

    def pump_stderr(self):
        try:
            data = os.read(self.proc.stderr.fileno(), 65536)
        except BlockingIOError:
            return
        if data:
            self.err.write(data)
            self.err.flush()
            self.err_text += data

    def attach(self, target):
        deadline = time.monotonic() + TIMEOUT
        if target.startswith("socket:"):
            path = target[len("socket:"):]
            while time.monotonic() < deadline:
                self.pump_stderr()
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(path)
                    self.sock = s
                    return
                except OSError:
                    s.close()
                    if self.proc.poll() is not None:
                        break
                    time.sleep(0.05)
            raise Fail("socket %s never accepted" % path)
        label = target[4:] if target.startswith("pty:") else "console"
        pat = re.compile(rb"^" + re.escape(label.encode()) +
                         rb": (/dev/pts/\d+)$", re.M)
        while time.monotonic() < deadline:
            self.pump_stderr()
            m = pat.search(self.err_text)
            if m:
                self.fd = os.open(m.group(1), os.O_RDWR | os.O_NOCTTY)
                tty.setraw(self.fd)
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise Fail("no '%s: /dev/pts/N' line on stderr" % label)

    def read_some(self, timeout):
        if self.sock is not None:
            self.sock.settimeout(timeout)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return b""
            if not data:
                raise Fail("the socket closed")
            return data
        import select
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return b""
        try:
            return os.read(self.fd, 65536)
        except OSError as e:
            raise Fail("pty read: %s" % e)

    def expect(self, want):
        deadline = time.monotonic() + TIMEOUT
        while want not in self.buf:
            if time.monotonic() > deadline:
                raise Fail("did not see %r (got %r)" % (want, self.buf[-200:]))
            self.pump_stderr()
            data = self.read_some(0.1)
            self.out.write(data)
            self.out.flush()
            self.buf += data
        m = self.buf
        self.buf = m[m.index(want) + len(want):]
        return m[:m.index(want) + len(want)]

    def send(self, data):
        if self.sock is not None:
            self.sock.sendall(data)
        else:
            os.write(self.fd, data)

    def expect_re(self, pattern):
        deadline = time.monotonic() + TIMEOUT
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            if time.monotonic() > deadline:
                raise Fail("did not see /%s/ (got %r)" %
                           (pattern.decode(), self.buf[-200:]))
            self.pump_stderr()
            data = self.read_some(0.1)
            self.out.write(data)
            self.out.flush()
            self.buf += data


def play(sess, script):
    if script == "echo":
        sess.expect(b"READY\n")
        line = b"hello, virtio-console \x01\x7f\xff\n"
        sess.send(line)
        sess.expect(line)
        sess.send(b"quit")
        sess.expect(b"quitBYE\n")
    elif script == "resize":
        sess.expect_re(rb"size \d+x\d+\n")
        fcntl.ioctl(sess.fd, termios.TIOCSWINSZ,
                    struct.pack("HHHH", 33, 111, 0, 0))
        sess.expect(b"resized 33x111\n")
    else:
        raise Fail("unknown script %s" % script)


def wait_serial(proc, path, what):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(path, "rb") as f:
                if what in f.read():
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise Fail("the guest never said %r on its serial port" % what)


def main():
    if len(sys.argv) < 7 or sys.argv[5] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    script, target, transcript, err_path = sys.argv[1:5]
    proc = subprocess.Popen(sys.argv[6:], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sess = Session(proc, err_path, transcript)
    status = None
    try:
        if script == "echo-late":
            wait_serial(proc, os.environ["VCON_SERIAL"], b"READY sent")
            script = "echo"
        sess.attach(target)
        play(sess, script)
    except Fail as e:
        print("vcon_attach: %s" % e)
        status = 125
    deadline = time.monotonic() + TIMEOUT
    while proc.poll() is None and time.monotonic() < deadline:
        sess.pump_stderr()
        data = b""
        try:
            if sess.fd is not None or sess.sock is not None:
                data = sess.read_some(0.05)
            else:
                time.sleep(0.05)
        except Fail:
            time.sleep(0.05)
        sess.out.write(data)
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    sess.pump_stderr()
    return status if status is not None else proc.returncode


if __name__ == "__main__":
    sys.exit(main())
