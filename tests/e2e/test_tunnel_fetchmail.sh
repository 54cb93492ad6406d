#!/bin/bash
# Debian's fetchmail through `sasl-oauth2 tunnel` (its plugin option)
# against a Dovecot that takes only XOAUTH2/OAUTHBEARER and only over TLS,
# validating 2,000-character tokens at the test OAuth2 server: IMAP and
# POP3, implicit TLS and STARTTLS, mail delivered through an mda; an
# expired token refreshed by the tunnel; a revoked token is fetchmail's
# authentication failure (exit 3) within seconds, with one line naming the
# account, the server's answer and the re-authorize command; daemon mode
# across a token expiry; two accounts in one rc file. No token in any log,
# in the tunnel's argv or in the mda's environment.
set -u
. "$(dirname "$0")/../lib/tunnel.sh"

tunnel_setup tunnel-fetchmail fetchmail
tunnel_account alice alice@example.com
tunnel_account bob bob@example.com
FM="$T/fm"
mkdir -p "$FM" "$T/mail"
cat >"$T/deliver.sh" <<DELIVER
#!/bin/sh
# the mda: one file per message, and the environment it was given
env >"$T/mda-env.\$\$"
cat >"$T/mail/\$(date +%s%N).\$\$"
DELIVER
chmod 755 "$T/deliver.sh"

# rc NAME PROTO PORT ACCOUNT USER [TUNNEL-OPTIONS]: an rc file (one poll).
rc() {
	cat >"$FM/$1.rc" <<RC
set no syslog
poll localhost protocol $2 port $3 auth password timeout 20
    plugin "sasl-oauth2 tunnel ${6:-}${6:+ }$4 %h %p"
    user "$5" password "anything" sslproto '' mda "$T/deliver.sh"
RC
	chmod 600 "$FM/$1.rc"
}

# fetch NAME: one fetchmail run; output in $T/NAME.log, status in $RC,
# seconds in $SECS.
fetch() {
	local start=$SECONDS
	RC=0
	HOME=$FM timeout 60 fetchmail -f "$FM/$1.rc" -v --nosyslog >"$T/$1.log" 2>&1 || RC=$?
	SECS=$((SECONDS - start))
}
delivered() { find "$T/mail" -type f | wc -l; }
# got SUBJECT: a delivered message has it
got() { grep -rqF "Subject: $1" "$T/mail"; }

# expect_fetch NAME PROTO PORT OPTIONS: a message put in alice's INBOX
# arrives through the mda.
expect_fetch() {
	local subj="tunnel $1 $RANDOM"
	put_imap_message alice@example.com "$subj"
	rc "$1" "$2" "$3" alice alice@example.com "$4"
	fetch "$1"
	if [ "$RC" = 0 ] && got "$subj"; then
		ok "fetchmail $1: the message arrived through the mda"
	else
		not_ok "fetchmail $1: exit $RC, message $(got "$subj" && echo arrived || echo missing)"
		show_log "$T/$1.log" "fetchmail $1"
		show_log "$DOVECOT_LOG" dovecot 10
	fi
}

expect_fetch imap-starttls imap "$DOVECOT_IMAP_PORT" ""
expect_fetch imap-implicit imap "$DOVECOT_IMAPS_PORT" "--tls implicit"
expect_fetch pop3-starttls pop3 "$DOVECOT_POP3_PORT" "--protocol pop3"
expect_fetch pop3-implicit pop3 "$DOVECOT_POP3S_PORT" "--protocol pop3 --tls implicit"
expect_fetch imap-oauthbearer imap "$DOVECOT_IMAPS_PORT" "--tls implicit --mech oauthbearer"
check "Dovecot logged the sign-ins with both mechanisms over TLS" \
	bash -c 'grep -q "imap-login: .*method=XOAUTH2.*TLS" "$1" && grep -q "pop3-login: .*method=XOAUTH2.*TLS" "$1" &&
		 grep -q "method=OAUTHBEARER.*TLS" "$1"' _ "$DOVECOT_LOG"

# --- an expired token: the tunnel refreshes it first ---
F="$SASL_OAUTH2_STATE_DIR/alice.json"
OLD=$(json_field "$F" access_token)
auth_admin POST /admin/revoke "{\"access_token\":\"$OLD\"}" >/dev/null
set_json_field "$F" expires_at "$(( $(date +%s) - 60 ))"
before=$(auth_stat refresh_ok)
expect_fetch imap-expired imap "$DOVECOT_IMAP_PORT" ""
tokens_of alice
check "the expired token was refreshed once at the OAuth2 server" \
	test "$(auth_stat refresh_ok)" = $((before + 1))
check "the token file holds the new token" test "$(json_field "$F" access_token)" != "$OLD"

