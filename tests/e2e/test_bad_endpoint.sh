#!/bin/bash
# Refresh against a token endpoint that misbehaves on purpose (badtoken.js):
# each failure gives one clear WARN, the attempt returns within the timeout,
# and the token file is left byte-identical (temporary trouble) or validly
# updated with last_error (a refusal) - never corrupt, never emptied, and
# the refresh token is never dropped.
set -u
. "$(dirname "$0")/../lib/json.sh"
. "$(dirname "$0")/../lib/plugin.sh"

e2e_setup badendpoint
CA_DIR="$E2E_TMP/ca"
bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || bail "setup: make-ca.sh failed"
BAD_PORT=$(free_port) || bail "setup: no free port"
e2e_bg "$E2E_TMP/badtoken.log" "$NODE" "$E2E_DIR/badtoken.js" "$BAD_PORT" --tls-dir "$CA_DIR"
wait_port "$BAD_PORT" 10 || { show_log "$E2E_TMP/badtoken.log" badtoken; bail "setup: badtoken.js did not start"; }
write_refresh_conf   # timeout = 3, connect_timeout = 2
U=alice@example.com
F="$E2E_TMP/bad.json"

# token_file PATH EXPIRES_IN: a refreshable token file aimed at PATH.
token_file() {
	( umask 077; cat >"$F" <<-JSON
	{
	  "version": 1,
	  "user": "$U",
	  "client_id": "test-client",
	  "token_endpoint": "https://127.0.0.1:$BAD_PORT$1",
	  "access_token": "at-ORIGINAL-abcdef",
	  "refresh_token": "rt-KEEP-ME-123456",
	  "expires_at": $(( $(date +%s) + $2 ))
	}
	JSON
	)
}

no_tokens_logged() { ! grep -qE 'at-ORIGINAL|rt-KEEP-ME' "$AUTH_OUT"; }

# temporary PATH WARN_PATTERN: the expired token cannot be replaced; the
# login fails and the file is byte-identical.
temporary() {
	local path=$1 pat=$2 t0 t1
	token_file "$path" -10
	cp "$F" "$F.orig"
	t0=$(date +%s%N)
	sasl_auth XOAUTH2 "$U" "$F"
	local rc=$?
	t1=$(date +%s%N)
	check "$path: the login fails (expired token, no new one)" test $rc != 0
	check "$path: one WARN line: $pat" one_warn_matching "$pat"
	check "$path: the token file is byte-identical" cmp -s "$F" "$F.orig"
	check "$path: returned within the timeout ($(( (t1 - t0) / 1000000 )) ms)" \
		test $(( (t1 - t0) / 1000000 )) -lt 6000
	check "$path: no token in the log" no_tokens_logged
	warn_lines | sed 's/^/#   /'
}

# refused PATH WARN_PATTERN: a refusal; last_error is recorded, nothing lost.
refused() {
	local path=$1 pat=$2
	token_file "$path" -10
	sasl_auth XOAUTH2 "$U" "$F"
	check "$path: the login fails" test $? != 0
	check "$path: one WARN line: $pat" one_warn_matching "$pat"
	check "$path: the WARN gives the re-authorize command" one_warn_matching "sasl-oauth2 authorize $F"
	check "$path: the file is valid JSON, 0600" bash -c "node -e 'JSON.parse(require(\"fs\").readFileSync(process.argv[1]))' '$F' && test \$(stat -c %a '$F') = 600"
	check "$path: refresh and access tokens kept" \
		test "$(json_field "$F" refresh_token)" = rt-KEEP-ME-123456 -a "$(json_field "$F" access_token)" = at-ORIGINAL-abcdef
	check "$path: last_error recorded" test -n "$(json_field "$F" last_error)"
	check "$path: no token in the log" no_tokens_logged
	warn_lines | sed 's/^/#   /'
}

temporary /hang "timed out after"
temporary /huge "larger than 65536 bytes"
temporary "/huge?cl=1" "larger than 65536 bytes"
temporary /html "answered 200 but not with JSON"
temporary /badjson "answered 200 but not with JSON"
temporary /429 "HTTP 429.*temporary"
temporary /500 "HTTP 500.*temporary"
temporary /503 "HTTP 503.*temporary"
temporary /missing_fields 'without "access_token"'
temporary /redirect "HTTP 302 without an OAuth error"
check "/redirect: the redirect was not followed" \
	test "$(curl -s --cacert "$CA_DIR/ca.pem" "https://127.0.0.1:$BAD_PORT/stats" | node -e 'let b="";process.stdin.on("data",c=>b+=c).on("end",()=>console.log(JSON.parse(b)["/ok"]||0))')" = 0

refused /invalid_grant "invalid_grant.*AADSTS70000.*InvalidGrant"
refused /aadsts/700082 "AADSTS700082.*90 days without use"
refused /aadsts/50076 "AADSTS50076.*multi-factor"
refused /aadsts/50079 "AADSTS50079.*enrol in multi-factor"
refused /aadsts/70043 "AADSTS70043.*Conditional Access"
refused /aadsts/7000218 "AADSTS7000218.*confidential: give its client secret"
refused /aadsts/65001 "AADSTS65001.*consented"

# Temporary trouble while the current token is still valid: it is used.
token_file /503 300
cp "$F" "$F.orig"
check "/503 with a still valid token: the login succeeds with it" sasl_auth XOAUTH2 "$U" "$F"
check "/503 with a still valid token: the old token was sent" grep -q '^OK at-ORI' "$AUTH_OUT"
check "/503 with a still valid token: one WARN says the refresh failed" \
	one_warn_matching "still valid.*HTTP 503"
check "/503 with a still valid token: the file is byte-identical" cmp -s "$F" "$F.orig"

# A 200 without expires_in: the token is used, assumed to last an hour.
token_file /no_expires_in -10
check "/no_expires_in: the login succeeds with the new token" sasl_auth XOAUTH2 "$U" "$F"
check "/no_expires_in: the refresh token is kept (none returned)" \
	test "$(json_field "$F" refresh_token)" = rt-KEEP-ME-123456
check "/no_expires_in: expires_at set an hour ahead" \
	test "$(json_field "$F" expires_at)" -gt $(( $(date +%s) + 3500 ))

tests_exit
