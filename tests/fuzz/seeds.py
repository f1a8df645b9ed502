#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/) from
# the layouts in the kernel's UAPI headers and the harnesses' own input
# formats (each harness's opening comment). Run from the repository root:
#   python3 tests/fuzz/seeds.py
# A handful of valid inputs per target; libFuzzer finds the rest.
import os
import struct

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- fuse: u8 flags, u16 async mask, records (u8 ctl, u16 room, u16 len,
# request). Nodes from LOOKUP are 2, 3, ... and handles 1, 2, ...
FUSE = dict(LOOKUP=1, FORGET=2, GETATTR=3, SETATTR=4, READLINK=5, SYMLINK=6,
            MKNOD=8, MKDIR=9, UNLINK=10, RMDIR=11, RENAME=12, LINK=13,
            OPEN=14, READ=15, WRITE=16, STATFS=17, RELEASE=18, FSYNC=20,
            SETXATTR=21, GETXATTR=22, LISTXATTR=23, REMOVEXATTR=24, FLUSH=25,
            INIT=26, OPENDIR=27, READDIR=28, RELEASEDIR=29, FSYNCDIR=30,
            ACCESS=34, CREATE=35, DESTROY=38, BATCH_FORGET=42, FALLOCATE=43,
            READDIRPLUS=44, RENAME2=45, LSEEK=46)


_unique = [100]


def freq(op, node, args=b"", unique=None, ctl=1, room=4096, uid=0, gid=0):
    if unique is None:
        _unique[0] += 1
        unique = _unique[0]
    hdr = struct.pack("<IIQQIIIHH", 40 + len(args), FUSE[op], unique, node,
                      uid, gid, 1, 0, 0)
    body = hdr + args
    return struct.pack("<BHH", ctl, room, len(body)) + body


def fname(s):
    return s.encode() + b"\0"


def fuse_session(flags, async_mask, *reqs):
    return struct.pack("<BH", flags, async_mask) + b"".join(reqs)


def fuse_seeds():
    rd = struct.pack("<QQIIQII", 1, 0, 4096, 0, 0, 0, 0)
    wr = struct.pack("<QQIIQII", 1, 3, 5, 0, 0, 0, 0) + b"12345"
    for i, (flags, mask) in enumerate([(0, 0), (2, 0), (2, 0x3ff), (6, 0x3ff)]):
        write("fuse", "read-write-%d" % i, fuse_session(
            flags, mask,
            freq("LOOKUP", 1, fname("a")),
            freq("GETATTR", 2, struct.pack("<IIQ", 0, 0, 0)),
            freq("OPEN", 2, struct.pack("<II", 2, 0)),
            freq("READ", 2, rd, ctl=1 | (1 << 1)),
            freq("WRITE", 2, wr, ctl=1 | (2 << 1)),
            freq("FSYNC", 2, struct.pack("<QII", 1, 0, 0)),
            freq("FLUSH", 2, struct.pack("<QIIQ", 1, 0, 0, 0)),
            freq("RELEASE", 2, struct.pack("<QIIQ", 1, 0, 0, 0)),
            freq("FORGET", 2, struct.pack("<Q", 1))))
    write("fuse", "namespace", fuse_session(
        2, 0x3ff,
        freq("MKDIR", 1, struct.pack("<II", 0o755, 0o22) + fname("x")),
        freq("CREATE", 2, struct.pack("<IIII", 0o102, 0o644, 0, 0) +
             fname("f")),
        freq("SYMLINK", 2, fname("s") + fname("../../x")),
        freq("MKNOD", 2, struct.pack("<IIII", 0o10644, 0, 0, 0) +
             fname("p")),
        freq("LINK", 2, struct.pack("<Q", 3) + fname("h")),
        freq("RENAME", 2, struct.pack("<Q", 1) + fname("h") + fname("h2")),
        freq("RENAME2", 1, struct.pack("<QII", 1, 2, 0) + fname("a") +
             fname("h2")),
        freq("READLINK", 4),
        freq("UNLINK", 1, fname("h2")),
        freq("RMDIR", 1, fname("d")),
        freq("BATCH_FORGET", 0, struct.pack("<II", 2, 0) +
             struct.pack("<QQQQ", 2, 1, 3, 1), ctl=1, room=0)))
    write("fuse", "dirs", fuse_session(
        0, 0,
        freq("OPENDIR", 1, struct.pack("<II", 0, 0)),
        freq("READDIR", 1, rd, room=512),
        freq("READDIRPLUS", 1, struct.pack("<QQIIQII", 1, 0, 4096, 0, 0, 0,
                                           0)),
        freq("FSYNCDIR", 1, struct.pack("<QII", 1, 0, 0)),
        freq("RELEASEDIR", 1, struct.pack("<QIIQ", 1, 0, 0, 0)),
        freq("STATFS", 1),
        freq("ACCESS", 1, struct.pack("<II", 7, 0)),
        freq("LOOKUP", 1, fname("l")),
        freq("LOOKUP", 1, fname("..")),
        freq("LOOKUP", 1, fname("root"))))
    write("fuse", "attrs", fuse_session(
        2, 0x3ff,
        freq("LOOKUP", 1, fname("a")),
        freq("SETATTR", 2, struct.pack("<IIQQQQQQIIIIIIII", 0x1 | 0x8, 0,
                                       0, 3, 0, 0, 0, 0, 0, 0, 0, 0o600,
                                       0, 0, 0, 0)),
        freq("SETXATTR", 2, struct.pack("<IIII", 3, 0, 0, 0) +
             fname("user.k") + b"val"),
        freq("GETXATTR", 2, struct.pack("<II", 64, 0) + fname("user.k")),
        freq("LISTXATTR", 2, struct.pack("<II", 64, 0)),
        freq("REMOVEXATTR", 2, fname("user.k")),
        freq("OPEN", 2, struct.pack("<II", 2, 0)),
        freq("FALLOCATE", 2, struct.pack("<QQQII", 1, 0, 8192, 0, 0)),
        freq("LSEEK", 2, struct.pack("<QQII", 1, 0, 3, 0)),
        freq("DESTROY", 0)))
    # Deferred in slots 0 and 1, a FORGET of the parent meanwhile, one
    # abandoned.
    write("fuse", "in-flight", fuse_session(
        2, 0x3ff,
        freq("LOOKUP", 1, fname("d"), ctl=1 | 32),
        freq("LOOKUP", 1, fname("a"), ctl=1 | 32 | 8),
        freq("FORGET", 1, struct.pack("<Q", 1), room=0),
        freq("MKDIR", 1, struct.pack("<II", 0o755, 0) + fname("y"),
             ctl=1 | 32 | 64)))



# ---- virtqueue: u8 features, u8 log2 size, u16 desc/avail/used, u8 ops
# length, ops, RAM image from 0.
VQ_OPS = dict(POP=0, PUSH=1, NOTIFY=2, ENABLE=3, DISABLE=4, POLL=5,
              POKE16=6, FEATURES=7, RESET=8, HAS_AVAIL=9, DRAIN=10)
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def vq_image(descs, avail, size=8, desc=0x0, avail_at=0x80, extra=()):
    ram = bytearray(0x400)
    for i, (addr, ln, flags, nxt) in enumerate(descs):
        struct.pack_into("<QIHH", ram, desc + 16 * i, addr, ln, flags, nxt)
    struct.pack_into("<HH", ram, avail_at, 0, len(avail))
    for i, h in enumerate(avail):
        struct.pack_into("<H", ram, avail_at + 4 + 2 * i, h)
    for at, data in extra:
        ram[at:at + len(data)] = data
    return bytes(ram)


def vq_input(features, log2, ops, image, desc=0x0, avail=0x80, used=0x100):
    return struct.pack("<BBHHHB", features, log2, desc, avail, used,
                       len(ops)) + ops + image


def virtqueue_seeds():
    o = VQ_OPS
    # chain 0: out 16 bytes + in 32; chain 2: indirect table at 0x300 with
    # out + in; chain 3: a single in buffer.
    table = struct.pack("<QIHHQIHH", 0x280, 8, F_NEXT, 1, 0x2a0, 24,
                        F_WRITE, 0)
    descs = [(0x200, 16, F_NEXT, 1), (0x210, 32, F_WRITE, 0),
             (0x300, len(table), F_INDIRECT, 0), (0x240, 64, F_WRITE, 0)]
    img = vq_image(descs, [0, 2, 3], extra=[(0x300, table)])
    ops = bytes([o["POP"], o["POP"], o["PUSH"], 1, 8, 0, 0, 0, o["NOTIFY"],
                 o["POP"], o["PUSH"], 0, 32, 0, 0, 0, o["ENABLE"],
                 o["HAS_AVAIL"], o["DRAIN"], o["NOTIFY"]])
    for feat in range(4):
        write("virtqueue", "chains-%d" % feat, vq_input(feat, 3, ops, img))
    # The guest publishes more after a reset; polling in between.
    ops2 = bytes([o["POLL"], o["DRAIN"], o["POLL"], o["RESET"], 3,
                  o["POKE16"], 0x82, 0, 1, 0, o["POP"], o["DISABLE"],
                  o["FEATURES"], 1, o["DRAIN"], o["NOTIFY"]])
    write("virtqueue", "reset-poll", vq_input(3, 3, ops2, img))
    # A loop: descriptor 1 points back at 0.
    loop = vq_image([(0x200, 16, F_NEXT, 1), (0x210, 16, F_NEXT, 0)], [0])
    write("virtqueue", "loop", vq_input(0, 3, bytes([o["POP"]]), loop))



# ---- loader: u8 RAM choice, u8 cmdline len + bytes, u16 initrd len +
# bytes, kernel file.
MiB = 1024 * 1024


def bzimage(payload=2048, version=0x020f, pref=16 * MiB, init=4 * MiB):
    sects = 4
    img = bytearray((sects + 1) * 512 + payload)
    img[0x1f1] = sects
    struct.pack_into("<I", img, 0x1f4, payload // 16)       # syssize
    struct.pack_into("<H", img, 0x1fe, 0xaa55)              # boot_flag
    struct.pack_into("<H", img, 0x200, 0x66eb)              # jump
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    struct.pack_into("<I", img, 0x22c, 0x7fffffff)          # initrd_addr_max
    struct.pack_into("<I", img, 0x230, 2 * MiB)             # kernel_alignment
    img[0x234] = 1                                          # relocatable
    struct.pack_into("<H", img, 0x236, 1)                   # XLF_KERNEL_64
    struct.pack_into("<I", img, 0x238, 2047)                # cmdline_size
    struct.pack_into("<Q", img, 0x258, pref)                # pref_address
    struct.pack_into("<I", img, 0x260, init)                # init_size
    for i in range((sects + 1) * 512, len(img)):
        img[i] = (i * 7) & 0xff
    return bytes(img)


def notes(pvh, entry):
    n = struct.pack("<III", 4, 20, 3) + b"GNU\0" + b"\xab" * 20
    if pvh:
        n += struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I",
                                                                    entry)
    return n


def elf(is64=True, pvh=True, paddr=16 * MiB):
    text_off, text_len = 512, 1024
    nt = notes(pvh, paddr + 0x40)
    if is64:
        ehsize, phsize = 64, 56
        note_off = ehsize + 2 * phsize
        eh = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) +
              struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0xffffffff81000000,
                          ehsize, 0, 0, ehsize, phsize, 2, 0, 0, 0))
        ph = struct.pack("<IIQQQQQQ", 1, 7, text_off, 0xffffffff81000000,
                         paddr, text_len, text_len + 4096, 4096)
        ph += struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(nt),
                          len(nt), 4)
    else:
        ehsize, phsize = 52, 32
        note_off = ehsize + 2 * phsize
        eh = (b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) +
              struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0xc1000000, ehsize, 0,
                          0, ehsize, phsize, 2, 0, 0, 0))
        ph = struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(nt), len(nt),
                         4, 4)
        ph += struct.pack("<IIIIIIII", 1, text_off, 0xc1000000, paddr,
                          text_len, text_len + 4096, 7, 4096)
    f = bytearray(text_off + text_len)
    f[0:len(eh)] = eh
    f[ehsize:ehsize + len(ph)] = ph
    f[note_off:note_off + len(nt)] = nt
    for i in range(text_len):
        f[text_off + i] = (i * 13 + 1) & 0xff
    return bytes(f)


