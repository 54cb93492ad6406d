#!/bin/bash
# Self-test of the authorize-test tools, without the sasl-oauth2 CLI:
# oidcserver.js (oidc-provider 9 over HTTPS) and browser.js (headless
# Chromium) driven by loopback-client.js, a minimal reference client (RFC
# 8252 loopback + PKCE, RFC 8628 device flow). When these pass and a CLI test
# fails, the CLI is at fault. Ends with a Dovecot login (imtest XOAUTH2
# through the plugin) with a token the server issued.
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/clients.sh"
. "$(dirname "$0")/../lib/oidc.sh"

e2e_setup oidcserver
start_oidcserver --device-interval 1
note "oidcserver at $OIDC_URL"
CA="$CA_DIR/ca.pem"
CLIENT=("$NODE" "$E2E_DIR/loopback-client.js")
T=$E2E_TMP

# ---- discovery
disc=$(curl -sS --cacert "$CA" "$OIDC_URL/.well-known/openid-configuration")
check "discovery: issuer is $OIDC_URL" test "$(jstr "$disc" issuer)" = "$OIDC_URL"
check "discovery: PKCE method S256 only" test "$(jstr "$disc" code_challenge_methods_supported)" = '["S256"]'
check "discovery: device, revocation, introspection endpoints" \
	test "$(jstr "$disc" device_authorization_endpoint)|$(jstr "$disc" revocation_endpoint)|$(jstr "$disc" introspection_endpoint)" = \
	"$OIDC_URL/device/auth|$OIDC_URL/token/revocation|$OIDC_URL/token/introspection"
check "discovery: scopes openid email offline_access mail" \
	test "$(jstr "$disc" scopes_supported)" = '["openid","email","offline_access","mail","https://outlook.office365.com/.default","https://mail.google.com/"]'

# ---- browser flow, public client
# code_flow NAME USER [CLIENT ARGS...] [-- BROWSER ARGS...]: the reference
# client in the background, browser.js on the URL it prints. Sets $T/NAME.{out,err,browser}.
code_flow() {
	local name=$1 user=$2; shift 2
	local cargs=() bargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cargs+=("$1"); shift; done
	[ $# -gt 0 ] && { shift; bargs=("$@"); }
	"${CLIENT[@]}" code "$OIDC_URL" "$CA" "${cargs[@]}" >"$T/$name.out" 2>"$T/$name.err" &
	local cpid=$!
	E2E_PIDS+=("$cpid")
	wait_for 10 grep -q '^URL ' "$T/$name.err" || { not_ok "$name: the client printed no URL"; return 1; }
	local url; url=$(sed -n 's/^URL //p' "$T/$name.err")
	"$NODE" "$E2E_DIR/browser.js" login "$url" --user "$user" --timeout 40 "${bargs[@]}" \
		>"$T/$name.browser" 2>"$T/$name.browser.err"
	BROWSER_RC=$?
	wait "$cpid"
	CLIENT_RC=$?
}

code_flow pub alice@example.com
check "browser flow (public): browser.js reached the loopback page" test "$BROWSER_RC" = 0
check "browser flow (public): the loopback page is the client's" grep -q 'authorization complete' "$T/pub.browser"
check "browser flow (public): token response 200" test "$CLIENT_RC" = 0
at=$(json_field "$T/pub.out" access_token); rt=$(json_field "$T/pub.out" refresh_token); idt=$(json_field "$T/pub.out" id_token)
check "browser flow (public): refresh token issued for offline_access" test -n "$rt"
check "browser flow (public): scope granted is openid email offline_access mail" \
	test "$(json_field "$T/pub.out" scope)" = "openid email offline_access mail"
payload=$(echo "$idt" | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null; true)
check "browser flow (public): id_token email = the login" test "$(jstr "$payload" email)" = alice@example.com
intro=$(oidc_introspect "$at")
check "browser flow (public): access token active, username = login (dovecot-introspect)" \
	test "$(jstr "$intro" active)|$(jstr "$intro" username)" = "true|alice@example.com"
intro=$(oidc_rfc_introspect "$at")
check "browser flow (public): RFC 7662 introspection says active, sub = login" \
	test "$(jstr "$intro" active)|$(jstr "$intro" sub)" = "true|alice@example.com"
areq=$(oidc_admin GET /admin/auth-requests)
check "admin: the authorization request was recorded with S256 and state" \
	"$NODE" -e 'const q = JSON.parse(process.argv[1]).pop().query;
		process.exit(q.code_challenge_method === "S256" && q.state && /^http:\/\/127\.0\.0\.1:\d+\/$/.test(q.redirect_uri) ? 0 : 1)' "$areq"

# ---- loopback redirect rules (RFC 8252 7.3: any port) and PKCE enforcement
loc=$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code} %{redirect_url}' \
	"$OIDC_URL/auth?response_type=code&client_id=test-public&redirect_uri=http%3A%2F%2F127.0.0.1%3A4711%2F&scope=openid&state=s1")
