#!/bin/bash
# End to end: app-only token files (no one signs in), against oidc-provider
# (oidcserver.js --app-config) and Dovecot:
#
#   secret     client_credentials with a client secret file (client_secret_post)
#   cert       client_credentials with private_key_jwt: the client signs an
#              RS256 assertion with its key; the server verifies it against the
#              certificate it was given (as Entra does with an uploaded one)
#   google     the JWT bearer grant (registerGrantType in the server): the
#              assertion is verified against the service account's public key
#              and its claims (iss, sub = mailbox, aud, scope, iat/exp)
# Each: `sasl-oauth2 authorize ACCOUNT --app|--service-account` fetches the
# first token; imtest logs in to Dovecot (introspection) through the plugin;
# an expired token is renewed by the plugin with the file's grant.
# Bad inputs: wrong key (server refuses the assertion), certificate of another
# key, expired certificate, group-readable key, clock skew, delegation
# missing: a clear error naming the file and the fix; the token file's access
# token unchanged.
# Single flight: 64 processes needing a new app-only token at once -> exactly
# one token request.
set -u
. "$(dirname "$0")/../lib/clients.sh"
. "$(dirname "$0")/../lib/oidc.sh"
. "$(dirname "$0")/../lib/shellwords.sh"

CLI="$BUILDDIR/tools/sasl-oauth2"
e2e_setup app-only
T=$E2E_TMP
U=relay@example.com
GU=alice@corp.example
SA_EMAIL=relay@proj.iam.example

