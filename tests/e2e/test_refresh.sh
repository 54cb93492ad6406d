#!/bin/bash
# In-plugin refresh against a real OAuth2 server (oauth2-mock-server over
# HTTPS with a test CA), through libsasl2 as Postfix drives it: expiry,
# margin, rotation (also strict), server rejection, refusal, permissions,
# tarickb/sasl-xoauth2 files, config errors, and Dovecot accepting the
# refreshed token.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/plugin.sh"
. "$(dirname "$0")/../lib/clients.sh"

e2e_setup refresh
start_authserver
write_refresh_conf
U=alice@example.com
F="$E2E_TMP/alice.json"

# no_secret_in_logs FILE TOKEN...: none of the tokens appears in FILE.
no_secret_in_logs() {
	local f=$1 t; shift
	for t in "$@"; do
		[ -n "$t" ] && grep -qF -- "$t" "$f" && return 1
	done
	return 0
}

# --- an expired token is refreshed, the rotated refresh token persisted --------
seed_token_file "$F" "$U" -60
old_at=$(json_field "$F" access_token); old_rt=$(json_field "$F" refresh_token)
owner_before=$(stat -c %u:%g "$F")
auth_admin POST /admin/reset-stats >/dev/null
check "expired: the login succeeds" sasl_auth XOAUTH2 "$U" "$F"
check "expired: exactly one token request" test "$(auth_stat token_requests)" = 1
new_at=$(json_field "$F" access_token); new_rt=$(json_field "$F" refresh_token)
check "expired: the file holds a new access token" test -n "$new_at" -a "$new_at" != "$old_at"
check "expired: the rotated refresh token is persisted" test -n "$new_rt" -a "$new_rt" != "$old_rt"
check "expired: the new token is the one sent" grep -q "^OK ${new_at:0:6}" "$AUTH_OUT"
exp=$(json_field "$F" expires_at); now=$(date +%s)
check "expired: expires_at is about an hour ahead" test "$exp" -gt $((now + 3500)) -a "$exp" -le $((now + 3700))
check "expired: refreshed_at and version 1 recorded" \
	test "$(json_field "$F" version)" = 1 -a -n "$(json_field "$F" refreshed_at)"
check "expired: the file stays 0600 with its owner" \
	test "$(stat -c %a "$F")" = 600 -a "$(stat -c %u:%g "$F")" = "$owner_before"
check "expired: no warning logged" test -z "$(warn_lines)"
grep '^LOG' "$AUTH_OUT" > "$AUTH_OUT.log"
check "expired: no token in the client's log lines" \
	no_secret_in_logs "$AUTH_OUT.log" "$old_at" "$new_at" "$old_rt" "$new_rt"

# --- a fresh token costs no request -------------------------------------------
auth_admin POST /admin/reset-stats >/dev/null
check "fresh: the login succeeds" sasl_auth OAUTHBEARER "$U" "$F"
check "fresh: no token request" test "$(auth_stat token_requests)" = 0

# --- within the margin (600 s) it is refreshed ahead of time ---------------------
set_json_field "$F" expires_at "$(( $(date +%s) + 300 ))"
auth_admin POST /admin/reset-stats >/dev/null
check "margin: a token expiring in 300 s is refreshed first" sasl_auth XOAUTH2 "$U" "$F"
check "margin: one token request" test "$(auth_stat token_requests)" = 1
check "margin: expires_at moved past the margin" test "$(json_field "$F" expires_at)" -gt $(( $(date +%s) + 600 ))

# --- strict rotation: each refresh token works once; none may be lost ---------------
auth_admin POST /admin/config '{"strict":true,"ttl":300}' >/dev/null
set_json_field "$F" expires_at "$(( $(date +%s) - 1 ))"
auth_admin POST /admin/reset-stats >/dev/null
fails=0
for i in 1 2 3 4 5 6; do
	sasl_auth XOAUTH2 "$U" "$F" || fails=$((fails + 1))
done
check "strict rotation: 6 logins in a row succeed (each refreshes: ttl < margin)" test $fails = 0
reqs=$(auth_stat token_requests); refused=$(auth_stat refresh_failed)
check "strict rotation: 6 token requests, none refused (got $reqs, $refused)" \
	test "$reqs" = 6 -a "$refused" = 0
auth_admin POST /admin/config '{"strict":false,"ttl":3600}' >/dev/null

# --- a server's rejection makes the next login refresh first ------------------------
sasl_auth XOAUTH2 "$U" "$F" '{"status":"401","schemes":"bearer","scope":"mail"}'
check "rejected: the error challenge is answered" grep -q '^OK' "$AUTH_OUT"
check "rejected: the token file records the rejection" test -n "$(json_field "$F" rejected_at)"
check "rejected: the state file beside it records it for watch, with the server's status (sasl-oauth2.conf(5))" \
	bash -c 'test -n "$1" && grep -q 401 <<<"$2"' _ "$(json_field "$F.state" rejected_at)" "$(json_field "$F.state" reason)"
auth_admin POST /admin/reset-stats >/dev/null
check "rejected: the next login succeeds" sasl_auth XOAUTH2 "$U" "$F"
check "rejected: it refreshed first although the token had not expired" \
	test "$(auth_stat token_requests)" = 1
