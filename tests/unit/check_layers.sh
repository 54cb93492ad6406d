#!/bin/bash
# The layer rule of lib/README, checked on the sources: every module of lib/
# (lib/NAME.c, include/sasl-oauth2/NAME.h) has a layer in lib/README's table;
# a module includes only headers of its own layer or below; lib/ includes
# nothing of plugin/ or tools/; and the include graph has no cycle.
#
#   tests/unit/check_layers.sh [SRCDIR]     prints "ok - ..." / "not ok - ..."
set -u
SRC=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
readme="$SRC/lib/README"
status=0

say() { # say OK|FAIL TEXT [DETAIL...]
	local r=$1 text=$2; shift 2
	if [ "$r" = OK ]; then echo "ok - $text"; else echo "not ok - $text"; status=1; fi
	local d; for d in "$@"; do [ -n "$d" ] && echo "#   $d"; done
}

if [ ! -r "$readme" ]; then
	say FAIL "layers: $readme exists and is readable"
	exit 1
fi

# "module layer-number" for every module in the table.
layers=$(awk '/^layer [0-9]+ [a-z]+:/ { n = $2; for (i = 4; i <= NF; i++) print $i, n }' "$readme")
[ -n "$layers" ]; say $([ -n "$layers" ] && echo OK || echo FAIL) \
	"layers: lib/README has a layer table"

twice=$(echo "$layers" | awk '{ c[$1]++ } END { for (m in c) if (c[m] > 1) print m }')
say $([ -z "$twice" ] && echo OK || echo FAIL) "layers: no module is in two layers" \
	${twice:+"in two layers: $(echo $twice)"}

# "module included" edges from every lib source and public header.
edges=$(for f in "$SRC"/lib/*.c "$SRC"/include/sasl-oauth2/*.h; do
	m=$(basename "$f"); m=${m%.[ch]}
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"sasl-oauth2\/\([A-Za-z0-9_]*\)\.h".*/\1/p' "$f" |
		while read -r h; do [ "$h" != "$m" ] && echo "$m $h"; done
done | sort -u)

modules=$(for f in "$SRC"/lib/*.c "$SRC"/include/sasl-oauth2/*.h; do
	m=$(basename "$f"); echo "${m%.[ch]}"; done | sort -u)
unplaced=$(echo "$modules" | while read -r m; do
	echo "$layers" | awk -v m="$m" '$1 == m { f = 1 } END { exit !f }' || echo "$m"; done)
say $([ -z "$unplaced" ] && echo OK || echo FAIL) \
	"layers: every module of lib/ ($(echo "$modules" | wc -l)) has a layer in lib/README" \
	${unplaced:+"not in the table: $(echo $unplaced)"}

gone=$(echo "$layers" | while read -r m _; do echo "$modules" | grep -qx "$m" || echo "$m"; done)
say $([ -z "$gone" ] && echo OK || echo FAIL) "layers: every module in the table exists" \
	${gone:+"no such module: $(echo $gone)"}

upward=$(echo "$edges" | awk -v table="$layers" '
	BEGIN { n = split(table, l, "\n"); for (i = 1; i <= n; i++) { split(l[i], p, " "); lay[p[1]] = p[2] } }
	NF == 2 && ($1 in lay) && ($2 in lay) && lay[$2] > lay[$1] {
		print $1 " (layer " lay[$1] ") includes " $2 ".h (layer " lay[$2] ")" }')
say $([ -z "$upward" ] && echo OK || echo FAIL) "layers: no module includes a header of a higher layer" \
	"${upward//$'\n'/; }"

outside=$(grep -ln '^[[:space:]]*#[[:space:]]*include[[:space:]]*"\(\.\./\)*\(plugin\|tools\)/\|^[[:space:]]*#[[:space:]]*include[[:space:]]*"\(cli\|cmdutil\|privsep\|mech\|plugin_log\)\.h"' \
	"$SRC"/lib/*.c "$SRC"/include/sasl-oauth2/*.h 2>/dev/null | sed "s#^$SRC/##")
say $([ -z "$outside" ] && echo OK || echo FAIL) "layers: lib/ includes nothing of plugin/ or tools/" \
	${outside:+"$(echo $outside)"}

# The CLI's words: only remedy.c spells a command of the CLI.
spelled=$(grep -n '"[^"]*\(--for postfix\|sasl-oauth2 \(authorize\|doctor\|keygen\|refresh\|token\|status\|import\|forget\|watch\|test\|tunnel\)\b\)' \
	"$SRC"/lib/*.c 2>/dev/null | grep -v '^[^:]*/remedy\.c:' | sed "s#^$SRC/##; s/:[[:space:]]*/: /")
say $([ -z "$spelled" ] && echo OK || echo FAIL) \
	"layers: only lib/remedy.c names a sasl-oauth2 command; other modules return the remedy" \
	"${spelled//$'\n'/; }"

# Peel off modules that include nothing left, or that nothing left
# includes (Kahn's algorithm, both ways): what remains is on a cycle.
cyclic=$(echo "$edges" | awk '
	NF == 2 { out[$1]++; in_[$2]++; node[$1]; node[$2]; e[NR] = $0 }
	END {
		do {
			peeled = 0
			for (m in node) if (!(m in done) && (out[m] + 0 == 0 || in_[m] + 0 == 0)) {
				done[m]; peeled = 1
				for (i in e) {
					split(e[i], p, " ")
					if (p[1] == m || p[2] == m) { out[p[1]]--; in_[p[2]]--; delete e[i] }
				}
			}
		} while (peeled)
		for (m in node) if (!(m in done)) printf "%s ", m
	}')
say $([ -z "$cyclic" ] && echo OK || echo FAIL) "layers: the include graph of lib/ has no cycle" \
	${cyclic:+"on a cycle, or between two: $cyclic"}
exit $status