# --- a revoked token: fetchmail's authentication failure, fast ---
revoke_all() {
	auth_admin POST /admin/revoke "{\"access_token\":\"$(json_field "$1" access_token)\",\"refresh_token\":\"$(json_field "$1" refresh_token)\"}" >/dev/null
}
revoke_account() {
	cp -p "$F" "$T/alice.saved"
	revoke_all "$F"
}
revoke_account
for proto in imap pop3; do
	port=$DOVECOT_IMAP_PORT opts=
	[ $proto = pop3 ] && port=$DOVECOT_POP3_PORT opts="--protocol pop3"
	put_imap_message alice@example.com "never $proto"
	rc "revoked-$proto" $proto "$port" alice alice@example.com "$opts"
	fetch "revoked-$proto"
	if [ "$RC" = 3 ] && [ "$SECS" -le 10 ]; then
		ok "revoked token, $proto: fetchmail exits 3 (authentication failed) in ${SECS}s"
	else
		not_ok "revoked token, $proto: fetchmail exit $RC after ${SECS}s (want 3, fast)"
		show_log "$T/revoked-$proto.log" "fetchmail revoked $proto"
	fi
	if [ $proto = imap ]; then
		# the server refused the token (the file said it was good)
		check "revoked token, $proto: one line names the account, the server's answer and the fix" \
			bash -c 'test "$(grep -c "tunnel: account alice: localhost refused the token" "$1")" = 1 &&
				 grep "tunnel: account alice:" "$1" | grep -q "Authentication failed" &&
				 grep "tunnel: account alice:" "$1" | grep -q "sasl-oauth2 authorize alice"' _ "$T/revoked-$proto.log"
	else
		# the refusal was recorded: this time the tunnel refreshed first
		# and the OAuth2 server refused the revoked grant
		check "revoked grant, $proto: one line says the refresh was refused and gives the fix" \
			bash -c 'test "$(grep -c "refused the refresh" "$1")" = 1 &&
				 grep "refused the refresh" "$1" | grep -q "sasl-oauth2 authorize alice" &&
				 ! grep -q "localhost refused the token" "$1"' _ "$T/revoked-$proto.log"
	fi
done
check "the refused messages stayed on the server" bash -c '! grep -rq "Subject: never" "$1"' _ "$T/mail"
# a fresh grant for what follows
tunnel_account alice alice@example.com

# --- several accounts in one rc file ---
cat >"$FM/two.rc" <<RC
set no syslog
poll alice-mail via localhost protocol imap port $DOVECOT_IMAP_PORT auth password timeout 20
    plugin "sasl-oauth2 tunnel alice %h %p"
    user "alice@example.com" password "anything" sslproto '' mda "$T/deliver.sh"
poll bob-mail via localhost protocol pop3 port $DOVECOT_POP3_PORT auth password timeout 20
    plugin "sasl-oauth2 tunnel --protocol pop3 bob %h %p"
    user "bob@example.com" password "anything" sslproto '' mda "$T/deliver.sh"
RC
chmod 600 "$FM/two.rc"
put_imap_message alice@example.com "two alice"
put_imap_message bob@example.com "two bob"
fetch two
if [ "$RC" = 0 ] && got "two alice" && got "two bob"; then
	ok "two accounts in one rc file: both mailboxes fetched"
else
	not_ok "two accounts: exit $RC"
	show_log "$T/two.log" "fetchmail two"
fi

# --- daemon mode across a token expiry ---
rc daemon imap "$DOVECOT_IMAP_PORT" alice alice@example.com ""
put_imap_message alice@example.com "daemon one"
HOME=$FM fetchmail -d 1 -N -f "$FM/daemon.rc" -v --nosyslog >"$T/daemon.log" 2>&1 &
DAEMON=$!
E2E_PIDS+=("$DAEMON")
if wait_for 20 got "daemon one"; then
	OLD=$(json_field "$F" access_token)
	auth_admin POST /admin/revoke "{\"access_token\":\"$OLD\"}" >/dev/null
	set_json_field "$F" expires_at "$(( $(date +%s) - 1 ))"
	put_imap_message alice@example.com "daemon two"
	if wait_for 20 got "daemon two"; then
		ok "fetchmail -d: mail before and after the token expired"
	else
		not_ok "fetchmail -d: nothing after the token expired"
		show_log "$T/daemon.log" "fetchmail -d"
	fi
	tokens_of alice
else
	not_ok "fetchmail -d: the first message did not arrive"
	show_log "$T/daemon.log" "fetchmail -d"
fi
# the tunnel's own argv and environment, seen while the daemon runs
: >"$T/procs"
for p in /proc/[0-9]*; do
	cat "$p/cmdline" "$p/environ" >>"$T/procs" 2>/dev/null
done
kill "$DAEMON" 2>/dev/null
wait "$DAEMON" 2>/dev/null

check "no token in fetchmail's output, the Dovecot log, the mda's environment or any process's argv/environment" \
	no_token_in "$T"/*.log "$DOVECOT_LOG" "$T"/mda-env.* "$T/procs"
check "the mda ran with no token-looking variable" bash -c '! grep -qiE "token|bearer" "$@"' _ "$T"/mda-env.*
tests_exit
