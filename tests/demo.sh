#!/bin/bash
# A guided demo of sasl-oauth2 on loopback:
#   1. builds the plugin if needed (installing the Debian packages first),
#   2. starts a token introspection endpoint and a private Dovecot,
#   3. writes a token file,
#   4. logs in with Cyrus imtest through the plugin, XOAUTH2 then OAUTHBEARER,
#   5. shows a revoked token being rejected and handled,
#   6. stops everything it started.
# Run as root from anywhere: tests/demo.sh   (E2E_KEEP=1 keeps the temp dir)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")

bold() { if [ -t 1 ]; then printf '\033[1m%s\033[0m\n' "$*"; else printf '%s\n' "$*"; fi; }
step_no=0
step() { step_no=$((step_no + 1)); echo; bold "==> Step $step_no: $*"; }
say() { echo "    $*"; }
indent() { sed 's/^/      | /'; }
fail() { echo; bold "DEMO FAILED: $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh runs private Dovecot instances and needs root" >&2
	exit 1
fi

. "$HERE/lib.sh"

step "build the plugin"
if [ -f "$PLUGIN_SO" ]; then
	say "already built: $PLUGIN_SO"
else
	say "installing build and test packages (tests/install-deps.sh)"
	sh "$HERE/install-deps.sh" 2>&1 | indent || fail "install-deps.sh failed"
	say "building: ./autogen.sh && ./configure && make"
	( cd "$TOP" && ./autogen.sh && ./configure -q && make -s ) >"${TMPDIR:-/tmp}/sasl-oauth2-demo-build.log" 2>&1 ||
		{ tail -n 30 "${TMPDIR:-/tmp}/sasl-oauth2-demo-build.log" | indent; fail "build failed"; }
	[ -f "$PLUGIN_SO" ] || fail "the build did not produce $PLUGIN_SO"
	say "built $PLUGIN_SO"
fi

. "$HERE/e2e/env.sh"
e2e_setup demo >/dev/null
say "libsasl2 will load plugins only from $PLUGIN_DIR (SASL_PATH):"
ls "$PLUGIN_DIR" | indent

step "start a token introspection endpoint and Dovecot on 127.0.0.1"
start_introspect
say "introspection endpoint (tests/e2e/introspect.js): http://127.0.0.1:$INTROSPECT_PORT/introspect"
start_dovecot
say "Dovecot IMAP on 127.0.0.1:$DOVECOT_IMAP_PORT; it validates tokens by POSTing them to the endpoint:"
indent <"$E2E_TMP/dovecot/oauth2.conf"
say "(config: $DOVECOT_CONF, log: $DOVECOT_LOG)"

step "issue a token and write it to a token file"
USER_A=alice@example.com
TOKEN=$(e2e_token demo)
add_token "$TOKEN" "$USER_A"
TOKFILE="$E2E_TMP/alice-token.json"
write_token_file "$TOKFILE" "$TOKEN" "$USER_A" 3600
say "the endpoint now calls ${TOKEN:0:8}... active for $USER_A"
say "token file $TOKFILE ($(stat -c '%A %U' "$TOKFILE")):"
sed -E 's/("access_token": ")([^"]{8})[^"]*/\1\2.../' "$TOKFILE" | indent
say "the SASL password given to the client is the file's path: a secret starting"
say "with '/' is a token file, anything else is the token itself"

# show_trace FILE: imtest's protocol trace with base64 blobs decoded and the
# token shortened.
show_trace() {
	local line b64 dec
	grep -E '^(S: |C: |Authenticated|Authentication failed)' "$1" | grep -v '^S: \* OK \[CAPABILITY' |
	while IFS= read -r line; do
		line=${line%$'\r'}
		b64=$(sed -n -E 's/^(C: A01 AUTHENTICATE [A-Z0-9]+ |S: \+ |C: )([A-Za-z0-9+\/=]{4,})$/\2/p' <<<"$line")
		if [ -n "$b64" ]; then
			dec=$(base64 -d <<<"$b64" 2>/dev/null | sed 's/\x01/^A/g' |
				sed -E 's/(Bearer [A-Za-z0-9_-]{8})[^^]*/\1.../')
			echo "${line%%"$b64"}<base64 of: $dec>"
		elif [[ $line == "C: " ]]; then
			echo "C:   <empty response>"
		else
			echo "$line" | cut -c1-110
		fi
	done | indent
}

run_imtest() { # NAME MECH SECRET
	run_cyrus_client "$E2E_TMP/$1.out" "$E2E_TMP/$1.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" \
		"$2" "$USER_A" "$3" "$E2E_TMP/imap-input"
}
printf 'a01 SELECT INBOX\r\n' >"$E2E_TMP/imap-input"

for mech in XOAUTH2 OAUTHBEARER; do
	step "log in with imtest, mechanism $mech, password = the token file path"
	say "SASL_PATH=$PLUGIN_DIR imtest -p $DOVECOT_IMAP_PORT -m $mech -a $USER_A -w $TOKFILE 127.0.0.1"
	run_imtest "login-$mech" "$mech" "$TOKFILE"
	show_trace "$E2E_TMP/login-$mech.out"
	grep -q '^Authenticated\.' "$E2E_TMP/login-$mech.out" || fail "$mech login did not succeed"
	if grep -q '^a01 OK' "$E2E_TMP/login-$mech.out"; then
		say "then 'a01 SELECT INBOX' -> $(grep '^a01 OK' "$E2E_TMP/login-$mech.out" | cut -c1-60)"
	fi
	say "Dovecot: $(grep "Login: user=<$USER_A>, method=$mech" "$DOVECOT_LOG" | tail -1 | sed 's/, rip=.*//')"
done

step "revoke the token at the endpoint and try again (XOAUTH2, then OAUTHBEARER)"
echo '{}' >"$TOKENS_FILE"
say "the endpoint now answers {\"active\":false} for ${TOKEN:0:8}..."
for mech in XOAUTH2 OAUTHBEARER; do
	say ""
	say "imtest -m $mech (same token file):"
	run_imtest "revoked-$mech" "$mech" "$TOKFILE"
	show_trace "$E2E_TMP/revoked-$mech.out"
	if grep -q '^Authenticated\.' "$E2E_TMP/revoked-$mech.out"; then
		fail "the revoked token was accepted"
	fi
	say "the server sent a JSON error challenge; the plugin answered it as the"
	say "mechanism requires ($( [ "$mech" = XOAUTH2 ] && echo 'an empty response' || echo 'a single 0x01' )), and the server then failed the login."
	if [ "$SYSLOG_CAPTURE" = yes ] && grep -q 'rejected the token' "$E2E_TMP/revoked-$mech.syslog"; then
		say "the plugin's warning (libsasl2 sends it to imtest's syslog):"
		grep 'rejected the token' "$E2E_TMP/revoked-$mech.syslog" | fold -s -w 96 | indent
	else
		say "(the plugin's warning could not be captured here)"
	fi
done

step "stop everything"
stop_all
say "introspection endpoint and Dovecot stopped; temp files removed"
echo
bold "Demo finished."
