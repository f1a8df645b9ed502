#!/usr/bin/env bash
# tests/lib/build.sh O: libvmm as its users get it. Installs the build in
# O into a scratch root (make install DESTDIR=), then checks, without KVM:
#   - only vmm_* symbols are exported by libvmm.so.0, which has its SONAME
#   - <vmm/vmm.h> compiles alone as C99 (-pedantic) and as C++
#   - the man page is lint-clean (man --warnings)
#   - the ABI matches tests/lib/libvmm.abi (abidiff; an ABI change must
#     come with a new baseline: tests/lib/build.sh O --update-abi)
#   - the runner image (share/vmm/runner: bzImage, a static init) when
#     `make guest-runner` has built it
#   - make uninstall removes every installed file
# and builds tests/lib/consumer.c with pkg-config against the installed
# tree, shared and --static, as O/tests/lib/consumer-{shared,static};
# tests/guest/libvmm.sh runs them on KVM. Prints "PASS ..." lines; exit 0
# when all hold.
set -uo pipefail
cd "$(dirname "$0")/../.."
O=${1:?usage: tests/lib/build.sh O [--update-abi]}
out=$O/tests/lib
root=$out/root
fails=0
rm -rf "$root"
mkdir -p "$out"
ok() { echo "PASS lib: $*"; }
bad() { echo "FAIL lib: $*"; fails=$((fails + 1)); }

# The runner image is installed too once `make guest-runner` built it (a
# warm rebuild takes seconds); its first kernel build takes minutes, more
# than this tier allows, so without one the install leaves it out.
runner=0
[ -f "$O/guests/runner/bzImage" ] && runner=1
make -s O="$O" install DESTDIR="$root" PREFIX=/usr RUNNER=$runner \
	>"$out/install.log" 2>&1 ||
	{ bad "make install (log $out/install.log)"; exit 1; }
lib=$root/usr/lib
so=$lib/libvmm.so.0

soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libvmm.so.0 ] && ok "SONAME $soname" || bad "SONAME '$soname'"
others=$(nm -D --defined-only "$so" | awk '$2 != "A" {print $3}' | grep -v '^vmm_' || true)
[ -z "$others" ] && ok "exports only vmm_*" || bad "exports $(echo $others | head -c 200)"

inc=$root/usr/include
echo '#include <vmm/vmm.h>' | gcc -std=c99 -pedantic -Wall -Wextra -Werror \
	-I"$inc" -fsyntax-only -x c - && ok "header alone, C99" || bad "header as C99"
echo '#include <vmm/vmm.h>' | g++ -std=c++11 -pedantic -Wall -Wextra -Werror \
	-I"$inc" -fsyntax-only -x c++ - && ok "header alone, C++" || bad "header as C++"

if [ $runner = 1 ]; then
	share=$root/usr/share/vmm/runner
	if [ -s "$share/bzImage" ] && [ -x "$share/init" ] &&
		! readelf -l "$share/init" | grep -q 'program interpreter'; then
		ok "runner image installed (bzImage, static init)"
	else
		bad "runner image: $(ls -l "$share" 2>&1 | tr '\n' ' ')"
	fi
fi

warn=$(man --warnings -l "$root/usr/share/man/man1/vmm.1" 2>&1 >/dev/null)
[ -z "$warn" ] && ok "man page lint-clean" || bad "man page: $warn"

export PKG_CONFIG_PATH=$lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
cflags=$(pkg-config --cflags libvmm) && libs=$(pkg-config --libs libvmm) &&
	slibs=$(pkg-config --static --libs libvmm) || bad "pkg-config libvmm"
# The sanitizer builds link the consumer with the same runtime.
san=${SAN_FLAGS:-}
gcc -std=c99 -O2 -Wall -Wextra -Werror $san $cflags tests/lib/consumer.c \
	-o "$out/consumer-shared" $libs &&
	ok "consumer built shared: pkg-config --cflags --libs libvmm" ||
	bad "consumer, shared"
if [ -z "$san" ]; then
	gcc -std=c99 -O2 -Wall -Wextra -Werror -static $cflags tests/lib/consumer.c \
		-o "$out/consumer-static" $slibs &&
		ok "consumer built static: pkg-config --static --libs libvmm" ||
		bad "consumer, static"
fi
readelf -d "$out/consumer-shared" | grep -q 'NEEDED.*libvmm.so.0' ||
	bad "consumer-shared does not need libvmm.so.0"

if command -v abidiff >/dev/null; then
	if [ "${2:-}" = --update-abi ]; then
		abidw --no-corpus-path --no-show-locs --drop-private-types \
			--headers-dir "$inc/vmm" "$so" >tests/lib/libvmm.abi
	fi
	if abidiff --drop-private-types --headers-dir2 "$inc/vmm" \
		tests/lib/libvmm.abi "$so" >"$out/abidiff.log" 2>&1; then
		ok "ABI as tests/lib/libvmm.abi"
	else
		bad "ABI differs from tests/lib/libvmm.abi ($out/abidiff.log)"
		sed 's/^/    /' "$out/abidiff.log" | head -20
	fi
else
	bad "abidiff missing (apt-get install abigail-tools)"
fi

# make uninstall leaves only empty directories (and the consumer's copy).
cp -a "$root" "$out/uninstall-root"
make -s O="$O" uninstall DESTDIR="$out/uninstall-root" PREFIX=/usr >/dev/null 2>&1
left=$(find "$out/uninstall-root" -type f -o -type l)
rm -rf "$out/uninstall-root"
[ -z "$left" ] && ok "make uninstall removes everything" || bad "uninstall left $left"
exit $((fails > 0))
