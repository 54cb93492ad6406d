# doctor's fix lines, read as a shell reads them (issue 16).
#
#   shell_words LINE            the words a POSIX shell splits LINE into
#   check_fix_lines DESC FILE...   every "fix:" line in FILEs tokenizes, and
#                               file data planted in it stays one word

[ -z "${_TESTLIB_SHELLWORDS:-}" ] || return 0
_TESTLIB_SHELLWORDS=1
. "${BASH_SOURCE[0]%/*}/tap.sh"

# --- doctor's fix lines, read as a shell reads them (issue 16) -------------------------
# shell_words LINE: the words a POSIX shell splits LINE into, one a line, quotes
# removed; ; & | < > ( ) come out as words of their own, a # starting a word
# ends the line. Status 1 when LINE has an expansion ($ or `) outside single
# quotes or an open quote: nothing doctor prints should.
shell_words() {
	local s=$1 w="" q="" c i have=0
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		if [ "$q" = "'" ]; then
			if [ "$c" = "'" ]; then q=""; else w+=$c; fi
			continue
		fi
		if [ "$q" = '"' ]; then
			case $c in
			'"') q="" ;;
			'\') i=$((i + 1)); w+=${s:i:1} ;;
			'$' | '`') return 1 ;;
			*) w+=$c ;;
			esac
			continue
		fi
		case $c in
		"'" | '"') q=$c; have=1 ;;
		'\') i=$((i + 1)); w+=${s:i:1}; have=1 ;;
		' ' | $'\t') [ "$have" = 0 ] || printf '%s\n' "$w"; w=""; have=0 ;;
		';' | '&' | '|' | '<' | '>' | '(' | ')')
			[ "$have" = 0 ] || printf '%s\n' "$w"
			printf '%s\n' "$c"; w=""; have=0 ;;
		'$' | '`') return 1 ;;
		'#') [ "$have" = 1 ] || break; w+=$c ;;
		*) w+=$c; have=1 ;;
		esac
	done
	[ -z "$q" ] || return 1
	[ "$have" = 0 ] || printf '%s\n' "$w"
}

# check_fix_lines DESCRIPTION FILE...: every "fix:" line doctor printed in
# FILEs (its text output) is read as the admin's shell would read it. The
# tests plant "PWN" in file names, paths and file contents, next to shell
# syntax ("; id > X; #", quotes, $(...)); the array PLANTED (may be empty)
# lists the values planted.
# - A line that starts with a command (chown, postconf, sasl-oauth2, ...)
#   must tokenize (shell_words) and pass bash -n, and every word holding
#   "PWN" must hold a whole planted value: file data is one word, never
#   shell syntax or a comment.
# - Any other line is prose for the admin (it may quote a command): there,
#   "PWN" may appear only inside a planted value written as one quoted word.
check_fix_lines() {
	local desc=$1 line words first bad=0 n=0 v w whole rest
	shift
	while IFS= read -r line; do
		line=${line#"${line%%[! ]*}"}
		line=${line#fix: }
		n=$((n + 1))
		first=${line%% *}
		case $first in
		chown | chmod | chgrp | echo | postconf | postmap | postfix | mkdir | cp | rm | mv | \
			systemctl | sasl-oauth2 | ln | runuser) ;;
		*)
			rest=$line
			for v in "${PLANTED[@]}"; do
				rest=${rest//"'${v//\'/\'\\\'\'}'"/}
			done
			[[ $rest != *PWN* ]] || { bad=$((bad + 1)); echo "# file data unquoted in: $line"; }
			continue ;;
		esac
		if ! words=$(shell_words "$line"); then
			bad=$((bad + 1)); echo "# fix line does not tokenize (expansion or open quote): $line"
			continue
		fi
		bash -n -c "$line" 2>/dev/null || { bad=$((bad + 1)); echo "# fix line fails bash -n: $line"; }
		[[ $line != *PWN* || $words == *PWN* ]] ||
			{ bad=$((bad + 1)); echo "# file data became a shell comment: $line"; }
		while IFS= read -r w; do
			[[ $w == *PWN* ]] || continue
			whole=0
			for v in "${PLANTED[@]}"; do
				[[ $w == *"$v"* ]] && whole=1
			done
			[ "$whole" = 1 ] || { bad=$((bad + 1)); echo "# file data split by the shell: [$w] in: $line"; }
		done <<<"$words"
	done < <(grep -h '^ *fix: ' "$@")
	check "$desc: the $n fix lines printed tokenize, commands pass bash -n, file data stays one word ($bad bad)" \
		test "$bad" = 0 -a "$n" -gt 0
}
