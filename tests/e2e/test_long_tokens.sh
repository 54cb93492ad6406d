#!/bin/bash
# End to end: provider-sized tokens (1,100, 2,000 and 4,500 characters:
# Google service-account tokens are about 1 KB, Microsoft's JWTs 1.5 to over
# 4 KB) through every libsasl2 client the suite runs, against saslserver.js:
#   - an SMTP listener that refuses command lines over 512 octets as Gmail
#     does ("555-5.5.2 Syntax error, command line too long"), and a POP3
#     listener that refuses lines over 255 (RFC 2449): every client must
#     send "AUTH MECH" alone and the response after the empty challenge,
#     which the plugin's withholding makes them do;
#   - an IMAP listener that takes lines of any length (Dovecot 2.3's login
#     processes cannot take ~4 KB SASL lines, so the 4,500 case needs it).
# The server checks each token at introspect.js, as Dovecot does, and logs
# for each exchange whether the response was on the command line, its
# octets, and the result (never the token). One server for all sizes.
#
# Clients: smtptest and pop3test (strict listeners; up to ~3,000
# characters, their own buffer limit), imtest, Postfix relaying to the
# strict SMTP listener, mbsync (token file, and PassCmd running the `token`
# command), mutt and neomutt (Cyrus SASL builds, IMAP), and the `token`
# command's raw, xoauth2 and oauthbearer outputs sent after "AUTH MECH".
# Postfix, smtptest and pop3test withheld long responses themselves before
# the plugin did; the plugin's own withholding is pinned by the unit tests
# (tests/unit/test_plugin.c) and, with clients that put any initial
# response on the AUTH line, by the Perl Net::SMTP tests.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/clients.sh"

e2e_setup long-tokens mbsync postfix tmux
for prog in "$IMTEST" "$SMTPTEST" "$POP3TEST"; do
	[ -x "$prog" ] || bail "setup: $prog missing (cyrus-clients)"
done
start_introspect
start_saslserver
note "saslserver: imap :$SS_IMAP_PORT, smtp (512) :$SS_SMTP_PORT, pop (255) :$SS_POP_PORT"

AUTH_USER=alice@example.com
SIZES=${LONG_TOKEN_SIZES:-1100 2000 4500}

# A JWT-shaped token of exactly N characters, known to the endpoint, in the
# token file $E2E_TMP/tok-N.json; TOK[N] holds it.
declare -A TOK
for n in $SIZES; do
	TOK[$n]=$(long_token "$n")
	add_token "${TOK[$n]}" "$AUTH_USER"
	write_token_file "$E2E_TMP/tok-$n.json" "${TOK[$n]}" "$AUTH_USER"
done

# cyrus_case NAME PROG PORT MECH SECRET WANT_IR: the client authenticates,
# and saslserver logged one successful exchange for it with the response
# where WANT_IR (line or withheld) says, and no refused long line.
cyrus_case() {
	local name=$1 prog=$2 port=$3 mech=$4 secret=$5 want=$6
	local out="$E2E_TMP/$name.out" before
	before=$(ss_count "")
	run_cyrus_client "$out" "$E2E_TMP/$name.syslog" "$prog" "$port" "$mech" "$AUTH_USER" "$secret"
	if grep -q '^Authenticated\.' "$out"; then
		ok "$name: $(basename "$prog") says Authenticated."
	else
		not_ok "$name: $(basename "$prog") says Authenticated."
		show_log "$out" "$(basename "$prog") output" 20
		show_log "$SS_LOG" saslserver 5
	fi
	ss_expect "$name" "$before" "$port" "$mech" "$want"
	check "$name: the plugin logged no warning" test -z "$(plugin_warnings "$E2E_TMP/$name.syslog")"
}

# Cyrus imtest, smtptest and pop3test base64-encode the response into a
# fixed buffer: tokens over about 3,000 characters fail in the client itself
# ("overflowed buffer", docs/clients.md), so they take the sizes up to that.
# Each size with one mechanism per client, the two alternating (the
# e2e group must stay quick).
mech=XOAUTH2 other=OAUTHBEARER
for n in $SIZES; do
	[ "$n" -le 3000 ] || continue
	f="$E2E_TMP/tok-$n.json"
	cyrus_case "smtptest-$mech-$n" "$SMTPTEST" "$SS_SMTP_PORT" "$mech" "$f" withheld
	cyrus_case "pop3test-$other-$n" "$POP3TEST" "$SS_POP_PORT" "$other" "$f" withheld
	cyrus_case "imtest-$mech-$n" "$IMTEST" "$SS_IMAP_PORT" "$mech" "$f" line
	m=$mech mech=$other other=$m
done

