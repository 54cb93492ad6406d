#!/bin/bash
# snippet.sh GUIDE NAME: prints the body of the fenced code block in the
# Markdown file GUIDE whose info string carries snippet=NAME, e.g.
#
#   ```ini snippet=postfix-main.cf
#   relayhost = [smtp.office365.com]:587
#   ```
#
# The guides' tested snippets are marked this way, and the tests in
# tests/docs/ run exactly what they extract. Fails (status 1, message on
# stderr) when GUIDE has no such block, has it more than once, leaves it
# empty or does not close it.
#
# snippet.sh --list GUIDE: prints the name of every snippet in GUIDE, one a
# line, in order (a name used twice is printed twice).
#
# snippet.sh --blocks GUIDE: prints one line per code block in GUIDE:
# LINE<tab>LANGUAGE<tab>NAME ("-" for a missing language or name).
set -u

usage() {
	echo "usage: snippet.sh GUIDE NAME | snippet.sh --list|--blocks GUIDE" >&2
	exit 2
}

# The awk program: in a line that opens a fence (three or more backticks
# or tildes, indented when the block sits in a list item), the info
# string's words after the language are attributes; snippet=NAME names the
# block. The block ends at a line of the same fence character, at least as
# long; the fence's indentation is removed from the lines in between.
read -r -d '' AWK <<'AWKEOF'
function open_fence(line,    m) {
	if (match(line, /^ *(```+|~~~+)/)) {
		fence = substr(line, 1, RLENGTH)
		info = substr(line, RLENGTH + 1)
		indent = fence; sub(/[`~].*/, "", indent)
		fence = substr(fence, length(indent) + 1)
		return 1
	}
	return 0
}
function snippet_name(info,    n, i, w) {
	n = split(info, w, /[ \t]+/)
	for (i = 1; i <= n; i++)
		if (w[i] ~ /^snippet=/)
			return substr(w[i], 9)
	return ""
}
BEGIN { inblock = 0; found = 0; unclosed = 0 }
{
	if (!inblock) {
		if (open_fence($0)) {
			inblock = 1; start = NR
			name = snippet_name(info)
			cur = (name != "")
			if (mode == "list" && cur) print name
			if (mode == "blocks") {
				split(info, lw, /[ \t]+/)
				lang = (lw[1] != "" && lw[1] !~ /=/) ? lw[1] : "-"
				printf "%d\t%s\t%s\n", NR, lang, cur ? name : "-"
			}
			if (mode == "get" && name == want) { found++; capture = (found == 1); opened = NR }
			else capture = 0
		}
		next
	}
	# inside a block: a closing fence is the same character, at least as
	# long, and nothing but blanks around it
	c = $0; sub(/^ +/, "", c); sub(/[ \t]+$/, "", c)
	if (c ~ /^(```+|~~~+)$/ && substr(c, 1, 1) == substr(fence, 1, 1) && length(c) >= length(fence)) {
		inblock = 0; capture = 0
		next
	}
	# a block inside a list item: its lines carry the fence's indentation
	line = $0
	if (indent != "" && substr(line, 1, length(indent)) == indent)
		line = substr(line, length(indent) + 1)
	if (capture) body = body line "\n"
}
END {
	if (inblock && (mode != "get" || name == want)) {
		printf "%s: the code block opened on line %d is never closed\n", FILENAME, start > "/dev/stderr"
		exit 1
	}
	if (mode != "get") exit 0
	if (found == 0) {
		printf "%s: no code block marked snippet=%s\n", FILENAME, want > "/dev/stderr"
		exit 1
	}
	if (found > 1) {
		printf "%s: %d code blocks are marked snippet=%s; names must be unique\n", FILENAME, found, want > "/dev/stderr"
		exit 1
	}
	if (body == "") {
		printf "%s: the code block marked snippet=%s is empty\n", FILENAME, want > "/dev/stderr"
		exit 1
	}
	printf "%s", body
}
AWKEOF

case ${1:-} in
--list|--blocks)
	[ $# -eq 2 ] || usage
	[ -r "$2" ] || { echo "snippet.sh: cannot read $2" >&2; exit 1; }
	exec awk -v mode="${1#--}" "$AWK" "$2"
	;;
-*|"") usage ;;
esac
[ $# -eq 2 ] || usage
[ -r "$1" ] || { echo "snippet.sh: cannot read $1" >&2; exit 1; }
case $2 in
*[!A-Za-z0-9._-]*|"") echo "snippet.sh: bad snippet name '$2'" >&2; exit 2 ;;
esac
exec awk -v mode=get -v want="$2" "$AWK" "$1"