# ---- credentials, made with the CLI's own keygen (and openssl for Google's)
"$CLI" keygen "$T/key.pem" "$T/cert.pem" --days 90 --bits 2048 >"$T/keygen.out" 2>&1
check "keygen: makes a key and a certificate" test -s "$T/key.pem" -a -s "$T/cert.pem"
check "keygen: the key is 0600" test "$(file_mode "$T/key.pem")" = 600
sha1=$(openssl x509 -in "$T/cert.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
check "keygen: prints the certificate's SHA-1 thumbprint (as openssl computes it)" \
	grep -q "Thumbprint (SHA-1): $sha1" "$T/keygen.out"
check "keygen: prints the expiry" grep -q 'Expires: .*in 90 days' "$T/keygen.out"
"$CLI" keygen "$T/key.pem" "$T/other.pem" >"$T/keygen2.out" 2>&1
check "keygen: refuses to replace an existing key (exit 74)" test $? = 74
"$CLI" keygen "$T/wrongkey.pem" "$T/wrongcert.pem" --bits 2048 >/dev/null 2>&1 ||
	bail "setup: keygen of the second pair failed"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa-priv.pem" 2>/dev/null &&
	openssl pkey -in "$T/sa-priv.pem" -pubout -out "$T/sa-pub.pem" 2>/dev/null ||
	bail "setup: openssl could not make the service account key"
( umask 077; printf 'app-secret-%s\n' "$RANDOM$RANDOM" >"$T/secret" )

cat >"$T/app.json" <<EOF
{ "clients": [
    { "client_id": "app-secret", "client_secret": "$(head -n1 "$T/secret")", "mailbox": "$U" },
    { "client_id": "app-cert", "certificate": "$T/cert.pem", "mailbox": "$U" },
    { "client_id": "app-cert-ps", "certificate": "$T/cert.pem", "alg": "PS256", "mailbox": "$U" } ],
  "service_accounts": [
    { "client_email": "$SA_EMAIL", "public_key": "$T/sa-pub.pem", "client_id": "1000001",
      "mailboxes": ["$GU"] } ] }
EOF
start_oidcserver --app-config "$T/app.json"
note "oidcserver at $OIDC_URL"

# Google's key file as the Cloud console writes it; token_uri is this server.
"$NODE" -e '
	const fs = require("fs"); const [priv, email, uri, out] = process.argv.slice(1);
	fs.writeFileSync(out, JSON.stringify({ type: "service_account", project_id: "proj",
		private_key_id: "kid-1", private_key: fs.readFileSync(priv, "utf8"),
		client_email: email, client_id: "1000001", token_uri: uri }, null, 2), { mode: 0o600 });' \
	"$T/sa-priv.pem" "$SA_EMAIL" "$OIDC_URL/token" "$T/sa.json"

export SASL_OAUTH2_CONF="$T/sasl-oauth2.conf"
export SASL_OAUTH2_STATE_DIR="$T/state"
cat >"$SASL_OAUTH2_CONF" <<EOF
ca_bundle = $CA_DIR/ca.pem
provider.test.token_endpoint = $OIDC_URL/token
provider.test.scope = https://outlook.office365.com/.default
EOF

tok() { echo "$SASL_OAUTH2_STATE_DIR/$1.json"; }
field() { json_field "$1" "$2"; }

# ---- Microsoft's tenant rules (no network: refused before any request)
"$CLI" authorize bad --app --tenant common --client-id x --user "$U" \
	--client-secret-file "$T/secret" >"$T/common.out" 2>&1
check "tenant: --tenant common is refused (usage, exit 2)" test $? = 2
check "tenant: the message says app-only needs a specific tenant" grep -q 'specific tenant' "$T/common.out"
"$CLI" authorize bad --app --client-id x --user "$U" --client-secret-file "$T/secret" >"$T/notenant.out" 2>&1
check "tenant: --app without --tenant is refused" test $? = 2 -a -n "$(grep -- '--tenant' "$T/notenant.out")"
"$CLI" authorize bad --app --tenant 'not a tenant' --client-id x --user "$U" \
	--client-secret-file "$T/secret" >/dev/null 2>&1
check "tenant: a tenant that is neither GUID nor domain is refused" test $? = 2
"$CLI" authorize bad --app --tenant contoso.onmicrosoft.com --client-id x \
	--client-secret-file "$T/secret" >"$T/nouser.out" 2>&1
check "authorize --app: --user MAILBOX is required" test $? = 2 -a -n "$(grep -- '--user' "$T/nouser.out")"
check "tenant: nothing was written" test ! -e "$(tok bad)"

# ---- 1. client secret (client_secret_post)
oidc_admin POST /admin/reset-stats >/dev/null
"$CLI" authorize sec --app --provider test --client-id app-secret --user "$U" \
	--client-secret-file "$T/secret" >"$T/sec.out" 2>&1
rc=$?
check "secret: authorize --app exits 0" test $rc = 0
[ $rc = 0 ] || show_log "$T/sec.out" authorize
check "secret: one client_credentials request" \
	test "$(jstr "$(oidc_stat grants)" client_credentials)" = 1
check "secret: the token file is 0600, grant client_credentials, version 2" \
	test "$(file_mode "$(tok sec)")|$(field "$(tok sec)" grant)|$(field "$(tok sec)" version)" = \
	"600|client_credentials|2"
check "secret: the file names the secret file, not the secret" \
	test "$(field "$(tok sec)" client_secret_file)" = "$T/secret" -a \
	-z "$(grep -F "$(head -n1 "$T/secret")" "$(tok sec)")"
check "secret: the secret is not printed" test -z "$(grep -F "$(head -n1 "$T/secret")" "$T/sec.out")"
at=$(field "$(tok sec)" access_token)
check "secret: the access token introspects as the mailbox ($U)" \
	test "$(jstr "$(oidc_introspect "$at")" username)" = "$U"

"$CLI" status sec >"$T/status.out" 2>&1
check "status: shows app-only (client_credentials)" grep -q 'app-only (client_credentials)' "$T/status.out"

# ---- Dovecot accepts it through the plugin
start_imap_for_oidc
imtest_login() { # NAME USER TOKENFILE
	run_cyrus_client "$T/$1.imtest" "$T/$1.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" XOAUTH2 "$2" "$3"
	grep -q '^Authenticated\.' "$T/$1.imtest"
}
check "secret: imtest XOAUTH2 logs in to Dovecot with the app-only token" imtest_login sec "$U" "$(tok sec)"

# the plugin renews an expired app-only token with the file's grant
set_json_field "$(tok sec)" expires_at "$(( $(date +%s) - 60 ))"
oidc_admin POST /admin/reset-stats >/dev/null
check "secret: imtest logs in with an expired file (the plugin renews it)" imtest_login sec2 "$U" "$(tok sec)"
check "secret: the plugin made one client_credentials request" \
	test "$(jstr "$(oidc_stat grants)" client_credentials)" = 1
check "secret: the file holds a new, later-expiring access token" \
	test "$(field "$(tok sec)" access_token)" != "$at" -a "$(field "$(tok sec)" expires_at)" -gt "$(date +%s)"
check "secret: the file stays 0600, grant and version kept" \
	test "$(file_mode "$(tok sec)")|$(field "$(tok sec)" grant)|$(field "$(tok sec)" version)" = \
	"600|client_credentials|2"

# ---- 2. certificate (private_key_jwt, verified by the server)
oidc_admin POST /admin/reset-stats >/dev/null
"$CLI" authorize crt --app --provider test --client-id app-cert --user "$U" \
	--certificate "$T/cert.pem" --private-key "$T/key.pem" >"$T/crt.out" 2>&1
rc=$?
check "cert: authorize --app with --certificate/--private-key exits 0" test $rc = 0
[ $rc = 0 ] || { show_log "$T/crt.out" authorize; show_log "$OIDC_LOG" oidcserver 15; }
check "cert: the server granted it (token_ok = 1)" test "$(oidc_stat token_ok)" = 1
check "cert: imtest logs in with it" imtest_login crt "$U" "$(tok crt)"
# PS256 (Microsoft's current certificate credentials page asks for it)
"$CLI" authorize crtps --app --provider test --client-id app-cert-ps --user "$U" \
	--certificate "$T/cert.pem" --private-key "$T/key.pem" --assertion-alg PS256 >"$T/crtps.out" 2>&1
rc=$?
check "cert PS256: a client that takes only PS256 accepts the assertion (exit $rc)" test $rc = 0
check "cert PS256: the token file records assertion_alg PS256" test "$(field "$(tok crtps)" assertion_alg)" = PS256
"$CLI" authorize crtrs --app --provider test --client-id app-cert-ps --user "$U" \
	--certificate "$T/cert.pem" --private-key "$T/key.pem" >"$T/crtrs.out" 2>&1
check "cert PS256: the same client refuses an RS256 assertion" test $? != 0 -a ! -e "$(tok crtrs)"
set_json_field "$(tok crtps)" expires_at "$(( $(date +%s) - 60 ))"
"$CLI" refresh crtps >"$T/crtps-refresh.out" 2>&1
check "cert PS256: refresh renews it with a PS256 assertion" test $? = 0
"$CLI" doctor crt >"$T/doctor-crt.out" 2>&1
check "doctor: names the grant" grep -q 'OK.*grant: client_credentials' "$T/doctor-crt.out"
check "doctor: key matches the certificate" grep -q 'OK.*certificate: .* belongs to private key' "$T/doctor-crt.out"
check "doctor: certificate days left (90 days: no warning)" grep -q 'OK.*certificate: valid for 8[89] more days' "$T/doctor-crt.out"
check "doctor: no FAIL about the token file or its credentials" \
	test -z "$(grep -E '^FAIL (token|certificate|private|grant|tenant|client|access|last)' "$T/doctor-crt.out")"

# doctor on a certificate that is about to expire, and on one of another key
"$BUILDDIR/tests/tools/old_cert" "$T/key.pem" "$T/soon.pem" -1 10 || bail "setup: old_cert failed"
with_cert() { # NAME CERT: a copy of crt's token file naming CERT
	"$NODE" -e 'const fs = require("fs"); const [src, dst, cert] = process.argv.slice(1);
		const o = JSON.parse(fs.readFileSync(src, "utf8")); o.certificate_file = cert;
		fs.writeFileSync(dst, JSON.stringify(o), { mode: 0o600 });' "$(tok crt)" "$(tok "$1")" "$2"
}
with_cert soon "$T/soon.pem"
"$CLI" doctor soon >"$T/doctor-soon.out" 2>&1
check "doctor: WARN when the certificate expires within 30 days (9 days left)" \
	grep -qE '^WARN .*certificate: .*soon.pem expires in [89] days' "$T/doctor-soon.out"
with_cert other "$T/wrongcert.pem"
"$CLI" doctor other >"$T/doctor-other.out" 2>&1
check "doctor: FAIL when the certificate does not belong to the key" \
	grep -qE '^FAIL .*wrongcert.pem does not belong to private key' "$T/doctor-other.out"
rm -f "$(tok soon)" "$(tok other)"

# bad inputs: each leaves the access token as it was
bad_case() { # NAME EXPECT_RE FILE_RE [authorize args...]: a refused authorize
	local name=$1 want=$2 file=$3; shift 3
	"$CLI" authorize "$name" --app --provider test --client-id app-cert --user "$U" "$@" \
		>"$T/$name.out" 2>&1
	local rc=$?
	check "$name: authorize fails (exit $rc)" test $rc != 0
	check "$name: the error says '$want'" grep -qE -- "$want" "$T/$name.out"
	check "$name: the error names $file" grep -qF -- "$file" "$T/$name.out"
	check "$name: nothing was saved" test ! -e "$(tok "$name")"
	grep -qE -- "$want" "$T/$name.out" || show_log "$T/$name.out" authorize
}
# nothing was saved, so the way on is this command again, not doctor
bad_case wrongkey 'refused the client credentials grant.*invalid_client' "nothing was saved: after fixing it, run this authorize command again" \
	--certificate "$T/wrongcert.pem" --private-key "$T/wrongkey.pem"
check "wrongkey: no 'check with: sasl-oauth2 doctor' for a file that was never saved" \
	bash -c '! grep -q "sasl-oauth2 doctor" "$1"' _ "$T/wrongkey.out"
bad_case mismatch 'does not belong to private key' "$T/wrongcert.pem" \
	--certificate "$T/wrongcert.pem" --private-key "$T/key.pem"
chmod 640 "$T/key.pem"
bad_case groupread 'readable by group or others.*chmod 600' "$T/key.pem" \
	--certificate "$T/cert.pem" --private-key "$T/key.pem"
chmod 600 "$T/key.pem"
# an expired certificate for the right key (openssl 3.0 cannot date one back)
"$BUILDDIR/tests/tools/old_cert" "$T/key.pem" "$T/expired.pem" -60 30 ||
	bail "setup: old_cert failed"
bad_case expired 'expired [0-9]+ days ago.*keygen' "$T/expired.pem" \
	--certificate "$T/expired.pem" --private-key "$T/key.pem"

# the plugin meets a broken credential: the token file keeps its token
set_json_field "$(tok crt)" expires_at "$(( $(date +%s) - 60 ))"
cp "$(tok crt)" "$T/crt.expired"
chmod 644 "$T/key.pem"
run_cyrus_client "$T/crtbad.imtest" "$T/crtbad.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" XOAUTH2 "$U" "$(tok crt)"
check "cert: with a world-readable key imtest does not log in" bash -c '! grep -q "^Authenticated\." "$1"' _ "$T/crtbad.imtest"
check "cert: the plugin's warning names the key file and chmod 600" \
	grep -qE "sasl-oauth2.*$T/key.pem.*chmod 600" "$T/crtbad.syslog"
check "cert: the token file is byte-identical" cmp -s "$(tok crt)" "$T/crt.expired"
chmod 600 "$T/key.pem"

# ---- 3. Google service account (JWT bearer grant)
oidc_admin POST /admin/reset-stats >/dev/null
"$CLI" authorize goo --service-account "$T/sa.json" --user "$GU" >"$T/goo.out" 2>&1
rc=$?
check "google: authorize --service-account exits 0" test $rc = 0
[ $rc = 0 ] || { show_log "$T/goo.out" authorize; show_log "$OIDC_LOG" oidcserver 15; }
check "google: one jwt_bearer request, granted" \
	test "$(jstr "$(oidc_stat grants)" jwt_bearer)|$(oidc_stat token_ok)" = "1|1"
check "google: the file: grant jwt_bearer, the key file's path, the mailbox" \
	test "$(field "$(tok goo)" grant)|$(field "$(tok goo)" service_account_file)|$(field "$(tok goo)" user)" = \
	"jwt_bearer|$T/sa.json|$GU"
check "google: next steps name the client id for domain-wide delegation" grep -q 'client id 1000001' "$T/goo.out"
check "google: imtest logs in as $GU" imtest_login goo "$GU" "$(tok goo)"

# clock skew: the server's clock is an hour ahead of ours
set_json_field "$(tok goo)" expires_at "$(( $(date +%s) - 60 ))"
cp "$(tok goo)" "$T/goo.expired"
oidc_admin POST /admin/config '{"clock_skew":7200}' >/dev/null
"$CLI" refresh goo >"$T/skew.out" 2>&1
check "skew: refresh fails" test $? != 0
check "skew: the error explains the clock (check NTP)" grep -q 'clock is off' "$T/skew.out"
check "skew: the access token is unchanged" \
	test "$(field "$(tok goo)" access_token)" = "$(json_field "$T/goo.expired" access_token)"
check "skew: last_error records invalid_grant" grep -q invalid_grant <<<"$(field "$(tok goo)" last_error)"
oidc_admin POST /admin/config '{"clock_skew":0,"delegation":false}' >/dev/null
"$CLI" refresh goo >"$T/deleg.out" 2>&1
check "delegation: refresh fails" test $? != 0
check "delegation: unauthorized_client is explained as domain-wide delegation" \
	grep -q 'unauthorized_client.*[Dd]omain-wide delegation' "$T/deleg.out"
"$CLI" doctor goo >"$T/doctor-goo.out" 2>&1
check "doctor: shows the recorded refusal" grep -q 'FAIL.*domain-wide delegation' "$T/doctor-goo.out"
PLANTED=()
check_fix_lines "doctor on app-only accounts" "$T"/doctor-*.out
oidc_admin POST /admin/config '{"delegation":true}' >/dev/null
"$CLI" refresh goo >"$T/goo-refresh.out" 2>&1
check "google: refresh works again, last_error cleared" \
	test $? = 0 -a -z "$(field "$(tok goo)" last_error)"

# ---- watch renews an app-only file like any other
set_json_field "$(tok goo)" expires_at "$(( $(date +%s) - 60 ))"
at=$(field "$(tok goo)" access_token)
oidc_admin POST /admin/reset-stats >/dev/null
"$CLI" watch --once --stderr goo >"$T/watch.out" 2>&1
check "watch --once: exit 0 for an expired service account file" test $? = 0
check "watch --once: one jwt_bearer request, a new access token" \
	test "$(jstr "$(oidc_stat grants)" jwt_bearer)" = 1 -a "$(field "$(tok goo)" access_token)" != "$at"

# ---- single flight: 64 processes, one expired app-only token file
set_json_field "$(tok sec)" expires_at "$(( $(date +%s) - 60 ))"
oidc_admin POST /admin/reset-stats >/dev/null
pids=()
for i in $(seq 1 64); do
	SASL_PATH="$PLUGIN_DIR" timeout 60 "$CLI" token sec >"$T/storm.$i" 2>&1 &
	pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "storm: all 64 processes got a token ($fails failed)" test $fails = 0
check "storm: exactly one client_credentials request" \
	test "$(jstr "$(oidc_stat grants)" client_credentials)" = 1
check "storm: every process printed the same token" \
	test "$(cat "$T"/storm.* | sort -u | wc -l)" = 1

# ---- forget: nothing to revoke
"$CLI" forget sec >"$T/forget.out" 2>&1
check "forget: removes the app-only account, says there is nothing to revoke" \
	test $? = 0 -a ! -e "$(tok sec)" -a -n "$(grep 'nothing to revoke' "$T/forget.out")"
check "forget: the secret file stays" test -s "$T/secret"

check "no secret, assertion or token in the server's log" \
	bash -c '! grep -qF -- "$1" "$2"' _ "$(head -n1 "$T/secret")" "$OIDC_LOG"
tests_exit
