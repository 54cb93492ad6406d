#!/bin/bash
# What loading the plugin costs a libsasl2 program, next to Debian's PLAIN
# plugin: every libsasl2 client on the machine dlopens every plugin in the
# directory at sasl_client_init, whether it uses OAuth or not.
#
#  1. size: the .so's file size and its text/data/bss (size(1)), and how
#     many symbols of the sign-in library (lib/liboa2signin.a: device flow,
#     PKCE, discovery, providers, key generation) it carries (none is
#     right: tests/unit/plugin_contents.sh fails otherwise);
#  2. startup instructions: callgrind over one PLAIN authentication by
#     bench_auth with a plugin directory holding nothing, PLAIN alone, then
#     PLAIN and this plugin: each step's difference is what that plugin
#     adds to every client's start (dlopen of it and its libraries,
#     plug_init); the empty directory's run fails its authentication, which
#     costs next to nothing;
#  3. maximum RSS of the same three runs (GNU time's %M, median of 5);
#  4. what each loads and when: strace of tests/tools/sasl_auth doing one
#     authentication (PLAIN, then XOAUTH2) with SASL_AUTH_CHROOT (root
#     only), as Postfix's smtp does: the shared objects each plugin brings
#     before the chroot, and every file opened after it (which must exist
#     inside Postfix's chroot);
#  5. a summary: PLAIN's figures and this plugin's side by side.
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
exported=$(nm -D --defined-only "$PLUGIN_SO" 2>/dev/null | wc -l)
SIGNIN_A="$BUILDDIR/lib/.libs/liboa2signin.a"
if [ -f "$SIGNIN_A" ]; then
	signin_in=$(comm -12 <(nm -g --defined-only "$SIGNIN_A" | awk 'NF == 3 { print $3 }' | sort -u) \
		<(nm --defined-only "$PLUGIN_SO" | awk 'NF == 3 { print $3 }' | sort -u) | wc -l)
	signin_in="$signin_in (of the $(nm -g --defined-only "$SIGNIN_A" | grep -c ' [A-Z] ') that lib/liboa2signin.a defines)"
else
	# a build from before the split: the sign-in modules by name
	signin_in=$(nm "$PLUGIN_SO" 2>/dev/null |
		grep -cE ' (oa2_keygen|oa2_device|oa2_pkce|oa2_discover|oa2_provider)_?')
	signin_in="$signin_in (keygen, device, pkce, discovery, provider; no lib/liboa2signin.a here)"
fi
echo "exported symbols: $exported; sign-in functions inside: $signin_in"
echo "libraries it needs (DT_NEEDED): $(objdump -p "$PLUGIN_SO" | awk '/NEEDED/ { printf "%s ", $2 }')"

# --- 2 and 3. startup instructions and maximum RSS --------------------------------
# measure DIR: one PLAIN authentication with plugin directory DIR; prints
# "INSTRUCTIONS MAXRSS_KB".
measure() {
	local dir=$1 out="$WORK/cg.$(basename "$1")" ir rss
	valgrind --tool=callgrind --callgrind-out-file="$out" \
		"$BENCH" --plugin-dir "$dir" --token-file "$TOKEN_FILE" --user "$USER_NAME" \
		--mech PLAIN --iterations 1 >"$out.log" 2>&1 || [ "$dir" = "$WORK/none" ] || return 1
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	# max RSS moves by a few hundred KB from run to run: the median of 5
	rss=$(for _ in 1 2 3 4 5; do
		{ /usr/bin/time -f '%M' "$BENCH" --plugin-dir "$dir" --token-file "$TOKEN_FILE" \
			--user "$USER_NAME" --mech PLAIN --iterations 1 >/dev/null; } 2>&1 | tail -n 1
	done | sort -n | sed -n 3p)
	[ -n "$ir" ] && [ -n "$rss" ] || return 1
	echo "$ir $rss"
}
command -v valgrind >/dev/null || die "valgrind is not installed"
[ -x /usr/bin/time ] || die "GNU time is not installed (Debian package time)"
[ "$(head -c 2 "$BENCH")" != "#!" ] ||
	die "$BENCH is a libtool wrapper: configure with --disable-shared or run from an installed build"
echo
echo "== one PLAIN authentication: no plugin, PLAIN alone, PLAIN and sasl-oauth2 =="
mkdir -p "$WORK/none"
# The empty directory's run fails (no PLAIN): callgrind and time still
# measure it, and measure() only needs their figures.
read -r ir_none rss_none < <(measure "$WORK/none" || true)
[ -n "${ir_none:-}" ] || die "the run without plugins gave no figures"
read -r ir_plain rss_plain < <(measure "$WORK/plain") || die "the PLAIN-only run failed"
read -r ir_both rss_both < <(measure "$WORK/both") || die "the run with this plugin failed"
printf '%-30s %16s %14s\n' "plugin directory" instructions "max RSS (KB)"
printf '%-30s %16d %14d\n' "empty" "$ir_none" "$rss_none"
printf '%-30s %16d %14d\n' "PLAIN only" "$ir_plain" "$rss_plain"
printf '%-30s %16d %14d\n' "PLAIN + sasl-oauth2" "$ir_both" "$rss_both"
printf '%-30s %+16d %+14d\n' "added by loading PLAIN" $((ir_plain - ir_none)) \
	$((rss_plain - rss_none))