def loader_input(ram, cmdline, initrd, kernel):
    return (struct.pack("<B", ram) + struct.pack("<B", len(cmdline)) +
            cmdline + struct.pack("<H", len(initrd)) + initrd + kernel)


def loader_seeds():
    cmd = b"console=ttyS0 panic=-1"
    write("loader", "bzimage", loader_input(2, cmd, b"initrd" * 10,
                                            bzimage()))
    write("loader", "bzimage-2.12-small-ram", loader_input(
        1, b"", b"", bzimage(version=0x020c, pref=1 * MiB, init=1 * MiB)))
    write("loader", "pvh64", loader_input(2, cmd, b"x" * 100, elf()))
    write("loader", "pvh32", loader_input(2, cmd, b"", elf(is64=False)))
    write("loader", "elf-no-pvh-note", loader_input(2, cmd, b"",
                                                    elf(pvh=False)))



# ---- vsock: ops (0 packet, 1 line, 2 line read, 3 credit).
def vsock_hdr(src_cid=3, dst_cid=2, src_port=1234, dst_port=5000, ln=0,
              typ=1, op=5, flags=0, buf_alloc=65536, fwd_cnt=0):
    return struct.pack("<QQIIIHHIII", src_cid, dst_cid, src_port, dst_port,
                       ln, typ, op, flags, buf_alloc, fwd_cnt)


