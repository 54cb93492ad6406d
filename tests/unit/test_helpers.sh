#!/bin/bash
# The shell tests share one helper library, tests/lib/ (issue 20):
#   1. every file a test sources is in tests/lib/ (no helpers in tests/e2e/,
#      tests/cli/ or tests/docs/, none at tests/ top level);
#   2. no test under tests/cli/ or tests/docs/ sources anything in tests/e2e/;
#   3. every helper function is defined once: not twice among the sourced
#      files, and no test script defines one under a helper's name; and no
#      function is written out twice (same name and body) in two tests;
#   4. every tests/lib/ file sources what it uses itself (each one loads on
#      its own in a fresh bash) and defines its functions once;
#   5. every test sources the tests/lib/ files whose functions it calls;
#   6. no test calls a helper by the name it had before tests/lib/.
# Prints one "ok"/"not ok" line per rule; run by the unit group.
#
#   SRCDIR=. bash tests/unit/test_helpers.sh
set -u
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRCDIR" || exit 1
fails=0

# Every shell file of the tests: *.sh under tests/ (not node_modules) and
# the autopkgtests.
mapfile -t files < <(find tests debian/tests -path '*/node_modules' -prune -o -type f \
	\( -name '*.sh' -o -path 'debian/tests/*' \) -print 2>/dev/null | sort)