check "rejected: the mark is cleared after the refresh" test -z "$(json_field "$F" rejected_at)"
check "rejected: the refresh's success clears it in the state file too" \
	test -z "$(json_field "$F.state" rejected_at)" -a "$(json_field "$F.state" failures)" = 0

# --- refused refresh (invalid_grant) -------------------------------------------------
rt=$(json_field "$F" refresh_token)
auth_admin POST /admin/revoke "{\"refresh_token\":\"$rt\"}" >/dev/null
set_json_field "$F" expires_at "$(( $(date +%s) + 300 ))"
check "refused, token still valid: the login uses the current token" sasl_auth XOAUTH2 "$U" "$F"
check "refused, token still valid: one WARN says why" one_warn_matching "still valid.*invalid_grant"
set_json_field "$F" expires_at "$(( $(date +%s) - 10 ))"
cp -p "$F" "$F.before"
fails_login() { ! sasl_auth "$@"; }
check "refused, token expired: the login fails" fails_login XOAUTH2 "$U" "$F"
check "refused: one WARN line naming the provider's error and the re-authorize command" \
	one_warn_matching "invalid_grant.*sasl-oauth2 authorize $F"
check "refused: the refresh token is kept" test "$(json_field "$F" refresh_token)" = "$rt"
last_error_is() { json_field "$F" last_error | grep -q "$1"; }
check "refused: last_error is recorded in the file" last_error_is invalid_grant
valid_0600() { json_valid "$1" && test "$(stat -c %a "$1")" = 600; }
check "refused: the file is still valid JSON, 0600" valid_0600 "$F"

# --- permissions ---------------------------------------------------------------------------
seed_token_file "$F" "$U" 3600
chmod 640 "$F"
check "mode 0640: the login fails" fails_login XOAUTH2 "$U" "$F"
check "mode 0640: refused with the chmod that fixes it" \
	one_warn_matching "readable by group or others (mode 0640).*chmod 600 $F"
chmod 600 "$F"

# --- tarickb/sasl-xoauth2's format is read as is and upgraded on refresh -------------------
T="$E2E_TMP/tarickb.json"
auth_admin POST /admin/seed "{\"user\":\"$U\",\"ttl\":3600}" | "$NODE" -e '
	let b = ""; process.stdin.on("data", (c) => b += c);
	process.stdin.on("end", () => {
		const s = JSON.parse(b); const [path, ep, ca] = process.argv.slice(1);
		require("fs").writeFileSync(path, JSON.stringify({
			access_token: s.access_token, refresh_token: s.refresh_token,
			expiry: String(Math.floor(Date.now() / 1000) - 5), user: "alice@example.com",
			client_id: "test-client", client_secret: "unused-secret",
			token_endpoint: ep, ca_bundle_file: ca, refresh_window: "600",
			comment: "kept" }), { mode: 0o600 });
	});' "$T" "$AUTH_URL/token" "$CA_DIR/ca.pem"
# the per-file ca_bundle_file must be what makes TLS work here
write_refresh_conf "ca_bundle = /etc/ssl/certs/ca-certificates.crt"
check "tarickb format: an expired file is refreshed (its own ca_bundle_file)" sasl_auth XOAUTH2 "$U" "$T"
check "tarickb format: upgraded to version 1 with expires_at" \
	test "$(json_field "$T" version)" = 1 -a -n "$(json_field "$T" expires_at)"
check "tarickb format: expiry kept in step with expires_at" \
	test "$(json_field "$T" expiry)" = "$(json_field "$T" expires_at)"
missing=""
for k in client_secret ca_bundle_file refresh_window comment user client_id token_endpoint refresh_token; do
	[ -n "$(json_field "$T" $k)" ] || missing="$missing $k"
done
check "tarickb format: no field lost ($missing )" test -z "$missing"
check "tarickb format: client_secret never logged" no_secret_in_logs "$AUTH_OUT" unused-secret
write_refresh_conf

# --- a bad config file: the plugin loads, refreshes fail with file and line ----------------
write_refresh_conf "bogus_key = 1"
seed_token_file "$F" "$U" 3600
check "bad config: the plugin still loads and a fresh token works" sasl_auth XOAUTH2 "$U" "$F"
set_json_field "$F" expires_at "$(( $(date +%s) - 10 ))"
check "bad config: a login that needs a refresh fails" fails_login XOAUTH2 "$U" "$F"
check "bad config: the WARN names file, line and key" \
	one_warn_matching "config file $SASL_OAUTH2_CONF, line 5: bogus_key: unknown key"
write_refresh_conf

# --- Dovecot accepts the refreshed token ------------------------------------------------
DOVECOT_INTROSPECT_URL="$AUTH_URL/dovecot-introspect"
DOVECOT_OAUTH2_CA=$CA_DIR/ca.pem
start_dovecot
seed_token_file "$F" "$U" -30
out="$E2E_TMP/imtest-refresh.out"
run_cyrus_client "$out" "$E2E_TMP/imtest-refresh.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" XOAUTH2 "$U" "$F"
check "dovecot: imtest logs in with an expired token file (refreshed by the plugin)" \
	grep -q '^Authenticated\.' "$out"
check "dovecot: the file now holds a token that expires in the future" \
	test "$(json_field "$F" expires_at)" -gt "$(date +%s)"
grep -q '^Authenticated\.' "$out" || { show_log "$out" imtest; show_log "$DOVECOT_LOG" dovecot; }

tests_exit
