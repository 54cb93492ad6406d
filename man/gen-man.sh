#!/bin/sh
# Builds sasl-oauth2(1) from man/sasl-oauth2.1.in and each command's own
# --help text, so the manual cannot drift from the program.
#   gen-man.sh TEMPLATE PROGRAM VERSION SYSCONFDIR DOCDIR > sasl-oauth2.1
set -eu
template=$1 prog=$2 version=$3 sysconfdir=$4 docdir=$5
commands=$("$prog" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p')
[ -n "$commands" ] || { echo "gen-man.sh: $prog --help lists no commands" >&2; exit 1; }
# roff: a line starting with '.' or '\'' is a request; backslashes escape
escape() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
while IFS= read -r line; do
	case $line in
	@COMMANDS@)
		for c in $commands; do
			printf '.SS %s\n' "$c"
			printf '%s\n' "$("$prog" --help | sed -n "s/^  $c  *//p" | escape)"
			printf '.PP\n.nf\n'
			"$prog" "$c" --help | escape
			printf '.fi\n'
		done ;;
	@EXAMPLES@)
		# the "Examples:" block of 'sasl-oauth2 --help': a command line
		# (two spaces in), then what it does (six spaces in)
		"$prog" --help | awk '
			/^Examples:/ { on = 1; next }
			on && /^[^ ]/ { on = 0 }
			on && /^  [^ ]/ { sub(/^  /, ""); gsub(/\\/, "\\e"); gsub(/-/, "\\-");
				printf ".TP\n.B %s\n", $0; next }
			on && /^      / { sub(/^ +/, ""); gsub(/\\/, "\\e"); print }' ;;
	*) printf '%s\n' "$line" | sed -e "s|@VERSION@|$version|g" -e "s|@SYSCONFDIR@|$sysconfdir|g" \
		-e "s|@DOCDIR@|$docdir|g" ;;
	esac
done <"$template"
