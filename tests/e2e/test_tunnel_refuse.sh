#!/bin/bash
# `sasl-oauth2 tunnel` refuses servers it must not trust with a token, and
# sends them nothing the client or the token could leak through:
#   - a server that offers no STARTTLS (IMAP and POP3; a recorder keeps
#     every byte it receives): the tunnel stops after CAPABILITY/CAPA;
#   - a server whose certificate does not verify (Dovecot's IMAPS with a CA
#     bundle that does not hold the test CA): no login reaches Dovecot.
# In each case the client gets no greeting (a broken connection, which
# fetchmail reports as such) and stderr says why. Also: the tunnel's usage
# errors and --help.
set -u
. "$(dirname "$0")/../lib/tunnel.sh"

tunnel_setup tunnel-refuse
tunnel_account alice alice@example.com
TOKEN=$(json_field "$SASL_OAUTH2_STATE_DIR/alice.json" access_token)

# tunnel NAME INPUT ARGS...: the tunnel with INPUT on stdin; stdout/stderr
# in $T/NAME.out/.err, status in $RC.
tunnel() {
	local name=$1 input=$2; shift 2
	RC=0
	printf "$input" | timeout 30 sasl-oauth2 tunnel "$@" >"$T/$name.out" 2>"$T/$name.err" || RC=$?
}

for proto in imap pop3; do
	port=$(free_port) || bail "setup: no free port"
	: >"$T/rec-$proto.bytes"
	e2e_bg "$T/rec-$proto.log" "$NODE" "$E2E_DIR/recorder.js" "$port" "$T/rec-$proto.bytes" $proto
	wait_port "$port" 10 || bail "setup: recorder did not start"
	if [ $proto = imap ]; then in='a1 LOGIN alice x\r\n'; else in='USER alice\r\nPASS x\r\n'; fi
	tunnel "nostarttls-$proto" "$in" alice 127.0.0.1 "$port" --protocol $proto
	check "no STARTTLS, $proto: refused (exit 1), stderr says why" \
		bash -c 'test "$1" = 1 && grep -q "does not offer STARTTLS" "$2"' _ "$RC" "$T/nostarttls-$proto.err"
	check "no STARTTLS, $proto: the client got nothing" test ! -s "$T/nostarttls-$proto.out"
	want="A1 CAPABILITY"; [ $proto = pop3 ] && want=CAPA
	check "no STARTTLS, $proto: the server got only '$want', no token, no login" \
		bash -c 'test "$(tr -d "\r" <"$1")" = "$2"' _ "$T/rec-$proto.bytes" "$want"
	check "no STARTTLS, $proto: the token is nowhere in the recorded bytes" no_token_in "$T/rec-$proto.bytes"
done

# a certificate that does not verify: the system's CAs do not know the test CA
logins=$(grep -c "Login: \|Logged in: " "$DOVECOT_LOG")
tunnel badcert 'a1 LOGIN alice x\r\n' alice localhost "$DOVECOT_IMAPS_PORT" --tls implicit \
	--ca-file /etc/ssl/certs/ca-certificates.crt
check "bad certificate: refused (exit 1), stderr names the verification failure" \
	bash -c 'test "$1" = 1 && grep -q "does not verify" "$2"' _ "$RC" "$T/badcert.err"
check "bad certificate: the client got nothing" test ! -s "$T/badcert.out"
check "bad certificate: no login reached Dovecot" \
	test "$(grep -c "Login: \|Logged in: \|auth failed" "$DOVECOT_LOG")" = "$logins"
# STARTTLS to the same server, same story
tunnel badcert-starttls 'a1 LOGIN alice x\r\n' alice localhost "$DOVECOT_IMAP_PORT" \
	--ca-file /etc/ssl/certs/ca-certificates.crt
check "bad certificate after STARTTLS: refused, nothing for the client" \
	bash -c 'test "$1" = 1 && grep -q "does not verify" "$2" && test ! -s "$3"' _ "$RC" \
		"$T/badcert-starttls.err" "$T/badcert-starttls.out"
# the certificate names 127.0.0.1 too: the control case, verified and used
tunnel badname 'a1 LOGIN alice x\r\n' alice 127.0.0.1 "$DOVECOT_IMAPS_PORT" --tls implicit
check "certificate for the IP address given: accepted (the control case)" \
	bash -c 'test "$1" = 0 && grep -q "^a1 OK" "$2"' _ "$RC" "$T/badname.out"
check "no token in any output" no_token_in "$T"/*.out "$T"/*.err

# no token to be had (no such account): the client's ordinary login
# failure, or with --preauth a BYE greeting, each naming the fix
tunnel notoken-login 'a1 LOGIN x y\r\na2 LOGOUT\r\n' nosuch localhost "$DOVECOT_IMAP_PORT"
check "no token: LOGIN is refused with the authorize command, the tunnel reaches no server" \
	bash -c 'grep -q "^a1 NO \[AUTHENTICATIONFAILED\] sasl-oauth2 has no valid token for account nosuch; authorize it again: sasl-oauth2 authorize nosuch" "$1" &&
		 grep -q "^a2 OK" "$1"' _ "$T/notoken-login.out"
tunnel notoken-preauth '' nosuch localhost "$DOVECOT_IMAPS_PORT" --tls implicit --preauth
check "no token, --preauth: a BYE greeting with the authorize command (exit 0, so mutt shows it)" \
	bash -c 'test "$1" = 0 && grep -q "^\* BYE \[AUTHENTICATIONFAILED\] sasl-oauth2 has no valid token for account nosuch" "$2"' _ \
	"$RC" "$T/notoken-preauth.out"

# usage
tunnel usage-none '' ; check "no ACCOUNT: exit 2" test "$RC" = 2
tunnel usage-port '' alice localhost 99999; check "bad PORT: exit 2" test "$RC" = 2
tunnel usage-tls '' alice --tls sometimes; check "bad --tls: exit 2" test "$RC" = 2
tunnel usage-preauth '' alice --preauth --protocol pop3; check "--preauth with POP3: exit 2" test "$RC" = 2
tunnel help '' --help
check "--help: exit 0, names fetchmail's plugin line" \
	bash -c 'test "$1" = 0 && grep -q "plugin \"sasl-oauth2 tunnel ACCOUNT %h %p\"" "$2"' _ "$RC" "$T/help.out"
tests_exit
