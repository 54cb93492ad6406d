#!/bin/bash
# sasl-oauth2 test: real logins against Dovecot (IMAP and submission),
# which validates the tokens by introspection at a real OAuth2 server
# (oauth2-mock-server over HTTPS, tests/e2e/authserver.js):
#   IMAP and SMTP, XOAUTH2 and OAUTHBEARER, plain text on loopback, STARTTLS
#   and implicit TLS against a second Dovecot with a certificate from
#   make-ca.sh; the transcript is shown with the token redacted, the JWT's
#   claims are shown, the command after the login runs; an expired token is
#   refreshed first; a revoked token fails with the server's decoded error
#   and the right answer to it; a wrong CA, a refused connection, an endless
#   line and a silent server fail cleanly. The token never appears.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/plugin.sh"
. "$(dirname "$0")/../lib/dovecot.sh"

CLI=${CLI:-$BUILDDIR/tools/sasl-oauth2}
e2e_setup cli-test
[ -x "$CLI" ] || bail "setup: $CLI is not built (make tools/sasl-oauth2)"
T=$E2E_TMP
start_authserver
write_refresh_conf
DOVECOT_INTROSPECT_URL="$AUTH_URL/dovecot-introspect"
DOVECOT_OAUTH2_CA=$CA_DIR/ca.pem
start_dovecot
export SASL_OAUTH2_STATE_DIR="$T/state"
mkdir -p "$SASL_OAUTH2_STATE_DIR"; chmod 700 "$SASL_OAUTH2_STATE_DIR"
U=alice@example.com
F="$SASL_OAUTH2_STATE_DIR/alice.json"
seed_token_file "$F" "$U" 3600

SEEN="$T/seen-tokens"
: >"$SEEN"
remember() {
	json_field "$F" access_token >>"$SEEN"
	json_field "$F" refresh_token >>"$SEEN"
}
remember

# run NAME ARGS...: the CLI; stdout in $T/NAME.out, stderr in $T/NAME.err,
# exit status in $RC.
run() {
	local name=$1; shift
	RC=0
	timeout 60 "$CLI" "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
}
has() { grep -qF -- "$2" "$T/$1.out"; }
has_err() { grep -qF -- "$2" "$T/$1.err"; }
has_re() { grep -qE -- "$2" "$T/$1.out"; }
no_token() {
	local t
	while read -r t; do
		[ -n "$t" ] || continue
		grep -qF -- "$t" "$T/$1.out" "$T/$1.err" && return 1
	done <"$SEEN"
	return 0
}
show() { show_log "$T/$1.out" "$1 stdout"; show_log "$T/$1.err" "$1 stderr" 10; }

# expect_login NAME PROTO MECH ARGS...: a successful login and its transcript.
expect_login() {
	local name=$1 proto=$2 mech=$3; shift 3
	local at head bad=$TESTS_FAILED
	at=$(json_field "$F" access_token); head=${at:0:6}
	run "$name" test alice "$@"
	check "$name: exit status 0 (got $RC)" test "$RC" = 0
	if [ "$proto" = imap ]; then
		check "$name: the AUTHENTICATE line is shown redacted" \
			has_re "$name" "^C: A[0-9] AUTHENTICATE $mech <redacted: $mech for $U, token $head\.\.\.>\$"
		check "$name: the server's OK is shown" has_re "$name" '^S: A[0-9] OK Logged in'
		check "$name: EXAMINE INBOX runs after the login and its result is shown" \
			bash -c 'grep -qE "^C: A[0-9] EXAMINE INBOX$" "$1" && grep -qE "^S: A[0-9] OK .*Examine completed" "$1"' _ "$T/$name.out"
		check "$name: the mailbox data is shown" has_re "$name" '^S: \* [0-9]+ EXISTS'
	else
		check "$name: the token goes after 334, as RFC 4954 wants for lines over 512 bytes" \
			bash -c 'grep -qx "C: AUTH $2" "$1" && grep -qx "S: 334 " "$1"' _ "$T/$name.out" "$mech"
		check "$name: the response line is shown redacted" \
			has "$name" "C: <redacted: $mech for $U, token $head...>"
		check "$name: the server's 235 is shown" has_re "$name" '^S: 235 '
		check "$name: MAIL FROM runs after the login and is accepted" \
			bash -c 'grep -qx "C: MAIL FROM:<$2>" "$1" && grep -A1 "^C: MAIL FROM" "$1" | grep -q "^S: 250 "' _ "$T/$name.out" "$U"
	fi
	check "$name: the JWT's claims are shown (sub, scope, exp)" \
		bash -c 'grep -q "^\*   sub: alice@example.com" "$1" && grep -q "^\*   scope: " "$1" &&
			 grep -qE "^\*   exp: .* UTC \(in " "$1"' _ "$T/$name.out"
	check "$name: the summary says OK" has "$name" "* OK: logged in to"
	check "$name: dovecot logged the $mech login" \
		grep -qE "(Login|Logged in): user=<$U>, method=$mech" "$DOVECOT_LOG"
	check "$name: neither token appears in the output" no_token "$name"
	[ "$TESTS_FAILED" = "$bad" ] || show "$name"
}