check "public client without PKCE: redirected to port 4711 with error (any loopback port accepted, PKCE required)" \
	bash -c '[[ $1 == "303 http://127.0.0.1:4711/?error=invalid_request&error_description=Authorization+Server+policy+requires+PKCE"* ]]' _ "$loc"
code=$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' \
	"$OIDC_URL/auth?response_type=code&client_id=test-public&redirect_uri=http%3A%2F%2F127.0.0.1%3A4711%2Fother&scope=openid&state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")
check "an unregistered redirect path is refused (400, no redirect)" test "$code" = 400

# ---- refresh with rotation
"${CLIENT[@]}" refresh "$OIDC_URL" "$CA" "$rt" >"$T/r1.out" 2>&1
rt2=$(json_field "$T/r1.out" refresh_token)
check "refresh: 200 with a new access token" test -n "$(json_field "$T/r1.out" access_token)"
check "refresh: the refresh token rotated" bash -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$rt2" "$rt"
"${CLIENT[@]}" refresh "$OIDC_URL" "$CA" "$rt" >"$T/r2.out" 2>&1
check "refresh: the old refresh token is refused (invalid_grant)" test "$(json_field "$T/r2.out" error)" = invalid_grant

# ---- confidential client, browser started by the client as $BROWSER would be
export E2E_LOGIN_USER=dave@example.com E2E_BROWSER_LOG="$T/wrapper.log" E2E_BROWSER_PIDFILE="$T/wrapper.pid"
"${CLIENT[@]}" code "$OIDC_URL" "$CA" --client-id test-confidential --secret "$OIDC_CONFIDENTIAL_SECRET" \
	--browser "$E2E_DIR/browser-wrapper.sh" >"$T/conf.out" 2>"$T/conf.err" &
cpid=$!; E2E_PIDS+=("$cpid")
timeout 60 tail --pid="$cpid" -f /dev/null; wait "$cpid"; rc=$?
check "confidential client via browser-wrapper.sh: tokens issued" test "$rc|$(json_field "$T/conf.out" token_type)" = "0|Bearer"
check "confidential client: the wrapper's browser.js exited 0" wait_for 10 grep -q '^browser.js exit 0$' "$T/wrapper.log"
check "confidential client: token belongs to dave@example.com" \
	test "$(jstr "$(oidc_introspect "$(json_field "$T/conf.out" access_token)")" username)" = dave@example.com
"${CLIENT[@]}" code "$OIDC_URL" "$CA" --client-id test-confidential --secret wrong-secret \
	--browser "$E2E_DIR/browser-wrapper.sh" >"$T/conf2.out" 2>"$T/conf2.err" &
cpid=$!; E2E_PIDS+=("$cpid")
timeout 60 tail --pid="$cpid" -f /dev/null; wait "$cpid"; rc=$?
check "confidential client, wrong secret: invalid_client" test "$rc|$(json_field "$T/conf2.out" error)" = "1|invalid_client"

# ---- the user refuses on the consent page
code_flow deny alice@example.com -- --deny
check "consent denied: browser.js reached the loopback page" test "$BROWSER_RC" = 0
check "consent denied: the client got error=access_denied" \
	test "$CLIENT_RC|$(json_field "$T/deny.out" error)" = "1|access_denied"

# ---- device flow
# device_start NAME [CLIENT ARGS...]: reference client polling in the background.
device_start() {
	local name=$1; shift
	"${CLIENT[@]}" device "$OIDC_URL" "$CA" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	DPID=$!; E2E_PIDS+=("$DPID")
	wait_for 10 grep -q '^VERIFICATION_URI ' "$T/$name.err" || { not_ok "$name: no user code printed"; return 1; }
	UCODE=$(sed -n 's/^USER_CODE //p' "$T/$name.err")
	VURI=$(sed -n 's/^VERIFICATION_URI //p' "$T/$name.err")
}
oidc_admin POST /admin/reset-stats >/dev/null
device_start dev
sleep 2.5 # some authorization_pending polls first
"$NODE" "$E2E_DIR/browser.js" device "$VURI" "$UCODE" --user bob@example.com --timeout 40 >"$T/dev.browser" 2>&1
check "device flow: browser.js approved the code (Sign-in Success)" grep -q 'Sign-in Success' "$T/dev.browser"
wait "$DPID"; rc=$?
check "device flow: tokens issued with a refresh token" test "$rc" = 0 -a -n "$(json_field "$T/dev.out" refresh_token)"
check "device flow: token belongs to bob@example.com" \
	test "$(jstr "$(oidc_introspect "$(json_field "$T/dev.out" access_token)")" username)" = bob@example.com
