# guests/linux/lib.sh: shell helpers shared by the guest build scripts
# (guests/linux, guests/stock, guests/l1). Source it; it defines functions only.
#
#   die MSG...                 print "NAME: error: MSG" to stderr, exit 1
#   need_cmd CMD PKG           fail with an install hint if CMD is missing
#   busybox_tree DIR           DIR/ gets bin/busybox + one symlink per applet,
#                              the usual empty mount points and /dev/console
#   pack_cpio DIR OUT [gz]     newc cpio of DIR (owner root), gzip'ed if "gz"
#   debian_kernel_deb PKG DIR  apt-get download PKG into DIR (cached), print path
#   debian_kernel_abi META     kernel release a meta package depends on
#   stamp_ok FILE TEXT         true if FILE holds exactly TEXT
#
# All of it is plain bash and Debian 12 tools; no network except apt.

die() {
	echo "${0##*/}: error: $*" >&2
	exit 1
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		die "'$1' not found; install it with: apt-get install -y $2"
}

# Directory layout every initramfs of ours starts from: a static busybox with
# all of its applets linked in /bin (so /bin/sh exists for the #! of /init).
busybox_tree() {
	local dir=$1 bb=/bin/busybox applet
	[ -x "$bb" ] && file_is_static "$bb" ||
		die "static $bb not found; install it with: apt-get install -y busybox-static"
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,root,lib,lib64}
	cp "$bb" "$dir/bin/busybox"
	for applet in $("$bb" --list); do
		[ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
	done
	# The kernel opens /dev/console for init before anything is mounted;
	# without the node /init starts with no stdio (it reopens it later).
	# mknod needs root; /init copes if it is missing.
	rm -f "$dir/dev/console"
	mknod -m 600 "$dir/dev/console" c 5 1 2>/dev/null ||
		echo "${0##*/}: note: cannot mknod /dev/console (not root?); /init reopens it" >&2
}

file_is_static() {
	# busybox-static's binary has no PT_INTERP; the dynamic busybox has one.
	! LC_ALL=C readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}

pack_cpio() {
	local dir=$1 out=$2 compress=${3:-}
	need_cmd cpio cpio
	mkdir -p "$(dirname "$out")"
	(
		cd "$dir"
		find . -mindepth 1 | LC_ALL=C sort |
			cpio --quiet -o -H newc -R 0:0 --reproducible
	) >"$out.tmp.cpio"
	if [ "$compress" = gz ]; then
		gzip -9n <"$out.tmp.cpio" >"$out.tmp"
		rm -f "$out.tmp.cpio"
	else
		mv "$out.tmp.cpio" "$out.tmp"
	fi
	mv "$out.tmp" "$out"
}

# Download a Debian package once into DIR and print the .deb's path.
debian_kernel_deb() {
	local pkg=$1 dir=$2 deb
	mkdir -p "$dir"
	deb=$(ls "$dir/${pkg}_"*.deb 2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		(cd "$dir" && apt-get -o APT::Sandbox::User=root download "$pkg" >&2) ||
			die "apt-get download $pkg failed (run 'apt-get update' first?)"
		deb=$(ls "$dir/${pkg}_"*.deb | head -n1)
	fi
	echo "$deb"
}

# Version of the kernel a Debian meta package (linux-image-amd64,
# linux-image-cloud-amd64) currently depends on, e.g. 6.1.0-56-cloud-amd64.
debian_kernel_abi() {
	local meta=$1 dep
	dep=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)
	[ -n "$dep" ] || die "cannot resolve $meta with apt-cache (run 'apt-get update' first?)"
	echo "$dep"
}

# kernel_abi OUTDIR META: the ABI (6.1.0-NN-flavour) of Debian kernel
# package META. Offline re-runs keep the one already unpacked in OUTDIR/pkg.
kernel_abi() {
	local out=$1 meta=$2
	if [ -f "$out/abi" ] && [ -d "$out/pkg/lib/modules/$(cat "$out/abi")" ]; then
		cat "$out/abi"
	else
		debian_kernel_abi "$meta"
	fi
}

stamp_ok() {
	[ -f "$1" ] && [ "$(cat "$1")" = "$2" ]
}

# module_load_order MODDIR MODULE...: sets the globals kopath (module name ->
# .ko path under MODDIR, names normalised to underscores as the kernel does)
# and order (the modules and all they depend on per `modinfo -F depends`,
# dependencies first, each once). Dies when a module is not under MODDIR.
module_load_order() {
	local moddir=$1 ko name m
	shift
	declare -gA kopath=()
	order=()
	while IFS= read -r ko; do
		name=${ko##*/} name=${name%.ko}
		kopath[${name//-/_}]=$ko
	done < <(find "$moddir" -name '*.ko')
	for m in "$@"; do _module_add "$moddir" "$m"; done
}

_module_add() { # depth-first: dependencies first, each module once
	local moddir=$1 m=${2//-/_} d
	[[ " ${order[*]:-} " == *" $m "* ]] && return 0
	[ -n "${kopath[$m]:-}" ] || die "module $m not found under $moddir"
	for d in $(modinfo -F depends "${kopath[$m]}" | tr ',' ' '); do
		_module_add "$moddir" "$d"
	done
	order+=("$m")
}
