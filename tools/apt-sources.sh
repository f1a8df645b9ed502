# tools/apt-sources.sh: sourced by scripts that need to know which Debian
# archive apt is configured with (never a host name written in the repo).
# bash only.

# apt_debian_uris SUITE: every URI apt's sources give for SUITE with the main
# component, one per line, in the order apt reads them (one-line .list
# entries and deb822 .sources stanzas).
apt_debian_uris() {
	local suite=$1 f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$suite" '$1 == "deb" {
			sub(/\[[^]]*\][ \t]*/, "")
			if ($3 == s) for (j = 4; j <= NF; j++)
				if ($j == "main") { print $2; break }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$suite" '
			function flush() {
				if (deb && uris != "" && (" " suites " ") ~ (" " s " ") &&
				    (" " comps " ") ~ / main /) {
					n = split(uris, u, " "); for (k = 1; k <= n; k++) print u[k]
				}
				deb = 0; uris = suites = comps = ""
			}
			/^[ \t]*$/ { flush(); next }
			/^Types:/ { deb = ($0 ~ /[: ]deb( |$)/) }
			/^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
			/^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
			/^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
			END { flush() }' "$f"
	done
}
