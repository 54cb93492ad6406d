#!/bin/bash
# What loading the plugin costs a libsasl2 program, next to Debian's PLAIN
# plugin: every libsasl2 client on the machine dlopens every plugin in the
# directory at sasl_client_init, whether it uses OAuth or not.
#
#  1. size: the .so's file size and its text/data/bss (size(1)), and how
#     many symbols of sign-in-only code (device flow, PKCE, discovery,
#     providers, key generation) it carries;
#  2. startup instructions: callgrind over one PLAIN authentication by
#     bench_auth with a plugin directory holding PLAIN alone, then PLAIN and
#     this plugin: the difference is what our plugin adds to every client's
#     start (dlopen of it and its libraries, plug_init);
#  3. maximum RSS of the same two runs (GNU time's %M);
#  4. what it loads and when: strace of tests/tools/sasl_auth doing one
#     XOAUTH2 authentication with SASL_AUTH_CHROOT (root only), as Postfix's
#     smtp does: the shared objects opened before the chroot, and every file
#     opened after it (which must exist inside Postfix's chroot).
#
# Prints its figures; exits 1 when a measurement could not be taken. There
# is no target: the figures are for comparing builds.
#
# Environment: BUILDDIR (as in tests/lib/tree.sh), BENCH_TOKEN_LEN (1200).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/tree.sh"

TOKEN_LEN=${BENCH_TOKEN_LEN:-1200}
die() { echo "footprint: $*" >&2; exit 1; }

[ -f "$PLUGIN_SO" ] || die "$PLUGIN_SO is not built"
if [ -f "$BUILDDIR/Makefile" ]; then
	make -s -C "$BUILDDIR" tests/bench/bench_auth tests/tools/sasl_auth >/dev/null ||
		die "cannot build tests/bench/bench_auth and tests/tools/sasl_auth"
fi
# run PROGRAM ARGS...: through libtool when the program is a wrapper script,
# so valgrind and strace see the program itself.
run() {
	if [ "$(head -c 2 "$1")" = "#!" ]; then
		"$BUILDDIR/libtool" --mode=execute "$@"
	else
		"$@"
	fi
}
BENCH="$BUILDDIR/tests/bench/bench_auth"
SASL_AUTH="$BUILDDIR/tests/tools/sasl_auth"
PLAIN_SO="$SYS_SASL_PLUGINDIR/libplain.so"
[ -f "$PLAIN_SO" ] || die "$PLAIN_SO is missing (Debian package libsasl2-modules)"

WORK=$(mktemp_dir footprint)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/plain" "$WORK/both"
ln -s "$PLAIN_SO" "$WORK/plain/libplain.so"
make_plugin_dir "$WORK/both"

USER_NAME=alice@example.com
TOKEN=$(head -c $((TOKEN_LEN * 2)) /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' |
	head -c "$TOKEN_LEN")
mkdir -m 755 "$WORK/jail"
TOKEN_FILE="$WORK/jail/token.json"
( umask 077
  printf '{"access_token":"%s","user":"%s","expires_at":%d}\n' \
	"$TOKEN" "$USER_NAME" $(( $(date +%s) + 3600 )) >"$TOKEN_FILE" )

# --- 1. size --------------------------------------------------------------------
echo "== size =="
printf '%-28s %10s %10s %8s %8s\n' object bytes text data bss
for so in "$PLAIN_SO" "$PLUGIN_SO"; do
	read -r text data bss _ < <(size "$so" | awk 'NR == 2')
	printf '%-28s %10d %10d %8d %8d\n' "$(basename "$so")" "$(stat -L -c %s "$so")" \
		"$text" "$data" "$bss"
done
signin=$(nm -D --defined-only "$PLUGIN_SO" 2>/dev/null | wc -l)
signin_local=$(nm "$PLUGIN_SO" 2>/dev/null |
	grep -cE ' (oa2_keygen|oa2_device|oa2_pkce|oa2_discover|oa2_provider)_?')
echo "exported symbols: $signin; sign-in-only functions inside (keygen, device, pkce," \
	"discovery, provider): $signin_local"
echo "libraries it needs (DT_NEEDED): $(objdump -p "$PLUGIN_SO" | awk '/NEEDED/ { printf "%s ", $2 }')"

# --- 2 and 3. startup instructions and maximum RSS --------------------------------
# measure DIR: one PLAIN authentication with plugin directory DIR; prints
# "INSTRUCTIONS MAXRSS_KB".
measure() {
	local dir=$1 out="$WORK/cg.$(basename "$1")" ir rss
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$BENCH" --plugin-dir "$dir" --token-file "$TOKEN_FILE" --user "$USER_NAME" \
		--mech PLAIN --iterations 1 >"$out.log" 2>&1 || return 1
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	rss=$( { /usr/bin/time -f '%M' "$BENCH" --plugin-dir "$dir" --token-file "$TOKEN_FILE" \
		--user "$USER_NAME" --mech PLAIN --iterations 1 >/dev/null; } 2>&1 | tail -n 1)
	[ -n "$ir" ] && [ -n "$rss" ] || return 1
	echo "$ir $rss"
}
command -v valgrind >/dev/null || die "valgrind is not installed"
[ -x /usr/bin/time ] || die "GNU time is not installed (Debian package time)"
[ "$(head -c 2 "$BENCH")" != "#!" ] ||
	die "$BENCH is a libtool wrapper: configure with --disable-shared or run from an installed build"
echo
echo "== one PLAIN authentication, with and without this plugin in the directory =="
read -r ir_plain rss_plain < <(measure "$WORK/plain") || die "the PLAIN-only run failed"
read -r ir_both rss_both < <(measure "$WORK/both") || die "the run with this plugin failed"
printf '%-30s %16s %14s\n' "plugin directory" instructions "max RSS (KB)"
printf '%-30s %16d %14d\n' "PLAIN only" "$ir_plain" "$rss_plain"
printf '%-30s %16d %14d\n' "PLAIN + sasl-oauth2" "$ir_both" "$rss_both"
printf '%-30s %+16d %+14d\n' "added by loading sasl-oauth2" $((ir_both - ir_plain)) \
	$((rss_both - rss_plain))

# --- 4. what it loads and when --------------------------------------------------------
echo
echo "== what one XOAUTH2 authentication opens, before and after a chroot (as Postfix) =="
if [ "$(id -u)" -ne 0 ] || ! command -v strace >/dev/null; then
	echo "(needs root and strace: not measured)"
	exit 0
fi
SASL_AUTH_CHROOT="$WORK/jail" strace -f -qq -e trace=openat,chroot -o "$WORK/strace.out" \
	"$SASL_AUTH" "$WORK/both" XOAUTH2 "$USER_NAME" /token.json >"$WORK/auth.out" 2>&1 ||
	die "sasl_auth failed: $(head -n 3 "$WORK/auth.out")"
awk '
	/chroot\(/ { jailed = 1; next }
	/openat\(/ && !/ENOENT/ {
		match($0, /"[^"]*"/); f = substr($0, RSTART + 1, RLENGTH - 2)
		if (!jailed && f ~ /\.so(\.[0-9.]+)?$/) before[++nb] = f
		else if (jailed) after[++na] = f
	}
	END {
		printf "before the chroot (at sasl_client_init), %d shared objects:\n", nb
		for (i = 1; i <= nb; i++) print "  " before[i]
		printf "after the chroot (at authentication), %d files:\n", na
		for (i = 1; i <= na; i++) print "  " after[i]
	}' "$WORK/strace.out"