# --- plain text on loopback: IMAP and SMTP, both mechanisms -----------------------
expect_login imap-xoauth2 imap XOAUTH2 --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
check "imap-xoauth2: CAPABILITY came first" has_re imap-xoauth2 '^C: A1 CAPABILITY$'
check "imap-xoauth2: SASL-IR used (the response is on the command line)" \
	bash -c '! grep -q "^S: +" "$1"' _ "$T/imap-xoauth2.out"
expect_login imap-oauthbearer imap OAUTHBEARER --imap "127.0.0.1:$DOVECOT_IMAP_PORT" --mech oauthbearer
expect_login smtp-xoauth2 smtp XOAUTH2 --smtp "127.0.0.1:$DOVECOT_SUBMISSION_PORT"
check "smtp-xoauth2: EHLO came first" has_re smtp-xoauth2 '^C: EHLO '
expect_login smtp-oauthbearer smtp OAUTHBEARER --smtp "127.0.0.1:$DOVECOT_SUBMISSION_PORT" --mech OAUTHBEARER

# --- an expired token is refreshed through the token store first ------------------------
# (each section starts from its own token file: seed_token_file)
seed_token_file "$F" "$U" -30
remember
old_at=$(json_field "$F" access_token)
auth_admin POST /admin/reset-stats >/dev/null
expect_login refreshed imap XOAUTH2 --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
remember
check "refreshed: it said it refreshed first" has refreshed "refreshing it first"
check "refreshed: one token request" test "$(auth_stat token_requests)" = 1
check "refreshed: the file holds the new token" test "$(json_field "$F" access_token)" != "$old_at"

# --- a revoked token: the server's error, decoded, answered correctly -----------------
# expect_rejected NAME MECH REPLY STATUS ARGS...
expect_rejected() {
	local name=$1 mech=$2 reply=$3 status=$4; shift 4
	local bad=$TESTS_FAILED
	run "$name" test alice --mech "$mech" "$@"
	check "$name: non-zero exit status (got $RC)" test "$RC" != 0
	check "$name: the server's error challenge is shown decoded" \
		has_re "$name" "^\* server error challenge, decoded: \{.*\"status\":\"$status\""
	check "$name: the meaning is spelled out" has "$name" "token is expired, revoked or not valid"
	check "$name: the challenge is answered with '${reply:-<empty>}'" \
		bash -c 'grep -A3 "^\* server error challenge" "$1" | grep -qx "C: $2"' _ "$T/$name.out" "$reply"
	check "$name: the error message names the rejection and the server's words" \
		has_err "$name" "rejected the login as $U with $mech"
	check "$name: the error message carries the decoded status" has_err "$name" "status $status"
	check "$name: neither token appears in the output" no_token "$name"
	[ "$TESTS_FAILED" = "$bad" ] || show "$name"
}
seed_token_file "$F" "$U" 3600
remember
at=$(json_field "$F" access_token)
auth_admin POST /admin/revoke "{\"access_token\":\"$at\"}" >/dev/null
expect_rejected revoked-imap XOAUTH2 "" 401 --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
expect_rejected revoked-imap-oauthbearer OAUTHBEARER "AQ==" invalid_token --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
expect_rejected revoked-smtp XOAUTH2 "" 401 --smtp "127.0.0.1:$DOVECOT_SUBMISSION_PORT"
check "revoked-smtp: the server's final 535 is shown" has_re revoked-smtp '^S: 535 '
check "revoked: dovecot saw no aborted exchange (the client did not cancel)" \
	bash -c '! grep -q "auth aborted" "$1"' _ "$DOVECOT_LOG"