def vsock_seeds():
    def pkt(cut, data):
        return struct.pack("<BBH", 0, cut, len(data)) + data
    write("vsock", "packets",
          pkt(0x00, vsock_hdr(op=1)) +
          pkt(0x53, vsock_hdr(ln=5) + b"hello") +
          pkt(0xff, vsock_hdr(op=4, flags=3)) +
          pkt(0x21, vsock_hdr(op=7, ln=0, buf_alloc=1 << 20, fwd_cnt=99)))
    lines = [b"CONNECT 5000\n", b"CONNECT 4294967295\nextra",
             b"CONNECT 1", b"CONNECT 0001\n"]
    write("vsock", "lines", b"".join(struct.pack("<BB", 1, len(x)) + x
                                     for x in lines))
    write("vsock", "line-reads", b"".join(struct.pack("<BB", 2, len(x)) + x
                                          for x in lines))
    steps = b"".join(struct.pack("<BI", op, v) for op, v in [
        (1, 65536), (0, 4096), (2, 1000), (4, 0), (3, 30000), (1, 0x10000),
        (0, 70000), (2, 5000), (5, 3), (5, 2), (5, 1)])
    write("vsock", "credit", struct.pack("<BBI", 3, 11, 262144) + steps)



# ---- api: u8 selector (bit 0 runner line; bits 1-6 vCPUs - 1; bit 7
# failing VM), then the line.
def api_seeds():
    reqs = [b'{"cmd":"pause"}', b'{"cmd":"resume","vcpu":1}',
            b'{"cmd":"stats"}', b'{"cmd":"vcpus"}  \r', b'{"cmd":"stop"}',
            b'{"cmd":"pause","vcpu":99}', b'[1,2]', b'{"cmd":"x","y":{}}']
    for i, r in enumerate(reqs):
        write("api", "request-%d" % i, bytes([(3 << 1) | (i & 1) << 7]) + r)
    for i, r in enumerate([b"started 42", b"exit 0", b"exit 255"]):
        write("api", "runner-%d" % i, b"\x01" + r)



