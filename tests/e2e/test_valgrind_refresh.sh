#!/bin/bash
# valgrind memcheck over the plugin's network paths, which the unit tests
# cannot reach: a refresh over HTTPS against the real OAuth2 server, the
# rejection mark after an error challenge, and a refused refresh.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/plugin.sh"

e2e_setup valgrind-refresh
start_authserver
# Under memcheck the TLS handshake alone can take seconds on a busy machine.
REFRESH_CONNECT_TIMEOUT=20 REFRESH_TIMEOUT=30 write_refresh_conf
F="$E2E_TMP/vg.json"
VG=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect)

# vg_auth NAME EXPECTED_RC ARGS...: one authentication under memcheck.
vg_auth() {
	local name=$1 want=$2; shift 2
	"${VG[@]}" --log-file="$E2E_TMP/$name.vg" "$SASL_AUTH_BIN" "$PLUGIN_DIR" "$@" >"$E2E_TMP/$name.out" 2>&1
	local rc=$?
	check "valgrind $name: exit $want (got $rc) and memcheck clean" test "$rc" = "$want"
	[ -s "$E2E_TMP/$name.vg" ] && sed 's/^/#   /' "$E2E_TMP/$name.vg" | head -40
}

seed_token_file "$F" alice@example.com -10
vg_auth refresh 0 XOAUTH2 alice@example.com "$F"
check "valgrind refresh: the token was refreshed" test "$(json_field "$F" expires_at)" -gt "$(date +%s)"
vg_auth challenge 0 OAUTHBEARER alice@example.com "$F" '{"status":"invalid_token"}'
check "valgrind challenge: the file records the rejection" test -n "$(json_field "$F" rejected_at)"
auth_admin POST /admin/revoke "{\"refresh_token\":\"$(json_field "$F" refresh_token)\"}" >/dev/null
set_json_field "$F" expires_at 5
vg_auth refused 1 XOAUTH2 alice@example.com "$F"
check "valgrind refused: the refusal was reported" grep -q invalid_grant "$E2E_TMP/refused.out"

tests_exit
