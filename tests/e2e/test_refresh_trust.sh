#!/bin/bash
# What a refresh may send, and when it may spend the refresh token (issue 9,
# section 4), against badtoken.js (an HTTPS token endpoint that records what
# it received) through the plugin, as Postfix drives it (sasl_auth):
#
# 1. The config's client_id/client_secret go only to the config's own
#    token endpoint (same https origin) or a built-in provider's. A token
#    file that names another endpoint and no client of its own is not
#    refreshed there: nothing is sent, and the WARN says why.
# 2. A refresh whose result cannot be saved (the token file's directory is
#    not writable by the refreshing user) is not attempted: the refresh
#    token is not spent, the still-valid access token is used, one WARN.
set -u
. "$(dirname "$0")/../lib/json.sh"
. "$(dirname "$0")/../lib/plugin.sh"

e2e_setup refresh-trust
CA_DIR="$E2E_TMP/ca"
bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || bail "setup: make-ca.sh failed"
BAD_PORT=$(free_port) || bail "setup: no free port"
e2e_bg "$E2E_TMP/badtoken.log" "$NODE" "$E2E_DIR/badtoken.js" "$BAD_PORT" --tls-dir "$CA_DIR"
wait_port "$BAD_PORT" 10 || { show_log "$E2E_TMP/badtoken.log" badtoken; bail "setup: badtoken.js did not start"; }
U=alice@example.com
CFG_SECRET=CfgSecret-0123456789

# ok_count: how many requests badtoken.js's /ok answered.
ok_count() {
	curl -fsS --cacert "$CA_DIR/ca.pem" "https://127.0.0.1:$BAD_PORT/stats" |
		"$NODE" -e 'let b="";process.stdin.on("data",c=>b+=c).on("end",()=>console.log(JSON.parse(b)["/ok"]||0))'
}
# last_field NAME: that form field of the last request ("" when absent).
last_field() {
	curl -fsS --cacert "$CA_DIR/ca.pem" "https://127.0.0.1:$BAD_PORT/last" |
		"$NODE" -e 'let b="";process.stdin.on("data",c=>b+=c).on("end",()=>{const l=JSON.parse(b||"{}");console.log((l.form||{})[process.argv[1]]||"")})' "$1"
}

# token_file PATH ENDPOINT EXPIRES_IN [CLIENT_JSON]: a refreshable token file.
token_file() {
	( umask 077; cat >"$1" <<-JSON
	{ "version": 1, "user": "$U", "token_endpoint": "$2", ${4:-}
	  "access_token": "at-ORIGINAL-abcdef", "refresh_token": "rt-KEEP-ME-123456",
	  "expires_at": $(( $(date +%s) + $3 )) }
	JSON
	)
}

# --- 1. the config's client stays with the config's server -----------------------------
write_refresh_conf "client_id = cfg-client
client_secret = $CFG_SECRET
token_endpoint = https://login.example.invalid/oauth2/token"
F="$E2E_TMP/foreign.json"
token_file "$F" "https://127.0.0.1:$BAD_PORT/ok" -10
before=$(ok_count)
sasl_auth XOAUTH2 "$U" "$F"
check "foreign endpoint, no client in the file: the login fails (expired token, no refresh)" \
	test $? != 0
check "foreign endpoint: nothing was sent to it (no client_id, no client_secret)" \
	test "$(ok_count)" = "$before"
check "foreign endpoint: one WARN saying the file needs its own client_id" \
	bash -c 'test "$(grep -c "^LOG 3 " "$1")" = 1 && grep "^LOG 3 " "$1" | grep -q "client_id\" of its own.*not the config"' _ "$AUTH_OUT"
check "foreign endpoint: the secret is not in the log" bash -c '! grep -qF -- "$1" "$2"' _ "$CFG_SECRET" "$AUTH_OUT"
grep '^LOG 3 ' "$AUTH_OUT" | sed 's/^/#   /'

token_file "$F" "https://127.0.0.1:$BAD_PORT/ok" -10 '"client_id": "file-client",'
sasl_auth XOAUTH2 "$U" "$F"
check "foreign endpoint with its own client: refreshed" test "$(json_field "$F" access_token)" != at-ORIGINAL-abcdef
check "foreign endpoint with its own client: it got the file's client_id, no secret" \
	test "$(last_field client_id),$(last_field client_secret)" = "file-client,"

