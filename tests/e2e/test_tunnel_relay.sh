#!/bin/bash
# `sasl-oauth2 tunnel` after the sign-in passes every byte unchanged, with
# no line limit: a 50 MB message (long lines included) fetched through the
# tunnel by a client that pipelines its commands behind the LOGIN arrives
# byte for byte as Dovecot stored it; a client that hangs up ends the
# tunnel and the server connection at once, and a server that goes away
# ends the tunnel (no process left behind).
set -u
. "$(dirname "$0")/../lib/tunnel.sh"

tunnel_setup tunnel-relay
tunnel_account alice alice@example.com
U=alice@example.com
MD="$E2E_TMP/dovecot/home/$U/Maildir"
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
# 50 MB: header, one line of 1 MB, then 50,000 numbered lines of 1 KB,
# CRLF-terminated as Dovecot sends them
{
	printf 'From: bob@example.net\r\nTo: %s\r\nSubject: big\r\n\r\n' "$U"
	head -c 1048576 /dev/zero | tr '\0' 'L'; printf '\r\n'
	# numbered lines: a chunk lost, doubled or moved shows
	awk 'BEGIN { p = sprintf("%1012s", ""); gsub(/ /, "y", p)
		for (i = 1; i <= 50000; i++) printf "%09d %s\r\n", i, p }'
} >"$MD/new/1.M1.big"
chown -R nobody:nogroup "$E2E_TMP/dovecot/home/$U"
SIZE=$(stat -c %s "$MD/new/1.M1.big")
WANT=$(sha256sum <"$MD/new/1.M1.big" | cut -d' ' -f1)

start=$SECONDS
printf 'a1 LOGIN alice x\r\na2 SELECT INBOX\r\na3 UID FETCH 1 BODY.PEEK[]\r\na4 LOGOUT\r\n' |
	timeout 120 sasl-oauth2 tunnel alice localhost "$DOVECOT_IMAPS_PORT" --tls implicit \
	>"$E2E_TMP/big.out" 2>"$E2E_TMP/big.err"
RC=$?
SECS=$((SECONDS - start))
check "50 MB fetch: the tunnel ended with status 0 after LOGOUT (${SECS}s)" test "$RC" = 0
# the literal: "* 1 FETCH (UID 1 BODY[] {SIZE}" CRLF, then SIZE bytes
off=$(grep -abo "BODY\[\] {$SIZE}" "$E2E_TMP/big.out" | head -n 1 | cut -d: -f1)
if [ -n "$off" ]; then
	start_byte=$((off + ${#SIZE} + 11)) # past "BODY[] {" SIZE "}" CRLF
	GOT=$(tail -c +$((start_byte + 1)) "$E2E_TMP/big.out" | head -c "$SIZE" | sha256sum | cut -d' ' -f1)
	check "50 MB fetch: the message arrived byte for byte ($SIZE bytes)" test "$GOT" = "$WANT"
else
	not_ok "50 MB fetch: no literal of $SIZE bytes in the answer"
	head -c 600 "$E2E_TMP/big.out" | sed 's/^/#   /'
	show_log "$E2E_TMP/big.err" "tunnel stderr"
fi
check "50 MB fetch: the pipelined commands after LOGIN were all answered" \
	bash -c 'grep -aq "^a2 OK" "$1" && grep -aq "^a3 OK" "$1" && grep -aq "^a4 OK" "$1"' _ "$E2E_TMP/big.out"

# session NAME INPUT TAG: a tunnel in the background (pid $TPID) whose
# stdin stays open on fd 7 after INPUT, until the server answered TAG OK
session() {
	rm -f "$E2E_TMP/in"; mkfifo "$E2E_TMP/in"
	timeout 30 sasl-oauth2 tunnel alice localhost "$DOVECOT_IMAPS_PORT" --tls implicit \
		<"$E2E_TMP/in" >"$E2E_TMP/$1.out" 2>&1 &
	TPID=$!
	exec 7>"$E2E_TMP/in"
	printf "$2" >&7
	wait_for 10 grep -aq "^$3 OK" "$E2E_TMP/$1.out"
}

# the client hangs up in the middle of a session: tunnel and server session end
session hangup 'a1 LOGIN alice x\r\na2 SELECT INBOX\r\n' a2
exec 7>&-
start=$SECONDS
wait "$TPID"; RC=$?
check "client hang-up: the tunnel ends by itself within 3 s (status $RC)" \
	test "$RC" = 0 -a $((SECONDS - start)) -le 3
check "client hang-up: Dovecot saw the session end" \
	wait_for 5 bash -c 'test "$(grep -c "imap(alice@example.com).*Disconnected" "$1")" -ge 2' _ "$DOVECOT_LOG"

# the server ends the session (doveadm kick): the tunnel ends, the client
# still connected sees the end
session gone 'a1 LOGIN alice x\r\n' a1
doveadm -c "$DOVECOT_CONF" kick "$U" >/dev/null 2>&1 || note "doveadm kick failed"
start=$SECONDS
wait "$TPID"; RC=$?
exec 7>&-
check "server gone: the tunnel ends by itself, with the client still connected" \
	test $((SECONDS - start)) -le 5 -a "$RC" != 124
check "no token in any output" no_token_in "$E2E_TMP"/*.out "$E2E_TMP"/*.err
tests_exit
