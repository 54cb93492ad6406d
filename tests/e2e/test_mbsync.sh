#!/bin/bash
# End to end: mbsync (isync, a real libsasl2 client) syncs a private Dovecot
# INBOX through the build tree's plugin, with XOAUTH2 and OAUTHBEARER, over
# plain loopback IMAP and over STARTTLS, with a good token and a rejected
# one (Dovecot's introspection endpoint does not know it).
#
# mbsync relies on the plugin's step results: when the first step said the
# exchange was over, it stopped at the server's error challenge ("IMAP wants
# more steps despite successful SASL authentication") and hung until
# Dovecot dropped it 180 s later. A rejected token must now end the run
# within seconds, with exit status 1, the server's NO in mbsync's output,
# the challenge answered (Dovecot logs no aborted or malformed exchange) and
# no complaint from mbsync about the SASL steps. A good token must still
# sync, with no SASL warning from mbsync (after the server's OK it steps
# once more with no data).
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/clients.sh"

e2e_setup mbsync mbsync
start_tls_dovecot

AUTH_USER=alice@example.com
good_and_revoked_tokens "$AUTH_USER"
# A hang is a failure: mbsync gets this long, a rejection must take less
# than REJECT_MAX seconds (Dovecot's failure delay is off here).
MBSYNC_TIMEOUT=${MBSYNC_TIMEOUT:-60}
REJECT_MAX=20

# mbsyncrc NAME MECH TLS SECRET: a config syncing the INBOX into
# $E2E_TMP/NAME/Mail; TLS is None or STARTTLS.
mbsyncrc() { mbsync_conf "$1" "$DOVECOT_IMAP_PORT" "$2" "$3" "Pass $4"; }

# What mbsync says when the SASL steps and the server disagree.
SASL_COMPLAINTS='wants more steps|SASL reported failure|Error performing SASL|Warning: SASL'

# run_mbsync NAME: runs mbsync on NAME's config with the build tree's
# plugin; output in $E2E_TMP/NAME.out. Sets RC and ELAPSED (seconds).
# The plugin's warning is not checked here: mbsync registers no SASL log
# callback and sets no log_level, so libsasl2 drops WARN lines (imtest's
# test sees them with -o log_level=3).
run_mbsync() {
	local start=$SECONDS
	RC=0
	env SASL_PATH="$PLUGIN_DIR" timeout "$MBSYNC_TIMEOUT" \
		mbsync -V -c "$E2E_TMP/$1/mbsyncrc" t >"$E2E_TMP/$1.out" 2>&1 </dev/null || RC=$?
	ELAPSED=$((SECONDS - start))
}

logins() { grep -cE "$(dovecot_login_re imap-login "$AUTH_USER" "$1"), .*$2" "$DOVECOT_LOG"; }

# good_case MECH TLS: the INBOX message arrives, mbsync exits 0.
good_case() {
	local mech=$1 tls=$2 name="good-$1-$2" subject before tlsre=
	[ "$tls" = None ] || tlsre=", TLS"
	subject="mbsync $name $$.$RANDOM"
	put_imap_message "$AUTH_USER" "$subject"
	before=$(logins "$mech" "$tlsre")
	mbsyncrc "$name" "$mech" "$tls" "$TOKFILE"
	run_mbsync "$name"
	if [ "$RC" = 0 ]; then
		ok "$name: mbsync exits 0"
	else
		not_ok "$name: mbsync exits 0 (got $RC after $ELAPSED s${RC/124/: timed out})"
		show_log "$E2E_TMP/$name.out" "mbsync output"
	fi
	check "$name: the INBOX message arrived in the local Maildir" \
		grep -rqsF "Subject: $subject" "$E2E_TMP/$name/Mail/INBOX"
	check "$name: Dovecot logged a $mech login${tlsre:+ over TLS}" test "$(logins "$mech" "$tlsre")" -gt "$before"
	check "$name: mbsync printed no SASL warning or error" \
		bash -c '! grep -qE "$1" "$2"' _ "$SASL_COMPLAINTS" "$E2E_TMP/$name.out"
}

# rejected_case MECH TLS: exit 1 within seconds, the server's NO shown.
rejected_case() {
	local mech=$1 tls=$2 name="rejected-$1-$2" fails_before pat broken_before
	pat=$(dovecot_fail_re "$AUTH_USER" "$mech")
	fails_before=$(dovecot_count "$pat")
	broken_before=$(dovecot_count "$DOVECOT_BROKEN_RE")
	mbsyncrc "$name" "$mech" "$tls" "$BADFILE"
	run_mbsync "$name"
	if [ "$RC" = 1 ]; then
		ok "$name: mbsync exits 1"
	else
		not_ok "$name: mbsync exits 1 (got $RC after $ELAPSED s${RC/124/: timed out, a hang})"
	fi
	check "$name: mbsync ended within $REJECT_MAX s (took $ELAPSED s)" test "$ELAPSED" -lt "$REJECT_MAX"
	# isync 1.4 prints the reply with its "NO", isync 1.5 without it
	check "$name: mbsync's output shows the server's NO" \
		grep -qE "AUTHENTICATE $mech.* returned an error: (NO )?\[AUTHENTICATIONFAILED\]" "$E2E_TMP/$name.out"
	check "$name: mbsync did not complain about SASL steps" \
		bash -c '! grep -qE "$1" "$2"' _ "$SASL_COMPLAINTS" "$E2E_TMP/$name.out"
	wait_for 3 test "$(dovecot_count "$pat")" -gt "$fails_before"
	check "$name: Dovecot logged one failed $mech login" \
		test "$(dovecot_count "$pat")" = $((fails_before + 1))
	check "$name: Dovecot saw the challenge answered (no aborted or unfinished exchange, no bad base64)" \
		test "$(dovecot_count "$DOVECOT_BROKEN_RE")" = "$broken_before"
	[ "$RC" = 1 ] || show_log "$E2E_TMP/$name.out" "mbsync output"
}

for tls in None STARTTLS; do
	good_case XOAUTH2 $tls
	good_case OAUTHBEARER $tls
	rejected_case XOAUTH2 $tls
	rejected_case OAUTHBEARER $tls
done

tests_exit
