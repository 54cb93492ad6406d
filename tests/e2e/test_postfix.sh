#!/bin/bash
# End to end: Postfix's smtp client (a real libsasl2 consumer, with its own
# log callback) relays through the build tree's plugin.
#
#   smtpsend.js -> [client Postfix smtpd] -> qmgr -> smtp (SASL XOAUTH2 or
#   OAUTHBEARER via the plugin, secret = token file path)
#   -> [receiver Postfix smtpd, SASL via Dovecot's auth socket, which asks
#   introspect.js] -> virtual -> maildir
#
# Good token: the message lands in the receiver's maildir, the receiver's
# smtpd logs the SASL method and user. Revoked token: the message stays
# deferred in the client's queue, the client logs "SASL authentication
# failed" and the plugin's one warning ("SASL authentication problem: ...
# rejected the token ... status ..."), and the receiver logs a failed (not
# aborted) exchange, i.e. the client answered the error challenge.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/env.sh"

e2e_setup postfix
command -v postfix >/dev/null 2>&1 || e2e_die "setup: postfix is not installed"
start_introspect
start_dovecot

AUTH_USER=alice@example.com
RCPT=bob@example.net
GOOD=$(e2e_token good)
add_token "$GOOD" "$AUTH_USER"
TOKFILE="$E2E_TMP/postfix-token.json"
write_token_file "$TOKFILE" "$GOOD" "$AUTH_USER" 3600 postfix
check "token file is mode 0600, owned by postfix" \
	test "$(stat -c '%a %U' "$TOKFILE")" = "600 postfix"

start_postfix_pair "$AUTH_USER" "$TOKFILE"
e2e_note "client postfix smtpd :$PF_CLIENT_PORT -> receiver smtpd :$PF_RECV_PORT (dovecot auth), introspection :$INTROSPECT_PORT"

# send NAME: injects a message with a unique subject into the client
# instance; prints the subject.
send() {
	local subject="e2e-postfix $1 $$.$RANDOM"
	if "$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$AUTH_USER" "$RCPT" "$subject" \
		>"$E2E_TMP/send-$1.out" 2>&1; then
		ok "$1: client postfix accepted the message for relaying"
	else
		not_ok "$1: client postfix accepted the message for relaying"
		show_log "$E2E_TMP/send-$1.out" "smtpsend"
	fi
	echo "$subject" >"$E2E_TMP/subject-$1"
}

delivered() { grep -qsF "Subject: $1" "$PF_RECV_MAILDIR"/new/* "$PF_RECV_MAILDIR"/cur/*; }
count() { grep -cE -- "$1" "$2" 2>/dev/null || true; }
more_than() { [ "$(count "$2" "$3")" -gt "$1" ]; } # N PATTERN FILE
set_mech() {
	postconf -c "$PF_CLIENT_DIR/etc" -e "smtp_sasl_mechanism_filter = $1" &&
		postfix -c "$PF_CLIENT_DIR/etc" reload >/dev/null 2>&1
}

# expect_delivered NAME MECH
expect_delivered() {
	local name=$1 mech=$2 subject sent_before before
	sent_before=$(count 'status=sent' "$PF_CLIENT_LOG")
	before=$(introspect_count)
	send "$name"
	subject=$(cat "$E2E_TMP/subject-$name")
	if wait_for 15 delivered "$subject"; then
		ok "$name: the message reached the receiver's maildir"
	else
		not_ok "$name: the message reached the receiver's maildir"
		show_log "$PF_CLIENT_LOG" "client maillog" 15
		show_log "$PF_RECV_LOG" "receiver maillog" 15
	fi
	check "$name: client logged status=sent via the receiver" \
		test "$(count "relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PF_RECV_PORT, .*status=sent" "$PF_CLIENT_LOG")" -gt "$sent_before"
	check "$name: receiver's smtpd saw sasl_method=$mech, sasl_username=$AUTH_USER" \
		grep -q "sasl_method=$mech, sasl_username=$AUTH_USER" "$PF_RECV_LOG"
	check "$name: the endpoint introspected the token" test "$(introspect_count)" -gt "$before"
	check "$name: the client logged no SASL problem" \
		test "$(count 'SASL authentication (problem|failed)' "$PF_CLIENT_LOG")" = 0
}

# expect_deferred NAME MECH WANT_STATUS
expect_deferred() {
	local name=$1 mech=$2 want_status=$3 subject failed_before warn_before recv_before
	failed_before=$(count 'SASL authentication failed' "$PF_CLIENT_LOG")
	warn_before=$(count 'rejected the token' "$PF_CLIENT_LOG")
	recv_before=$(count "SASL $mech authentication failed" "$PF_RECV_LOG")
	send "$name"
	subject=$(cat "$E2E_TMP/subject-$name")
	if wait_for 15 more_than "$failed_before" 'status=deferred.*SASL authentication failed' "$PF_CLIENT_LOG"; then
		ok "$name: client deferred the message"
	else
		not_ok "$name: client deferred the message"
		show_log "$PF_CLIENT_LOG" "client maillog" 15
	fi
	sleep 0.3 # the warning and the deferral come from one smtp process
	check "$name: client logged 'SASL authentication failed'" \
		test "$(count 'SASL authentication failed' "$PF_CLIENT_LOG")" -gt "$failed_before"
	local w
	w=$(grep 'rejected the token' "$PF_CLIENT_LOG" | tail -n +$((warn_before + 1)))
	check "$name: the plugin logged exactly one warning for the attempt" \
		test "$(printf '%s' "$w" | grep -c .)" = 1
	check "$name: it is Postfix's 'warning: SASL authentication problem: ...' line" \
		grep -q 'warning: SASL authentication problem: .*rejected the token' <<<"$w"
	check "$name: the warning names $mech and the server's status ($want_status)" \
		grep -q "$mech.*status $want_status" <<<"$w"
	check "$name: the warning does not contain the token" \
		bash -c '! grep -qF -- "$1" <<<"$2"' _ "$GOOD" "$w"
	e2e_note "$name: $(redact <(echo "$w") | sed 's/.*warning: //')"
	check "$name: receiver's smtpd logged a failed $mech exchange" \
		test "$(count "SASL $mech authentication failed" "$PF_RECV_LOG")" -gt "$recv_before"
	check "$name: the exchange was not aborted, nor the connection dropped (the client answered the challenge)" \
		bash -c '! grep -qiE "aborted|lost connection after AUTH" "$1"' _ "$PF_RECV_LOG"
	check "$name: the message is in the client's deferred queue" \
		test -n "$(find "$PF_CLIENT_DIR/queue/deferred" -type f 2>/dev/null)"
	check "$name: the message did not reach the receiver" bash -c '! grep -rqsF -- "$1" "$2"' \
		_ "Subject: $subject" "$PF_RECV_DIR/vmail"
}

expect_delivered xoauth2-good XOAUTH2
set_mech oauthbearer || not_ok "switch the client to OAUTHBEARER"
expect_delivered oauthbearer-good OAUTHBEARER

# Revoke the token at the endpoint: Dovecot now rejects it.
echo '{}' >"$TOKENS_FILE"
expect_deferred oauthbearer-revoked OAUTHBEARER invalid_token
set_mech xoauth2 || not_ok "switch the client back to XOAUTH2"
expect_deferred xoauth2-revoked XOAUTH2 401

e2e_finish