# ---- cli: arguments separated by NUL.
def cli_seeds():
    cmds = [
        ["-k", "bzImage", "-m", "256M", "-n", "2", "--cmdline",
         "console=ttyS0", "--serial", "stdio"],
        ["--kernel=vmlinux", "--initrd", "initrd.img", "--mem", "1G",
         "--console", "pty", "--port", "log=file:/tmp/x.log",
         "--port", "vmm.ctl=none"],
        ["-k", "k", "--disk", "path=a.img,readonly=on,serial=abc",
         "--disk", "path=b.img,direct=on", "--rng=rate=1M", "-vv"],
        ["-k", "k", "--net", "tap=tap0,mac=52:54:00:12:34:56",
         "--net", "socket=/run/passt.sock", "--net", "fd=5"],
        ["-k", "k", "--fs", "tag=share,path=/srv,readonly=on",
         "--vsock", "cid=3,path=/tmp/v.sock", "--api", "/tmp/api.sock",
         "--stats", "/tmp/stats.json", "--sample-ms", "50",
         "--io-poll", "20us", "--io-loop", "epoll", "--debug-exit"],
        ["--serial", "socket:/tmp/s.sock", "-k", "k", "--mem", "5G",
         "--cpus", "64"],
        ["--help"], ["--version"], ["-k"],
    ]
    for i, c in enumerate(cmds):
        write("cli", "argv-%d" % i, b"\0".join(a.encode() for a in c))



