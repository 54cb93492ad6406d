#!/bin/bash
# docs/clients.md, Perl: the guide's Net::SMTP script sends a message through
# Dovecot's submission service (STARTTLS) and its Mail::IMAPClient script
# reads the INBOX over IMAPS, both with Authen::SASL::XS (Debian 13) or
# ::Cyrus (Debian 12), so libsasl2 and the build tree's plugin do the login. Each with XOAUTH2 and OAUTHBEARER,
# the account's token file, a 1,100-character token and a revoked token.
#
# A 1,100-character token does not fit on the SMTP AUTH line (512 octets):
# the plugin withholds it, Authen::SASL::XS/Cyrus report that as undef and
# Net::SMTP gives up before sending AUTH; the guide's few lines turn undef
# into "no initial response". One case runs the script without them, to pin
# the limit the guide describes.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   perl-smtp: 'smtp.office365.com', Port => 587   '127.0.0.1', Port => DOVECOT_SUBMISSION_PORT
#              $smtp->starttls()                    starttls with the test CA
#              Subject: nightly report              Subject: nightly report NAME
#   perl-imap: 'outlook.office365.com'              '127.0.0.1'
#              Port => 993, Ssl => 1                Port => DOVECOT_IMAPS_PORT, the test CA
#   both:      /home/alice/.local/state/sasl-oauth2/work.json   the case's token file
#              'XOAUTH2'                            'MECH'
# Not in the guide, test only: HOME is a fresh directory; SASL_PATH points
# at the build tree's plugin.
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
docs_client_setup docs-perl-sasl perl
for m in Net::SMTP Mail::IMAPClient IO::Socket::SSL; do
	perl -M"$m" -e 1 2>/dev/null || bail "setup: Perl module $m is missing (run tests/install-deps.sh)"
done
# The guide's `use Authen::SASL qw(XS Cyrus)`: Debian 13 has ::XS, 12 ::Cyrus.
SASL_IMPL=$(perl -e 'use Authen::SASL qw(XS Cyrus); print $Authen::SASL::Plugins[0]' 2>/dev/null) ||
	bail "setup: neither Authen::SASL::XS nor Authen::SASL::Cyrus is installed (run tests/install-deps.sh)"
note "Perl's libsasl2 binding: $SASL_IMPL"

long_token_file "$AUTH_USER"
revoked_token_file "$AUTH_USER"
WORK="$SASL_OAUTH2_STATE_DIR/work.json"
put_imap_message "$AUTH_USER" "docs-perl $$"
mkdir -p "$E2E_TMP/home"
CA="$CA_DIR/ca.pem"

# The substitutions both scripts take: the case's token file and mechanism.
both_subs() {
	CASE_SUBS=("/home/alice/.local/state/sasl-oauth2/work.json" "$2" "'XOAUTH2'" "'$1'")
}

# run_script NAME: runs $E2E_TMP/NAME.pl (the guide's script as the case
# wrote it) with a 20 s limit. Sets STATUS and OUT.
run_script() {
	local name=$1
	OUT="$E2E_TMP/$name.out"
	HOME="$E2E_TMP/home" SASL_PATH=$PLUGIN_DIR timeout 20 perl "$E2E_TMP/$name.pl" >"$OUT" 2>&1 </dev/null
	STATUS=$?
}

SMTP_SUBS=("'smtp.office365.com', Port => 587" "'127.0.0.1', Port => $DOVECOT_SUBMISSION_PORT"
	'$smtp->starttls()' "\$smtp->starttls(SSL_ca_file => '$CA')")