# A rejected provider-sized token over the strict SMTP listener: withheld,
# sent, the error challenge answered, one warning from the plugin.
BAD=$(long_token 2000)
write_token_file "$E2E_TMP/bad.json" "$BAD" "$AUTH_USER"
for mech in XOAUTH2 OAUTHBEARER; do
	name="smtptest-rejected-$mech"
	before=$(ss_count "")
	run_cyrus_client "$E2E_TMP/$name.out" "$E2E_TMP/$name.syslog" "$SMTPTEST" "$SS_SMTP_PORT" \
		"$mech" "$AUTH_USER" "$E2E_TMP/bad.json"
	check "$name: smtptest reports Authentication failed" grep -q '^Authentication failed' "$E2E_TMP/$name.out"
	want_reply=empty
	[ "$mech" = XOAUTH2 ] || want_reply=01
	check "$name: the withheld response was sent and the error challenge answered ($want_reply)" \
		test "$(ss_count "$SS_SMTP_PORT $mech ir=withheld .* reply=$want_reply rejected" "$before")" = 1
	if [ "$SYSLOG_CAPTURE" = yes ]; then
		check "$name: the plugin logged that the server rejected the token" \
			grep -q 'rejected the token' <(plugin_warnings "$E2E_TMP/$name.syslog")
	fi
done

# ----- Postfix relaying to the strict SMTP listener ------------------------
# One private sending instance; the token file it reads is rewritten for
# each size (the plugin notices the change), every delivery logs in afresh.
PF_DIR="$E2E_TMP/pf"
PF_TOKEN="$E2E_TMP/pf-token.json"
mkdir -p "$PF_DIR/etc"
PF_PORT=$(free_port) || bail "setup: no free port"
{
	pf_common_main_cf "$PF_DIR" client
	cat <<EOF
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$SS_SMTP_PORT
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = inline:{ { [127.0.0.1]:$SS_SMTP_PORT = $AUTH_USER:$PF_TOKEN } }
smtp_sasl_mechanism_filter = xoauth2
# loopback without TLS: a bearer token is plaintext in libsasl2's sense
smtp_sasl_security_options = noanonymous
max_use = 1
smtp_connection_cache_on_demand = no
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME SASL_PATH=$PLUGIN_DIR
EOF
} >"$PF_DIR/etc/main.cf"
pf_master_cf "$PF_DIR/etc" "$PF_PORT"
write_token_file "$PF_TOKEN" "${TOK[${SIZES%% *}]}" "$AUTH_USER" 3600 postfix
pf_start "$PF_DIR"
wait_port "$PF_PORT" 10 || bail "setup: postfix smtpd not listening"
for n in $SIZES; do
	name="postfix-$n"
	write_token_file "$PF_TOKEN" "${TOK[$n]}" "$AUTH_USER" 3600 postfix
	subject="long token $n $$.$RANDOM"
	before=$(ss_count "")
	if "$NODE" "$E2E_DIR/smtpsend.js" "$PF_PORT" "$AUTH_USER" bob@example.net "$subject" \
		>"$E2E_TMP/$name.send" 2>&1; then
		ok "$name: Postfix took the message"
	else
		not_ok "$name: Postfix took the message"
	fi
	if wait_for 30 grep -qsF "Subject: $subject" -r "$SS_DIR"; then
		ok "$name: Postfix relayed it, logged in with the $n-character token"
	else
		not_ok "$name: Postfix relayed it, logged in with the $n-character token"
		show_log "$PF_DIR/maillog" "postfix maillog" 15
	fi
	ss_expect "$name" "$before" "$SS_SMTP_PORT" XOAUTH2 withheld
done

# ----- mbsync over IMAP (no line limit): token file and PassCmd -----------
need_cli
# mbsync_case NAME MECH PASSLINE: one sync of the (empty) INBOX.
mbsync_case() {
	local name=$1 dir="$E2E_TMP/$1" before rc=0
	mbsync_conf "$name" "$SS_IMAP_PORT" "$2" None "$3"
	before=$(ss_count "")
	env SASL_PATH="$PLUGIN_DIR" timeout 30 mbsync -c "$dir/mbsyncrc" t >"$dir.out" 2>&1 </dev/null || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$name: mbsync exits 0"
	else
		not_ok "$name: mbsync exits 0 (got $rc)"
		show_log "$dir.out" "mbsync output" 10
	fi
	ss_expect "$name" "$before" "$SS_IMAP_PORT" "$2" line
}
for n in $SIZES; do
	mbsync_case "mbsync-file-$n" XOAUTH2 "Pass $E2E_TMP/tok-$n.json"
	mbsync_case "mbsync-passcmd-$n" OAUTHBEARER "PassCmd \"$CLI token $E2E_TMP/tok-$n.json\""
done

