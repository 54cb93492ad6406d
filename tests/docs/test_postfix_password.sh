#!/bin/bash
# docs/postfix.md, "Password accounts next to OAuth ones", end to end: a Postfix relay that logs in with an ordinary PASSWORD, on a
# machine where the plugin sits in libsasl2's plugin directory (issue 9,
# section 3). The receiver offers PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER, as
# Gmail and Microsoft do:
#
#   smtpsend.js -> [client Postfix] -> smtp (libsasl2: PLAIN, LOGIN and the
#   build tree's plugin) -> STARTTLS -> [receiver Postfix smtpd, SASL via
#   Dovecot: PLAIN/LOGIN from a passwd-file, XOAUTH2/OAUTHBEARER through
#   introspect.js]
#
# 1. With the guide's filter for password accounts (snippet
#    postfix-password-filter) the relay authenticates with PLAIN.
# 2. Without any filter, libsasl2 may pick PLAIN or the plugin (the flags
#    tie: a bearer token is plaintext too); either way the password never
#    reaches the server inside an XOAUTH2/OAUTHBEARER response.
# 3. With a filter that lets only XOAUTH2 (or OAUTHBEARER) through, the
#    plugin refuses to send the password and logs one warning saying why
#    and how to restrict the mechanisms.
# What the server received is read from the introspection endpoint (every
# XOAUTH2/OAUTHBEARER login makes Dovecot post the bearer token there) and
# from the receiver's log.
set -u
. "$(dirname "$0")/../lib/postfix.sh"
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=postfix.md
e2e_setup docs-postfix-password postfix
ln -sf "$SYS_SASL_PLUGINDIR/liblogin.so" "$PLUGIN_DIR/liblogin.so"

AUTH_USER=alice@example.com
# Not shaped like a bearer token ('!'), no character Postfix's inline map
# would split on. Its first characters are what introspect.js would log.
PASSWORD='Pw!relay-Secret.42'
PW_HEAD=${PASSWORD:0:6}
PWFILE="$E2E_TMP/dovecot-passwd"
printf '%s:{PLAIN}%s\n' "$AUTH_USER" "$PASSWORD" >"$PWFILE"
chmod 644 "$PWFILE"
DOVECOT_AUTH_MECHS="plain login xoauth2 oauthbearer"
DOVECOT_PASSWD_FILE=$PWFILE
start_introspect
start_dovecot
start_postfix_pair "$AUTH_USER" "$PASSWORD"
CONF="$PF_CLIENT_DIR/etc"
note "client postfix smtpd :$PF_CLIENT_PORT -> receiver smtpd :$PF_RECV_PORT (dovecot auth), introspection :$INTROSPECT_PORT"


# filter LINE: sets the client's smtp_sasl_mechanism_filter from a main.cf
# line ("" removes it).
filter() {
	if [ -n "$1" ]; then
		postconf -c "$CONF" -e "$1"
	else
		postconf -c "$CONF" -X smtp_sasl_mechanism_filter
	fi || bail "setup: postconf failed"
	postfix -c "$CONF" reload >/dev/null 2>&1 || bail "setup: postfix reload failed"
	sleep 1 # let master restart its services with the new settings
}

