#!/bin/bash
# End to end: mutt and neomutt linked with Cyrus SASL (built from Debian's
# source tarballs by build-mutt-sasl.sh; Debian's own packages use GNU SASL)
# open a private Dovecot's IMAP INBOX through the build tree's plugin, with
# XOAUTH2 and OAUTHBEARER, over plain loopback IMAP and over STARTTLS, with
# a good token and a rejected one (unknown to the introspection endpoint).
#
# Each program runs in a terminal (tmux) with `-e 'push <quit>'`: it logs
# in, opens the INBOX and quits. imap_pass is the token file's path and no
# imap_oauth_refresh_command is set, so the programs skip their built-in
# OAuth code and use libsasl2; only the plugin can turn the path into the
# token Dovecot checks, and their debug logs show the plugin's lines.
#
# Before the plugin's first step returned SASL_CONTINUE, a rejected token
# left mutt hanging (it sent LOGOUT as the SASL reply, Dovecot waited 180 s)
# and neomutt cancelled without answering the challenge. Now the run must end
# within seconds, Dovecot must log the failure with the challenge answered
# (no "auth aborted", no bad base64), and the program must show the failure.
# A good token must open the INBOX: mutt steps once more after the server's
# OK with its leftover command buffer, which must not count as a rejection.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/clients.sh"

e2e_setup mutt-sasl
command -v tmux >/dev/null 2>&1 || bail "setup: tmux is not installed (run tests/install-deps.sh)"
start_tls_dovecot

AUTH_USER=alice@example.com
good_and_revoked_tokens "$AUTH_USER"
# The plugin's debug lines go to the programs' debug logs too.
PLUGIN_CONF="$E2E_TMP/sasl-oauth2.conf"
echo "log_level = debug" >"$PLUGIN_CONF"
# A hang is a failure: a run gets RUN_TIMEOUT seconds; a rejection must end
# sooner than REJECT_MAX (Dovecot's failure delay is off here).
RUN_TIMEOUT=${RUN_TIMEOUT:-40}
REJECT_MAX=20

# muttrc FILE MECH TLS SECRET: TLS is plain or starttls. With OpenSSL both
# programs trust the certificates in certificate_file (ssl_ca_certificates_file
# is GnuTLS only).
muttrc() {
	local tls=no
	[ "$3" = plain ] || tls=yes
	cat >"$1" <<EOF
set imap_user = "$AUTH_USER"
set imap_pass = "$4"
set imap_authenticators = "$(echo "$2" | tr 'A-Z' 'a-z')"
set folder = "imap://127.0.0.1:$DOVECOT_IMAP_PORT/"
set spoolfile = "+INBOX"
set ssl_starttls = $tls
set ssl_force_tls = $tls
set certificate_file = "$CA_DIR/ca.pem"
set quit = yes
set imap_passive = yes
EOF
}

# one_case PROG BIN MECH TLS good|rejected
one_case() {
	local prog=$1 bin=$2 mech=$3 tls=$4 kind=$5 name="$1-$3-$4-$5" secret=$TOKFILE
	local rc="$E2E_TMP/$name.muttrc" tlsre= login fail fails_before logins_before broken_before
	[ "$kind" = good ] || secret=$BADFILE
	[ "$tls" = plain ] || tlsre=", TLS"
	login="$(dovecot_login_re imap-login "$AUTH_USER" "$mech"), .*$tlsre"
	fail="imap-login: Info: .*$(dovecot_fail_re "$AUTH_USER" "$mech"), .*$tlsre"
	logins_before=$(dovecot_count "$login")
	fails_before=$(dovecot_count "$fail")
	broken_before=$(dovecot_count "$DOVECOT_BROKEN_RE")
	muttrc "$rc" "$mech" "$tls" "$secret"
	mutt_run "$prog" "$bin" "$E2E_TMP/$name" "$rc" "$RUN_TIMEOUT" \
		SASL_OAUTH2_CONF="$PLUGIN_CONF"
	# Dovecot logs the end of a login as the connection closes: give it a
	# moment after the program has quit.
	wait_for 3 test "$(dovecot_count "$login")" -gt "$logins_before" -o \
		"$(dovecot_count "$fail")" -gt "$fails_before"
	if [ "$STATUS" = hang ]; then
		not_ok "$name: $prog quits by itself (still running after $RUN_TIMEOUT s: a hang)"
	else
		ok "$name: $prog quits by itself (exit $STATUS after $ELAPSED s)"
	fi
	# libsasl2 passes the plugin's lines to the program's SASL log callback:
	# after a success the programs step once more (a debug line), after a
	# rejection the plugin warns.
	check "$name: $prog used Cyrus SASL with the plugin (its debug log shows the plugin's lines)" \
		grep -q "sasl-oauth2 $mech" "$DEBUG_LOG"
	check "$name: Dovecot saw no aborted or unfinished exchange, no bad base64" \
		test "$(dovecot_count "$DOVECOT_BROKEN_RE")" = "$broken_before"
	if [ "$kind" = good ]; then
		check "$name: Dovecot logged a $mech login${tlsre:+ over TLS}" \
			test "$(dovecot_count "$login")" -gt "$logins_before"
		check "$name: $prog opened the INBOX (SELECT completed)" \
			grep -qE "OK \[READ-(WRITE|ONLY)\] Select completed" "$DEBUG_LOG"
		check "$name: the plugin logged no warning (the leftover step is no rejection)" \
			bash -c '! grep -q "rejected the token" "$1"' _ "$DEBUG_LOG"
	else
		check "$name: it ended within $REJECT_MAX s (took $ELAPSED s)" test "$ELAPSED" -lt "$REJECT_MAX"
		check "$name: Dovecot logged one failed $mech login${tlsre:+ over TLS}" \
			test "$(dovecot_count "$fail")" = $((fails_before + 1))
		check "$name: Dovecot logged no successful login" \
			test "$(dovecot_count "$login")" = "$logins_before"
		check "$name: $prog got the server's NO" \
			grep -qE "NO \[AUTHENTICATIONFAILED\]" "$DEBUG_LOG"
		check "$name: the plugin's warning names the server's status" \
			grep -qE "sasl-oauth2 $mech: server 127.0.0.1 rejected the token for $AUTH_USER .*status" "$DEBUG_LOG"
	fi
	check "$name: the token is not in $prog's debug log" bash -c '! grep -qF -- "$1" "$2"' _ \
		"$([ "$kind" = good ] && echo "$GOOD" || echo "$BAD")" "$DEBUG_LOG"
	if [ "$TESTS_SHOWN" != "$TESTS_FAILED" ]; then
		TESTS_SHOWN=$TESTS_FAILED
		show_log "$E2E_TMP/$name/screen" "$prog screen" 10
		show_log "$DEBUG_LOG" "$prog debug log" 30
	fi
}
TESTS_SHOWN=0

for prog in ${MUTT_SASL_PROGS:-neomutt mutt}; do
	if ! bin=$(bash "$E2E_DIR/build-mutt-sasl.sh" "$prog"); then
		not_ok "$prog linked with Cyrus SASL could be built (tests/e2e/build-mutt-sasl.sh $prog)"
		continue
	fi
	ok "$prog linked with Cyrus SASL: $bin"
	for tls in plain starttls; do
		for mech in XOAUTH2 OAUTHBEARER; do
			one_case "$prog" "$bin" "$mech" "$tls" good
			one_case "$prog" "$bin" "$mech" "$tls" rejected
		done
	done
done

tests_exit
