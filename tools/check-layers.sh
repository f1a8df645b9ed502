#!/usr/bin/env bash
# tools/check-layers.sh: the library's layers only point down. A file in
# src/LAYER/ may include its own layer's headers and those of the layers
# before LAYER in the order below, nothing after it; cli/, bench/ and
# src/crun/ (the crun handler plugin) are clients, which see the public
# header only, and tests/ sees everything. Prints each violation; exit 1 if
# any.
set -u
cd "$(dirname "$0")/.."
order=(base sandbox kvm io backends virtio devices arch vcpu api vm)
rank() {
	local i
	for i in "${!order[@]}"; do
		[ "${order[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}
bad=0
for f in $(git ls-files 'src/*.c' 'src/*.h' ':!src/crun/*'); do
	layer=${f#src/}
	layer=${layer%%/*}
	own=$(rank "$layer")
	[ "$own" -ge 0 ] || { echo "$f: $layer is not a layer"; bad=1; continue; }
	while IFS= read -r inc; do
		dep=${inc%%/*}
		r=$(rank "$dep")
		[ "$r" -ge 0 ] || continue # a header of the same folder
		if [ "$r" -gt "$own" ]; then
			echo "$f ($layer) includes $inc ($dep is above it)"
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\/[^"]*\)".*/\1/p' "$f")
done
exit $bad
