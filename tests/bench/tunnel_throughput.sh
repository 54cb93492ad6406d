#!/bin/bash
# Throughput of `sasl-oauth2 tunnel` against a direct TLS connection: the
# same IMAP session (sign in, SELECT, UID FETCH of one MB-sized message,
# LOGOUT) against the test Dovecot's IMAPS port, once through the tunnel
# (LOGIN answered by the tunnel with XOAUTH2) and once directly with
# `openssl s_client` (AUTHENTICATE XOAUTH2 with the same token). Prints
# the median seconds and MB/s of each over RUNS runs and the ratio. A
# benchmark, not a test: it asserts nothing about the figures (the issue's
# aim is the tunnel within 10% of direct TLS), and exits non-zero only when
# a run fails to fetch the whole message.
#
#   BUILDDIR=build bash tests/bench/tunnel_throughput.sh [RUNS [MB]]   (5, 50)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tunnel.sh"

RUNS=${1:-5}
MB=${2:-50}
tunnel_setup tunnel-bench openssl
tunnel_account alice alice@example.com
U=alice@example.com
MD="$E2E_TMP/dovecot/home/$U/Maildir"
mkdir -p "$MD/cur" "$MD/new" "$MD/tmp"
{
	printf 'From: bob@example.net\r\nTo: %s\r\nSubject: bench\r\n\r\n' "$U"
	awk -v n=$((MB * 1024)) 'BEGIN { p = sprintf("%1012s", ""); gsub(/ /, "y", p)
		for (i = 1; i <= n; i++) printf "%09d %s\r\n", i, p }'
} >"$MD/new/1.M1.bench"
chown -R nobody:nogroup "$E2E_TMP/dovecot/home/$U"
SIZE=$(stat -c %s "$MD/new/1.M1.bench")
IR=$(sasl-oauth2 token --format xoauth2 alice) || bail "setup: no token"
CMDS='a2 SELECT INBOX\r\na3 UID FETCH 1 BODY.PEEK[]\r\na4 LOGOUT\r\n'
# warm Dovecot's index and the page cache
printf "a1 LOGIN x y\r\n$CMDS" | sasl-oauth2 tunnel alice localhost "$DOVECOT_IMAPS_PORT" \
	--tls implicit >/dev/null 2>&1

# one_run tunnel|direct: seconds for the session, the output checked
one_run() {
	local t0 t1 out="$E2E_TMP/run.out"
	t0=$(date +%s.%N)
	if [ "$1" = tunnel ]; then
		printf "a1 LOGIN x y\r\n$CMDS" | sasl-oauth2 tunnel alice localhost \
			"$DOVECOT_IMAPS_PORT" --tls implicit >"$out" 2>/dev/null
	else
		# the token goes on s_client's stdin, never its argv
		{ printf 'a1 AUTHENTICATE XOAUTH2 %s\r\n' "$IR"; printf "$CMDS"; } |
			openssl s_client -quiet -connect "127.0.0.1:$DOVECOT_IMAPS_PORT" \
			-CAfile "$CA_DIR/ca.pem" -verify_return_error >"$out" 2>/dev/null
	fi
	t1=$(date +%s.%N)
	grep -aq "BODY\[\] {$SIZE}" "$out" && grep -aq '^a4 OK' "$out" || return 1
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$E2E_TMP/tunnel.times"; : >"$E2E_TMP/direct.times"
for i in $(seq 1 "$RUNS"); do
	for mode in direct tunnel; do # interleaved: load changes hit both
		s=$(one_run $mode) || { not_ok "$mode run $i did not fetch the whole message"; continue; }
		echo "$s" >>"$E2E_TMP/$mode.times"
	done
done
td=$(median <"$E2E_TMP/direct.times"); tt=$(median <"$E2E_TMP/tunnel.times")
printf '# message %d bytes, %d runs each (medians)\n' "$SIZE" "$RUNS"
awk -v s="$SIZE" -v d="$td" -v t="$tt" 'BEGIN {
	printf "# direct TLS (openssl s_client): %.3f s, %.1f MB/s\n", d, s / 1048576 / d
	printf "# through the tunnel:            %.3f s, %.1f MB/s\n", t, s / 1048576 / t
	printf "# tunnel / direct: %.2f\n", t / d }'
tests_exit
