#!/bin/bash
# docs/clients.md, msmtp: the guide's ~/.msmtprc (passwordeval
# "sasl-oauth2 token work", auth xoauth2, STARTTLS) and its send command
# deliver a message through Dovecot's submission service; then the same
# file with `auth oauthbearer`, the Gmail alternative the guide names.
# msmtp has both mechanisms built in: the plugin is not involved.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   host smtp.office365.com   host 127.0.0.1
#   port 587                  port DOVECOT_SUBMISSION_PORT
#   tls_starttls on           tls_starttls on + tls_trust_file (the test CA)
#   auth xoauth2              auth oauthbearer (second case only)
# Not in the guide, test only: HOME is a fresh directory; `sasl-oauth2` on
# PATH is the build tree's CLI (or, until `token` is built, a stand-in).
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
docs_client_setup docs-msmtp msmtp
check_token_command work "$GOOD"

SUBS=("host smtp.office365.com" "host 127.0.0.1"
	"port 587" "port $DOVECOT_SUBMISSION_PORT"
	"tls_starttls on" "tls_starttls on
tls_trust_file $CA_DIR/ca.pem")
guide_config "$E2E_TMP/msmtprc" "$GUIDE" msmtprc "${SUBS[@]}"
check "the guide's msmtprc gets the password from 'sasl-oauth2 token work'" \
	grep -qx 'passwordeval sasl-oauth2 token work' "$E2E_TMP/msmtprc"
guide_config "$E2E_TMP/msmtp-send.sh" "$GUIDE" msmtp-send
subject=$(sed -n "s/.*'Subject: \([^\\\\]*\)\\\\n.*/\1/p" "$E2E_TMP/msmtp-send.sh")
[ -n "$subject" ] || bail "docs/$GUIDE: snippet msmtp-send: no Subject: in the printf"

# send_case NAME MECH RCFILE: runs the guide's send command with RCFILE as
# ~/.msmtprc in a fresh HOME; the message must reach the sink behind
# Dovecot's submission service, logged in with MECH over TLS.
send_case() {
	local name=$1 mech=$2 rc=$3 home="$E2E_TMP/home-$1" before logins n
	mkdir -p "$home"
	install -m 600 "$rc" "$home/.msmtprc"
	before=$(introspect_count)
	logins=$(dovecot_tls_logins submission-login "$AUTH_USER" "$mech")
	n=$(grep -rlsF "Subject: $subject" "$SINK_DIR" | wc -l)
	if HOME=$home timeout 60 bash -e "$E2E_TMP/msmtp-send.sh" >"$E2E_TMP/msmtp-$name.out" 2>&1; then
		ok "$name: the guide's msmtp command sends the message"
	else
		not_ok "$name: the guide's msmtp command sends the message"
		show_log "$E2E_TMP/msmtp-$name.out" "msmtp output"
	fi
	check "$name: the message reached the server (Subject: $subject)" \
		test "$(grep -rlsF "Subject: $subject" "$SINK_DIR" | wc -l)" -gt "$n"
	check "$name: Dovecot logged a $mech login for $AUTH_USER over TLS" \
		test "$(dovecot_tls_logins submission-login "$AUTH_USER" "$mech")" -gt "$logins"
	check "$name: the token was checked by the introspection endpoint" \
		test "$(introspect_count)" -gt "$before"
	check "$name: ~/.msmtp.log ends with exitcode=EX_OK, as the guide says" \
		bash -c 'tail -n1 "$1" | grep -q "exitcode=EX_OK"' _ "$home/.msmtp.log"
}

send_case xoauth2 XOAUTH2 "$E2E_TMP/msmtprc"
skip_if_stand_in "msmtp passwordeval"
msmtprc_ob=$(subst "$(cat "$E2E_TMP/msmtprc")" "auth xoauth2" "auth oauthbearer") ||
	bail "docs/$GUIDE: snippet msmtprc: no 'auth xoauth2' line"
printf '%s\n' "$msmtprc_ob" >"$E2E_TMP/msmtprc-oauthbearer"
send_case oauthbearer OAUTHBEARER "$E2E_TMP/msmtprc-oauthbearer"

tests_exit
