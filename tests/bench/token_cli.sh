#!/bin/bash
# Wall time of `sasl-oauth2 token ACCOUNT` with a fresh token - what mail
# programs (mutt's oauth_refresh_command, msmtp's passwordeval, mbsync's
# PassCmd) pay before every connection - next to `true` as the floor (fork
# and exec from bash). Prints both medians over RUNS runs, and PASS or FAIL
# against the target; exits non-zero on FAIL.
#
#   BUILDDIR=build bash tests/bench/token_cli.sh [RUNS]    (default 200)
#
# The configuration is an empty file, so the defaults apply as on a fresh
# install (the system CA bundle is read at start-up).
set -u
. "$(dirname "$0")/../lib/tree.sh"

RUNS=${1:-200}
TARGET_US=5000
SO="$BUILDDIR/tools/sasl-oauth2"
TRUE=$(type -P true)
[ -x "$SO" ] || { echo "FAIL: $SO is not built (make tools/sasl-oauth2)"; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/token-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export SASL_OAUTH2_STATE_DIR="$TMP/state" SASL_OAUTH2_CONF="$TMP/sasl-oauth2.conf"
mkdir -m 700 "$SASL_OAUTH2_STATE_DIR"
: >"$SASL_OAUTH2_CONF"
TOKEN="bench-$(head -c 600 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
( umask 077
  printf '{"version": 1, "user": "bench@example.com", "access_token": "%s", "expires_at": %s, "refresh_token": "unused", "client_id": "bench", "token_endpoint": "https://127.0.0.1:9/token"}\n' \
	"$TOKEN" $(( $(date +%s) + 86400 )) >"$SASL_OAUTH2_STATE_DIR/bench.json" )

if [ "$("$SO" token bench)" != "$TOKEN" ]; then
	echo "FAIL: sasl-oauth2 token bench did not print the token"
	"$SO" token bench
	exit 1
fi

# median_us COMMAND...: median wall time of RUNS runs, in microseconds.
median_us() {
	local i t0 t1 times=()
	for i in $(seq 1 10); do "$@" >/dev/null; done # warm the page cache
	for i in $(seq 1 "$RUNS"); do
		t0=${EPOCHREALTIME/./}
		"$@" >/dev/null
		t1=${EPOCHREALTIME/./}
		times+=($(( t1 - t0 )))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END {
		print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f ms", us / 1000 }'; }

floor=$(median_us "$TRUE")
token=$(median_us "$SO" token bench)
floor2=$(median_us "$TRUE")
[ "$floor2" -lt "$floor" ] && floor=$floor2

echo "sasl-oauth2 token (fresh token): median $(ms "$token") over $RUNS runs"
echo "true (fork+exec floor):          median $(ms "$floor") over $RUNS runs"
echo "difference:                      $(ms $(( token - floor )))"
if readelf -d "$SO" 2>/dev/null | grep -q 'NEEDED.*libcurl'; then
	echo "note: $SO links libcurl at start-up; tools/curl_lazy.c is meant to keep it out"
	echo "      (the linker must drop unused libraries: -Wl,--as-needed)"
fi
if [ "$token" -le "$TARGET_US" ]; then
	echo "PASS: median $(ms "$token") <= $(ms $TARGET_US)"
else
	echo "FAIL: median $(ms "$token") > $(ms $TARGET_US)"
	exit 1
fi
