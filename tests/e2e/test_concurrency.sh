#!/bin/bash
# Single-flight refresh across processes: CONC_N (32) tests/tools/sasl_auth
# processes, released at the same instant, authenticate from one token file
# whose access token has expired. The token endpoint (authserver.js, HTTPS,
# strict rotation) holds every request 200 ms, so without the PATH.lock
# flock the refreshes would overlap.
#
# Per scenario (XOAUTH2 only; XOAUTH2 and OAUTHBEARER alternating; the same
# with a token still valid but inside the 600 s refresh margin):
#   - exactly one token request reached the endpoint (/admin/stats
#     token_requests == 1, refresh_ok == 1, at most one in flight);
#   - all N processes printed OK, with one and the same token prefix, that of
#     the file's new access token, not the stale one. The stale access token
#     in the file is an opaque "stale-..." string, so the 6-character prefix
#     sasl_auth prints tells it from the server's JWTs ("eyJ0eX"); since the
#     endpoint was asked once, every OK used that one new token;
#   - the file is still a regular file, mode 0600, valid JSON, with a refresh
#     token that is not the seeded one and that the endpoint still accepts
#     (under strict rotation only the latest, unused one is accepted: the
#     file holds the rotated token, nothing was lost);
#   - no temporary file is left beside it;
#   - no libsasl2 log line at WARN level or worse, and no token (seeded,
#     stale, new; access or refresh; whole or a 16-character piece) in any
#     log line.
#
# FAULT=nolock (see fault_shim.c) disables the lock: the test must fail.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/servers.sh"
. "$HERE/../lib/plugin.sh"
. "$HERE/../lib/multiproc.sh"

N=${CONC_N:-32}
DELAY_MS=${CONC_DELAY_MS:-200}
T0=$EPOCHREALTIME

rf_setup concurrency
rf_start_authserver --strict-rotation --delay-ms "$DELAY_MS"
note "authserver $RF_URL (strict rotation, delay ${DELAY_MS} ms), $N processes per scenario"

# storm NAME EXPIRES_IN MECH...: N processes, mechanisms taken in turn from
# the list, against a fresh grant whose file says the access token expires
# in EXPIRES_IN seconds (negative: expired).
storm() {
	local name=$1 expires_in=$2; shift 2
	local mechs=("$@") d="$RF_TMP/$name" tok i p bad=0 pids=() stale new_at new_rt
	mkdir -p "$d"
	tok="$d/alice.json"
	rf_seed 3600
	stale="stale-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
	rf_write_token_file "$tok" "$stale" $(( $(date +%s) + expires_in )) "$RF_SEED_RT"
	rf_api POST /admin/reset-stats >/dev/null || bail "$name: reset-stats failed"

	# Barrier: every child blocks on a shared flock of $d/go until this
	# shell drops its exclusive one, so all N start at the same instant.
	exec 5>"$d/go"
	flock -x 5
	for i in $(seq 1 "$N"); do
		{ flock -s "$d/go" true; rf_auth "${mechs[$(( (i - 1) % ${#mechs[@]} ))]}" "$tok"; } \
			>"$d/out.$i" 2>"$d/err.$i" 5>&- &
		pids+=("$!")
	done
	sleep 0.3 # let them reach the barrier
	flock -u 5
	exec 5>&-
	for p in "${pids[@]}"; do
		wait "$p" || bad=$((bad + 1))
	done

	local oks prefixes stats
	oks=$(cat "$d"/out.* | grep -c '^OK ')
	prefixes=$(cat "$d"/out.* | sed -n 's/^OK //p' | sort -u | tr '\n' ' ')
	stats=$(rf_api GET /admin/stats)
	local req rok conc
	req=$(jstr "$stats" token_requests)
	rok=$(jstr "$stats" refresh_ok)
	conc=$(jstr "$stats" max_concurrent_token_requests)
	note "$name: ${oks}/$N OK, prefixes: ${prefixes:-none}; token_requests=$req refresh_ok=$rok max_concurrent=$conc"

	check "$name: exactly one token request for $N processes (got $req)" test "$req" = 1
	check "$name: the one request succeeded, never two in flight (refresh_ok=$rok, max_concurrent=$conc)" \
		test "$rok" = 1 -a "$conc" = 1
	check "$name: all $N processes succeeded (exit 0: $((N - bad)), OK: $oks)" \
		test "$bad" = 0 -a "$oks" = "$N"
	if [ "$bad" -gt 0 ]; then
		grep -h '^FAIL' "$d"/out.* | sort | uniq -c | head -3 | sed 's/^/#   /'
	fi

	local info why
	info=$(rf_tok inspect "$tok")
	why=$(sed -n 's/.*why=\([^ ]*\).*/\1/p' <<<"$info")
	check "$name: token file is a regular file, mode 0600, valid JSON with a refresh token ($why)" \
		test "$why" = ok
	new_at=$(rf_tok get "$tok" access_token 2>/dev/null)
	new_rt=$(rf_tok get "$tok" refresh_token 2>/dev/null)
	check "$name: every process sent the file's new access token (sent: ${prefixes% }; file: ${new_at:0:6}; stale: ${stale:0:6})" \
		test "$prefixes" = "${new_at:0:6} " -a "${new_at:0:6}" != "${stale:0:6}"
	check "$name: the file holds a new refresh token" test -n "$new_rt" -a "$new_rt" != "$RF_SEED_RT"
	check "$name: no temporary file left beside the token file" \
		test "$(sed -n 's/.*tmpfiles=\([0-9]*\).*/\1/p' <<<"$info")" = 0
	check "$name: no log line at WARN or worse" \
		bash -c '! grep -qE "^LOG [0-3] " "$@"' _ "$d"/err.*
	check "$name: no token in any log line" \
		rf_no_secret_in "$d"/err.* "$RF_AS_LOG" -- "$RF_SEED_RT" "$RF_SEED_AT" "$stale" "$new_at" "$new_rt"
	if grep -qE '^LOG [0-3] ' "$d"/err.*; then
		grep -hE '^LOG [0-3] ' "$d"/err.* | sort | uniq -c | head -3 | sed 's/^/#   /'
	fi
	# Last: this uses the file's refresh token up (strict rotation).
	local st
	st=$(rf_refresh_status "$new_rt")
	check "$name: the endpoint accepts the file's refresh token (status $st; strict rotation)" \
		test "$st" = 200
}

storm xoauth2 -60 XOAUTH2
storm mixed -60 XOAUTH2 OAUTHBEARER
storm in-margin 300 OAUTHBEARER XOAUTH2

note "runtime $(( (${EPOCHREALTIME/./} - ${T0/./}) / 1000 )) ms"
tests_exit
