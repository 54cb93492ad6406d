#!/bin/bash
# End to end: Cyrus pop3test (a real libsasl2 client, the suite's POP3 one)
# authenticates to a private Dovecot POP3 server through the build tree's
# plugin, with XOAUTH2 and OAUTHBEARER, good and revoked tokens, and a
# 1,100-character token (withheld from the AUTH line: RFC 5034 allows 255
# octets, and the plugin sends it after the server's empty challenge).
#
# pop3test exits 0 even when the login is refused, so every case is judged
# by what it printed (its protocol trace) and by Dovecot's log, through
# expect_auth_ok / expect_auth_rejected in tests/lib/clients.sh.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/clients.sh"

e2e_setup pop3test
[ -x "$POP3TEST" ] || bail "setup: $POP3TEST missing (cyrus-clients)"
[ -e /usr/lib/dovecot/pop3 ] ||
	bail "setup: Dovecot's POP3 server is missing (dovecot-pop3d)"
start_introspect
DOVECOT_POP3=yes start_dovecot
note "dovecot pop3 on 127.0.0.1:$DOVECOT_POP3_PORT, introspection on :$INTROSPECT_PORT"

AUTH_USER=alice@example.com
CLIENT_PROG=$POP3TEST CLIENT_NAME=pop3test CLIENT_PORT=$DOVECOT_POP3_PORT
LOGIN_SVC=pop3-login AUTH_OK_RE='\+OK Logged in' AUTH_NO_RE='-ERR \[AUTH\]'
P=$CLIENT_PORT

good_and_revoked_tokens "$AUTH_USER"
long_token_file "$AUTH_USER"
check "the long token is 1,100 characters" test "${#LONG}" = 1100

INPUT="$E2E_TMP/pop3-commands"
printf 'STAT\r\nQUIT\r\n' >"$INPUT"

# ok_pop NAME MECH SECRET IR: a good login, then STAT must work.
ok_pop() {
	expect_auth_ok "$1" "$2" "$3" "$4" "$INPUT"
	check "$1: STAT works after login" grep -q '^+OK 0 0' "$E2E_TMP/$1.out"
}

ok_pop xoauth2-file XOAUTH2 "$TOKFILE" "user=$AUTH_USER^Aauth=Bearer $GOOD^A^A"
ok_pop oauthbearer-file OAUTHBEARER "$TOKFILE" \
	"n,a=$AUTH_USER,^Ahost=127.0.0.1^Aport=$P^Aauth=Bearer $GOOD^A^A"
ok_pop xoauth2-direct XOAUTH2 "$GOOD" "user=$AUTH_USER^Aauth=Bearer $GOOD^A^A"
for mech in XOAUTH2 OAUTHBEARER; do
	name=$(tr 'A-Z' 'a-z' <<<"$mech")-1100
	if [ "$mech" = XOAUTH2 ]; then
		ir="user=$AUTH_USER^Aauth=Bearer $LONG^A^A"
	else
		ir="n,a=$AUTH_USER,^Ahost=127.0.0.1^Aport=$P^Aauth=Bearer $LONG^A^A"
	fi
	ok_pop "$name" "$mech" "$LONGFILE" "$ir"
	check "$name: the response was withheld from the AUTH line (RFC 5034: 255 octets)" \
		ir_withheld "$E2E_TMP/$name.out"
done
ir_on_line() { ! ir_withheld "$1"; }
check "the short token's response was on the AUTH line" ir_on_line "$E2E_TMP/xoauth2-file.out"

expect_auth_rejected xoauth2-rejected XOAUTH2 "$BADFILE" 401 ""
expect_auth_rejected oauthbearer-rejected OAUTHBEARER "$BADFILE" invalid_token "AQ=="
expect_auth_rejected xoauth2-direct-rejected XOAUTH2 "$BAD" 401 ""

# pop3test's exit status says nothing: it is 0 after a refused login too
# (the checks above read its output instead). Pinned so that docs/clients.md
# is corrected when that changes.
run_cyrus_client "$E2E_TMP/status.out" "$E2E_TMP/status.syslog" "$POP3TEST" "$P" XOAUTH2 \
	"$AUTH_USER" "$BADFILE" "$INPUT"
rc=$?
check "pop3test exits 0 after a refused login, as docs/clients.md says (got $rc)" \
	bash -c '[ "$1" = 0 ] && grep -q "^Authentication failed" "$2"' _ "$rc" "$E2E_TMP/status.out"

# Revoked at the endpoint: the same token file, long or short, is refused now.
echo '{}' >"$TOKENS_FILE"
expect_auth_rejected xoauth2-revoked XOAUTH2 "$TOKFILE" 401 ""
expect_auth_rejected oauthbearer-1100-revoked OAUTHBEARER "$LONGFILE" invalid_token "AQ=="

check "introspection log shows only token prefixes" \
	bash -c '! grep -qF -- "$1" "$2" && ! grep -qF -- "$3" "$2"' _ "$GOOD" "$INTROSPECT_LOG" "$LONG"

tests_exit