# ---- crun: u8 selector (bit 0: raw process description), u8 host CPUs,
# then config.json or the description.
CONFIG = b'''{"ociVersion": "1.0.2",
 "process": {"terminal": true,
   "user": {"uid": 1000, "gid": 100, "umask": 18,
            "additionalGids": [10, 4294967295]},
   "args": ["sh", "-c", "echo a=b\\n\\ttwo"],
   "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
   "cwd": "/work dir",
   "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
     {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}],
   "capabilities": {"bounding": ["CAP_KILL"]}},
 "root": {"path": "rootfs", "readonly": true},
 "hostname": "box",
 "linux": {"resources": {"memory": {"limit": 1073741824},
   "cpu": {"quota": 150000, "period": 100000, "cpus": "0-3"}}},
 "annotations": {"vmm.cpus": "3", "vmm.mem": "1G", "vmm.serial": "/k.log",
   "run.oci.handler": "vmm", "other": "x"}}
'''


def crun_seeds():
    write("crun", "config", b"\x00\x08" + CONFIG)
    write("crun", "config-minimal", b"\x00\x02" +
          b'{"process": {"args": ["/bin/true"], "cwd": null, '
          b'"env": ["HOME=/root"]}, "root": {"path": "r"}, "x": [1, 2]}')
    write("crun", "config-cpuset", b"\x00\x04" +
          b'{"process": {"args": ["a"]}, "linux": {"resources": {"cpu": '
          b'{"cpus": "0,2-3,7-9"}, "memory": {"limit": 100000000}}}, '
          b'"annotations": {"vmm.mem": "512M"}}')
    desc = b"\0".join([b"version=1", b"arg=sh", b"arg=-c", b"arg=exit 3",
                       b"env=PATH=/bin", b"cwd=/tmp", b"uid=1000",
                       b"gid=100", b"group=10", b"group=20",
                       b"hostname=box", b"terminal=1",
                       b"rlimit=RLIMIT_NOFILE 1024 4096",
                       b"rlimit=RLIMIT_CORE 0 unlimited", b"umask=022",
                       b"future=ignored"]) + b"\0"
    write("crun", "description", b"\x01\x01" + desc)



# ---- serial: u8 flags, accesses (u8 port - 0x3f6, u8 how, u32 value).
def serial_seeds():
    def acc(reg, val=0, write=True, size=0):
        return struct.pack("<BBI", reg + 2, size | (4 if write else 0), val)
    # Linux's probe and set-up: DLAB, divisor, 8N1, FIFO, MCR, IER.
    init = (acc(3, 0x80) + acc(0, 1) + acc(1, 0) + acc(3, 0x03) +
            acc(2, 0xc7) + acc(4, 0x0b) + acc(1, 0x0f) + acc(5, write=False) +
            acc(2, write=False) + acc(6, write=False))
    out = b"".join(acc(0, c) for c in b"hello\n")
    loop = acc(4, 0x10) + acc(0, 0x41) + acc(5, write=False) + \
        acc(0, write=False) + acc(4, 0x00)
    write("serial", "linux-init", b"\0" + init + out)
    write("serial", "ring-output", b"\0" + out * 4 + acc(7, 0x55) +
          acc(7, write=False))
    write("serial", "loopback-none", b"\1" + init + loop)
    write("serial", "wide-access", b"\0" + acc(0, 0x41424344, size=2) +
          acc(0, 0x41424344, size=3) + acc(6, write=False, size=1))



# ---- mmio: u16 image length, image, ops (0 write off size value, 1 read
# off size, 2 kick q, 3 poke off value). Sizes: 0=1 1=2 2=4 3=8 4=3 bytes.
MMIO = dict(MAGIC=0x000, VERSION=0x004, DEVICE_ID=0x008, DEV_FEAT=0x010,
            DEV_FEAT_SEL=0x014, DRV_FEAT=0x020, DRV_FEAT_SEL=0x024,
            QSEL=0x030, QNUM_MAX=0x034, QNUM=0x038, QREADY=0x044,
            QNOTIFY=0x050, ISTATUS=0x060, IACK=0x064, STATUS=0x070,
            DESC_LO=0x080, DESC_HI=0x084, AVAIL_LO=0x090, AVAIL_HI=0x094,
            USED_LO=0x0a0, USED_HI=0x0a4, GEN=0x0fc, CONFIG=0x100)


def mw(reg, val, size=2):
    return struct.pack("<BHBQ", 0, MMIO[reg] if isinstance(reg, str) else
                       reg, size, val)


def mr(reg, size=2):
    return struct.pack("<BHB", 1, MMIO[reg] if isinstance(reg, str) else
                       reg, size)


