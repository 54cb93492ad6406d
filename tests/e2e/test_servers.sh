#!/bin/bash
# Self-test of the test-side HTTPS servers that the refresh tests use:
# make-ca.sh, authserver.js (oauth2-mock-server 8.2.3 + hooks) and
# badtoken.js. Talks to them with curl, always verifying TLS against the
# test CA (--cacert, never -k). Installs the node dependencies from the
# lockfile first if tests/e2e/node_modules is missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/servers.sh"
NODE=${NODE:-node}
FAILS=0
PIDS=()
TMP=

t_ok() { ok "$@"; }
t_fail() { FAILS=$((FAILS + 1)); not_ok "$@"; }
# t_check DESCRIPTION COMMAND...: ok if the command succeeds.
t_check() {
	local d=$1; shift
	if "$@"; then t_ok "$d"; else t_fail "$d"; fi
}
# t_eq DESCRIPTION GOT WANT
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1 (got '$2', want '$3')"; fi
}

cleanup() {
	local rc=$? p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "$FAILS" = 0 ] && [ "$rc" = 0 ] && [ -z "${E2E_KEEP:-}" ]; then
			rm -rf "$TMP"
		else
			echo "# kept $TMP for inspection"
		fi
	fi
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# jget KEY: the field KEY of the JSON object on stdin ('' if absent or not
# JSON; objects/arrays as compact JSON). jq when installed (fast), else node.
if command -v jq >/dev/null 2>&1; then
	jget() {
		jq -r --arg k "$1" 'if type != "object" or .[$k] == null then ""
			elif (.[$k] | type) == "object" or (.[$k] | type) == "array" then .[$k] | tojson
			else .[$k] | tostring end' 2>/dev/null
	}
else
jget() {
	"$NODE" -e '
		let s = ""; process.stdin.on("data", (c) => s += c).on("end", () => {
			let v; try { v = JSON.parse(s)[process.argv[1]]; } catch (e) { v = undefined; }
			if (v === undefined || v === null) v = "";
			process.stdout.write(typeof v === "object" ? JSON.stringify(v) : String(v));
		});' "$1"
}
fi
# jwt_claim JWT CLAIM: a claim of the JWT's payload (not verified).
jwt_claim() {
	"$NODE" -e '
		const p = process.argv[1].split(".")[1] || "";
		let v; try { v = JSON.parse(Buffer.from(p, "base64url").toString())[process.argv[2]]; } catch (e) {}
		process.stdout.write(v === undefined ? "" : String(v));' "$1" "$2"
}

command -v "$NODE" >/dev/null 2>&1 || { t_fail "setup: node is not installed"; exit 1; }
command -v curl >/dev/null 2>&1 || { t_fail "setup: curl is not installed"; exit 1; }
command -v openssl >/dev/null 2>&1 || { t_fail "setup: openssl is not installed"; exit 1; }

if [ ! -d "$HERE/node_modules/oauth2-mock-server" ]; then
	echo "# installing node dependencies: npm ci --prefix tests/e2e"
	if ! npm ci --prefix "$HERE" --no-audit --no-fund >/dev/null 2>"${TMPDIR:-/tmp}/npm-ci.$$"; then
		sed 's/^/#   /' "${TMPDIR:-/tmp}/npm-ci.$$" | tail -n 20
		rm -f "${TMPDIR:-/tmp}/npm-ci.$$"
		t_fail "setup: npm ci --prefix tests/e2e failed"
		exit 1
	fi
	rm -f "${TMPDIR:-/tmp}/npm-ci.$$"
fi

TMP=$(mktemp_dir servers) || { t_fail "setup: cannot make a temp dir"; exit 1; }
CA="$TMP/ca"

# ----- make-ca.sh -------------------------------------------------------------

t_check "make-ca.sh creates the CA and server certificate" "$HERE/make-ca.sh" "$CA"
t_check "make-ca.sh: all four files exist" \
	test -s "$CA/ca.pem" -a -s "$CA/ca-key.pem" -a -s "$CA/server.pem" -a -s "$CA/server-key.pem"
t_check "make-ca.sh: server.pem verifies against ca.pem for TLS servers" \
	bash -c 'openssl verify -CAfile "$1/ca.pem" -purpose sslserver "$1/server.pem" >/dev/null' _ "$CA"
