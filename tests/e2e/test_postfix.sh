#!/bin/bash
# End to end: Postfix's smtp client (a real libsasl2 consumer, with its own
# log callback) relays through the build tree's plugin.
#
#   smtpsend.js -> [client Postfix smtpd] -> qmgr -> smtp (SASL XOAUTH2 or
#   OAUTHBEARER via the plugin, secret = token file path)
#   -> [receiver Postfix smtpd, SASL via Dovecot's auth socket, which asks
#   introspect.js] -> virtual -> maildir
#
# The recipient selects the client's transport (see start_postfix_pair):
# bob@ XOAUTH2, carol@ OAUTHBEARER, dave@ XOAUTH2 with smtp chrooted.
#
# Good token: the message lands in the receiver's maildir, the receiver's
# smtpd logs the SASL method and user. Revoked token: the message stays
# deferred in the client's queue, the client logs "SASL authentication
# failed" and the plugin's one warning ("SASL authentication problem: ...
# rejected the token ... status ..."), and the receiver logs a failed (not
# aborted) exchange, i.e. the client answered the error challenge.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/postfix.sh"
. "$(dirname "$0")/../lib/clients.sh"

e2e_setup postfix postfix
received_over_tls() { maildir_find "$1" "$PF_RECV_VMAIL" | xargs -r grep -qE "\(using TLSv1"; }
start_introspect
start_dovecot

AUTH_USER=alice@example.com
GOOD=$(e2e_token good)
add_token "$GOOD" "$AUTH_USER"
# As sasl-oauth2(7) asks: the file 0600, owned by the user that
# authenticates, in a directory that user can write (for the lock file and
# the mark a rejection leaves).
TOKDIR="$E2E_TMP/postfix-tokens"
install -d -m 700 -o postfix "$TOKDIR"
TOKFILE="$TOKDIR/alice.json"
write_token_file "$TOKFILE" "$GOOD" "$AUTH_USER" 3600 postfix
check "token file is mode 0600, owned by postfix" \
	test "$(stat -c '%a %U' "$TOKFILE")" = "600 postfix"

# For the chrooted smtp transport: the token file is read at authentication
# time, inside the chroot (the client's queue directory), so the secret is
# the path as seen from inside. The plugin itself is loaded before chroot.
CHROOT_TOK=/etc/sasl-oauth2/token.json

start_postfix_pair "$AUTH_USER" "$TOKFILE" "$CHROOT_TOK"
note "client postfix smtpd :$PF_CLIENT_PORT -> receiver smtpd :$PF_RECV_PORT (dovecot auth), introspection :$INTROSPECT_PORT"
install -d -m 755 "$PF_CLIENT_DIR/queue/etc"
install -d -m 700 -o postfix "$PF_CLIENT_DIR/queue/etc/sasl-oauth2"
write_token_file "$PF_CLIENT_DIR/queue$CHROOT_TOK" "$GOOD" "$AUTH_USER" 3600 postfix

# send NAME RCPT: injects a message with a unique subject into the client
# instance; the subject is left in $E2E_TMP/subject-NAME.
send() {
	local subject="e2e-postfix $1 $$.$RANDOM"
	echo "$subject" >"$E2E_TMP/subject-$1"
	if "$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$AUTH_USER" "$2" "$subject" \
		>"$E2E_TMP/send-$1.out" 2>&1; then
		ok "$1: client postfix accepted the message for relaying"
	else
		not_ok "$1: client postfix accepted the message for relaying"
		show_log "$E2E_TMP/send-$1.out" "smtpsend"
	fi
}


