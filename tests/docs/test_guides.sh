#!/bin/bash
# The setup guides (docs/*.md) against drift, without servers:
#   - snippet.sh fails loudly: missing, duplicated, empty and unclosed blocks;
#   - in each guide, every code block parses and snippet names are unique;
#   - every configuration block is a snippet (only sh, powershell and text
#     blocks, i.e. commands for a real provider or sample output, may be
#     untested), and every snippet is run by a test in tests/docs/
#     (guide_config ... "$GUIDE" NAME in a test that sets GUIDE=that guide);
#   - links between the guides reach an existing file and heading;
#   - every `sasl-oauth2 COMMAND --option` the guides show is a command and
#     an option of the build tree's sasl-oauth2 (its --help); skipped while
#     the CLI is not built.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tree.sh"
SNIP="$HERE/snippet.sh"
DOCS="$SRCDIR/docs"
T=$(mktemp -d "${TMPDIR:-/tmp}/docs-guides.XXXXXX")
trap 'rm -rf "$T"' EXIT

# ----- snippet.sh itself -----------------------------------------------------
cat >"$T/g.md" <<'EOF'
```ini snippet=one
a = 1
```
- a list item:

  ```text snippet=indented
  b
    c
  ```
```ini snippet=twice
1
```
```ini snippet=twice
2
```
```ini snippet=empty
```
```ini snippet=open
EOF
fails_with() { # MESSAGE_RE ARGS...: snippet.sh must exit 1 saying MESSAGE_RE
	local re=$1 rc=0; shift
	bash "$SNIP" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = 1 ] && [ ! -s "$T/out" ] && grep -qE "$re" "$T/err"
}
check "snippet.sh prints a block's body" test "$(bash "$SNIP" "$T/g.md" one)" = "a = 1"
check "snippet.sh removes a list item's indentation" \
	test "$(bash "$SNIP" "$T/g.md" indented)" = "$(printf 'b\n  c')"
check "snippet.sh fails on a missing block" fails_with 'no code block marked snippet=nope' "$T/g.md" nope
check "snippet.sh fails on a duplicated name" fails_with '2 code blocks are marked snippet=twice' "$T/g.md" twice
check "snippet.sh fails on an empty block" fails_with 'snippet=empty is empty' "$T/g.md" empty
check "snippet.sh fails on an unclosed block" fails_with 'never closed' "$T/g.md" open

# ----- each guide ---------------------------------------------------------------
guides=("$DOCS"/*.md)
[ -e "${guides[0]}" ] || { not_ok "docs/*.md: no guides found"; exit 1; }
for g in "${guides[@]}"; do
	name=$(basename "$g")
	if ! bash "$SNIP" --blocks "$g" >"$T/blocks" 2>"$T/err"; then
		not_ok "docs/$name: code blocks parse ($(cat "$T/err"))"
		continue
	fi
	ok "docs/$name: $(wc -l <"$T/blocks") code blocks parse"
	dups=$(awk -F'\t' '$3 != "-" { print $3 }' "$T/blocks" | sort | uniq -d | tr '\n' ' ')
	check "docs/$name: snippet names are unique${dups:+ (twice: $dups)}" test -z "$dups"
	while IFS=$'\t' read -r line lang snip; do
		if [ "$snip" = - ]; then
			case $lang in
			sh|powershell|text) ;;
			*) not_ok "docs/$name:$line: a '$lang' block without snippet=NAME: configuration must be tested" ;;
			esac
			continue
		fi
		users=$(grep -lE "^GUIDE=$name\$" "$HERE"/test_*.sh 2>/dev/null |
			xargs -r grep -lE "guide_config [^ ]+ \"\\\$GUIDE\" $snip( |\$)" | xargs -r -n1 basename | tr '\n' ' ')
		if [ -n "$users" ]; then
			ok "docs/$name: snippet $snip is run by ${users% }"
		else
			not_ok "docs/$name: snippet $snip is run by a test in tests/docs/"
		fi
	done <"$T/blocks"

	# links to the other guides: file and heading must exist
	grep -oE '\]\(([a-z0-9_-]+\.md|\.\./[A-Za-z0-9_./-]+)(#[a-z0-9-]+)?\)' "$g" | sed 's/^](//; s/)$//' | sort -u |
	while IFS= read -r link; do
		file=${link%%#*} anchor=
		[ "$file" = "$link" ] || anchor=${link#*#}
		if [ ! -f "$DOCS/$file" ]; then
			echo "not ok - docs/$name: link $link: no file docs/$file"
			continue
		fi
		if [ -n "$anchor" ] && ! sed -n 's/^#\{1,6\} //p' "$DOCS/$file" |
			tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 -]//g; s/ /-/g' | grep -qx -- "$anchor"; then
			echo "not ok - docs/$name: link $link: no heading #$anchor in docs/$file"
			continue
		fi
		echo "ok - docs/$name: link $link resolves"
	done >"$T/links"
	cat "$T/links"
	TESTS_FAILED=$((TESTS_FAILED + $(grep -c '^not ok' "$T/links")))
done

# ----- sasl-oauth2 commands and options shown in the guides ------------------
# every `sasl-oauth2 CMD ...` in code blocks (backslash continuations joined)
# and in inline code spans
cmdlines() {
	awk '
		/^ *(```|~~~)/ { inb = !inb; next }
		inb { line = line $0; if (line ~ /\\$/) { sub(/\\$/, "", line); next } print line; line = ""; next }
		{ prose = prose " " $0 }
		END {
			while (match(prose, /`[^`]*`/)) {
				print substr(prose, RSTART + 1, RLENGTH - 2)
				prose = substr(prose, RSTART + RLENGTH)
			}
		}
	' "$1" | grep -oE 'sasl-oauth2 [a-z]+( +[^ ;|&#`"]+)*' || true
}
CLI="$BUILDDIR/tools/sasl-oauth2"
if [ ! -x "$CLI" ] || ! "$CLI" --help >"$T/help" 2>&1 || grep -qi 'not implemented' "$T/help"; then
	skip "the guides' sasl-oauth2 commands and options: the CLI is not built yet"
else
	for g in "${guides[@]}"; do cmdlines "$g"; done | sort -u >"$T/cmds"
	while read -r _ sub rest; do
		if ! grep -qE "^  $sub " "$T/help"; then
			not_ok "'sasl-oauth2 $sub' (in docs/) is a sasl-oauth2 command"
			continue
		fi
		"$CLI" "$sub" --help >"$T/help-$sub" 2>&1
		for opt in $(grep -oE '(^| )--[a-z][a-z-]*' <<<"$rest" | tr -d ' '); do
			if grep -qE -- "(^|[[ ,(|])$opt([] =,|)]|\$)" "$T/help-$sub"; then
				echo "$sub $opt" >>"$T/opts-ok"
			else
				not_ok "'sasl-oauth2 $sub $opt' (in docs/): $opt is an option of 'sasl-oauth2 $sub'"
			fi
		done
	done <"$T/cmds"
	# options named on their own in the prose (`--port 8087`): an option of
	# some sasl-oauth2 command, unless it is another program's
	OTHER_PROGRAMS_OPTIONS="--auth --tlskey" # fetchmail's and cyradm's, in clients.md
	cat "$T"/help-* >"$T/help-all"
	for g in "${guides[@]}"; do
		tr '\n' ' ' <"$g" | grep -oE '`--[a-z][a-z-]*[^`]*`' | grep -oE '^`--[a-z][a-z-]*' | tr -d '`'
	done | sort -u | while read -r opt; do
		case " $OTHER_PROGRAMS_OPTIONS " in *" $opt "*) continue ;; esac
		grep -qE -- "(^|[[ ,(|])$opt([] =,|)]|\$)" "$T/help-all" || echo "$opt"
	done >"$T/unknown-opts"
	check "the options the guides' prose names are sasl-oauth2 options" test ! -s "$T/unknown-opts"
	[ ! -s "$T/unknown-opts" ] || echo "#   unknown: $(tr '\n' ' ' <"$T/unknown-opts")"
	ok "the guides' sasl-oauth2 commands exist ($(awk '{print $2}' "$T/cmds" | sort -u | tr '\n' ' '))"
	[ ! -s "$T/opts-ok" ] ||
		ok "their options are in each command's --help ($(sort -u "$T/opts-ok" | awk '{print $2}' | sort -u | tr '\n' ' '))"
fi

tests_exit
