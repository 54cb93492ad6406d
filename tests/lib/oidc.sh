# Helpers for tests against oidcserver.js (oidc-provider 9, a real OpenID
# Connect server with login and consent pages) and browser.js (headless
# Chromium playing the user). Call e2e_setup NAME first.
#
#   ensure_oidc_deps            node modules (npm ci from the lockfile when
#                               missing) and /usr/bin/chromium
#   start_oidcserver [ARGS...]  oidcserver.js over HTTPS with make-ca.sh's
#                               certificate; sets OIDC_PORT, OIDC_URL (= issuer),
#                               OIDC_LOG, CA_DIR. ARGS go to oidcserver.js
#                               (e.g. --device-interval 1)
#   oidc_admin METHOD PATH [JSON]   an /admin call; prints the body
#   oidc_stat KEY               one counter of /admin/stats
#   oidc_introspect TOKEN       /dovecot-introspect's answer for TOKEN (JSON)
#   oidc_rfc_introspect TOKEN   RFC 7662 introspection as test-confidential
#   oidc_token_requests         token requests the server has answered
#   start_imap_for_oidc         a Dovecot validating tokens through the
#                               server's /dovecot-introspect (needs
#                               start_oidcserver first)
#
# Client ids: test-public (public, PKCE required) and test-confidential
# (client_secret_post, secret $OIDC_CONFIDENTIAL_SECRET).

[ -z "${_TESTLIB_OIDC:-}" ] || return 0
_TESTLIB_OIDC=1
. "${BASH_SOURCE[0]%/*}/harness.sh"
. "${BASH_SOURCE[0]%/*}/json.sh"
. "${BASH_SOURCE[0]%/*}/dovecot.sh"

OIDC_CONFIDENTIAL_SECRET=${OIDC_CONFIDENTIAL_SECRET:-test-confidential-secret}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

ensure_oidc_deps() {
	if [ ! -d "$E2E_DIR/node_modules/oidc-provider" ] || [ ! -d "$E2E_DIR/node_modules/playwright-core" ] ||
	   [ ! -d "$E2E_DIR/node_modules/oauth2-mock-server" ]; then
		npm ci --prefix "$E2E_DIR" --no-audit --no-fund >"$E2E_TMP/npm.log" 2>&1 ||
			{ show_log "$E2E_TMP/npm.log" npm; bail "setup: npm ci in tests/e2e failed"; }
	fi
	[ -x "$CHROMIUM" ] || bail "setup: $CHROMIUM is not installed (run tests/install-deps.sh)"
}

start_oidcserver() {
	ensure_oidc_deps
	CA_DIR="$E2E_TMP/ca"
	bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || bail "setup: make-ca.sh failed"
	OIDC_PORT=$(free_port) || bail "setup: no free port"
	OIDC_URL="https://127.0.0.1:$OIDC_PORT"
	OIDC_LOG="$E2E_TMP/oidcserver.log"
	e2e_bg "$OIDC_LOG" "$NODE" "$E2E_DIR/oidcserver.js" "$OIDC_PORT" --tls-dir "$CA_DIR" \
		--confidential-secret "$OIDC_CONFIDENTIAL_SECRET" "$@"
	OIDC_PID=$!
	# Loading oidc-provider and making its RSA key took over 20 s once in a
	# CI run (nothing else in its log): wait longer, but stop at once if
	# the server has died.
	wait_for 60 sh -c 'grep -q "^listening $1\$" "$2" || ! kill -0 "$3" 2>/dev/null' _ \
		"$OIDC_PORT" "$OIDC_LOG" "$OIDC_PID"
	grep -q "^listening $OIDC_PORT\$" "$OIDC_LOG" ||
		{ show_log "$OIDC_LOG" oidcserver; bail "setup: oidcserver.js did not start" \
			"$(kill -0 "$OIDC_PID" 2>/dev/null && echo "(still loading after 60 s)" || echo "(it exited)")"; }
}

oidc_admin() {
	curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 -X "$1" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$OIDC_URL$2"
}

oidc_stat() { jstr "$(oidc_admin GET /admin/stats)" "$1"; }
oidc_token_requests() { oidc_stat token_requests; }

oidc_introspect() {
	curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 --data-urlencode "token=$1" \
		"$OIDC_URL/dovecot-introspect"
}

oidc_rfc_introspect() {
	curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 --data-urlencode "token=$1" \
		-d client_id=test-confidential --data-urlencode "client_secret=$OIDC_CONFIDENTIAL_SECRET" \
		"$OIDC_URL/token/introspection"
}

start_imap_for_oidc() {
	DOVECOT_INTROSPECT_URL="$OIDC_URL/dovecot-introspect"
	DOVECOT_OAUTH2_CA=$CA_DIR/ca.pem
	start_dovecot
}
