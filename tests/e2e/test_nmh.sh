#!/bin/bash
# End to end: nmh's inc (POP3) and post (SMTP submission) with
# `-sasl -saslmech OAUTHBEARER`, which goes through libsasl2 and the build
# tree's plugin, against Dovecot. nmh's SASL loop takes the server's success
# after the token for a malformed challenge, so a good token does not get
# nmh in: what must hold is that it fails at once with a clear message and
# never hangs (the plugin keeps the exchange mbsync, mutt, neomutt, Postfix
# and the Cyrus tools need; docs/clients.md sends nmh users to nmh's own
# XOAUTH2). A revoked token fails with nmh's "Authentication failed".
# `-saslmech xoauth2` never reaches libsasl2 in nmh (it wants -authservice);
# pinned too, since docs/clients.md says so.
#
# nmh reads the password (the token file's path) from ~/.netrc. post is run
# with `-mts smtp`: nmh's default hands mail to the local sendmail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/dovecot.sh"

NMH_BIN=${NMH_BIN:-/usr/bin/mh}
NMH_LIB=${NMH_LIB:-/usr/lib/mh}
e2e_setup nmh "$NMH_BIN/inc" "$NMH_LIB/post" "$NMH_BIN/install-mh"
[ -e /usr/lib/dovecot/pop3 ] || bail "setup: Dovecot's POP3 server is missing (dovecot-pop3d)"
start_introspect
DOVECOT_POP3=yes start_dovecot
AUTH_USER=alice@example.com
good_and_revoked_tokens "$AUTH_USER"
long_token_file "$AUTH_USER"

NMH_HOME="$E2E_TMP/nmh-home"
mkdir -p "$NMH_HOME"
HOME=$NMH_HOME "$NMH_BIN/install-mh" -auto >/dev/null 2>&1 || bail "setup: install-mh failed"
printf 'From: %s\nTo: bob@example.net\nSubject: nmh test\n--------\nhello\n' "$AUTH_USER" \
	>"$NMH_HOME/draft"

# nmh_run NAME TOKENFILE PROG ARGS...: PROG with ~/.netrc giving TOKENFILE
# as the password, 20 s at most. Sets STATUS and OUT.
nmh_run() {
	local name=$1 file=$2
	shift 2
	( umask 077; printf 'machine 127.0.0.1 login %s password %s\n' "$AUTH_USER" "$file" \
		>"$NMH_HOME/.netrc" )
	OUT="$E2E_TMP/nmh-$name.out"
	HOME=$NMH_HOME SASL_PATH=$PLUGIN_DIR timeout 20 "$@" >"$OUT" 2>&1 </dev/null
	STATUS=$?
}

inc_args=("$NMH_BIN/inc" -host 127.0.0.1 -port "$DOVECOT_POP3_PORT" -user "$AUTH_USER" -notls -sasl)
post_args=("$NMH_LIB/post" -mts smtp -server 127.0.0.1 -port "$DOVECOT_SUBMISSION_PORT"
	-user "$AUTH_USER" -notls -sasl)

# fails_fast NAME WANT_MESSAGE START: nmh exited non-zero (not the
# timeout), said WANT_MESSAGE, within 10 s of START.
fails_fast() {
	check "$1: nmh fails (status $STATUS, 124: hung)" bash -c '[ "$1" != 0 ] && [ "$1" != 124 ]' _ "$STATUS"
	check "$1: nmh says: $2" grep -qF -- "$2" "$OUT"
	check "$1: done in under 10 s ($((SECONDS - $3)) s)" test $((SECONDS - $3)) -lt 10
	grep -qF -- "$2" "$OUT" || show_log "$OUT" "nmh output"
}

for case in good long; do
	file=$TOKFILE
	[ $case = good ] || file=$LONGFILE
	start=$SECONDS
	logins=$(dovecot_count "$(dovecot_login_re pop3-login "$AUTH_USER" OAUTHBEARER)")
	nmh_run "inc-$case" "$file" "${inc_args[@]}" -saslmech OAUTHBEARER
	fails_fast "inc OAUTHBEARER, $case token" "Invalid format for SASL response" $start
	check "inc OAUTHBEARER, $case token: Dovecot accepted the token (the failure is nmh's)" \
		test "$(dovecot_count "$(dovecot_login_re pop3-login "$AUTH_USER" OAUTHBEARER)")" -gt "$logins"

	start=$SECONDS
	logins=$(dovecot_count "$(dovecot_login_re submission-login "$AUTH_USER" OAUTHBEARER)")
	nmh_run "post-$case" "$file" "${post_args[@]}" -saslmech OAUTHBEARER "$NMH_HOME/draft"
	fails_fast "post OAUTHBEARER, $case token" "Improper SASL protocol response: 235" $start
	check "post OAUTHBEARER, $case token: Dovecot accepted the token (the failure is nmh's)" \
		test "$(dovecot_count "$(dovecot_login_re submission-login "$AUTH_USER" OAUTHBEARER)")" -gt "$logins"
done
check "post sent nothing" bash -c '! grep -rqsF "Subject: nmh test" "$1"' _ "$SINK_DIR"

start=$SECONDS
nmh_run inc-revoked "$BADFILE" "${inc_args[@]}" -saslmech OAUTHBEARER
fails_fast "inc OAUTHBEARER, revoked token" "Authentication failed" $start
start=$SECONDS
nmh_run post-revoked "$BADFILE" "${post_args[@]}" -saslmech OAUTHBEARER "$NMH_HOME/draft"
fails_fast "post OAUTHBEARER, revoked token" "Authentication failed" $start
check "Dovecot logged the revoked token's two failed logins" \
	test "$(dovecot_count "$(dovecot_fail_re "$AUTH_USER" OAUTHBEARER)")" = 2

start=$SECONDS
nmh_run inc-xoauth2 "$TOKFILE" "${inc_args[@]}" -saslmech XOAUTH2
fails_fast "inc XOAUTH2 (nmh's own code, not libsasl2)" "must specify -authservice with -saslmech xoauth2" $start

check "no output shows a token" \
	bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$4"/nmh-*.out' _ "$GOOD" "$LONG" "$BAD" "$E2E_TMP"

tests_exit