# relay NAME RCPT: sends one message; waits until the client logged its
# delivery or deferral. Sets OUTCOME (sent/deferred/none) and the counts
# before the attempt.
relay() {
	local name=$1 rcpt=$2 subject="e2e-password $1 $$.$RANDOM" sent_before def_before
	local sent_re="to=<$rcpt>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PF_RECV_PORT, .*status=sent"
	local def_re="to=<$rcpt>, .*status=deferred"
	sent_before=$(log_count "$sent_re" "$PF_CLIENT_LOG")
	def_before=$(log_count "$def_re" "$PF_CLIENT_LOG")
	WARN_BEFORE=$(log_count 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG")
	INTRO_BEFORE=$(introspect_count)
	RECV_BEFORE=$(log_count 'SASL (XOAUTH2|OAUTHBEARER) authentication' "$PF_RECV_LOG")
	if ! "$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$AUTH_USER" "$rcpt" "$subject" \
		>"$E2E_TMP/send-$name.out" 2>&1; then
		not_ok "$name: client postfix accepted the message for relaying"
		show_log "$E2E_TMP/send-$name.out" smtpsend
	fi
	outcome() { log_more_than "$sent_before" "$sent_re" "$PF_CLIENT_LOG" ||
		    log_more_than "$def_before" "$def_re" "$PF_CLIENT_LOG"; }
	wait_for 20 outcome
	if log_more_than "$sent_before" "$sent_re" "$PF_CLIENT_LOG"; then
		OUTCOME=sent
	elif log_more_than "$def_before" "$def_re" "$PF_CLIENT_LOG"; then
		OUTCOME=deferred
	else
		OUTCOME=none
		show_log "$PF_CLIENT_LOG" "client maillog" 15
	fi
	NEW_WARN=$(grep 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG" | tail -n +$((WARN_BEFORE + 1)))
}

# no_password_sent NAME: the server never got the password as a bearer token.
no_password_sent() {
	check "$1: no XOAUTH2/OAUTHBEARER login reached the introspection endpoint" \
		test "$(introspect_count)" = "$INTRO_BEFORE"
	check "$1: the introspection log never saw the password" \
		bash -c '! grep -qF -- "$1" "$2"' _ "token=$PW_HEAD" "$INTROSPECT_LOG"
	check "$1: the receiver logged no XOAUTH2/OAUTHBEARER login" \
		test "$(log_count 'SASL (XOAUTH2|OAUTHBEARER) authentication' "$PF_RECV_LOG")" = "$RECV_BEFORE"
	check "$1: the client's log does not contain the password" \
		bash -c '! grep -qF -- "$1" "$2"' _ "$PASSWORD" "$PF_CLIENT_LOG"
}

# 1. the guide's filter for password accounts
guide_config "$E2E_TMP/password-filter" "$GUIDE" postfix-password-filter
filter "$(cat "$E2E_TMP/password-filter")"
check "guide-filter: the guide's line is in effect" \
	test "$(postconf -c "$CONF" -h smtp_sasl_mechanism_filter)" = "plain, login"
relay guide-filter bob@example.net
check "guide-filter: the message was relayed (status=sent)" test "$OUTCOME" = sent
check "guide-filter: the receiver saw sasl_method=PLAIN for $AUTH_USER" \
	grep -q "sasl_method=PLAIN, sasl_username=$AUTH_USER" "$PF_RECV_LOG"
check "guide-filter: the plugin logged nothing" test -z "$NEW_WARN"
no_password_sent guide-filter

# 2. no filter at all
filter ""
relay no-filter bob@example.net
case $OUTCOME in
sent)
	note "no-filter: libsasl2 picked PLAIN"
	check "no-filter: relayed with PLAIN" \
		test "$(log_count "sasl_method=PLAIN, sasl_username=$AUTH_USER" "$PF_RECV_LOG")" -ge 2 ;;
*)
	note "no-filter: libsasl2 picked the plugin: $(echo "$NEW_WARN" | sed 's/.*warning: //')"
	check "no-filter: the message was deferred" test "$OUTCOME" = deferred
	check "no-filter: the plugin's one warning says why and how to restrict the mechanisms" \
		bash -c 'test "$(printf "%s\n" "$1" | grep -c "does not look like an access token.*smtp_sasl_mechanism_filter")" = 1' _ "$NEW_WARN" ;;
esac
no_password_sent no-filter

# 3. a filter that lets only the OAuth mechanisms through (bob@: XOAUTH2;
#    carol@: the smtp-oauthbearer transport's own OAUTHBEARER filter)
filter "smtp_sasl_mechanism_filter = xoauth2"
for c in "xoauth2-only bob@example.net XOAUTH2" "oauthbearer-only carol@example.net OAUTHBEARER"; do
	set -- $c
	relay "$1" "$2"
	check "$1: the message was deferred, not relayed" test "$OUTCOME" = deferred
	check "$1: exactly one plugin warning for the attempt" \
		test "$(printf '%s' "$NEW_WARN" | grep -c .)" = 1
	check "$1: it is Postfix's 'SASL authentication problem' line naming $3" \
		grep -q "warning: SASL authentication problem: sasl-oauth2 $3: " <<<"$NEW_WARN"
	check "$1: it says the password does not look like a token and names smtp_sasl_mechanism_filter" \
		grep -q "does not look like an access token or a token file.*smtp_sasl_mechanism_filter" <<<"$NEW_WARN"
	note "$1: $(echo "$NEW_WARN" | sed 's/.*warning: //')"
	no_password_sent "$1"
done

tests_exit
