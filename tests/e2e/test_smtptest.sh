#!/bin/bash
# End to end: Cyrus smtptest (a real libsasl2 client) authenticates to a
# private Dovecot submission server through the build tree's plugin, with
# XOAUTH2 and OAUTHBEARER (Dovecot's submission offers both), then submits
# a message, which Dovecot relays to smtpsink.js. Dovecot validates the
# token at introspect.js.
#
# Checks per case (see expect_auth_ok / expect_auth_rejected in tests/lib/clients.sh):
# smtptest's protocol trace, the initial response decoded from it, the
# server's error challenge and the client's answer, the plugin's warning
# (captured from smtptest's syslog), Dovecot's log, the introspection
# count; after a good login the message must reach the sink.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/clients.sh"

e2e_setup smtptest
[ -x "$SMTPTEST" ] || bail "setup: $SMTPTEST missing (cyrus-clients)"
start_introspect
start_dovecot
note "dovecot submission on 127.0.0.1:$DOVECOT_SUBMISSION_PORT, relay sink on :$SINK_PORT"

AUTH_USER=alice@example.com
CLIENT_PROG=$SMTPTEST CLIENT_NAME=smtptest CLIENT_PORT=$DOVECOT_SUBMISSION_PORT
LOGIN_SVC=submission-login AUTH_OK_RE='235 ' AUTH_NO_RE='535 '

good_and_revoked_tokens "$AUTH_USER"

check "dovecot submission offers XOAUTH2 and OAUTHBEARER" \
	bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; read -r _ <&3; printf "EHLO t\r\nQUIT\r\n" >&3;
	         grep -q "^250-AUTH .*XOAUTH2.*OAUTHBEARER\|^250-AUTH .*OAUTHBEARER.*XOAUTH2" <(timeout 5 cat <&3)' \
	_ "$DOVECOT_SUBMISSION_PORT"
P=$CLIENT_PORT

# ok_submit NAME MECH SECRET IR: a good login, then a message submitted
# through smtptest must be relayed to the sink.
ok_submit() {
	local name=$1 subject="e2e $1 $RANDOM"
	local input="$E2E_TMP/$name.smtp"
	printf 'MAIL FROM:<%s>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\nSubject: %s\r\n\r\nhello\r\n.\r\n' \
		"$AUTH_USER" "$subject" >"$input"
	expect_auth_ok "$name" "$2" "$3" "$4" "$input"
	check "$name: the message was accepted after login" grep -q '^250 2.0.0' "$E2E_TMP/$name.out"
	check "$name: dovecot relayed the message to the sink" \
		wait_for 5 grep -qs "^Subject: $subject" "$SINK_DIR"/*
}

ok_submit xoauth2-file XOAUTH2 "$TOKFILE" "user=$AUTH_USER^Aauth=Bearer $GOOD^A^A"
ok_submit oauthbearer-file OAUTHBEARER "$TOKFILE" \
	"n,a=$AUTH_USER,^Ahost=127.0.0.1^Aport=$P^Aauth=Bearer $GOOD^A^A"
ok_submit xoauth2-direct XOAUTH2 "$GOOD" "user=$AUTH_USER^Aauth=Bearer $GOOD^A^A"

expect_auth_rejected xoauth2-rejected XOAUTH2 "$BADFILE" 401 ""
expect_auth_rejected oauthbearer-rejected OAUTHBEARER "$BADFILE" invalid_token "AQ=="

tests_exit