# --- TLS: a second Dovecot with ssl = yes and a make-ca.sh certificate ---------------------
# Made from the first one's configuration: its own base and state
# directories, ports and log; STARTTLS on the plain ports, implicit TLS on
# the imaps port.
seed_token_file "$F" "$U" 3600
remember
D2="$T/dovecot-tls"
mkdir -p "$D2/run" "$D2/state"; chmod 755 "$D2" "$D2/run"
P_IMAP=$(free_port); P_SUB=$(free_port); P_IMAPS=$(free_port)
if dovecot_24; then
	tls_lines="ssl_server_cert_file = $CA_DIR/server.pem\nssl_server_key_file = $CA_DIR/server-key.pem"
else
	tls_lines="ssl_cert = <$CA_DIR/server.pem\nssl_key = <$CA_DIR/server-key.pem"
fi
sed -e "s#^base_dir = .*#base_dir = $D2/run#" \
    -e "s#^state_dir = .*#state_dir = $D2/state#" \
    -e "s#^instance_name = .*#instance_name = e2e-tls-$(basename "$T")#" \
    -e "s#^log_path = .*#log_path = $D2/dovecot.log#" \
    -e "s#^ssl = no#ssl = yes\n$tls_lines#" \
    -e "s#port = $DOVECOT_IMAP_PORT\$#port = $P_IMAP#" \
    -e "s#port = $DOVECOT_SUBMISSION_PORT\$#port = $P_SUB#" \
    -e "s#^    port = 0\$#    port = $P_IMAPS\n    ssl = yes#" \
    "$DOVECOT_CONF" >"$D2/dovecot.conf"
if err=$(doveconf -c "$D2/dovecot.conf" -n 2>&1 >/dev/null) && [ -z "$err" ]; then
	e2e_bg "$D2/dovecot.stderr" dovecot -F -c "$D2/dovecot.conf"
	if wait_port "$P_IMAP" 15 && wait_port "$P_SUB" 5 && wait_port "$P_IMAPS" 5; then
		DOVECOT_LOG_MAIN=$DOVECOT_LOG
		DOVECOT_LOG="$D2/dovecot.log"
		expect_login starttls-imap imap XOAUTH2 --imap "127.0.0.1:$P_IMAP" --starttls --ca-file "$CA_DIR/ca.pem"
		check "starttls-imap: STARTTLS, then a verified handshake" \
			bash -c 'grep -q "^C: A2 STARTTLS" "$1" && grep -q "^\* TLS.*certificate verified for 127.0.0.1" "$1"' _ "$T/starttls-imap.out"
		check "starttls-imap: CAPABILITY asked again after STARTTLS" has_re starttls-imap '^C: A3 CAPABILITY$'
		# the AUTHENTICATE tag moved: A4 after STARTTLS + CAPABILITY
		check "starttls-imap: the login is redacted and accepted" \
			bash -c 'grep -q "^C: A4 AUTHENTICATE XOAUTH2 <redacted: " "$1" && grep -q "^S: A4 OK" "$1"' _ "$T/starttls-imap.out"
		expect_login starttls-smtp smtp OAUTHBEARER --smtp "127.0.0.1:$P_SUB" --starttls --mech oauthbearer
		check "starttls-smtp: CA from the config's ca_bundle; STARTTLS then EHLO again" \
			bash -c 'grep -q "^C: STARTTLS" "$1" && test "$(grep -c "^C: EHLO" "$1")" = 2' _ "$T/starttls-smtp.out"
		expect_login tls-imap imap XOAUTH2 --imap "localhost:$P_IMAPS" --tls
		check "tls-imap: implicit TLS verified by host name (localhost)" \
			has tls-imap "certificate verified for localhost"
		run wrong-ca test alice --imap "127.0.0.1:$P_IMAPS" --tls --ca-file /etc/ssl/certs/ca-certificates.crt
		check "wrong CA: non-zero exit status (got $RC)" test "$RC" != 0
		check "wrong CA: says the certificate does not verify, and why" \
			has_err wrong-ca "does not verify: unable to get local issuer certificate"
		check "wrong CA: no token was sent" bash -c '! grep -q "AUTHENTICATE" "$1"' _ "$T/wrong-ca.out"
		run starttls-missing test alice --imap "127.0.0.1:$DOVECOT_IMAP_PORT" --starttls
		check "no STARTTLS offered: non-zero exit, and it says so" \
			bash -c 'test "$1" != 0 && grep -q "does not offer STARTTLS" "$2"' _ "$RC" "$T/starttls-missing.err"
		DOVECOT_LOG=$DOVECOT_LOG_MAIN
	else
		show_log "$D2/dovecot.stderr" "dovecot (TLS) stderr"
		not_ok "tls: the second Dovecot (ssl = yes) did not start"
	fi
else
	echo "$err" | sed 's/^/#   /'
	not_ok "tls: doveconf rejected the ssl = yes configuration"