write_refresh_conf "client_id = cfg-client
client_secret = $CFG_SECRET
token_endpoint = https://127.0.0.1:$BAD_PORT/token"
token_file "$F" "https://127.0.0.1:$BAD_PORT/ok" -10
sasl_auth XOAUTH2 "$U" "$F"
check "the config's own server (same origin): refreshed with the config's client" \
	test "$(last_field client_id)" = cfg-client -a "$(json_field "$F" access_token)" != at-ORIGINAL-abcdef

# the same for `forget`: the revocation endpoint a file names gets no config client
CLI="$BUILDDIR/tools/sasl-oauth2"
export SASL_OAUTH2_STATE_DIR="$E2E_TMP/state"
install -d -m 700 "$SASL_OAUTH2_STATE_DIR"
write_refresh_conf "client_id = cfg-client
client_secret = $CFG_SECRET
token_endpoint = https://login.example.invalid/oauth2/token"
token_file "$SASL_OAUTH2_STATE_DIR/gone.json" "https://127.0.0.1:$BAD_PORT/ok" 3600 \
	"\"revocation_endpoint\": \"https://127.0.0.1:$BAD_PORT/ok\","
before=$(ok_count)
"$CLI" forget gone >"$E2E_TMP/forget.out" 2>&1
check "forget, foreign revocation endpoint: the file is removed" test ! -e "$SASL_OAUTH2_STATE_DIR/gone.json"
check "forget, foreign revocation endpoint: revoked there without the config's client" \
	test "$(ok_count)" -gt "$before" -a "$(last_field client_id),$(last_field client_secret)" = ","
check "forget: the secret is not in its output" bash -c '! grep -qF -- "$1" "$2"' _ "$CFG_SECRET" "$E2E_TMP/forget.out"

# and for `import` of a file with only a refresh token, naming another server
printf '{"refresh_token": "rt-IMPORT-0123456789", "token_endpoint": "https://127.0.0.1:%s/ok"}\n' \
	"$BAD_PORT" >"$E2E_TMP/import.json"
before=$(ok_count)
"$CLI" import "$E2E_TMP/import.json" imported >"$E2E_TMP/import.out" 2>&1
check "import, foreign token endpoint, no client in the file: nothing sent there" \
	test "$(ok_count)" = "$before"
check "import: says the file lacks a client_id" grep -q "client_id" "$E2E_TMP/import.out"
check "import: the secret is not in its output" bash -c '! grep -qF -- "$1" "$2"' _ "$CFG_SECRET" "$E2E_TMP/import.out"
sed 's/^/#   /' "$E2E_TMP/import.out"

# --- 2. no refresh whose result cannot be saved ----------------------------------------
write_refresh_conf
D="$E2E_TMP/readonly"
install -d -m 755 -o root "$D"
F="$D/relay.json"
token_file "$F" "https://127.0.0.1:$BAD_PORT/ok" 120 '"client_id": "file-client",'
chown nobody "$F"
cp -p "$F" "$E2E_TMP/relay.orig"
# as nobody: the directory is root's, so nothing can be created in it
AUTH_OUT="$E2E_TMP/sasl_auth.out"
SASL_AUTH_BIN=$(for_user nobody "$SASL_AUTH_BIN" "$E2E_TMP")
for lock in absent present; do
	if [ $lock = present ]; then
		install -m 600 -o nobody /dev/null "$F.lock"
	fi
	before=$(ok_count)
	runuser -u nobody -- env SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
		"$SASL_AUTH_BIN" "$PLUGIN_DIR" XOAUTH2 "$U" "$F" >"$AUTH_OUT" 2>&1
	rc=$?
	check "unwritable directory, lock file $lock: the login goes on with the still-valid token" \
		bash -c 'test "$1" = 0 && grep -q "^OK at-ORI" "$2"' _ "$rc" "$AUTH_OUT"
	check "unwritable directory, lock file $lock: the refresh token was not spent (no request)" \
		test "$(ok_count)" = "$before"
	check "unwritable directory, lock file $lock: the token file is unchanged" cmp -s "$F" "$E2E_TMP/relay.orig"
	check "unwritable directory, lock file $lock: one WARN naming the directory" \
		bash -c 'test "$(grep -c "^LOG 3 " "$1")" = 1 && grep "^LOG 3 " "$1" | grep -qF "$2"' _ "$AUTH_OUT" "$D"
	grep '^LOG 3 ' "$AUTH_OUT" | sed 's/^/#   /'
done

tests_exit