def mmio_seeds():
    ram = bytearray(0x1300)
    struct.pack_into("<QIHH", ram, 0x1000, 0x1240, 64, 2, 0)   # in buffer
    struct.pack_into("<QIHH", ram, 0x1010, 0x1280, 16, 1, 2)   # out, next
    struct.pack_into("<QIHH", ram, 0x1020, 0x12a0, 32, 2, 0)   # in
    struct.pack_into("<HHHH", ram, 0x1100, 0, 2, 0, 1)         # avail
    hello = (mr("MAGIC") + mr("VERSION") + mr("DEVICE_ID") +
             mw("STATUS", 0) + mw("STATUS", 1) + mw("STATUS", 3) +
             mw("DEV_FEAT_SEL", 0) + mr("DEV_FEAT") +
             mw("DEV_FEAT_SEL", 1) + mr("DEV_FEAT") +
             mw("DRV_FEAT_SEL", 0) + mw("DRV_FEAT", 2 | 1 << 29) +
             mw("DRV_FEAT_SEL", 1) + mw("DRV_FEAT", 1) +
             mw("STATUS", 0xb) + mr("STATUS"))
    queue = (mw("QSEL", 0) + mr("QNUM_MAX") + mw("QNUM", 16) +
             mw("DESC_LO", 0x1000) + mw("DESC_HI", 0) +
             mw("AVAIL_LO", 0x1100) + mw("AVAIL_HI", 0) +
             mw("USED_LO", 0x1200) + mw("USED_HI", 0) + mw("QREADY", 1) +
             mr("QREADY"))
    run = (mw("STATUS", 0xf) + mw("QNOTIFY", 0) + b"\x02\x00" +
           mr("ISTATUS") + mw("IACK", 1) + mr("GEN") +
           mr("CONFIG", 3) + mw(0x104, 0x1234, 1) + mr(0x106, 0) +
           struct.pack("<BHH", 3, 0x1102, 3) + b"\x02\x00" +
           mw("STATUS", 0) + mr("STATUS"))
    img = struct.pack("<H", len(ram)) + bytes(ram)
    write("mmio", "driver", img + hello + queue + run)
    write("mmio", "no-image", struct.pack("<H", 0) + hello + queue +
          mw("QSEL", 1) + mw("QNUM", 3) + mw("QREADY", 1) +
          mw("STATUS", 0xf) + mr("CONFIG", 4) + mr(0x1004, 2))


# ---- blk: u8 flags, then as mmio (its image and ops); op 2 rings the
# doorbell and turns the loop.
def blk_seeds():
    ram = bytearray(0x3800)
    reqs = [  # (type, sector, data length, data writable)
        (0, 0, 512, True),      # IN
        (1, 1, 1024, False),    # OUT
        (4, 0, 0, False),       # FLUSH
        (8, 0, 20, True),       # GET_ID
        (11, 0, 16, False),     # DISCARD: one segment
        (13, 0, 16, False),     # WRITE_ZEROES
        (0, 2047, 1024, True),  # IN past the end
    ]
    d = 0
    for i, (typ, sector, ln, w) in enumerate(reqs):
        hdr, data, status = 0x2000 + 16 * i, 0x2100 + 0x400 * i, 0x3700 + i
        struct.pack_into("<IIQ", ram, hdr, typ, 0, sector)
        if typ in (11, 13):
            struct.pack_into("<QII", ram, data, 8, 8, 0)
        head = d
        struct.pack_into("<QIHH", ram, 0x1000 + 16 * d, hdr, 16, 1, d + 1)
        d += 1
        if ln:
            struct.pack_into("<QIHH", ram, 0x1000 + 16 * d, data, ln,
                             1 | (2 if w else 0), d + 1)
            d += 1
        struct.pack_into("<QIHH", ram, 0x1000 + 16 * d, status, 1, 2, 0)
        d += 1
        struct.pack_into("<H", ram, 0x1204 + 2 * i, head)
    struct.pack_into("<HH", ram, 0x1200, 0, len(reqs))

    def hello(ro):
        feat = (1 << 9) | (0 if ro else (1 << 13) | (1 << 14))
        return (mw("STATUS", 0) + mw("STATUS", 1) + mw("STATUS", 3) +
                mw("DRV_FEAT_SEL", 0) + mw("DRV_FEAT", feat) +
                mw("DRV_FEAT_SEL", 1) + mw("DRV_FEAT", 1) +
                mw("STATUS", 0xb) + mr("CONFIG", 3))
    queue = (mw("QSEL", 0) + mw("QNUM", 32) + mw("DESC_LO", 0x1000) +
             mw("AVAIL_LO", 0x1200) + mw("USED_LO", 0x1400) +
             mw("QREADY", 1) + mw("STATUS", 0xf))
    img = struct.pack("<H", len(ram)) + bytes(ram)
    for flags in (0, 1, 2, 8):
        write("blk", "requests-%d" % flags, bytes([flags]) + img +
              hello(flags & 1) + queue + b"\x02\x00" + mr("ISTATUS") +
              mw("IACK", 1) + mw("STATUS", 0))


