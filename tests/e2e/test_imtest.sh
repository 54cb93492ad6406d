#!/bin/bash
# End to end: Cyrus imtest (a real libsasl2 client) authenticates to a
# private Dovecot IMAP server through the build tree's plugin, with XOAUTH2
# and OAUTHBEARER; Dovecot validates the token at introspect.js.
#
# Checks per case (see expect_auth_ok / expect_auth_rejected in tests/lib/clients.sh):
# what imtest printed (its protocol trace), the initial response decoded
# from the trace, the server's error challenge and the client's answer to
# it, the plugin's warning (captured from imtest's syslog), Dovecot's log
# and the introspection endpoint's request count; after a good login, an
# IMAP command must work.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/clients.sh"

e2e_setup imtest
[ -x "$IMTEST" ] || bail "setup: $IMTEST missing (cyrus-clients)"
start_introspect
start_dovecot
note "dovecot imap on 127.0.0.1:$DOVECOT_IMAP_PORT, introspection on :$INTROSPECT_PORT"

AUTH_USER=alice@example.com
CLIENT_PROG=$IMTEST CLIENT_NAME=imtest CLIENT_PORT=$DOVECOT_IMAP_PORT
LOGIN_SVC=imap-login AUTH_OK_RE='A01 OK .*Logged in' AUTH_NO_RE='A01 NO'

good_and_revoked_tokens "$AUTH_USER"
check "token file is mode 0600" test "$(stat -c %a "$TOKFILE")" = 600

INPUT="$E2E_TMP/imap-commands"
printf 'a01 SELECT INBOX\r\n' >"$INPUT"
P=$CLIENT_PORT

# ok_imap NAME MECH SECRET IR: a good login, then SELECT INBOX must work.
ok_imap() {
	expect_auth_ok "$1" "$2" "$3" "$4" "$INPUT"
	check "$1: SELECT INBOX works after login" grep -q '^a01 OK .*Select completed' "$E2E_TMP/$1.out"
}

ok_imap xoauth2-file XOAUTH2 "$TOKFILE" "user=$AUTH_USER^Aauth=Bearer $GOOD^A^A"
ok_imap oauthbearer-file OAUTHBEARER "$TOKFILE" \
	"n,a=$AUTH_USER,^Ahost=127.0.0.1^Aport=$P^Aauth=Bearer $GOOD^A^A"
ok_imap xoauth2-direct XOAUTH2 "$GOOD" "user=$AUTH_USER^Aauth=Bearer $GOOD^A^A"
ok_imap oauthbearer-direct OAUTHBEARER "$GOOD" \
	"n,a=$AUTH_USER,^Ahost=127.0.0.1^Aport=$P^Aauth=Bearer $GOOD^A^A"

expect_auth_rejected xoauth2-rejected XOAUTH2 "$BADFILE" 401 ""
expect_auth_rejected oauthbearer-rejected OAUTHBEARER "$BADFILE" invalid_token "AQ=="
expect_auth_rejected xoauth2-direct-rejected XOAUTH2 "$BAD" 401 ""

# The endpoint is asked on every login: revoke the good token and the same
# token file is refused from now on.
echo '{}' >"$TOKENS_FILE"
expect_auth_rejected xoauth2-revoked XOAUTH2 "$TOKFILE" 401 ""

check "introspection log shows only token prefixes" \
	bash -c '! grep -qF -- "$1" "$2" && ! grep -qF -- "$3" "$2"' _ "$GOOD" "$INTROSPECT_LOG" "$BAD"

tests_exit