polls=$(oidc_admin GET /admin/device-polls)
check "device flow: several authorization_pending polls, then ok, no slow_down for a client keeping the 1 s interval" \
	"$NODE" -e 'const p = JSON.parse(process.argv[1]); const r = p.map((x) => x.result);
		process.exit(r.filter((x) => x === "authorization_pending").length >= 2 && r[r.length - 1] === "ok"
			&& !r.includes("slow_down") ? 0 : 1)' "$polls"
check "device flow: the device authorization answer carried interval 1" \
	test "$(jstr "$(curl -sS --cacert "$CA" -d client_id=test-public -d scope=openid "$OIDC_URL/device/auth")" interval)" = 1

# ---- slow_down
dc=$(curl -sS --cacert "$CA" -d client_id=test-public -d scope=openid "$OIDC_URL/device/auth")
# Both polls from one curl process, back to back on one connection: two
# processes could start more than the 1 s interval apart on a loaded machine.
poll2() { curl -sS --cacert "$CA" -d client_id=test-public -d grant_type=urn:ietf:params:oauth:grant-type:device_code \
	--data-urlencode "device_code=$(jstr "$dc" device_code)" -w '\n' "$OIDC_URL/token" "$OIDC_URL/token"; }
both=$(poll2)
e1=$(jstr "$(sed -n 1p <<<"$both")" error); e2=$(jstr "$(sed -n 2p <<<"$both")" error)
check "slow_down: a poll right after another gets slow_down (first: $e1, second: $e2)" \
	test "$e1|$e2" = "authorization_pending|slow_down"
oidc_admin POST /admin/config '{"slow_down_first":true}' >/dev/null
oidc_admin POST /admin/reset-stats >/dev/null
device_start sd
sleep 8
"$NODE" "$E2E_DIR/browser.js" device "$VURI" "$UCODE" --user carol@example.com --timeout 40 >"$T/sd.browser" 2>&1
wait "$DPID"; rc=$?
oidc_admin POST /admin/config '{"slow_down_first":false}' >/dev/null
check "slow_down_first: reference client still gets its tokens" test "$rc" = 0
polls=$(oidc_admin GET /admin/device-polls)
check "slow_down_first: first poll slow_down, the next one >= 6 s later (interval 1 + 5)" \
	"$NODE" -e 'const p = JSON.parse(process.argv[1]);
		process.exit(p[0].result === "slow_down" && p[1] && p[1].gap_ms >= 5750 ? 0 : 1)' "$polls"

# ---- device flow refused
device_start dd
"$NODE" "$E2E_DIR/browser.js" device "$VURI" "$UCODE" --user bob@example.com --deny --timeout 40 >"$T/dd.browser" 2>&1
check "device denied at the confirmation page: browser.js exit 0" test $? = 0
wait "$DPID"
check "device denied at the confirmation page: the client gets access_denied" test "$(json_field "$T/dd.out" error)" = access_denied
device_start dc
"$NODE" "$E2E_DIR/browser.js" device "$VURI" "$UCODE" --user bob@example.com --deny-at consent --timeout 40 >"$T/dc.browser" 2>&1
wait "$DPID"
check "device denied at the consent page: the client gets access_denied" test "$(json_field "$T/dc.out" error)" = access_denied

# ---- the browser driver fails cleanly when nothing listens on the loopback port
port=$(free_port)
"$NODE" "$E2E_DIR/browser.js" login "http://127.0.0.1:$port/" --user x@example.com --timeout 20 >"$T/refused.browser" 2>&1
check "browser.js: connection refused -> exit 3" test $? = 3

# ---- Dovecot accepts a token this server issued (plugin + imtest)
if [ -x "$IMTEST" ]; then
	start_imap_for_oidc
	tokfile="$T/bob.json"
	write_token_file "$tokfile" "$(json_field "$T/dev.out" access_token)" bob@example.com 3000
	out="$T/imtest.out"
	run_cyrus_client "$out" "$T/imtest.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" XOAUTH2 bob@example.com "$tokfile"
	check "dovecot: imtest XOAUTH2 logs in with the device flow's access token" grep -q '^Authenticated\.' "$out"
	grep -q '^Authenticated\.' "$out" ||
		{ show_log "$out" imtest; show_log "$T/imtest.syslog" "imtest syslog"; show_log "$DOVECOT_LOG" dovecot; }
	check "dovecot: it asked /dovecot-introspect" test "$(oidc_stat dovecot_introspect_requests)" -ge 1
else
	skip "dovecot login with an issued token: $IMTEST missing"
fi

tests_exit
