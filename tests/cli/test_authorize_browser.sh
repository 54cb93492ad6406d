#!/bin/bash
# sasl-oauth2 authorize --flow browser against a real OpenID Connect server
# (tests/e2e/oidcserver.js: oidc-provider 9 with login and consent pages),
# the user played by headless Chromium (tests/e2e/browser.js) started as the
# CLI's $BROWSER through browser-wrapper.sh. RFC 8252 loopback redirect with
# PKCE S256 and state; public and confidential clients; refusals.
. "$(dirname "$0")/../lib/clients.sh"
. "$(dirname "$0")/../lib/authorize.sh"

authorize_setup authorize-browser
WRAPPER="$E2E_DIR/browser-wrapper.sh"

# browser_env LOGIN [BROWSER ARGS]: the variables browser-wrapper.sh reads.
# The CLI can finish before the browser that reached it has closed: wait for
# the last run's browser.js to end, or its exit line lands in the next log.
browser_env() {
	local prev
	prev=$(cat "$T/browser.pid" 2>/dev/null) &&
		wait_for 30 bash -c '! kill -0 "$1" 2>/dev/null' _ "$prev"
	export E2E_LOGIN_USER=$1 E2E_BROWSER_ARGS=${2:-}
	export E2E_BROWSER_PIDFILE="$T/browser.pid" E2E_BROWSER_URLS="$T/browser.urls"
	: >"$E2E_BROWSER_LOG"; : >"$E2E_BROWSER_URLS"; rm -f "$E2E_BROWSER_PIDFILE"
}
# browser_done: waits for the wrapper's browser.js; prints its exit line.
browser_done() {
	wait_for 30 grep -q '^browser.js exit' "$E2E_BROWSER_LOG"
	sed -n 's/^browser.js exit //p' "$E2E_BROWSER_LOG"
}
last_auth_request() { oidc_admin GET /admin/auth-requests | "$NODE" -e '
	let b = ""; process.stdin.on("data", (c) => b += c);
	process.stdin.on("end", () => { const a = JSON.parse(b); console.log(JSON.stringify(a.length ? a[a.length - 1].query : {})); });'; }

# ---- 1. public client (test-public from the config), PKCE, no --user
browser_env alice@example.com
oidc_admin POST /admin/reset-stats >/dev/null
BROWSER=$WRAPPER run_cli pub authorize demo --provider oidc --flow browser --timeout 60
check "browser/public: exit 0 (took ${SECS}s)" test "$RC" = 0
[ "$RC" = 0 ] || { show_cli pub; show_log "$E2E_BROWSER_LOG" browser.js; show_log "$OIDC_LOG" oidcserver 20; }
check "browser/public: the CLI ran \$BROWSER with the authorization URL" grep -q "^$OIDC_URL/auth?" "$T/browser.urls"
check "browser/public: the URL is printed on stderr too" grep -qF "$OIDC_URL/auth?" "$T/pub.err"
brc=$(browser_done)
check "browser/public: the browser reached the CLI's loopback page (browser.js exit ${brc:-none})" test "$brc" = 0
note "browser/public: the loopback page said: $(grep -v '^browser' "$E2E_BROWSER_LOG" | tr '\n' ' ' | cut -c1-200)"
q=$(last_auth_request)
check "browser/public: response_type=code, client_id=test-public" \
	test "$(jstr "$q" response_type)|$(jstr "$q" client_id)" = "code|test-public"
check "browser/public: PKCE code_challenge_method=S256 with a 43-char challenge" \
	bash -c '[ "$1" = S256 ] && [[ $2 =~ ^[A-Za-z0-9_-]{43}$ ]]' _ "$(jstr "$q" code_challenge_method)" "$(jstr "$q" code_challenge)"
check "browser/public: state sent (>= 16 chars)" bash -c '[ ${#1} -ge 16 ]' _ "$(jstr "$q" state)"
check "browser/public: redirect_uri is http://127.0.0.1:PORT/ ($(jstr "$q" redirect_uri))" \
	bash -c '[[ $1 =~ ^http://127\.0\.0\.1:[0-9]+/$ ]]' _ "$(jstr "$q" redirect_uri)"
check "browser/public: scope asked = the provider's scope" \
	test "$(jstr "$q" scope)" = "openid email offline_access mail"
check "browser/public: one authorization_code token request, answered 200" \
	test "$(jstr "$(oidc_stat grants)" authorization_code)|$(oidc_stat token_errors)" = "1|0"
check_token_file "browser/public" "$STATE/demo.json" alice@example.com test-public
check_no_secret_output pub "$STATE/demo.json" browser/public
port=$(jstr "$q" redirect_uri | sed -E 's#.*:([0-9]+)/$#\1#')
check "browser/public: the loopback listener is closed afterwards" \
	bash -c '! (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null' _ "$port"

# ---- 2. --user and --port
browser_env carol@example.com
port=$(free_port)
BROWSER=$WRAPPER run_cli port authorize carol --provider oidc --flow browser --user carol@example.com --port "$port" --timeout 60
check "browser --port $port --user: exit 0" test "$RC" = 0
[ "$RC" = 0 ] || show_cli port
check "browser --port: redirect_uri is http://127.0.0.1:$port/" \
	test "$(jstr "$(last_auth_request)" redirect_uri)" = "http://127.0.0.1:$port/"
note "browser --user: login_hint sent: '$(jstr "$(last_auth_request)" login_hint)'"
check "browser --port --user: token file user = carol@example.com" test "$(json_field "$STATE/carol.json" user)" = carol@example.com

# ---- 3. confidential client, secret from a file (with a trailing newline)
secret_file="$T/client-secret"
( umask 077; printf '%s\n' "$OIDC_CONFIDENTIAL_SECRET" >"$secret_file" )
browser_env dave@example.com
oidc_admin POST /admin/reset-stats >/dev/null
BROWSER=$WRAPPER run_cli conf authorize conf --provider oidc --client-id test-confidential \
	--client-secret-file "$secret_file" --flow browser --timeout 60
check "browser/confidential (--client-secret-file): exit 0" test "$RC" = 0
[ "$RC" = 0 ] || { show_cli conf; show_log "$E2E_BROWSER_LOG" browser.js; }
check "browser/confidential: client_id=test-confidential in the authorization request" \
	test "$(jstr "$(last_auth_request)" client_id)" = test-confidential
check_token_file "browser/confidential" "$STATE/conf.json" dave@example.com test-confidential
# the plugin refreshes with it: authorize keeps the secret in the 0600 token
# file (documented in authorize --help), first line only, no newline
check "browser/confidential: the token file keeps client_secret = the file's first line" \
	test "$(json_field "$STATE/conf.json" client_secret)" = "$OIDC_CONFIDENTIAL_SECRET"
check "browser/confidential: the secret is not on the CLI's output" \
	bash -c '! grep -qF -- "$1" "$2" "$3"' _ "$OIDC_CONFIDENTIAL_SECRET" "$T/conf.out" "$T/conf.err"

# ---- 4. confidential client, wrong secret
printf 'not-the-secret\n' >"$T/wrong-secret"; chmod 600 "$T/wrong-secret"
browser_env dave@example.com
oidc_admin POST /admin/reset-stats >/dev/null
BROWSER=$WRAPPER run_cli wrong authorize wrong --provider oidc --client-id test-confidential \
	--client-secret-file "$T/wrong-secret" --flow browser --timeout 60
check "browser/wrong secret: non-zero exit (got $RC)" test "$RC" != 0
check "browser/wrong secret: no token file" test ! -e "$STATE/wrong.json"
check "browser/wrong secret: the error names invalid_client or the client secret" \
	grep -qiE 'invalid_client|client (secret|authentication)' "$T/wrong.err"
check "browser/wrong secret: the token endpoint refused one request (invalid_client)" \
	bash -c '[[ $1 == *'"'"'"error":"invalid_client"'"'"'* ]]' _ "$(oidc_admin GET /admin/token-requests)"
note "browser/wrong secret: CLI said: $(redact "$T/wrong.err" | tail -n 1 | cut -c1-400)"

# ---- 5. the user refuses consent
browser_env alice@example.com --deny
BROWSER=$WRAPPER run_cli denied authorize denied --provider oidc --flow browser --timeout 60
check "browser/consent refused: non-zero exit (got $RC)" test "$RC" != 0
check "browser/consent refused: no token file" test ! -e "$STATE/denied.json"
check "browser/consent refused: the error says access_denied" grep -qiE 'access_denied|denied' "$T/denied.err"
check "browser/consent refused: the browser still reached the loopback page" test "$(browser_done)" = 0
note "browser/consent refused: CLI said: $(redact "$T/denied.err" | tail -n 1 | cut -c1-400)"

# ---- 6. forged redirects (wrong state, with a code or with an error) are
# answered 400 and ignored: any local user can reach the loopback port, so
# only the browser holding the state may end the sign-in (before: the first
# forged request ended it)
cat >"$T/forger.sh" <<'EOF'
#!/bin/bash
# $BROWSER that first hits the loopback listener with a forged code and a
# forged refusal (wrong state), then starts the real browser.
url=$1
ru=$(printf '%s' "$url" | sed -n 's/.*[?&]redirect_uri=\([^&]*\).*/\1/p' | sed 's/%3A/:/gI; s#%2F#/#gI')
for q in "code=forged-code&state=forged-state" "error=access_denied&state=forged-state"; do
	s=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${ru}?$q")
	echo "forged $q: HTTP $s" >>"$FORGER_OUT"
done
exec "$WRAPPER" "$url"
EOF
chmod +x "$T/forger.sh"
browser_env alice@example.com
oidc_admin POST /admin/reset-stats >/dev/null
: >"$T/forger.out"
FORGER_OUT="$T/forger.out" WRAPPER=$WRAPPER BROWSER="$T/forger.sh" run_cli forged authorize forged --provider oidc --flow browser --timeout 60
reqs=$(oidc_admin GET /admin/token-requests)
check "browser/forged state: the forged code never reached the token endpoint" \
	"$NODE" -e 'process.exit(JSON.parse(process.argv[1]).some((r) => r.grant === "authorization_code" && r.status !== 200) ? 1 : 0)' "$reqs"
check "browser/forged state: both forged requests were answered 400 ($(tr '\n' ' ' <"$T/forger.out"))" \
	test "$(grep -c ': HTTP 400$' "$T/forger.out")" = 2
check "browser/forged state: the CLI ignored them and finished with the real sign-in (exit $RC)" test "$RC" = 0
[ "$RC" = 0 ] || show_cli forged
check "browser/forged state: token file is the real login's" test "$(json_field "$STATE/forged.json" user)" = alice@example.com

# ---- 6b. a slow sender (another local program dribbling bytes into the
# loopback port) cannot hold the listener: the real sign-in still completes
cat >"$T/slow.sh" <<'EOF'
#!/bin/bash
# $BROWSER that first opens two slow connections to the loopback listener
# (one sends a request and then keeps sending a byte every 20 ms, one never
# finishes its request line), then starts the real browser.
url=$1
ru=$(printf '%s' "$url" | sed -n 's/.*[?&]redirect_uri=\([^&]*\).*/\1/p' | sed 's/%3A/:/gI; s#%2F#/#gI')
port=${ru##*:}; port=${port%/}
# node, not a shell loop: a byte every 20 ms without gaps (forks of sleep
# on a loaded machine would leave gaps a drain loop might take for the end)
for first in 'GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n' 'G'; do
	"${NODE:-node}" -e '
		// allowHalfOpen: keep sending after the listener has answered and
		// shut its side, as a hostile sender would
		const s = require("net").connect({ port: +process.argv[1], host: "127.0.0.1",
			allowHalfOpen: true }, () => {
			s.write(JSON.parse(`"${process.argv[2]}"`));
			const t = setInterval(() => s.write("x"), 20);
			setTimeout(() => { clearInterval(t); s.destroy(); }, 120000);
		});
		s.on("error", () => process.exit(0)); s.on("close", () => process.exit(0));' "$port" "$first" \
		</dev/null >/dev/null 2>&1 &
	echo $! >>"$SLOW_PIDS"
done
sleep 1
exec "$WRAPPER" "$url"
EOF
chmod +x "$T/slow.sh"
browser_env alice@example.com
: >"$T/slow.pids"
SLOW_PIDS="$T/slow.pids" WRAPPER=$WRAPPER BROWSER="$T/slow.sh" run_cli slow authorize slow --provider oidc --flow browser --timeout 60
while read -r p; do kill "$p" 2>/dev/null; done <"$T/slow.pids"
check "browser/slow sender: the sign-in completed anyway (exit $RC, took ${SECS}s)" test "$RC" = 0
[ "$RC" = 0 ] || show_cli slow
check "browser/slow sender: token file is the real login's" test "$(json_field "$STATE/slow.json" user)" = alice@example.com

# ---- 7. --no-open: URL printed, no browser started; the user opens it
browser_env alice@example.com
BROWSER=$WRAPPER timeout 100 "$CLI" authorize noopen --provider oidc --flow browser --no-open --timeout 60 \
	</dev/null >"$T/noopen.out" 2>"$T/noopen.err" &
cpid=$!; E2E_PIDS+=("$cpid")
wait_for 15 grep -qF "$OIDC_URL/auth?" "$T/noopen.err" "$T/noopen.out"
url=$(grep -ohE "$OIDC_URL/auth\?[^[:space:]]+" "$T/noopen.err" "$T/noopen.out" | head -n 1)
check "browser --no-open: the URL is printed" test -n "$url"
check "browser --no-open: \$BROWSER was not run" test ! -s "$T/browser.urls"
"$NODE" "$E2E_DIR/browser.js" login "$url" --user alice@example.com --timeout 40 >"$T/noopen.browser" 2>&1
check "browser --no-open: browser.js reached the loopback page" test $? = 0
wait "$cpid"; RC=$?
check "browser --no-open: exit 0" test "$RC" = 0
check "browser --no-open: token file written" test -f "$STATE/noopen.json"

# ---- 8. nobody comes back: --timeout
port=$(free_port)
BROWSER=true run_cli late authorize late --provider oidc --flow browser --port "$port" --timeout 4
check "browser --timeout 4 with no redirect: non-zero exit (got $RC) within 20 s (took ${SECS}s)" \
	test "$RC" != 0 -a "$SECS" -le 20
check "browser --timeout: no token file" test ! -e "$STATE/late.json"
check "browser --timeout: the loopback listener is closed" \
	bash -c '! (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null' _ "$port"
note "browser --timeout: CLI said: $(redact "$T/late.err" | tail -n 1 | cut -c1-400)"

# ---- 9. refresh tokens and OpenID Connect Core 11: a server that follows it
# strictly grants offline_access only with prompt=consent, which the CLI sends
# whenever the scope asks for offline_access
oidc_admin POST /admin/config '{"strict_offline_access":true}' >/dev/null
browser_env alice@example.com
BROWSER=$WRAPPER run_cli strictoff authorize strictoff --provider oidc --flow browser --timeout 60
oidc_admin POST /admin/config '{"strict_offline_access":false}' >/dev/null
check "browser/strict offline_access: exit 0" test "$RC" = 0
check "browser/strict offline_access: the CLI sent prompt=consent" \
	test "$(jstr "$(last_auth_request)" prompt)" = consent
check "browser/strict offline_access: the token file has a refresh token" \
	test -n "$(json_field "$STATE/strictoff.json" refresh_token)"

# ---- 9b. no refresh token (a scope without offline_access): warning, token
# file without one
browser_env alice@example.com
BROWSER=$WRAPPER run_cli nort authorize nort --provider oidc-online --flow browser --timeout 60
check "browser/no refresh token: exit 0" test "$RC" = 0
check "browser/no refresh token: a warning says so" grep -qi 'no refresh token' "$T/nort.err"
check "browser/no refresh token: token file has an access token and no refresh_token" \
	test -n "$(json_field "$STATE/nort.json" access_token)" -a -z "$(json_field "$STATE/nort.json" refresh_token)"

# ---- 10. --user differs from the account signed in at the provider
browser_env bob@example.com
BROWSER=$WRAPPER run_cli mism authorize mism --provider oidc --flow browser --user alice@example.com --timeout 60
check "browser --user alice, signed in as bob: success or nothing saved (exit $RC)" test "$RC" = 0 -o ! -e "$STATE/mism.json"
note "browser --user alice@example.com, signed in as bob@example.com: token file user '$(json_field "$STATE/mism.json" user)', token belongs to '$(jstr "$(oidc_introspect "$(json_field "$STATE/mism.json" access_token)")" username)'; CLI warned: '$(grep -iE 'bob@|differ|not alice|mismatch' "$T/mism.err" "$T/mism.out" | head -n 1)'"

# signed_in NAME USER: the fixture of the cases below that start from a token
# file: a fresh account NAME, signed in as USER with the browser flow, so
# that they do not depend on an earlier case's account. When the sign-in
# itself fails, one "not ok" says so and the case does not run.
signed_in() {
	browser_env "$2"
	BROWSER=$WRAPPER run_cli "fixture-$1" authorize "$1" --provider oidc --flow browser --timeout 60
	browser_done >/dev/null
	if [ "$RC" != 0 ] || [ ! -f "$STATE/$1.json" ]; then
		not_ok "fixture: account $1 signed in as $2 (exit $RC)"
		show_cli "fixture-$1"
		return 1
	fi
}

# ---- 11. the token file logs in to Dovecot through the plugin
if [ ! -x "$IMTEST" ]; then
	skip "dovecot login with the authorized token file: no imtest"
elif signed_in imap alice@example.com; then
	start_imap_for_oidc
	out="$T/imtest.out"
	run_cyrus_client "$out" "$T/imtest.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" XOAUTH2 alice@example.com "$STATE/imap.json"
	check "dovecot: imtest XOAUTH2 logs in with the token file authorize wrote" grep -q '^Authenticated\.' "$out"
	grep -q '^Authenticated\.' "$out" || { show_log "$out" imtest; show_log "$T/imtest.syslog" "imtest syslog"; }
fi

# ---- 12. the token file against the real server afterwards: refresh (with
# rotation: the old refresh token dies) and forget (revocation)
if signed_in demo2 alice@example.com; then
	rt0=$(json_field "$STATE/demo2.json" refresh_token)
	set_json_field "$STATE/demo2.json" expires_at "$(( $(date +%s) - 10 ))"
	oidc_admin POST /admin/reset-stats >/dev/null
	run_cli tok token demo2
	check "token demo (expired): exit 0, one refresh at the server" \
		test "$RC|$(jstr "$(oidc_stat grants)" refresh_token)" = "0|1"
	[ "$RC" = 0 ] || show_cli tok
	check "token demo: the printed token is live for alice@example.com" \
		test "$(jstr "$(oidc_introspect "$(head -n 1 "$T/tok.out")")" username)" = alice@example.com
	rt1=$(json_field "$STATE/demo2.json" refresh_token)
	check "token demo: the rotated refresh token was saved" test -n "$rt1" -a "$rt1" != "$rt0"
	check "token demo: token file still 0600" test "$(file_mode "$STATE/demo2.json")" = 600
	run_cli forget forget demo2
	check "forget demo: exit 0, token file removed" test "$RC" = 0 -a ! -e "$STATE/demo2.json"
	check "forget demo: the refresh token was revoked at the server" test "$(oidc_stat revocations)" -ge 1
	intro=$(curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 --data-urlencode "token=$rt1" \
		-d client_id=test-confidential --data-urlencode "client_secret=$OIDC_CONFIDENTIAL_SECRET" \
		"$OIDC_URL/token/introspection")
	check "forget demo: the refresh token is no longer active" test "$(jstr "$intro" active)" = false
fi

# ---- 13. http://localhost:PORT/ redirect URIs (Microsoft's portal takes no
# http://127.0.0.1): the browser may resolve localhost to ::1 or to
# 127.0.0.1, and either way the sign-in completes. First a control: with
# the mapping to [::1], a server on 127.0.0.1 alone is out of the browser's
# reach (so the mapping is in force).
cat >>"$SASL_OAUTH2_CONF" <<EOF
provider.oidc-localhost.issuer = $OIDC_URL
provider.oidc-localhost.client_id = test-public
provider.oidc-localhost.scope = openid email offline_access mail
provider.oidc-localhost.redirect_host = localhost
EOF
cport=$(free_port)
"$NODE" -e 'require("http").createServer((q, s) => s.end("v4 only")).listen(+process.argv[1], "127.0.0.1")' "$cport" &
cpid=$!; E2E_PIDS+=("$cpid")
wait_for 10 bash -c '(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null' _ "$cport"
"$NODE" "$E2E_DIR/browser.js" login "http://localhost:$cport/" --user x --resolve-localhost '[::1]' --timeout 20 >"$T/control6.out" 2>&1
c6=$?
"$NODE" "$E2E_DIR/browser.js" login "http://localhost:$cport/" --user x --resolve-localhost 127.0.0.1 --timeout 20 >"$T/control4.out" 2>&1
c4=$?
check "localhost control: mapped to [::1] the browser cannot reach a 127.0.0.1-only server (exit $c6), mapped to 127.0.0.1 it can (exit $c4)" \
	test "$c6" = 3 -a "$c4" = 0
kill "$cpid" 2>/dev/null
for addr in '[::1]' 127.0.0.1; do
	name=lh$(printf '%s' "$addr" | tr -cd '0-9')
	browser_env alice@example.com "--resolve-localhost $addr"
	BROWSER=$WRAPPER run_cli "$name" authorize "$name" --provider oidc-localhost --flow browser --timeout 60
	check "localhost->$addr: exit 0 (took ${SECS}s)" test "$RC" = 0
	[ "$RC" = 0 ] || { show_cli "$name"; show_log "$E2E_BROWSER_LOG" browser.js; }
	check "localhost->$addr: redirect_uri is http://localhost:PORT/ ($(jstr "$(last_auth_request)" redirect_uri))" \
		bash -c '[[ $1 =~ ^http://localhost:[0-9]+/$ ]]' _ "$(jstr "$(last_auth_request)" redirect_uri)"
	brc=$(browser_done)
	check "localhost->$addr: the browser reached the loopback page (browser.js exit ${brc:-none})" test "$brc" = 0
	check "localhost->$addr: token file is alice's" test "$(json_field "$STATE/$name.json" user)" = alice@example.com
done

# ---- 14. --shared-mailbox: a delegate signs in, the servers get the shared
# address as the user (Microsoft: "replace the userName field ... with the
# email address of the shared mailbox"); the token file keeps both
browser_env alice@example.com
BROWSER=$WRAPPER run_cli shared authorize shared --provider oidc --flow browser --shared-mailbox shared@example.com --timeout 60
check "shared mailbox: exit 0" test "$RC" = 0
[ "$RC" = 0 ] || show_cli shared
check "shared mailbox: token file user = shared@example.com, signed_in_as = alice@example.com" \
	test "$(json_field "$STATE/shared.json" user)|$(json_field "$STATE/shared.json" signed_in_as)" = "shared@example.com|alice@example.com"
check "shared mailbox: the access token is alice's" \
	test "$(jstr "$(oidc_introspect "$(json_field "$STATE/shared.json" access_token)")" username)" = alice@example.com
check "shared mailbox: no warning about a different user" bash -c '! grep -qi "warning" "$1"' _ "$T/shared.err"
check "shared mailbox: the next steps log in as the shared address (sasl_passwd, mbsync User)" \
	bash -c 'grep -qE "^  \[SMTP-SERVER\]:587 shared@example.com:" "$1" && grep -qx "  User shared@example.com" "$1"' _ "$T/shared.out"
check "shared mailbox: the output names the permission it needs (Full Access)" grep -q "Full Access" "$T/shared.out"
run_cli sharedbad authorize sharedbad --provider oidc --flow browser --shared-mailbox 'not an address'
check "shared mailbox: a value that is not an address is a usage error (exit $RC)" \
	bash -c '[ "$1" = 2 ] && grep -q -- "--shared-mailbox takes" "$2"' _ "$RC" "$T/sharedbad.err"

tests_exit