# The "SOURCER<tab>PATH-AS-WRITTEN" of every ". PATH" / "source PATH" line.
sources=$(awk '
	/^[ \t]*(\.|source)[ \t]+[^ \t=]/ {
		# the path: the last word of the line ending in .sh (quotes
		# removed: "$(dirname "$0")/../lib/x.sh" has a blank inside)
		r = $0; sub(/^[ \t]*(\.|source)[ \t]+/, "", r); gsub(/"/, "", r)
		n = split(r, w, /[ \t;|&]+/); p = r
		for (i = 1; i <= n; i++) if (w[i] ~ /(\.sh|os-release)$/) p = w[i]
		if (p != "/etc/os-release") print FILENAME "\t" p
	}' "${files[@]}")

# 1. sourced files live in tests/lib/ (whose files source each other by
# their own directory)
bad=$(awk -F'\t' '$2 !~ /(^|\/)lib\/[a-z_]+\.sh$/ &&
	!($1 ~ /^tests\/lib\// && $2 ~ /^\$\{BASH_SOURCE\[0\]%\/\*\}\/[a-z_]+\.sh$/)' <<<"$sources")
if [ -z "$bad" ]; then
	echo "ok - test helpers: every sourced helper file is in tests/lib/"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: every sourced helper file is in tests/lib/"
	sed 's/^/#   sources a helper outside tests\/lib\/: /' <<<"$bad" | head -n 40
fi

# 2. no cli/ or docs/ test reaches into tests/e2e/ for helpers
bad=$(awk -F'\t' '$1 ~ /^tests\/(cli|docs)\// && ($2 ~ /e2e\// || $2 ~ /^(env|refresh_env|oidc_env|tunnel_env|multiproc_env)\.sh$/)' <<<"$sources")
if [ -z "$bad" ]; then
	echo "ok - test helpers: no test under tests/cli/ or tests/docs/ sources tests/e2e/"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: no test under tests/cli/ or tests/docs/ sources tests/e2e/"
	sed 's/^/#   /' <<<"$bad" | head -n 40
fi

# 3. one definition per helper function. The helper files are tests/lib/
# and every file any test sources (by file name); a helper's name may not
# be defined anywhere else, and not twice among them.
helpers=$( { ls tests/lib/*.sh 2>/dev/null
	cut -f2 <<<"$sources" | sed 's#.*/##' | sort -u | while read -r b; do
		printf '%s\n' "${files[@]}" | grep -F -x -e "$b" -e "${b##*/}" -e "tests/${b##*/}" -e "tests/e2e/${b##*/}" \
			-e "tests/cli/${b##*/}" -e "tests/docs/${b##*/}" -e "tests/lib/${b##*/}"
	done; } | sort -u)
defs=$(awk '
	/^[ \t]*(function[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*\(\)/ {
		n = $0; sub(/^[ \t]*(function[ \t]+)?/, "", n); sub(/[ \t]*\(.*$/, "", n)
		print n "\t" FILENAME
	}' "${files[@]}" | sort -u)
dups=$(awk -F'\t' -v H="$(tr '\n' ' ' <<<"$helpers")" '
	BEGIN { n = split(H, h, " "); for (i = 1; i <= n; i++) helper[h[i]] = 1 }
	{ where[$1] = where[$1] " " $2; count[$1]++; if ($2 in helper) inhelper[$1] = 1 }
	END { for (f in inhelper) if (count[f] > 1) print f ":" where[f] }' <<<"$defs" | sort)
if [ -z "$dups" ]; then
	echo "ok - test helpers: each helper function is defined once, in tests/lib/ ($(grep -c . <<<"$helpers") files)"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: each helper function is defined once, in tests/lib/"
	sed 's/^/#   defined more than once: /' <<<"$dups" | head -n 40
fi

# 3b. no twins among the tests: one function (same name, same body) in two
# files belongs in tests/lib/
twins=$(awk '
	function flush() { if (name != "") print name "\t" FILENAME "\t" body; name = "" }
	FNR == 1 { flush() }
	name != "" { t = $0; sub(/^[ \t]+/, "", t); body = body " " t
		if ($0 == indent "}") flush(); next }
	/^[ \t]*(function[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]*\(\)[ \t]*\{/ {
		n = $0; sub(/^[ \t]*(function[ \t]+)?/, "", n); sub(/[ \t]*\(.*$/, "", n)
		indent = $0; sub(/[^ \t].*$/, "", indent)
		t = $0; sub(/^[ \t]+/, "", t); sub(/[ \t]*#[^"'\'']*$/, "", t)
		if (t ~ /\}[ \t;]*$/) { print n "\t" FILENAME "\t" t; next }
		name = n; body = t
	}
	END { flush() }' "${files[@]}" |
	awk -F'\t' '{ k = $1 "\t" $3; if (!(k in w)) n++; w[k] = w[k] " " $2; c[k]++ }
		END { for (k in c) if (c[k] > 1) { split(k, p, "\t"); print p[1] ":" w[k] } }' | sort)
if [ -z "$twins" ]; then
	echo "ok - test helpers: no function is written twice (same name and body) across the tests"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: no function is written twice (same name and body) across the tests"
	sed 's/^/#   twins (move it to tests\/lib\/): /' <<<"$twins" | head -n 40
fi

# 5. a test loads what it calls: every tests/lib/ function a test script
# names (outside comments) is defined by the tests/lib/ files it sources, or
# by those they source, or by the script itself
libdeps() { # the tests/lib/ files FILE sources, directly or not
	local f=$1 d
	for d in $(grep -E '^[[:blank:]]*\. ' "$f" | grep -oE '(lib/|\}/)[a-z_]+\.sh' | sed 's#.*/##'); do
		case " $seen " in *" $d "*) continue ;; esac
		seen="$seen $d"
		libdeps "tests/lib/$d"
	done
}
fnames() { grep -ohE '^[[:blank:]]*[A-Za-z_][A-Za-z0-9_]*\(\)' "$@" 2>/dev/null | tr -d '() \t' | sort -u; }
all=$(fnames tests/lib/*.sh)
bad=
for f in "${files[@]}"; do
	case $f in tests/lib/* | tests/run-suite.sh) continue ;; esac # (the runner names the groups: cli, ...)
	grep -E '^[[:blank:]]*\. ' "$f" | grep -qE 'lib/[a-z_]+\.sh' || continue
	seen=
	libdeps "$f"
	have=$(fnames "$f" $(for d in $seen; do echo "tests/lib/$d"; done))
	# words as commands are written, not inside paths, options, file names
	# or prose ("tests/cli", "--admin", "check-programs", "an admin's", '"cli ...')
	used=$(grep -vE '^[[:blank:]]*#' "$f" |
		grep -oP '(?<![/.\x27"A-Za-z0-9_-])[A-Za-z_][A-Za-z0-9_]*(?![/.\x27A-Za-z0-9_-])' | sort -u)
	miss=$(comm -12 <(echo "$all") <(echo "$used") | comm -23 - <(echo "$have") | tr '\n' ' ')
	[ -z "$miss" ] || bad="$bad$f calls ${miss}without sourcing the tests/lib/ file that has it"$'\n'
done
if [ -z "$bad" ]; then
	echo "ok - test helpers: every test sources the tests/lib/ files whose functions it calls"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: every test sources the tests/lib/ files whose functions it calls"
	printf '%s' "$bad" | sed 's/^/#   /' | head -n 40
fi

# 6. no test calls a helper by the name it had before tests/lib/ (a test
# written against the old env files would call a command that is not there)
bad=$(grep -nE '\b(e2e_die|e2e_note|e2e_finish|rf_die|rf_note|rf_finish|jfile|rf_jget|E2E_FAILS|E2E_PASSES|RF_FAILS)\b|\$\(requests\)|(^|[;&|( \x27])admin (GET|POST) ' \
	"${files[@]}" 2>/dev/null | grep -v '^tests/unit/test_helpers.sh:')
if [ -z "$bad" ]; then
	echo "ok - test helpers: no test calls a helper by its old name (e2e_die is bail, e2e_finish tests_exit, jfile json_field, admin auth_admin, ...)"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: no test calls a helper by its old name (e2e_die is bail, e2e_finish tests_exit, jfile json_field, admin auth_admin, ...)"
	sed 's/^/#   /' <<<"$bad" | head -n 40
fi

# 4. each library file loads on its own and defines its functions once
bad=
for f in tests/lib/*.sh; do
	[ "$f" = tests/lib/chroot.sh ] && continue # needs root; sourced by the packaging tests
	out=$(SRCDIR=$SRCDIR BUILDDIR=${BUILDDIR:-$SRCDIR} bash -c '
		set -u; . "$1" || exit 1
		for fn in $(grep -oE "^[A-Za-z_][A-Za-z0-9_]*\(\)" "$1" | tr -d "()"); do
			declare -F "$fn" >/dev/null || echo "$fn not defined"
		done' _ "$f" 2>&1) || out="$out (status $?)"
	[ -z "$out" ] || bad="$bad$f: $out"$'\n'
	n=$(grep -oE '^[A-Za-z_][A-Za-z0-9_]*\(\)' "$f" | sort | uniq -d)
	[ -z "$n" ] || bad="$bad$f defines twice: $n"$'\n'
done
if [ -z "$bad" ] && [ -d tests/lib ]; then
	echo "ok - test helpers: every tests/lib/ file loads on its own"
else
	fails=$((fails + 1))
	echo "not ok - test helpers: every tests/lib/ file loads on its own"
	[ -d tests/lib ] || echo "#   there is no tests/lib/"
	printf '%s' "$bad" | sed 's/^/#   /' | head -n 40
fi

exit $(( fails > 0 ))