fi

# --- connection trouble: bounded and timed out ---------------------------------------------
run refused test alice --imap "127.0.0.1:$(free_port)"
check "connection refused: exit 75 with a message (got $RC)" \
	bash -c 'test "$1" = 75 && grep -q "cannot connect to 127.0.0.1" "$2"' _ "$RC" "$T/refused.err"
# fake_server PORT MODE [ADDRESS]: long = an endless greeting line, silent =
# says nothing, greet = an IMAP greeting, then whatever comes is logged
fake_server() {
	e2e_bg "$T/fake-$2.log" "$NODE" -e '
		const [port, mode, addr] = process.argv.slice(1);
		require("net").createServer((s) => {
			s.on("error", () => {});
			s.on("data", (d) => process.stdout.write(d));
			if (mode === "long") s.write("* OK " + "A".repeat(200000));
			if (mode === "greet") s.write("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi\r\n");
		}).listen(Number(port), addr);' "$1" "$2" "${3:-127.0.0.1}"
	wait_port "$1" 10
}
P=$(free_port); fake_server "$P" long
run long-line test alice --imap "127.0.0.1:$P"
check "endless line: non-zero exit, the 64 KiB line bound named (got $RC)" \
	bash -c 'test "$1" != 0 && grep -q "line longer than 65536 bytes" "$2"' _ "$RC" "$T/long-line.err"
P=$(free_port); fake_server "$P" silent
start=$(date +%s)
run silent test alice --imap "127.0.0.1:$P" --timeout 2
took=$(( $(date +%s) - start ))
check "silent server: exit 75 after the timeout, not later (${took}s)" \
	bash -c 'test "$1" = 75 && test "$2" -le 5 && grep -q "sent nothing within the timeout" "$3"' _ "$RC" "$took" "$T/silent.err"

# plain text to a host that is not on loopback: refused before any token
EXT=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4; exit }')
[ -n "$EXT" ] || EXT=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9.]+$' | grep -v '^127\.' | head -n1)
if [ -n "$EXT" ]; then
	P=$(free_port); fake_server "$P" greet "$EXT"
	run cleartext test alice --imap "$EXT:$P"
	check "plain text off loopback: refused, non-zero exit (got $RC)" \
		bash -c 'test "$1" != 0 && grep -q "refusing to send a token unencrypted" "$2"' _ "$RC" "$T/cleartext.err"
	check "plain text off loopback: nothing was sent" test ! -s "$T/fake-greet.log"
else
	skip "plain text off loopback: this host has no non-loopback IPv4 address"
fi

# --- usage ---------------------------------------------------------------------------
run usage test alice
check "usage: no server is exit 2" test "$RC" = 2
run noacct test nobody-here --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
check "usage: an unknown account is exit 67 with the authorize command" \
	bash -c 'test "$1" = 67 && grep -q "sasl-oauth2 authorize nobody-here" "$2"' _ "$RC" "$T/noacct.err"

# --- a shared mailbox (authorize --shared-mailbox): the token names the
# delegate, the user is the shared address; test says so instead of warning
# that the token is someone else's. The token is a hand-made JWT (the mock
# server's carry no upn), so Dovecot refuses the login afterwards.
jwt="$(printf '{"alg":"none","typ":"JWT"}' | b64url).$(printf '{"upn":"alice@example.com","scp":"IMAP.AccessAsUser.All","exp":%s}' "$(( $(date +%s) + 3600 ))" | b64url).sig"
( umask 077; printf '{"version":1,"user":"shared@example.com","signed_in_as":"alice@example.com","access_token":"%s","expires_at":%s}\n' \
	"$jwt" "$(( $(date +%s) + 3600 ))" >"$SASL_OAUTH2_STATE_DIR/shared.json" )
run shared test shared --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
check "shared mailbox: test names the delegate and the permission instead of 'another user'" \
	bash -c 'grep -q "^\* the token is alice@example.com.s, used for the shared mailbox shared@example.com .*Full Access" "$1" && ! grep -q "names another user" "$1"' _ "$T/shared.out"
( umask 077; sed 's/"signed_in_as":"alice@example.com",//' "$SASL_OAUTH2_STATE_DIR/shared.json" >"$SASL_OAUTH2_STATE_DIR/other.json" )
run other test other --imap "127.0.0.1:$DOVECOT_IMAP_PORT"
check "another user's token (no signed_in_as): test still notes it" \
	grep -q "names another user than shared@example.com" "$T/other.out"

sort -u "$SEEN" -o "$SEEN"
tests_exit
