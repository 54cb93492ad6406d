#!/bin/bash
# docs/clients.md, fetchmail: the guide's ~/.fetchmailrc (IMAP and POP3),
# run by Debian's fetchmail, fetches a message from a Dovecot that takes
# only XOAUTH2/OAUTHBEARER and only over TLS, through `sasl-oauth2 tunnel`,
# and delivers it through the mda.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   poll outlook.office365.com         poll localhost (the test certificate's name)
#   port 993 / port 995                the test Dovecot's IMAPS / POP3S port
#   %h %p"                             %h %p --tls implicit" (IMAP) and
#                                      %h %p --protocol pop3 --tls implicit"
#                                      (POP3): on the real ports 993 and 995
#                                      the tunnel infers both
#   alice@example.com is kept; mda "/usr/bin/procmail -d %T"   a script
#                                      that stores each message
# Not in the guide, test only: HOME is a fresh directory; the configuration
# (SASL_OAUTH2_CONF) trusts the test CA; `sasl-oauth2` on PATH is the build
# tree's.
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
DOVECOT_POP3=yes DOVECOT_SSL_REQUIRED=yes docs_client_setup docs-fetchmail fetchmail
[ "$TOKEN_CMD" = real ] || bail "setup: the build tree's sasl-oauth2 is needed (tunnel)"
printf 'ca_bundle = %s\n' "$CA_DIR/ca.pem" >"$E2E_TMP/sasl-oauth2.conf"
export SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
mkdir -p "$E2E_TMP/mail"
cat >"$E2E_TMP/deliver.sh" <<DELIVER
#!/bin/sh
cat >"$E2E_TMP/mail/\$(date +%s%N).\$\$"
DELIVER
chmod 755 "$E2E_TMP/deliver.sh"

# subs GUIDE-PORT PORT TUNNEL-OPTIONS: the substitutions for one rc file
subs() {
	SUBS=("poll outlook.office365.com" "poll localhost" "port $1" "port $2"
		'%h %p"' "%h %p $3\"" 'mda "/usr/bin/procmail -d %T"' "mda \"$E2E_TMP/deliver.sh\"")
}

# fetch_case NAME: the rc file in $E2E_TMP/home-NAME/.fetchmailrc fetches
# one message.
fetch_case() {
	local name=$1 home="$E2E_TMP/home-$1" rc=0
	local subject="docs-fetchmail $1 $$.$RANDOM"
	chmod 600 "$home/.fetchmailrc"
	put_imap_message "$AUTH_USER" "$subject"
	HOME=$home timeout 60 fetchmail --nosyslog >"$E2E_TMP/$name.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && grep -rqF "Subject: $subject" "$E2E_TMP/mail"; then
		ok "$name: the guide's .fetchmailrc fetched the message through sasl-oauth2 tunnel"
	else
		not_ok "$name: fetchmail exit $rc, message not delivered"
		show_log "$E2E_TMP/$name.out" "fetchmail $name"
		show_log "$DOVECOT_LOG" dovecot 10
	fi
}

check "the guide's IMAP rc runs the tunnel as fetchmail's plugin" \
	bash -c 'bash "$1" "$2" fetchmailrc | grep -qxF "    plugin \"sasl-oauth2 tunnel work %h %p\""' _ \
	"$SNIPPET_SH" "$DOCS_DIR/$GUIDE"
mkdir -p "$E2E_TMP/home-fetchmailrc" "$E2E_TMP/home-fetchmailrc-pop3"
subs 993 "$DOVECOT_IMAPS_PORT" "--tls implicit"
guide_config "$E2E_TMP/home-fetchmailrc/.fetchmailrc" "$GUIDE" fetchmailrc "${SUBS[@]}"
fetch_case fetchmailrc
subs 995 "$DOVECOT_POP3S_PORT" "--protocol pop3 --tls implicit"
guide_config "$E2E_TMP/home-fetchmailrc-pop3/.fetchmailrc" "$GUIDE" fetchmailrc-pop3 "${SUBS[@]}"
fetch_case fetchmailrc-pop3
check "Dovecot logged XOAUTH2 logins over TLS for IMAP and POP3" \
	test "$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)" -ge 1 -a \
	     "$(dovecot_tls_logins pop3-login "$AUTH_USER" XOAUTH2)" -ge 1
# the guide's check of the tunnel alone
guide_config "$E2E_TMP/tunnel-check.sh" "$GUIDE" tunnel-check \
	"tunnel --verbose work" "tunnel --verbose work localhost $DOVECOT_IMAPS_PORT --tls implicit"
bash "$E2E_TMP/tunnel-check.sh" >"$E2E_TMP/tunnel-check.out" 2>"$E2E_TMP/tunnel-check.err"
check "the guide's tunnel check: a1 OK on stdout, the redacted exchange on stderr, no token" \
	bash -c 'grep -q "^a1 OK" "$1" && grep -q "^C: .*AUTHENTICATE XOAUTH2 <redacted: XOAUTH2 for alice@example.com" "$2" &&
		 ! grep -qF "$3" "$1" "$2"' _ "$E2E_TMP/tunnel-check.out" "$E2E_TMP/tunnel-check.err" "$GOOD"

# doctor finds the guide's rc file, says it is fine, and spots what is off
doctor_home() { HOME=$1 sasl-oauth2 doctor >"$E2E_TMP/doctor.out" 2>&1; }
doctor_home "$E2E_TMP/home-fetchmailrc"
check "doctor: the guide's .fetchmailrc connects through the tunnel with account work, nothing to fix" \
	bash -c 'grep -q "^OK .*/.fetchmailrc:2: connects through sasl-oauth2 tunnel with account work" "$1" &&
		 ! grep -E "^(WARN|FAIL)" "$1" | grep -q fetchmailrc' _ "$E2E_TMP/doctor.out"
mkdir -p "$E2E_TMP/home-broken"
sed -e "s/sslproto ''//" -e 's/tunnel work/tunnel --tls implicit nosuch/' \
	"$E2E_TMP/home-fetchmailrc/.fetchmailrc" >"$E2E_TMP/home-broken/.fetchmailrc"
doctor_home "$E2E_TMP/home-broken"
check "doctor: a missing account is a FAIL with the authorize command" \
	bash -c 'grep -q "^FAIL .*fetchmailrc:2: sasl-oauth2 tunnel names account nosuch, which does not exist" "$1" &&
		 grep -q "sasl-oauth2 authorize nosuch" "$1"' _ "$E2E_TMP/doctor.out"
sed -i 's/tunnel --tls implicit nosuch/tunnel work/' "$E2E_TMP/home-broken/.fetchmailrc"
doctor_home "$E2E_TMP/home-broken"
check "doctor: an rc file without sslproto '' is a WARN saying why" \
	grep -q "^WARN .*fetchmailrc:2: no sslproto '' for the tunnel" "$E2E_TMP/doctor.out"
tests_exit
