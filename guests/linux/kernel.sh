# shellcheck shell=bash
# guests/linux/kernel.sh: compiling Debian's linux-source-6.1, shared by the
# guests built from it: guests/linux (the minimal test guest) and
# guests/runner (the container runner's kernel). Source it after lib.sh; it
# defines functions only.
#
#   kernel_need                  die with an install hint if a tool is missing
#   kernel_source DIR            extract the tarball once into DIR (two builds
#                                starting at once take turns: flock); sets
#                                ksrc to the tree
#   kernel_configure OBJ FRAG... `make tinyconfig` in OBJ, the fragments
#                                merged in order (a later one may override an
#                                earlier one), `make olddefconfig`, then every
#                                option of the fragments checked against the
#                                final .config; sets kcfg_id. Skipped when OBJ
#                                is already configured for the same inputs.
#   kernel_build OBJ             `make bzImage` in OBJ, skipped when it was
#                                built for kcfg_id
#   kernel_lock OBJ / kernel_unlock
#                                hold OBJ for one build: the two guests
#                                built from the same OBJ may start at once
#
# The kernel is built out of tree (O=OBJ), so several configurations share
# one source tree. Environment: JOBS (default nproc).

KERNEL_TARBALL=/usr/src/linux-source-6.1.tar.xz

kernel_need() {
	local c
	[ -f "$KERNEL_TARBALL" ] ||
		die "$KERNEL_TARBALL missing; install it with: apt-get install -y linux-source-6.1"
	for c in gcc:gcc make:make flex:flex bison:bison bc:bc lz4:lz4 \
		readelf:binutils perl:perl; do
		need_cmd "${c%%:*}" "${c#*:}"
	done
	[ -f /usr/include/libelf.h ] || die "libelf.h missing; apt-get install -y libelf-dev"
	[ -f /usr/include/openssl/ssl.h ] ||
		die "openssl headers missing; apt-get install -y libssl-dev"
}

kernel_source() {
	local dir=$1 lock
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	ksrc=$dir/linux-source-6.1
	exec {lock}>"$dir.lock"
	flock "$lock"
	if [ ! -f "$dir/.extracted" ]; then
		echo "[kernel] extracting $KERNEL_TARBALL into $dir"
		find "$dir" -mindepth 1 -delete
		tar -C "$dir" -xJf "$KERNEL_TARBALL"
		touch "$dir/.extracted"
	fi
	exec {lock}>&-
	[ -f "$ksrc/Makefile" ] || die "unexpected layout: $ksrc/Makefile missing"
}

kernel_lock() {
	mkdir -p "$(dirname "$1")"
	exec {_klock}>"$1.lock"
	flock "$_klock"
}

kernel_unlock() {
	exec {_klock}>&-
}

_kmake() {
	local obj=$1
	shift
	make -C "$ksrc" O="$obj" ARCH=x86_64 -j"${JOBS:-$(nproc)}" "$@"
}

kernel_configure() {
	local obj=$1 frags=() f
	shift
	for f in "$@"; do frags+=("$(realpath "$f")"); done
	set -- "${frags[@]}"
	# The inputs: the fragments, the tarball and where it was extracted
	# (kbuild's dependency files name the source tree by its path).
	kcfg_id="$(sha256sum "$@" | cut -d' ' -f1 | tr '\n' ' ')"
	kcfg_id+="$(sha256sum "$KERNEL_TARBALL" | cut -d' ' -f1) $ksrc"
	mkdir -p "$obj"
	if ! stamp_ok "$obj/.fragment-stamp" "$kcfg_id" || [ ! -f "$obj/.config" ]; then
		echo "[kernel] configuring: tinyconfig + $*"
		rm -f "$obj/.fragment-stamp"
		{
			_kmake "$obj" tinyconfig &&
				# -m: merge only; olddefconfig then resolves the
				# dependencies. merge_config.sh keeps its temporary
				# file in the current directory: use OBJ.
				(cd "$obj" && "$ksrc/scripts/kconfig/merge_config.sh" \
					-m -O "$obj" "$obj/.config" "$@") &&
				_kmake "$obj" olddefconfig
		} >"$obj/config.log" 2>&1 || {
			tail -n 30 "$obj/config.log" >&2
			die "kernel configuration failed (full log: $obj/config.log)"
		}
	fi
	_kernel_check "$obj" "$@"
	echo "$kcfg_id" >"$obj/.fragment-stamp"
}

# Every option the fragments ask for must have survived olddefconfig; for
# an option several fragments name, the last one counts (as merge_config.sh
# does).
_kernel_check() {
	local obj=$1 f line sym bad=0 syms=()
	local -A want=()
	shift
	for f in "$@"; do
		while IFS= read -r line; do
			if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)= ]]; then
				sym=${BASH_REMATCH[1]}
			elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
				sym=${BASH_REMATCH[1]}
			else
				continue
			fi
			[ -n "${want[$sym]+set}" ] || syms+=("$sym")
			want[$sym]=$line
		done <"$f"
	done
	for sym in "${syms[@]}"; do
		line=${want[$sym]}
		if [[ $line == "# "* ]]; then
			if grep -qE "^$sym=" "$obj/.config"; then
				echo "[kernel] config check FAILED: want '$sym' off, got '$(grep -E "^$sym=" "$obj/.config")'" >&2
				bad=1
			fi
		elif ! grep -qxF "$line" "$obj/.config"; then
			echo "[kernel] config check FAILED: want '$line', got '$(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo "<absent>")'" >&2
			bad=1
		fi
	done
	[ $bad = 0 ] || die "kernel config fragments did not apply (see above): $*"
}

kernel_build() {
	local obj=$1 start
	# The source is a fixed tarball: once built for this configuration, a
	# no-op kbuild pass (12 s here) is all make would do.
	if ! stamp_ok "$obj/.build-stamp" "$kcfg_id" ||
		[ ! -f "$obj/arch/x86/boot/bzImage" ]; then
		echo "[kernel] building with -j${JOBS:-$(nproc)} (obj: $obj)"
		start=$(date +%s)
		rm -f "$obj/.build-stamp"
		_kmake "$obj" -s bzImage
		echo "$kcfg_id" >"$obj/.build-stamp"
		echo "[kernel] built in $(($(date +%s) - start)) s"
	fi
}