# expect_delivered NAME RCPT MECH
expect_delivered() {
	local name=$1 rcpt=$2 mech=$3 subject sent_before before problems_before
	local sent_re="to=<$rcpt>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PF_RECV_PORT, .*status=sent"
	sent_before=$(log_count "$sent_re" "$PF_CLIENT_LOG")
	problems_before=$(log_count 'SASL authentication (problem|failed)' "$PF_CLIENT_LOG")
	before=$(introspect_count)
	send "$name" "$rcpt"
	subject=$(cat "$E2E_TMP/subject-$name")
	if wait_for 15 pf_delivered "$subject"; then
		ok "$name: the message reached the receiver's maildir"
	else
		not_ok "$name: the message reached the receiver's maildir"
		show_log "$PF_CLIENT_LOG" "client maillog" 15
		show_log "$PF_RECV_LOG" "receiver maillog" 15
	fi
	check "$name: client logged status=sent to <$rcpt> via the receiver" \
		log_more_than "$sent_before" "$sent_re" "$PF_CLIENT_LOG"
	check "$name: receiver's smtpd saw sasl_method=$mech, sasl_username=$AUTH_USER" \
		grep -q "sasl_method=$mech, sasl_username=$AUTH_USER" "$PF_RECV_LOG"
	check "$name: the endpoint introspected the token" test "$(introspect_count)" -gt "$before"
	# the receiver's Received: header records the TLS session (smtpd_tls_received_header)
	check "$name: the token went over TLS (smtp_sasl_tls_security_options = noanonymous)" \
		wait_for 10 received_over_tls "$subject"
	check "$name: the client logged no SASL problem" \
		test "$(log_count 'SASL authentication (problem|failed)' "$PF_CLIENT_LOG")" = "$problems_before"
}

# expect_deferred NAME RCPT MECH WANT_STATUS
expect_deferred() {
	local name=$1 rcpt=$2 mech=$3 want_status=$4 subject failed_before warn_before recv_before
	local deferred_re="to=<$rcpt>, .*status=deferred.*SASL authentication failed"
	failed_before=$(log_count "$deferred_re" "$PF_CLIENT_LOG")
	warn_before=$(log_count 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG")
	recv_before=$(log_count "SASL $mech authentication failed" "$PF_RECV_LOG")
	send "$name" "$rcpt"
	subject=$(cat "$E2E_TMP/subject-$name")
	if wait_for 15 log_more_than "$failed_before" "$deferred_re" "$PF_CLIENT_LOG"; then
		ok "$name: client deferred the message: SASL authentication failed"
	else
		not_ok "$name: client deferred the message: SASL authentication failed"
		show_log "$PF_CLIENT_LOG" "client maillog" 15
	fi
	local w
	w=$(grep 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG" | tail -n +$((warn_before + 1)))
	check "$name: the plugin logged exactly one warning for the attempt" \
		test "$(printf '%s' "$w" | grep -c .)" = 1
	[ "$(printf '%s' "$w" | grep -c .)" = 1 ] || echo "$w" | redact /dev/stdin | sed 's/^/#   /'
	check "$name: it is Postfix's 'warning: SASL authentication problem: ...' line" \
		grep -q 'warning: SASL authentication problem: .*rejected the token' <<<"$w"
	check "$name: the warning names $mech and the server's status ($want_status)" \
		grep -q "$mech.*status $want_status" <<<"$w"
	check "$name: the warning does not contain the token" \
		bash -c '! grep -qF -- "$1" <<<"$2"' _ "$GOOD" "$w"
	note "$name: $(redact <(echo "$w") | sed 's/.*warning: //')"
	check "$name: receiver's smtpd logged a failed $mech exchange" \
		log_more_than "$recv_before" "SASL $mech authentication failed" "$PF_RECV_LOG"
	check "$name: the exchange was not aborted, nor the connection dropped (the client answered the challenge)" \
		bash -c '! grep -qiE "aborted|lost connection after AUTH" "$1"' _ "$PF_RECV_LOG"
	check "$name: the message is in the client's deferred queue" \
		test -n "$(find "$PF_CLIENT_DIR/queue/deferred" -type f 2>/dev/null)"
	check "$name: the message did not reach the receiver" bash -c '! grep -rqsF -- "$1" "$2"' \
		_ "Subject: $subject" "$PF_RECV_VMAIL"
}

expect_delivered xoauth2-good bob@example.net XOAUTH2
expect_delivered oauthbearer-good carol@example.net OAUTHBEARER
if [ -e "$CHROOT_TOK" ]; then
	skip "xoauth2-chroot: $CHROOT_TOK exists on this host; the case would not prove the chroot is used"
else
	expect_delivered xoauth2-chroot dave@example.net XOAUTH2
	check "xoauth2-chroot: it went through the chrooted transport" \
		grep -q 'smtp-chroot/smtp\[[0-9]*\]: .*to=<dave@example.net>.*status=sent' "$PF_CLIENT_LOG"
fi

# Revoke the token at the endpoint: Dovecot now rejects it.
echo '{}' >"$TOKENS_FILE"
expect_deferred xoauth2-revoked bob@example.net XOAUTH2 401
expect_deferred oauthbearer-revoked carol@example.net OAUTHBEARER invalid_token

tests_exit
