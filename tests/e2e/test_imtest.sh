#!/bin/bash
# End to end: Cyrus imtest (a real libsasl2 client) authenticates to a
# private Dovecot IMAP server through the build tree's plugin, with XOAUTH2
# and OAUTHBEARER; Dovecot validates the token at introspect.js.
#
# Checks per case: what imtest printed (its protocol trace), the initial
# response decoded from the trace, the server's error challenge and the
# client's answer to it, the plugin's warning (captured from imtest's
# syslog), Dovecot's log and the introspection endpoint's request count.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/env.sh"

USER_A=alice@example.com
e2e_setup imtest
[ -x "$IMTEST" ] || e2e_die "setup: $IMTEST missing (cyrus-clients)"
start_introspect
start_dovecot
e2e_note "dovecot imap on 127.0.0.1:$DOVECOT_IMAP_PORT, introspection on :$INTROSPECT_PORT"

GOOD=$(e2e_token good)
BAD=$(e2e_token bad)
add_token "$GOOD" "$USER_A"
TOKFILE="$E2E_TMP/alice-token.json"
BADFILE="$E2E_TMP/alice-revoked.json"
write_token_file "$TOKFILE" "$GOOD" "$USER_A"
write_token_file "$BADFILE" "$BAD" "$USER_A"
check "token file is mode 0600" test "$(stat -c %a "$TOKFILE")" = 600

INPUT="$E2E_TMP/imap-commands"
printf 'a01 SELECT INBOX\r\n' >"$INPUT"

# expect_success NAME MECH SECRET EXPECTED_IR
expect_success() {
	local name=$1 mech=$2 secret=$3 want_ir=$4
	local out="$E2E_TMP/$name.out" sys="$E2E_TMP/$name.syslog"
	local before after
	before=$(introspect_count)
	run_cyrus_client "$out" "$sys" "$IMTEST" "$DOVECOT_IMAP_PORT" "$mech" "$USER_A" "$secret" "$INPUT"
	after=$(introspect_count)
	local good=1
	if grep -q '^Authenticated\.' "$out"; then
		ok "$name: imtest says Authenticated."
	else
		not_ok "$name: imtest says Authenticated."; good=0
	fi
	check "$name: server answered A01 OK" grep -q '^S: A01 OK .*Logged in' "$out"
	check "$name: SELECT INBOX works after login" grep -q '^a01 OK .*Select completed' "$out"
	local ir; ir=$(client_ir "$out")
	if [ "$ir" = "$want_ir" ]; then
		ok "$name: initial response on the wire is exactly the $mech format"
	else
		not_ok "$name: initial response on the wire is exactly the $mech format"
		echo "#   got:  $(echo "$ir" | sed -E 's/Bearer [^^]*/Bearer <token>/')"
		echo "#   want: $(echo "$want_ir" | sed -E 's/Bearer [^^]*/Bearer <token>/')"
		good=0
	fi
	check "$name: no error challenge was needed" test -z "$(server_challenge "$out")"
	check "$name: dovecot logged the $mech login" \
		grep -q "imap-login: Info: Login: user=<$USER_A>, method=$mech" "$DOVECOT_LOG"
	check "$name: the endpoint introspected the token once" test "$after" = $((before + 1))
	check "$name: the plugin logged no warning" test -z "$(plugin_warnings "$sys")"
	[ $good = 1 ] || show_log "$out" "imtest output"
}