# smtp_case NAME MECH TOKENFILE ok|rejected|no-auth [FROM TO...]
smtp_case() {
	local name=smtp-$1 mech=$2 file=$3 want=$4 logins fails pat n start=$SECONDS
	shift 4
	logins=$(dovecot_tls_logins submission-login "$AUTH_USER" "$mech")
	pat=$(dovecot_fail_re "$AUTH_USER" "$mech")
	fails=$(dovecot_count "$pat")
	n=$(grep -rlsF "Subject: nightly report $name" "$SINK_DIR" | wc -l)
	both_subs "$mech" "$file"
	guide_config "$E2E_TMP/$name.pl" "$GUIDE" perl-smtp "${CASE_SUBS[@]}" "${SMTP_SUBS[@]}" \
		"Subject: nightly report" "Subject: nightly report $name" "$@"
	run_script "$name"
	case $want in
	ok)
		check "$name: the guide's Net::SMTP script exits 0 (status $STATUS)" test "$STATUS" = 0
		check "$name: the message reached the server" \
			test "$(grep -rlsF "Subject: nightly report $name" "$SINK_DIR" | wc -l)" -gt "$n"
		check "$name: Dovecot logged a $mech login over TLS" \
			test "$(dovecot_tls_logins submission-login "$AUTH_USER" "$mech")" -gt "$logins"
		[ "$STATUS" = 0 ] || show_log "$OUT" "script output"
		;;
	rejected)
		check "$name: the script stops with 'login failed' (status $STATUS, 124: hung)" \
			bash -c '[ "$1" != 0 ] && [ "$1" != 124 ] && grep -q "^login failed: .*Authentication failed" "$2"' \
			_ "$STATUS" "$OUT"
		check "$name: Dovecot logged one failed $mech login" \
			test "$(dovecot_count "$pat")" = $((fails + 1))
		;;
	no-auth)
		check "$name: the script stops with 'login failed' (status $STATUS, 124: hung)" \
			bash -c '[ "$1" != 0 ] && [ "$1" != 124 ] && grep -q "^login failed" "$2"' _ "$STATUS" "$OUT"
		check "$name: Net::SMTP gave up before AUTH: Dovecot logged no $mech login attempt" \
			test "$(dovecot_tls_logins submission-login "$AUTH_USER" "$mech")/$(dovecot_count "$pat")" = \
			"$logins/$fails"
		;;
	esac
	check "$name: done in under 10 s ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
}

IMAP_SUBS=("'outlook.office365.com'" "'127.0.0.1'"
	"Port => 993, Ssl => 1" "Port => $DOVECOT_IMAPS_PORT, Ssl => [SSL_ca_file => '$CA']")

# imap_case NAME MECH TOKENFILE ok|rejected
imap_case() {
	local name=imap-$1 mech=$2 file=$3 want=$4 logins fails pat start=$SECONDS
	logins=$(dovecot_tls_logins imap-login "$AUTH_USER" "$mech")
	pat=$(dovecot_fail_re "$AUTH_USER" "$mech")
	fails=$(dovecot_count "$pat")
	both_subs "$mech" "$file"
	guide_config "$E2E_TMP/$name.pl" "$GUIDE" perl-imap "${CASE_SUBS[@]}" "${IMAP_SUBS[@]}"
	run_script "$name"
	if [ "$want" = ok ]; then
		check "$name: the guide's Mail::IMAPClient script exits 0 (status $STATUS)" test "$STATUS" = 0
		check "$name: it counted the INBOX's message" grep -qx 'INBOX: 1 messages' "$OUT"
		check "$name: Dovecot logged a $mech login over TLS" \
			test "$(dovecot_tls_logins imap-login "$AUTH_USER" "$mech")" -gt "$logins"
		[ "$STATUS" = 0 ] || show_log "$OUT" "script output"
	else
		check "$name: the script stops with 'login failed' (status $STATUS, 124: hung)" \
			bash -c '[ "$1" != 0 ] && [ "$1" != 124 ] && grep -q "^login failed: .*NO" "$2"' \
			_ "$STATUS" "$OUT"
		check "$name: Dovecot logged one failed $mech login" \
			test "$(dovecot_count "$pat")" = $((fails + 1))
	fi
	check "$name: done in under 10 s ($((SECONDS - start)) s)" test $((SECONDS - start)) -lt 10
}

