#!/bin/bash
# docs/clients.md, pop3test: the guide's command logs in to Dovecot's POP3
# over implicit TLS through the build tree's plugin, with XOAUTH2 and
# OAUTHBEARER, the account's token file and a 1,100-character token (kept
# off the AUTH line: RFC 5034 allows 255 octets). A revoked token is
# refused, and pop3test still exits 0, as the guide warns.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   -p 995 outlook.office365.com                     -p DOVECOT_POP3S_PORT 127.0.0.1
#   /home/alice/.local/state/sasl-oauth2/work.json   the case's token file
#   -m XOAUTH2                                       -m MECH
# Not in the guide, test only: SASL_PATH points at the build tree's plugin.
set -u
. "$(dirname "$0")/../lib/clients.sh"
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
DOVECOT_POP3=yes docs_client_setup docs-pop3test "$POP3TEST"
long_token_file "$AUTH_USER"
revoked_token_file "$AUTH_USER"
WORK="$SASL_OAUTH2_STATE_DIR/work.json"

# pop_case NAME MECH TOKENFILE ok|refused: the guide's command, 20 s at most.
pop_case() {
	local name=$1 mech=$2 file=$3 want=$4 out="$E2E_TMP/pop3test-$1.out" status
	local logins fails pat
	logins=$(dovecot_tls_logins pop3-login "$AUTH_USER" "$mech")
	pat=$(dovecot_fail_re "$AUTH_USER" "$mech")
	fails=$(dovecot_count "$pat")
	guide_config "$E2E_TMP/pop3test-$name.sh" "$GUIDE" pop3test \
		"-p 995 outlook.office365.com" "-p $DOVECOT_POP3S_PORT 127.0.0.1" \
		"/home/alice/.local/state/sasl-oauth2/work.json" "$file" \
		"-m XOAUTH2" "-m $mech"
	SASL_PATH=$PLUGIN_DIR timeout 20 bash -e "$E2E_TMP/pop3test-$name.sh" >"$out" 2>&1 </dev/null
	status=$?
	check "$name: pop3test exits 0 (status $status), whatever the server said" test "$status" = 0
	if [ "$want" = ok ]; then
		check "$name: pop3test says Authenticated." grep -q '^Authenticated\.' "$out"
		check "$name: Dovecot logged a $mech login over TLS" \
			test "$(dovecot_tls_logins pop3-login "$AUTH_USER" "$mech")" -gt "$logins"
	else
		check "$name: pop3test says Authentication failed" grep -q '^Authentication failed' "$out"
		check "$name: Dovecot logged one failed $mech login" \
			test "$(dovecot_count "$pat")" = $((fails + 1))
	fi
}

for mech in XOAUTH2 OAUTHBEARER; do
	m=$(tr 'A-Z' 'a-z' <<<"$mech")
	pop_case "$m" "$mech" "$WORK" ok
	pop_case "$m-1100" "$mech" "$LONGFILE" ok
	check "$m-1100: the response was withheld from the AUTH line" \
		ir_withheld "$E2E_TMP/pop3test-$m-1100.out"
	pop_case "$m-revoked" "$mech" "$BADFILE" refused
done

tests_exit
