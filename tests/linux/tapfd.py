#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tapfd.py IFNAME FD CMD...: run CMD with an open tap fd as FD.

What a container runtime or CNI plugin does before it starts a VMM with
--net fd=N: open /dev/net/tun, attach to the tap IFNAME (TUNSETIFF with
IFF_TAP | IFF_NO_PI | IFF_VNET_HDR; the device is made if missing), place
the fd at number FD (inheritable) and exec CMD. The Linux tier's
net-tapfd case runs vmm through it (tests/linux/cases, option wrap=).
"""
import fcntl
import os
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR = 0x0002, 0x1000, 0x4000

if len(sys.argv) < 4:
    sys.exit(__doc__.split("\n")[0])
name, want = sys.argv[1], int(sys.argv[2])
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(),
                                       IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
if fd != want:
    os.dup2(fd, want)  # inheritable, unlike fd
    os.close(fd)
else:
    os.set_inheritable(fd, True)
os.execvp(sys.argv[3], sys.argv[3:])
