#!/bin/bash
# docs/clients.md, cyradm: the guide's command (cyradm, the shell of Perl's
# Cyrus::IMAP::Admin, a libsasl2 client through Cyrus imclient) logs in to
# Dovecot over STARTTLS through the build tree's plugin and runs `lm`, with
# XOAUTH2 and OAUTHBEARER, the account's token file and a 1,100-character
# token; a revoked token fails at once.
#
# imclient never steps the SASL exchange again after the server's OK and
# reads SASL_MAXOUTBUF then: with the plugin of 6b92785 (0 until the
# exchange ended) cyradm logged in and then spun at 100% CPU writing zero
# bytes; the good cases here hit the timeout there.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   outlook.office365.com                     --port DOVECOT_IMAP_PORT --cafile (test CA) 127.0.0.1
#   /home/alice/.local/state/sasl-oauth2/work.json   the case's token file
#   --auth XOAUTH2                            --auth MECH
# Not in the guide, test only: HOME is a fresh directory; SASL_PATH points
# at the build tree's plugin.
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
docs_client_setup docs-cyradm cyradm

long_token_file "$AUTH_USER"
revoked_token_file "$AUTH_USER"
WORK="$SASL_OAUTH2_STATE_DIR/work.json"
mkdir -p "$E2E_TMP/home"

# cyradm_case NAME MECH TOKENFILE [CAFILE]: runs the guide's command for
# MECH with TOKENFILE as the password and the test CA (or CAFILE) as
# --cafile, 20 s at most: a hang is a failure. Sets STATUS (exit status,
# 124 for the timeout) and OUT (its output).
cyradm_case() {
	local name=$1 mech=$2 file=$3 ca=${4:-$CA_DIR/ca.pem}
	guide_config "$E2E_TMP/cyradm-$name.sh" "$GUIDE" cyradm \
		"outlook.office365.com" "--port $DOVECOT_IMAP_PORT --cafile $ca 127.0.0.1" \
		"/home/alice/.local/state/sasl-oauth2/work.json" "$file" \
		"--auth XOAUTH2" "--auth $mech"
	OUT="$E2E_TMP/cyradm-$name.out"
	HOME="$E2E_TMP/home" SASL_PATH=$PLUGIN_DIR timeout 20 bash -e "$E2E_TMP/cyradm-$name.sh" \
		>"$OUT" 2>&1 </dev/null
	STATUS=$?
}

# ok_case NAME MECH TOKENFILE [CAFILE]: cyradm logs in over TLS and lists the INBOX.
ok_case() {
	local name=$1 mech=$2 logins start=$SECONDS
	logins=$(dovecot_tls_logins imap-login "$AUTH_USER" "$mech")
	cyradm_case "$@"
	check "$name: cyradm exits 0 after 'lm' (status $STATUS, 124: hung)" test "$STATUS" = 0
	check "$name: 'lm' listed the INBOX" grep -q 'INBOX' "$OUT"
	[ $# -gt 3 ] || check "$name: cyradm verified the server's certificate" \
		bash -c '! grep -q "verify error" "$1"' _ "$OUT"
	check "$name: Dovecot logged a $mech login over TLS" \
		test "$(dovecot_tls_logins imap-login "$AUTH_USER" "$mech")" -gt "$logins"
	check "$name: done in under 10 s ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
	[ "$STATUS" = 0 ] || show_log "$OUT" "cyradm output"
}

# rejected_case NAME MECH TOKENFILE: the login fails at once, cyradm says so.
rejected_case() {
	local name=$1 mech=$2 fails start=$SECONDS pat
	pat=$(dovecot_fail_re "$AUTH_USER" "$mech")
	fails=$(dovecot_count "$pat")
	cyradm_case "$@"
	check "$name: cyradm fails (status $STATUS, 124: hung)" \
		bash -c '[ "$1" != 0 ] && [ "$1" != 124 ]' _ "$STATUS"
	check "$name: cyradm says it cannot authenticate with $mech" \
		grep -q "cannot authenticate to server with $mech" "$OUT"
	check "$name: Dovecot logged one failed $mech login" \
		test "$(dovecot_count "$pat")" = $((fails + 1))
	check "$name: done in under 10 s ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
}

ok_case xoauth2 XOAUTH2 "$WORK"
ok_case oauthbearer OAUTHBEARER "$WORK"
ok_case xoauth2-1100 XOAUTH2 "$LONGFILE"
ok_case oauthbearer-1100 OAUTHBEARER "$LONGFILE"
rejected_case xoauth2-revoked XOAUTH2 "$BADFILE"
rejected_case oauthbearer-revoked OAUTHBEARER "$BADFILE"

# The guide warns that cyradm logs in after a certificate it cannot verify:
# with a CA file that does not know the server's, it still does.
mkdir -p "$E2E_TMP/other-ca"
bash "$E2E_DIR/make-ca.sh" "$E2E_TMP/other-ca" >/dev/null || bail "setup: make-ca.sh failed"
ok_case xoauth2-unverified XOAUTH2 "$WORK" "$E2E_TMP/other-ca/ca.pem"
check "xoauth2-unverified: cyradm printed 'verify error', as the guide says" grep -q 'verify error' "$OUT"

check "no output shows a token" \
	bash -c '! grep -rqF -e "$1" -e "$2" -e "$3" "$4"/cyradm-*.out' _ "$GOOD" "$LONG" "$BAD" "$E2E_TMP"

tests_exit