# expect_rejected NAME MECH SECRET WANT_STATUS WANT_REPLY
expect_rejected() {
	local name=$1 mech=$2 secret=$3 want_status=$4 want_reply=$5
	local out="$E2E_TMP/$name.out" sys="$E2E_TMP/$name.syslog"
	local pat="\(auth failed, 1 attempts in [0-9]+ secs\): user=<$USER_A>, method=$mech"
	local fails_before fails_after
	fails_before=$(grep -cE "$pat" "$DOVECOT_LOG")
	run_cyrus_client "$out" "$sys" "$IMTEST" "$DOVECOT_IMAP_PORT" "$mech" "$USER_A" "$secret"
	local bad=0
	if grep -q '^Authenticated\.' "$out"; then
		not_ok "$name: imtest must not authenticate"; bad=1
	else
		ok "$name: imtest did not authenticate"
	fi
	check "$name: imtest reports Authentication failed" grep -q '^Authentication failed' "$out"
	check "$name: server failed the exchange (A01 NO)" grep -q '^S: A01 NO' "$out"
	local chal; chal=$(server_challenge "$out")
	if echo "$chal" | grep -q "\"status\":\"$want_status\""; then
		ok "$name: server sent its JSON error challenge (status $want_status)"
	else
		not_ok "$name: server sent its JSON error challenge (status $want_status): got '$chal'"; bad=1
	fi
	local reply
	if reply=$(client_reply_after_challenge "$out") && [ "$reply" = "$want_reply" ]; then
		ok "$name: client answered the error challenge with '${want_reply:-<empty>}'"
	else
		not_ok "$name: client answered the error challenge with '${want_reply:-<empty>}' (got '${reply-<nothing>}')"; bad=1
	fi
	fails_after=$(grep -cE "$pat" "$DOVECOT_LOG")
	check "$name: dovecot logged one failed $mech login" \
		test "$fails_after" = $((fails_before + 1))
	check "$name: dovecot saw no aborted exchange (client did not cancel)" \
		bash -c '! grep -q "auth aborted" "$1"' _ "$DOVECOT_LOG"
	check "$name: dovecot logged the introspection rejecting the token" \
		grep -q "oauth2($USER_A,127.0.0.1,.*Introspection failed: Provided token is not valid" "$DOVECOT_LOG"
	if [ "$SYSLOG_CAPTURE" = yes ]; then
		local w n
		w=$(plugin_warnings "$sys")
		n=$(printf '%s' "$w" | grep -c .)
		check "$name: the plugin logged exactly one warning" test "$n" = 1
		check "$name: the warning says the server rejected the token" \
			grep -q 'rejected the token' <<<"$w"
		check "$name: the warning carries the server's status ($want_status)" \
			grep -q "status $want_status" <<<"$w"
		check "$name: the warning does not contain the token" \
			bash -c '! grep -qF -- "$1" <<<"$2"' _ "$BAD" "$w"
		e2e_note "$name: plugin warning: $(redact <(echo "$w"))"
	else
		skip "$name: plugin warning: cannot capture syslog here (no mount namespaces)"
	fi
	[ $bad = 0 ] || show_log "$out" "imtest output"
}

PORT=$DOVECOT_IMAP_PORT
expect_success xoauth2-file XOAUTH2 "$TOKFILE" \
	"user=$USER_A^Aauth=Bearer $GOOD^A^A"
expect_success oauthbearer-file OAUTHBEARER "$TOKFILE" \
	"n,a=$USER_A,^Ahost=127.0.0.1^Aport=$PORT^Aauth=Bearer $GOOD^A^A"
expect_success xoauth2-direct XOAUTH2 "$GOOD" \
	"user=$USER_A^Aauth=Bearer $GOOD^A^A"
expect_success oauthbearer-direct OAUTHBEARER "$GOOD" \
	"n,a=$USER_A,^Ahost=127.0.0.1^Aport=$PORT^Aauth=Bearer $GOOD^A^A"

expect_rejected xoauth2-rejected XOAUTH2 "$BADFILE" 401 ""
expect_rejected oauthbearer-rejected OAUTHBEARER "$BADFILE" invalid_token "AQ=="

# The endpoint is asked again on every login: revoke the good token and the
# same token file is now refused.
echo '{}' >"$TOKENS_FILE"
expect_rejected xoauth2-revoked XOAUTH2 "$TOKFILE" 401 ""

check "introspection log shows only token prefixes" \
	bash -c '! grep -qF -- "$1" "$2" && ! grep -qF -- "$3" "$2"' _ "$GOOD" "$INTROSPECT_LOG" "$BAD"

e2e_finish