t_check "make-ca.sh: server certificate is for IP 127.0.0.1 and DNS localhost" \
	bash -c 'openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "IP Address:127.0.0.1" &&
		openssl x509 -in "$1" -noout -ext subjectAltName | grep -q "DNS:localhost"' _ "$CA/server.pem"
before=$(cat "$CA"/*.pem | cksum)
"$HERE/make-ca.sh" "$CA"
t_eq "make-ca.sh is idempotent (second run keeps the files)" "$(cat "$CA"/*.pem | cksum)" "$before"

# ----- start the servers --------------------------------------------------------

# start NAME SCRIPT ARGS...: starts a server on a free port, sets PORT_<NAME>.
start() {
	local name=$1 script=$2 port; shift 2
	port=$(free_port) || { t_fail "setup: no free port for $name"; exit 1; }
	"$NODE" "$HERE/$script" "$port" "$@" >"$TMP/$name.out" 2>"$TMP/$name.log" &
	PIDS+=("$!")
	eval "PORT_$name=$port PID_$name=$!"
}
# ready NAME: waits for its "listening PORT" line.
ready() {
	local name=$1 port i
	port=$(eval echo "\$PORT_$name")
	for i in $(seq 1 100); do
		grep -qx "listening $port" "$TMP/$name.out" 2>/dev/null && break
		sleep 0.1
	done
	if grep -qx "listening $port" "$TMP/$name.out" && wait_port "$port" 2; then
		t_ok "$name prints 'listening $port' and accepts connections"
	else
		t_fail "$name prints 'listening $port' and accepts connections"
		sed 's/^/#   /' "$TMP/$name.log" | tail -n 20
		exit 1
	fi
}

SECRET=s3cret-$$
start AUTH authserver.js --tls-dir "$CA" --client-secret "$SECRET" --access-ttl 120
start STRICT authserver.js --tls-dir "$CA" --strict-rotation
start BAD badtoken.js --tls-dir "$CA"
ready AUTH; ready STRICT; ready BAD
A="https://127.0.0.1:$PORT_AUTH"
S="https://127.0.0.1:$PORT_STRICT"
B="https://127.0.0.1:$PORT_BAD"

CURL=(curl -sS --cacert "$CA/ca.pem" --max-time 5)
# req OUTFILE CURL-ARGS...: body to OUTFILE, prints the HTTP status.
req() {
	local out=$1; shift
	"${CURL[@]}" -o "$out" -w '%{http_code}' "$@" 2>"$out.err" || true
}
# refresh URL RT [CURL-ARGS...]: a refresh_token grant, body to $TMP/r.json.
refresh() {
	local url=$1 rt=$2; shift 2
	req "$TMP/r.json" "$url/token" --data-urlencode grant_type=refresh_token \
		--data-urlencode "refresh_token=$rt" --data-urlencode client_id=test-client "$@"
}

# ----- TLS ------------------------------------------------------------------------

t_check "TLS: curl without the test CA rejects the server certificate" \
	bash -c '! curl -sS --max-time 5 -o /dev/null "$1/.well-known/openid-configuration" 2>/dev/null' _ "$A"
t_eq "TLS: https://localhost:PORT verifies too (DNS SAN)" \
	"$(req "$TMP/wk.json" "https://localhost:$PORT_AUTH/.well-known/openid-configuration")" 200
t_eq "authserver: issuer is https://127.0.0.1:PORT" "$(jget issuer <"$TMP/wk.json")" "$A"

# ----- authserver: seed + refresh (non-strict, client secret) -------------------------

code=$(req "$TMP/seed.json" -X POST "$A/admin/seed" -H 'Content-Type: application/json' \
	-d '{"user":"alice@example.com","ttl":60}')
t_eq "seed: 200" "$code" 200
RT0=$(jget refresh_token <"$TMP/seed.json")
AT0=$(jget access_token <"$TMP/seed.json")
EXP0=$(jget expires_at <"$TMP/seed.json")
t_check "seed: returns a refresh token" test -n "$RT0"
t_eq "seed: access token is a JWT for the user (sub)" "$(jwt_claim "$AT0" sub)" alice@example.com
t_eq "seed: access token carries username" "$(jwt_claim "$AT0" username)" alice@example.com
t_check "seed: expires_at is now + ttl" test $((EXP0 - $(date +%s))) -ge 55 -a $((EXP0 - $(date +%s))) -le 61

code=$(refresh "$A" "$RT0" --data-urlencode "client_secret=$SECRET")
t_eq "refresh: 200 with the right client_secret" "$code" 200
RT1=$(jget refresh_token <"$TMP/r.json")
AT1=$(jget access_token <"$TMP/r.json")
t_check "refresh: response carries a NEW refresh token" test -n "$RT1" -a "$RT1" != "$RT0"
t_eq "refresh: token_type Bearer" "$(jget token_type <"$TMP/r.json")" Bearer
t_eq "refresh: expires_in is --access-ttl" "$(jget expires_in <"$TMP/r.json")" 120
t_eq "refresh: scope is the granted one" "$(jget scope <"$TMP/r.json")" mail
t_eq "refresh: access token is a JWT for the seeded user" "$(jwt_claim "$AT1" sub)" alice@example.com
t_eq "refresh: access token exp = iat + ttl" \
	"$(( $(jwt_claim "$AT1" exp) - $(jwt_claim "$AT1" iat) ))" 120
t_check "refresh: no id_token without the openid scope" test -z "$(jget id_token <"$TMP/r.json")"

code=$(refresh "$A" "$RT0" --data-urlencode "client_secret=$SECRET")
t_eq "non-strict rotation: the old refresh token still works" "$code" 200
RT2=$(jget refresh_token <"$TMP/r.json")
t_check "non-strict rotation: and again yields a new refresh token" test -n "$RT2" -a "$RT2" != "$RT1" -a "$RT2" != "$RT0"
t_eq "the new refresh token works" "$(refresh "$A" "$RT1" --data-urlencode "client_secret=$SECRET")" 200

code=$(refresh "$A" "1//0not-a-token" --data-urlencode "client_secret=$SECRET")
t_eq "unknown refresh token: 400" "$code" 400
t_eq "unknown refresh token: invalid_grant" "$(jget error <"$TMP/r.json")" invalid_grant
t_check "unknown refresh token: has an error_description" test -n "$(jget error_description <"$TMP/r.json")"

code=$(req "$TMP/r.json" "$A/token" -d grant_type=refresh_token -d "refresh_token=$RT1" \
	-d client_id=test-client -d "client_secret=$SECRET")
t_eq "a refresh token sent without form-encoding ('+' -> ' ') is invalid_grant" \
	"$code:$(jget error <"$TMP/r.json")" 400:invalid_grant

code=$(refresh "$A" "$RT1")
t_eq "missing client_secret: 401 invalid_client" "$code:$(jget error <"$TMP/r.json")" 401:invalid_client
code=$(refresh "$A" "$RT1" --data-urlencode "client_secret=wrong")
t_eq "wrong client_secret: 401 invalid_client" "$code:$(jget error <"$TMP/r.json")" 401:invalid_client
code=$(req "$TMP/r.json" "$A/token" -u "test-client:$SECRET" --data-urlencode grant_type=refresh_token \
	--data-urlencode "refresh_token=$RT1")
t_eq "client_secret by HTTP Basic works too" "$code" 200
code=$(refresh "$A" "$RT1" --data-urlencode "client_secret=$SECRET" --data-urlencode "scope=mail other")
t_eq "a scope beyond the granted one: 400 invalid_scope" "$code:$(jget error <"$TMP/r.json")" 400:invalid_scope

req "$TMP/stats.json" "$A/admin/stats" >/dev/null
t_eq "stats: token_requests" "$(jget token_requests <"$TMP/stats.json")" 9
t_eq "stats: refresh_ok" "$(jget refresh_ok <"$TMP/stats.json")" 4
t_eq "stats: refresh_failed" "$(jget refresh_failed <"$TMP/stats.json")" 5

# ----- authserver: authorization code + PKCE (the mock's flow, our bookkeeping) -------

VERIFIER=$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
CHALLENGE=$(printf %s "$VERIFIER" | openssl dgst -sha256 -binary | base64 | tr '+/' '-_' | tr -d '=\n')
loc=$("${CURL[@]}" -o /dev/null -w '%{redirect_url}' "$A/authorize?response_type=code&client_id=test-client&redirect_uri=http://127.0.0.1:9/cb&login_hint=frank@example.com&state=st123&scope=mail%20offline_access&code_challenge=$CHALLENGE&code_challenge_method=S256")
CODE=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$loc")
t_check "authorize: redirects to the loopback redirect_uri with code and state" \
	test -n "$CODE" -a "${loc#http://127.0.0.1:9/cb?}" != "$loc" -a "${loc%state=st123}" != "$loc"
code=$(req "$TMP/r.json" "$A/token" -d grant_type=authorization_code --data-urlencode "code=$CODE" \
	--data-urlencode "code_verifier=${VERIFIER}x" -d client_id=test-client --data-urlencode "client_secret=$SECRET")
t_eq "code grant: a wrong PKCE verifier is refused" "$code" 400
loc=$("${CURL[@]}" -o /dev/null -w '%{redirect_url}' "$A/authorize?response_type=code&client_id=test-client&redirect_uri=http://127.0.0.1:9/cb&login_hint=frank@example.com&state=st123&scope=mail%20offline_access&code_challenge=$CHALLENGE&code_challenge_method=S256")
CODE=$(sed -n 's/.*[?&]code=\([^&]*\).*/\1/p' <<<"$loc")
code=$(req "$TMP/r.json" "$A/token" -d grant_type=authorization_code --data-urlencode "code=$CODE" \
	--data-urlencode "code_verifier=$VERIFIER" -d client_id=test-client --data-urlencode "client_secret=$SECRET")
t_eq "code grant: 200 with the right verifier" "$code" 200
t_eq "code grant: tokens are for the login_hint user, scope from /authorize" \
	"$(jwt_claim "$(jget access_token <"$TMP/r.json")" sub):$(jget scope <"$TMP/r.json")" "frank@example.com:mail offline_access"
t_eq "code grant: its refresh token refreshes" \
	"$(refresh "$A" "$(jget refresh_token <"$TMP/r.json")" --data-urlencode "client_secret=$SECRET")" 200
req "$TMP/x.json" -X POST "$A/admin/reset-stats" >/dev/null

# ----- authserver: introspection adapter ---------------------------------------------

# introspect URL TOKEN: Dovecot's form POST; prints "active:username".
introspect() {
	req "$TMP/i.json" "$1/dovecot-introspect" --data-urlencode "token=$2" \
		--data-urlencode client_id= --data-urlencode client_secret= >/dev/null
	echo "$(jget active <"$TMP/i.json"):$(jget username <"$TMP/i.json")"
}
t_eq "introspect: seeded access token is active for its user" "$(introspect "$A" "$AT0")" true:alice@example.com
t_eq "introspect: refreshed access token is active for its user" "$(introspect "$A" "$AT1")" true:alice@example.com
t_eq "introspect: garbage is inactive" "$(introspect "$A" "not-a-jwt")" false:
t_eq "introspect: a tampered JWT is inactive" "$(introspect "$A" "${AT1%?????}AAAAA")" false:
req "$TMP/x.json" -X POST "$S/admin/seed" -d '{"user":"bob@example.com"}' >/dev/null
t_eq "introspect: another server's token is inactive" \
	"$(introspect "$A" "$(jget access_token <"$TMP/x.json")")" false:
req "$TMP/x.json" -X POST "$A/admin/seed" -d '{"user":"carol@example.com","ttl":-5}' >/dev/null
t_eq "introspect: an expired token (seed ttl -5) is inactive" \
	"$(introspect "$A" "$(jget access_token <"$TMP/x.json")")" false:
code=$(req "$TMP/x.json" -X POST "$A/admin/revoke" -d "{\"access_token\":\"$AT1\"}")
t_eq "revoke: 200" "$code" 200
t_eq "introspect: a revoked token is inactive" "$(introspect "$A" "$AT1")" false:
t_eq "introspect: other tokens stay active after a revoke" "$(introspect "$A" "$AT0")" true:alice@example.com
code=$(req "$TMP/i.json" "$A/introspect" -H 'Content-Type: application/json' -d "{\"token\":\"$AT0\"}")
t_eq "the mock's own JSON /introspect answers the same" "$code:$(jget username <"$TMP/i.json")" 200:alice@example.com

# ----- authserver: runtime config, reset, delay -------------------------------------

req "$TMP/x.json" -X POST "$A/admin/reset-stats" >/dev/null
req "$TMP/stats.json" "$A/admin/stats" >/dev/null
t_eq "reset-stats zeroes the counters" \
	"$(jget token_requests <"$TMP/stats.json"):$(jget refresh_ok <"$TMP/stats.json"):$(jget refresh_failed <"$TMP/stats.json")" 0:0:0
req "$TMP/x.json" -X POST "$A/admin/config" -d '{"strict":true,"client_secret":null,"ttl":30}' >/dev/null
t_eq "config: strict on, no secret, ttl 30" \
	"$(jget strict <"$TMP/x.json"):$(jget ttl <"$TMP/x.json")" true:30
code=$(refresh "$A" "$RT2")
t_eq "config: refresh without a secret works after client_secret:null" "$code" 200
t_eq "config: expires_in follows ttl" "$(jget expires_in <"$TMP/r.json")" 30
RT3=$(jget refresh_token <"$TMP/r.json")
t_eq "config: strict now: RT2 is single-use" "$(refresh "$A" "$RT2")" 400
req "$TMP/x.json" -X POST "$A/admin/config" -d '{"delay_ms":700}' >/dev/null
req "$TMP/seed2.json" -X POST "$A/admin/seed" -d '{"user":"dave@example.com"}' >/dev/null
RT4=$(jget refresh_token <"$TMP/seed2.json")
t0=$(date +%s%N)
refresh "$A" "$RT3" >"$TMP/c1.code" & c1=$!
req "$TMP/c2.json" "$A/token" --data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$RT4" >"$TMP/c2.code"
wait "$c1"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
t_check "delay_ms: two concurrent refreshes take >= 700 ms" test "$ms" -ge 700
t_eq "delay_ms: both succeed" "$(cat "$TMP/c1.code"):$(cat "$TMP/c2.code")" 200:200
req "$TMP/stats.json" "$A/admin/stats" >/dev/null
t_eq "stats: max_concurrent_token_requests saw both at once" \
	"$(jget max_concurrent_token_requests <"$TMP/stats.json")" 2

# ----- authserver --strict-rotation ------------------------------------------------

req "$TMP/s.json" -X POST "$S/admin/seed" -d '{"user":"alice@example.com","ttl":60}' >/dev/null
SR0=$(jget refresh_token <"$TMP/s.json")
t_eq "strict: first use of a refresh token works (no secret configured)" "$(refresh "$S" "$SR0")" 200
SR1=$(jget refresh_token <"$TMP/r.json")
code=$(refresh "$S" "$SR0")
t_eq "strict: reusing it is invalid_grant" "$code:$(jget error <"$TMP/r.json")" 400:invalid_grant
t_eq "strict: the rotated one works once" "$(refresh "$S" "$SR1")" 200
t_eq "strict: ... and only once" "$(refresh "$S" "$SR1")" 400
req "$TMP/s.json" -X POST "$S/admin/seed" -d '{"user":"erin@example.com"}' >/dev/null
SR2=$(jget refresh_token <"$TMP/s.json")
req "$TMP/x.json" -X POST "$S/admin/revoke" -d "{\"refresh_token\":\"$SR2\"}" >/dev/null
t_eq "revoke: a revoked refresh token is invalid_grant" "$(refresh "$S" "$SR2"):$(jget error <"$TMP/r.json")" 400:invalid_grant
req "$TMP/stats.json" "$S/admin/stats" >/dev/null
t_eq "strict: stats refresh_ok:refresh_failed" \
	"$(jget refresh_ok <"$TMP/stats.json"):$(jget refresh_failed <"$TMP/stats.json")" 2:3

# ----- badtoken.js ---------------------------------------------------------------------

# bad PATH: POSTs a refresh request to the path, body to $TMP/b.out, prints the status.
bad() {
	req "$TMP/b.out" "$B$1" -D "$TMP/b.hdr" --data-urlencode grant_type=refresh_token \
		--data-urlencode refresh_token=rt-secret-value --data-urlencode client_id=test-client
}
code=$(bad /invalid_grant)
t_eq "badtoken /invalid_grant: 400 invalid_grant" "$code:$(jget error <"$TMP/b.out")" 400:invalid_grant
t_check "badtoken /invalid_grant: AADSTS70000 description" grep -q '"AADSTS70000: The provided value' "$TMP/b.out"
code=$(bad /aadsts/700082)
t_eq "badtoken /aadsts/700082: 400 invalid_grant, error_codes [700082]" \
	"$code:$(jget error <"$TMP/b.out"):$(jget error_codes <"$TMP/b.out")" "400:invalid_grant:[700082]"
desc=$(jget error_description <"$TMP/b.out")
t_check "badtoken /aadsts/700082: description starts with AADSTS700082:" \
	test "${desc#AADSTS700082: The refresh token has expired}" != "$desc"
t_check "badtoken /aadsts/700082: description has Microsoft's CRLF Trace ID lines" \
	test "${desc#*$'\r\n'Trace ID: }" != "$desc"
t_eq "badtoken /aadsts/50079: interaction_required" "$(bad /aadsts/50079):$(jget error <"$TMP/b.out")" 400:interaction_required
t_eq "badtoken /aadsts/7000218: invalid_client" "$(bad /aadsts/7000218):$(jget error <"$TMP/b.out")" 400:invalid_client
t_eq "badtoken /429: status" "$(bad /429)" 429
t_check "badtoken /429: Retry-After: 30" grep -qi '^Retry-After: 30' "$TMP/b.hdr"
t_eq "badtoken /503: status" "$(bad /503)" 503
t_eq "badtoken /html: 200 text/html" "$(bad /html):$(grep -i '^content-type' "$TMP/b.hdr" | tr -d '\r' | cut -d' ' -f2)" "200:text/html;"
t_eq "badtoken /badjson: truncated JSON" "$(bad /badjson):$(cat "$TMP/b.out")" '200:{"access_token": "x",'
t_eq "badtoken /no_expires_in" "$(bad /no_expires_in):$(jget expires_in <"$TMP/b.out"):$(jget access_token <"$TMP/b.out")" 200::abc
code=$(bad /redirect)
t_eq "badtoken /redirect: 302 to /ok" "$code:$(grep -i '^location' "$TMP/b.hdr" | tr -d '\r' | cut -d' ' -f2)" 302:/ok
code=$(bad /ok)
t_check "badtoken /ok: 200 with access and refresh tokens" \
	test "$code" = 200 -a -n "$(jget access_token <"$TMP/b.out")" -a -n "$(jget refresh_token <"$TMP/b.out")"
t_eq "badtoken /huge: 10 MiB body" \
	"$("${CURL[@]}" -o /dev/null -w '%{http_code}:%{size_download}' "$B/huge" -d x=1)" 200:10485760
t0=$(date +%s%N)
"${CURL[@]}" --max-time 1 -o /dev/null "$B/hang" -d x=1 2>/dev/null
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
t_check "badtoken /hang: never answers (curl --max-time 1 times out, rc 28)" test "$rc" = 28 -a "$ms" -ge 900
req "$TMP/b.out" "$B/last" >/dev/null
t_eq "badtoken /last: records the request path" "$(jget path <"$TMP/b.out")" /hang
req "$TMP/b.out" "$B/stats" >/dev/null
t_eq "badtoken /stats: per-path counts" \
	"$("$NODE" -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1]));
		console.log([s["/hang"], s["/ok"], s["/aadsts/700082"], s["/huge"]].join(","))' "$TMP/b.out")" 1,1,1,1

# ----- logs: no full token ---------------------------------------------------------------

t_check "logs: no full refresh or access token in the servers' stderr" \
	bash -c '! grep -qF -e "$1" -e "$2" -e "$3" -e "rt-secret-value" "${@:4}"' _ \
	"$RT1" "${AT1:0:40}" "$SR1" "$TMP/AUTH.log" "$TMP/STRICT.log" "$TMP/BAD.log"
t_check "logs: no client secret in the authserver's stderr" bash -c '! grep -qF "$1" "$2"' _ "$SECRET" "$TMP/AUTH.log"

# ----- clean exit on SIGTERM -------------------------------------------------------------

# the /hang connection is still open on badtoken: it must not block the exit
"${CURL[@]}" --max-time 10 -o /dev/null "$B/hang" -d x=1 2>/dev/null &
hang_pid=$!
sleep 0.2
for name in AUTH STRICT BAD; do
	pid=$(eval echo "\$PID_$name")
	( sleep 3; kill -KILL "$pid" ) 2>/dev/null &
	watchdog=$!
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
	t_eq "$name exits with status 0 on SIGTERM (within 3 s)" "$rc" 0
done
PIDS=()
wait "$hang_pid" 2>/dev/null

echo "# $(basename "$0"): $FAILS failed"
[ "$FAILS" = 0 ]
