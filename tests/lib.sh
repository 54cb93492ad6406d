# Shared helpers for the shell tests. Source it; it sets:
#   SRCDIR      the source tree
#   BUILDDIR    the build tree (env BUILDDIR, default SRCDIR)
#   PLUGIN_SO   the built plugin (env PLUGIN_SO: another one, e.g. the
#               installed package's, for debian/tests)
# Test scripts report each check on one line, "ok - what" or "not ok - what"
# (and "skip - what: why"); tests/run-suite.sh counts them.

SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR}
# Absolute: tests pass paths under it to programs that run elsewhere, and the
# plugin tells a token file from a token by its leading '/'.
[ ! -d "$BUILDDIR" ] || BUILDDIR=$(cd "$BUILDDIR" && pwd)
PLUGIN_SO=${PLUGIN_SO:-"$BUILDDIR/plugin/.libs/libsasl-oauth2.so"}
SYS_SASL_PLUGINDIR="$(pkg-config --variable=libdir libsasl2 2>/dev/null)/sasl2"

TESTS_FAILED=0
ok() { echo "ok - $*"; }
not_ok() { TESTS_FAILED=$((TESTS_FAILED + 1)); echo "not ok - $*"; }
# need_cli: CLI (env CLI, default the build tree's sasl-oauth2), also named
# SO; stops the test (one "not ok") when it is not built.
need_cli() {
	CLI=${CLI:-$BUILDDIR/tools/sasl-oauth2}
	SO=$CLI
	[ -x "$CLI" ] || { echo "not ok - $CLI is not built (make tools/sasl-oauth2)"; exit 1; }
}
# tests_exit: ends a test script, non-zero when any check failed.
tests_exit() { exit $(( TESTS_FAILED > 0 )); }
skip() { echo "skip - $*"; }
# check DESCRIPTION COMMAND...: runs the command, reports ok/not ok.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# make_plugin_dir DIR: a SASL plugin directory holding only our plugin and the
# system PLAIN plugin (as symlinks), so tests load the build tree's plugin and
# nothing installed elsewhere.
make_plugin_dir() {
	mkdir -p "$1"
	ln -sf "$PLUGIN_SO" "$1/libsasl-oauth2.so"
	ln -sf "$SYS_SASL_PLUGINDIR/libplain.so" "$1/libplain.so"
	chmod 755 "$1"
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
# Picked below the kernel's ephemeral range, so no outgoing connection can
# be using it as its local port when a server binds it.
free_port() {
	local p lo=32768 span
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	span=$(( lo - 10000 ))
	[ "$span" -ge 2000 ] || { lo=60000; span=5000; }
	for _ in $(seq 1 200); do
		p=$(( lo - span + RANDOM % span ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"; return 0
		fi
	done
	return 1
}

# wait_port PORT [SECONDS]: waits until something accepts on 127.0.0.1:PORT.
wait_port() {
	local i n=$(( ${2:-10} * 10 ))
	for i in $(seq 1 "$n"); do
		(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# mktemp_dir NAME: a fresh directory under the build tree's tmp-test/,
# readable by unprivileged daemons (postfix, dovecot) that tests start.
mktemp_dir() {
	mkdir -p "$BUILDDIR/tmp-test"
	chmod 755 "$BUILDDIR/tmp-test"
	local d; d=$(mktemp -d "$BUILDDIR/tmp-test/$1.XXXXXX")
	chmod 755 "$d"
	# A build tree under a private directory (a clone in /root, as the
	# README's commands make on a fresh system) is out of the daemons'
	# reach: use TMPDIR then.
	if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
		rmdir "$d"
		d=$(mktemp -d "${TMPDIR:-/tmp}/sasl-oauth2-$1.XXXXXX")
		chmod 755 "$d"
	fi
	echo "$d"
}

# for_user USER FILE DIR: prints FILE, or the path of a copy of it in DIR
# when USER cannot read it (a build tree in a private directory).
for_user() {
	if runuser -u "$1" -- test -r "$2" 2>/dev/null; then
		echo "$2"
	else
		cp --remove-destination "$2" "$3/" && chmod 755 "$3/$(basename "$2")" &&
			echo "$3/$(basename "$2")"
	fi
}

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