# ----- mutt and neomutt (Cyrus SASL builds) over IMAP ---------------------
# Each logs in, opens the INBOX and quits (mutt_run). mutt steps once more
# after the server's OK with its leftover buffer: no rejection either.
# Their SMTP is not here: the mutt build has no SMTP, and neomutt (2025)
# cannot decode the empty 334 that follows "AUTH MECH" (docs/clients.md).
mutt_case() { # PROG BIN MECH SIZE
	local prog=$1 mech=$3 n=$4 name="$1-$3-$4" before
	local home="$E2E_TMP/$name" rc="$E2E_TMP/$name.muttrc"
	cat >"$rc" <<EOF
set imap_user = "$AUTH_USER"
set imap_pass = "$E2E_TMP/tok-$n.json"
set imap_authenticators = "$(echo "$mech" | tr 'A-Z' 'a-z')"
set folder = "imap://127.0.0.1:$SS_IMAP_PORT/"
set spoolfile = "+INBOX"
set ssl_starttls = no
set ssl_force_tls = no
set quit = yes
set imap_passive = yes
EOF
	before=$(ss_count "")
	mutt_run "$prog" "$2" "$home" "$rc" 40
	if [ "$STATUS" = 0 ]; then
		ok "$name: $prog logs in and quits (after $ELAPSED s)"
	else
		not_ok "$name: $prog logs in and quits (exit $STATUS after $ELAPSED s)"
		show_log "$home/screen" "$prog screen" 10
		show_log "$DEBUG_LOG" "$prog debug log" 20
	fi
	ss_expect "$name" "$before" "$SS_IMAP_PORT" "$mech" line
	check "$name: the plugin logged no warning" bash -c '! grep -q "rejected the token" "$1"' _ "$DEBUG_LOG"
}
for prog in ${MUTT_SASL_PROGS:-neomutt mutt}; do
	if ! bin=$(bash "$E2E_DIR/build-mutt-sasl.sh" "$prog"); then
		not_ok "$prog linked with Cyrus SASL could be built (tests/e2e/build-mutt-sasl.sh $prog)"
		continue
	fi
	mech=XOAUTH2
	for n in $SIZES; do
		mutt_case "$prog" "$bin" "$mech" "$n"
		[ "$mech" = XOAUTH2 ] && mech=OAUTHBEARER || mech=XOAUTH2
	done
done

# ----- the token command's outputs ------------------------------------------
# raw is the token; xoauth2 and oauthbearer are the base64 responses, whole,
# and a server takes them after "AUTH MECH" (as an application that runs the
# command would send them to a strict server).
smtp_with_response() { # PORT MECH BASE64: prints the server's last reply
	local l
	exec 3<>"/dev/tcp/127.0.0.1/$1"
	read -r l <&3
	printf 'EHLO t\r\n' >&3
	while read -r l <&3 && [ "${l:3:1}" = - ]; do :; done
	printf 'AUTH %s\r\n' "$2" >&3
	read -r l <&3
	[ "${l:0:3}" != 334 ] || { printf '%s\r\n' "$3" >&3; read -r l <&3; }
	printf 'QUIT\r\n' >&3
	exec 3<&-
	printf '%s\n' "${l%$'\r'}"
}
for n in $SIZES; do
	f="$E2E_TMP/tok-$n.json"
	check "token $n: raw output is the whole token" test "$("$CLI" token "$f")" = "${TOK[$n]}"
	x=$("$CLI" token --format xoauth2 "$f")
	check "token $n: the xoauth2 output decodes to the exact response" \
		test "$(printf '%s' "$x" | base64 -d | tr '\001' '^')" = "user=$AUTH_USER^auth=Bearer ${TOK[$n]}^^"
	o=$("$CLI" token --format oauthbearer "$f")
	before=$(ss_count "")
	check "token $n: the strict SMTP server takes the xoauth2 output after AUTH XOAUTH2" \
		grep -q '^235 ' <(smtp_with_response "$SS_SMTP_PORT" XOAUTH2 "$x")
	check "token $n: the strict SMTP server takes the oauthbearer output after AUTH OAUTHBEARER" \
		grep -q '^235 ' <(smtp_with_response "$SS_SMTP_PORT" OAUTHBEARER "$o")
	check "token $n: the server logged both logins, withheld" \
		test "$(ss_count ":$SS_SMTP_PORT [A-Z0-9]+ ir=withheld .* ok\$" "$before")" = 2
done

# `sasl-oauth2 test --smtp` (its own SMTP client) withholds by the same rule.
for n in $SIZES; do
	before=$(ss_count "")
	if "$CLI" test "$E2E_TMP/tok-$n.json" --smtp "127.0.0.1:$SS_SMTP_PORT" >"$E2E_TMP/test-$n.out" 2>&1; then
		ok "test --smtp $n: logs in to the strict SMTP server"
	else
		not_ok "test --smtp $n: logs in to the strict SMTP server"
		show_log "$E2E_TMP/test-$n.out" "sasl-oauth2 test" 15
	fi
	check "test --smtp $n: it says why the response follows the 334" \
		grep -q "longer than 512 octets" "$E2E_TMP/test-$n.out"
	ss_expect "test --smtp $n" "$before" "$SS_SMTP_PORT" XOAUTH2 withheld
done

n=${SIZES##* }
check "no token appears in the server's log" bash -c '! grep -qF -- "${1:0:40}" "$2"' _ "${TOK[$n]}" "$SS_LOG"
tests_exit
