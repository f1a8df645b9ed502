#!/usr/bin/env bash
# Host-side checks of the test-guest images (no KVM needed): each bzImage's
# setup header against Documentation/arch/x86/boot.rst, its protected-mode
# part against the ELF it was made from, and each ELF's Xen PVH note
# (XEN_ELFNOTE_PHYS32_ENTRY pointing into a loadable segment, at the
# symbol pvh_start32).
. "$(dirname "$0")/lib.bash"

command -v python3 >/dev/null || skip "python3 is needed"
command -v nm >/dev/null || skip "nm (binutils) is needed"

status=0
for g in hello smp spin; do
	need_file "$GUESTS/$g.bzImage" "$GUESTS/$g.elf"
	entry=$(nm "$GUESTS/$g.elf" | awk '$3 == "pvh_start32" { print $1 }')
	if python3 - "$GUESTS/$g.bzImage" "$GUESTS/$g.elf" "$entry" <<'PY'; then
import struct, sys

bz = open(sys.argv[1], "rb").read()
elf = open(sys.argv[2], "rb").read()
pvh_sym = int(sys.argv[3], 16)
errors = []

def check(cond, what):
    if not cond:
        errors.append(what)

def u(fmt, off, data=bz):
    return struct.unpack_from("<" + fmt, data, off)[0]

# boot.rst, "The real-mode kernel header".
setup_sects = u("B", 0x1f1)
setup_len = (setup_sects + 1) * 512
pm = bz[setup_len:]
check(setup_sects >= 1, "setup_sects %d" % setup_sects)
check(u("H", 0x1fe) == 0xaa55, "boot_flag")
check(bz[0x200] == 0xeb, "jump is not a short jmp")
check(0x202 + bz[0x201] < setup_len, "jump target outside the setup")
check(bz[0x202:0x206] == b"HdrS", "header magic")
check(u("H", 0x206) == 0x020f, "version 0x%x" % u("H", 0x206))
check(u("B", 0x211) & 1, "loadflags LOADED_HIGH")
check(u("I", 0x214) == 0x100000, "code32_start")
check(u("I", 0x22c) == 0x7fffffff, "initrd_addr_max")
check(u("B", 0x234) == 0, "relocatable_kernel")
check(u("H", 0x236) & 1, "xloadflags XLF_KERNEL_64")
check(u("I", 0x238) > 0, "cmdline_size")
check(u("Q", 0x258) == 0x100000, "pref_address")
syssize = u("I", 0x1f4)
check(len(pm) <= syssize * 16 < len(pm) + 16,
      "syssize %d for %d bytes" % (syssize, len(pm)))
kver = u("H", 0x20e) + 0x200
check(kver < setup_len and b"vmm test guest" in bz[kver:kver + 64],
      "kernel_version string")
ki = u("I", 0x268)
check(pm[ki:ki + 4] == b"LToP", "kernel_info magic at 0x%x" % ki)

# ELF64: the PT_LOAD file data is the protected-mode part.
check(elf[:4] == b"\x7fELF" and elf[4] == 2, "not ELF64")
phoff = u("Q", 0x20, elf)
phentsize, phnum = u("H", 0x36, elf), u("H", 0x38, elf)
loads, notes = [], []
for i in range(phnum):
    p = phoff + i * phentsize
    typ, off, paddr, filesz, memsz = (u("I", p, elf), u("Q", p + 8, elf),
        u("Q", p + 24, elf), u("Q", p + 32, elf), u("Q", p + 40, elf))
    if typ == 1:
        loads.append((paddr, off, filesz, memsz))
    elif typ == 4:
        notes.append((off, filesz))
check(len(loads) == 1, "%d PT_LOAD segments" % len(loads))
paddr, off, filesz, memsz = loads[0]
check(paddr == 0x100000, "PT_LOAD at 0x%x" % paddr)
image = bytearray(elf[off:off + filesz])
image[ki:ki + 16] = pm[ki:ki + 16]   # mkbzimage fills kernel_info
check(bytes(image) == pm, "protected-mode part differs from the ELF")
init_size = u("I", 0x260)
check(init_size >= memsz, "init_size 0x%x < memsz 0x%x" % (init_size, memsz))

# The PVH note (Xen public/elfnote.h).
found = None
for off, size in notes:
    pos = off
    while pos + 12 <= off + size:
        namesz, descsz, ntype = struct.unpack_from("<III", elf, pos)
        name = elf[pos + 12:pos + 12 + namesz]
        desc_off = pos + 12 + (namesz + 3) // 4 * 4
        if name == b"Xen\0" and ntype == 18:
            found = int.from_bytes(elf[desc_off:desc_off + descsz], "little")
        pos = desc_off + (descsz + 3) // 4 * 4
check(found is not None, "no Xen PHYS32_ENTRY note")
if found is not None:
    check(found == pvh_sym,
          "PVH entry 0x%x, pvh_start32 0x%x" % (found, pvh_sym))
    check(paddr <= found < paddr + filesz, "PVH entry outside PT_LOAD")

for e in errors:
    print("    " + e)
sys.exit(1 if errors else 0)
PY
		echo "ok   $g images"
	else
		echo "FAIL $g images ($GUESTS/$g.bzImage, $GUESTS/$g.elf)"
		status=1
	fi
done
exit $status