for mech in XOAUTH2 OAUTHBEARER; do
	m=$(tr 'A-Z' 'a-z' <<<"$mech")
	smtp_case "$m" "$mech" "$WORK" ok
	smtp_case "$m-1100" "$mech" "$LONGFILE" ok
	smtp_case "$m-revoked" "$mech" "$BADFILE" rejected
	imap_case "$m" "$mech" "$WORK" ok
	imap_case "$m-1100" "$mech" "$LONGFILE" ok
	imap_case "$m-revoked" "$mech" "$BADFILE" rejected
done
# Without the guide's three lines: the limit docs/clients.md describes.
smtp_case xoauth2-1100-unpatched XOAUTH2 "$LONGFILE" no-auth \
	"*{\"\${impl}::client_start\"} = sub {" "*{\"\${impl}::client_start\"} = \$start || sub {"

# Provider-sized tokens (1,100, 2,000, 4,500 characters) against saslserver.js:
# Net::SMTP to an SMTP server that refuses command lines over 512 octets as
# Gmail does (the plugin must have withheld the response from the AUTH
# line: with the initial response on it, as before the plugin withheld,
# every size fails with 555), Mail::IMAPClient to an IMAP server that takes
# lines of any length (Dovecot 2.3 cannot take ~4 KB ones). One server for
# all sizes.
start_saslserver
LONG0=$LONG
SS_SMTP_SUBS=("'smtp.office365.com', Port => 587" "'127.0.0.1', Port => $SS_SMTP_PORT"
	'$smtp->starttls() or die "STARTTLS failed\n";' '# no TLS on the loopback test server')
SS_IMAP_SUBS=("'outlook.office365.com'" "'127.0.0.1'" "Port => 993, Ssl => 1" "Port => $SS_IMAP_PORT, Ssl => 0")
mech=XOAUTH2
for n in 1100 2000 4500; do
	long_token_file "$AUTH_USER" "$n"
	name="smtp-strict-$n-$mech" before=$(ss_count "")
	both_subs "$mech" "$LONGFILE"
	guide_config "$E2E_TMP/$name.pl" "$GUIDE" perl-smtp "${CASE_SUBS[@]}" "${SS_SMTP_SUBS[@]}" \
		"Subject: nightly report" "Subject: nightly report $name"
	run_script "$name"
	check "$name: the guide's Net::SMTP script exits 0 (status $STATUS)" test "$STATUS" = 0
	[ "$STATUS" = 0 ] || { show_log "$OUT" "script output"; show_log "$SS_LOG" saslserver 5; }
	check "$name: the message reached the server" grep -rqsF "Subject: nightly report $name" "$SS_DIR"
	ss_expect "$name" "$before" "$SS_SMTP_PORT" "$mech" withheld
	name="imap-long-$n-$mech" before=$(ss_count "")
	both_subs "$mech" "$LONGFILE"
	guide_config "$E2E_TMP/$name.pl" "$GUIDE" perl-imap "${CASE_SUBS[@]}" "${SS_IMAP_SUBS[@]}"
	run_script "$name"
	check "$name: the guide's Mail::IMAPClient script exits 0 (status $STATUS)" test "$STATUS" = 0
	check "$name: it counted the (empty) INBOX" grep -qx 'INBOX: 0 messages' "$OUT"
	# Mail::IMAPClient sends AUTHENTICATE alone, the response after "+"
	ss_expect "$name" "$before" "$SS_IMAP_PORT" "$mech" withheld
	[ "$mech" = XOAUTH2 ] && mech=OAUTHBEARER || mech=XOAUTH2
done

check "no output shows a token" \
	bash -c '! grep -qF -e "$1" -e "$2" -e "$3" "$4"/smtp-*.out "$4"/imap-*.out' _ "$GOOD" "$LONG0" "$BAD" "$E2E_TMP"

tests_exit