printf '%-30s %+16d %+14d\n' "added by loading sasl-oauth2" $((ir_both - ir_plain)) \
	$((rss_both - rss_plain))

# --- 4. what each loads and when ------------------------------------------------------
# trace NAME DIR MECH SECRET: one authentication by sasl_client_new/start
# chrooted after sasl_client_init, as Postfix's smtp; WORK/NAME.so gets
# the shared objects opened before the chroot, WORK/NAME.after every file
# opened after it. A failed authentication is fine for the empty directory.
trace() {
	local name=$1 dir=$2 mech=$3 secret=$4 rc=0
	SASL_AUTH_CHROOT="$WORK/jail" strace -f -qq -e trace=openat,chroot -o "$WORK/$name.strace" \
		"$SASL_AUTH" "$dir" "$mech" "$USER_NAME" "$secret" >"$WORK/$name.out" 2>&1 || rc=$?
	# The empty directory has no mechanism; PLAIN is done in one step,
	# which tests/tools/sasl_auth (made for the OAuth mechanisms, whose
	# first step never ends the exchange) reports as a failure.
	if [ "$rc" -ne 0 ] && [ "$name" != none ] &&
	   ! { [ "$mech" = PLAIN ] && grep -q 'first step returned SASL_OK' "$WORK/$name.out"; }; then
		die "sasl_auth $mech failed: $(head -n 3 "$WORK/$name.out")"
	fi
	# Plugins are named by the directory libsasl2 was given, the same in
	# every run: "PLUGIN_DIR/libplain.so".
	awk -v so="$WORK/$name.so" -v after="$WORK/$name.after" -v dir="$dir/" '
		/chroot\(/ { jailed = 1; next }
		/openat\(/ && !/ENOENT/ {
			match($0, /"[^"]*"/); f = substr($0, RSTART + 1, RLENGTH - 2)
			if (index(f, dir) == 1) f = "PLUGIN_DIR/" substr(f, length(dir) + 1)
			if (!jailed && f ~ /\.so(\.[0-9.]+)?$/) print f > so
			else if (jailed) print f > after
		}' "$WORK/$name.strace"
	touch "$WORK/$name.so" "$WORK/$name.after"
}
# brought BASE NAME: the shared objects NAME's run opened and BASE's did not.
brought() { grep -vxF -f "$WORK/$1.so" "$WORK/$2.so" || true; }

echo
echo "== what each plugin opens, before and after a chroot (as Postfix's smtp) =="
if [ "$(id -u)" -ne 0 ] || ! command -v strace >/dev/null; then
	echo "(needs root and strace: not measured)"
	so_plain="-" so_ours="-" after_plain="-" after_ours="-"
else
	trace none "$WORK/none" PLAIN secret
	trace plain "$WORK/plain" PLAIN secret
	trace both "$WORK/both" XOAUTH2 /token.json
	for who in "PLAIN:none:plain" "sasl-oauth2:plain:both"; do
		IFS=: read -r title base run <<<"$who"
		list=$(brought "$base" "$run")
		echo "$title, at sasl_client_init (before the chroot), $(grep -c . <<<"$list") shared objects:"
		sed 's/^/  /' <<<"$list"
		echo "$title, at authentication (after the chroot), $(grep -c . "$WORK/$run.after") files:"
		sed 's/^/  /' "$WORK/$run.after"
	done
	so_plain=$(brought none plain | grep -c .)
	so_ours=$(brought plain both | grep -c .)
	after_plain=$(grep -c . "$WORK/plain.after")
	after_ours=$(grep -c . "$WORK/both.after")
fi

# --- 5. side by side ----------------------------------------------------------------------
echo
echo "== loading each plugin costs a libsasl2 client =="
printf '%-44s %14s %14s\n' "" PLAIN sasl-oauth2
printf '%-44s %14d %14d\n' "file size (bytes)" "$(stat -L -c %s "$PLAIN_SO")" \
	"$(stat -L -c %s "$PLUGIN_SO")"
printf '%-44s %14d %14d\n' "instructions at load (callgrind)" $((ir_plain - ir_none)) \
	$((ir_both - ir_plain))
printf '%-44s %14d %14d\n' "max RSS added (KB)" $((rss_plain - rss_none)) $((rss_both - rss_plain))
printf '%-44s %14s %14s\n' "shared objects opened at sasl_client_init" "$so_plain" "$so_ours"
printf '%-44s %14s %14s\n' "files opened at authentication (chroot)" "$after_plain" "$after_ours"