# ---- devices: u8 device (% 5: console, rng, net, vsock, fs; bit 3 io_uring),
# then as mmio; op 2 rings and turns the loop, op 4 is bytes from the net
# peer. One descriptor table for every queue: 0 a writable buffer (receive
# queues), 1 -> 2 a request and room for its reply (fs), 3 a readable
# buffer alone (transmit queues); the payload at 0x2000 suits the device.
def devices_seeds():
    RX, REQ, TX = 0, 1, 3
    fuse_init = struct.pack("<IIQQIIII", 40 + 16, 26, 1, 0, 0, 0, 0, 0) + \
        struct.pack("<IIII", 7, 31, 1 << 20, 0)
    devices = [  # (name, device byte, features low, payload, queue kinds)
        ("console", 0, 1 << 1, struct.pack("<IHH", 0, 0, 1), [RX, TX, RX, TX]),
        ("rng", 1, 0, b"", [RX]),
        ("net", 2, 1 << 5, bytes(12) + bytes(range(60)), [RX, TX]),
        ("vsock", 3, 0, struct.pack("<QQIIIHHIII", 3, 2, 1024, 5000, 0, 1, 1,
                                     0, 65536, 0), [RX, TX, RX]),
        ("fs", 4, 0, fuse_init, [REQ, REQ]),
    ]
    for name, dev, feat, payload, kinds in devices:
        ram = bytearray(0x3000)
        ln = max(len(payload), 1)
        ram[0x2000:0x2000 + len(payload)] = payload
        struct.pack_into("<QIHH", ram, 0x1000, 0x2400, 1024, 2, 0)
        struct.pack_into("<QIHH", ram, 0x1010, 0x2000, ln, 1, 2)
        struct.pack_into("<QIHH", ram, 0x1020, 0x2800, 1024, 2, 0)
        struct.pack_into("<QIHH", ram, 0x1030, 0x2000, ln, 0, 0)
        ops = (mw("STATUS", 0) + mw("STATUS", 1) + mw("STATUS", 3) +
               mw("DRV_FEAT_SEL", 0) + mw("DRV_FEAT", feat) +
               mw("DRV_FEAT_SEL", 1) + mw("DRV_FEAT", 1) +
               mw("STATUS", 0xb) + mr("CONFIG", 2))
        for q, kind in enumerate(kinds):
            avail, used = 0x1200 + 0x40 * q, 0x1600 + 0x80 * q
            struct.pack_into("<HHH", ram, avail, 0, 1, kind)
            ops += (mw("QSEL", q) + mw("QNUM", 16) + mw("DESC_LO", 0x1000) +
                    mw("AVAIL_LO", avail) + mw("USED_LO", used) +
                    mw("QREADY", 1))
        ops += mw("STATUS", 0xf)
        for q in range(len(kinds)):
            ops += struct.pack("<BB", 2, q)
        if dev == 2:
            ops += struct.pack("<BH", 4, 8) + struct.pack(">I", 4) + b"abcd"
        ops += mr("ISTATUS") + mw("IACK", 1)
        img = struct.pack("<H", len(ram)) + bytes(ram)
        for uring in (0, 8):
            byte = dev if not uring else next(v for v in range(8, 16)
                                               if v % 5 == dev)
            write("devices", "%s-%s" % (name, "uring" if uring else "epoll"),
                  bytes([byte]) + img + ops)


if __name__ == "__main__":
    for seeds in (fuse_seeds, virtqueue_seeds, loader_seeds, vsock_seeds,
                  api_seeds, cli_seeds, crun_seeds, serial_seeds,
                  mmio_seeds, blk_seeds, devices_seeds):
        seeds()
