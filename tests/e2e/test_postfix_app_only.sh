#!/bin/bash
# End to end: an app-only token file (client credentials with a certificate,
# private_key_jwt) renewed inside Postfix's CHROOTED smtp client.
#
#   smtpsend.js -> [client Postfix] -> smtp-chroot (chroot = y, root = the
#   client's queue directory; XOAUTH2 through the build tree's plugin, secret =
#   QUEUE/etc/sasl-oauth2/relay.json, grant client_credentials, its access
#   token EXPIRED; the private key and certificate beside it, postfix 0600)
#     -> the plugin signs a client assertion with the key and POSTs the
#        client credentials grant to oidcserver.js (test CA in memory) from
#        inside the chroot
#   -> [receiver Postfix, SASL via Dovecot; Dovecot introspects the token at
#      oidcserver's /dovecot-introspect, which maps the app to its mailbox]
#   -> maildir
# Then the key is made group-readable: the message is deferred, one warning
# names the key file and chmod 600, the token file is unchanged.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/postfix.sh"
. "$HERE/../lib/oidc.sh"

CLI="$BUILDDIR/tools/sasl-oauth2"
e2e_setup postfix-app-only
command -v postfix >/dev/null 2>&1 || bail "setup: postfix is not installed"
U=relay@example.com
RCPT=dave@example.net # start_postfix_pair routes dave@ through smtp-chroot
QUEUE="$E2E_TMP/pf-client/queue"
TOKDIR="$QUEUE/etc/sasl-oauth2"
TOK="$TOKDIR/relay.json"

# key and certificate made by the CLI; the server knows the certificate
mkdir -p "$E2E_TMP/keys"
"$CLI" keygen "$E2E_TMP/keys/key.pem" "$E2E_TMP/keys/cert.pem" --bits 2048 >/dev/null 2>&1 ||
	bail "setup: keygen failed"
cat >"$E2E_TMP/app.json" <<EOF
{ "clients": [ { "client_id": "relay-app", "certificate": "$E2E_TMP/keys/cert.pem", "mailbox": "$U" } ] }
EOF
start_oidcserver --app-config "$E2E_TMP/app.json"

CONF="$E2E_TMP/sasl-oauth2.conf"
postfix_plugin_conf "$CONF" "$QUEUE" "provider.test.token_endpoint = $OIDC_URL/token" \
	"provider.test.scope = https://outlook.office365.com/.default"

start_imap_for_oidc # Dovecot, validating at oidcserver
start_postfix_pair "$U" "$TOK" "$TOK"
postfix_client_env "$QUEUE" "$CONF"

check "setup: the smtp-chroot transport runs chrooted (master.cf chroot = y)" \
	bash -c 'postconf -c "$1" -M smtp-chroot/unix | awk "{ exit !(\$5 == \"y\") }"' _ "$PCONF"

# the credentials inside the chroot, postfix's, 0600
install -d -m 755 "$QUEUE/etc"
install -d -m 700 -o postfix "$TOKDIR"
install -m 600 -o postfix "$E2E_TMP/keys/key.pem" "$TOKDIR/relay-key.pem"
install -m 644 -o postfix "$E2E_TMP/keys/cert.pem" "$TOKDIR/relay-cert.pem"

export SASL_OAUTH2_CONF="$CONF"
# authorize reads the credentials as postfix, never as root in postfix's
# directory: a root-owned key there is refused, as the plugin would refuse it
install -m 600 -o root "$E2E_TMP/keys/key.pem" "$TOKDIR/root-key.pem"
"$CLI" authorize "$TOKDIR/rootkey.json" --app --provider test --client-id relay-app --user "$U" \
	--certificate "$TOKDIR/relay-cert.pem" --private-key "$TOKDIR/root-key.pem" \
	--for postfix >"$E2E_TMP/authorize-rootkey.out" 2>&1
rc=$?
check "authorize --for postfix: a key postfix cannot read fails (exit $rc), naming it" \
	bash -c '[ "$1" != 0 ] && grep -qF "$2" "$3"' _ "$rc" "$TOKDIR/root-key.pem" "$E2E_TMP/authorize-rootkey.out"
check "authorize --for postfix: nothing was saved" test ! -e "$TOKDIR/rootkey.json"
rm -f "$TOKDIR/root-key.pem"
"$CLI" authorize "$TOK" --app --provider test --client-id relay-app --user "$U" \
	--certificate "$TOKDIR/relay-cert.pem" --private-key "$TOKDIR/relay-key.pem" \
	--for postfix >"$E2E_TMP/authorize.out" 2>&1
rc=$?
check "authorize --app --for postfix: exit 0" test $rc = 0
[ $rc = 0 ] || show_log "$E2E_TMP/authorize.out" authorize
check "authorize: the token file is postfix's, 0600" test "$(stat -c '%U %a' "$TOK")" = "postfix 600"
check "authorize: no warning about the credential files (inside the chroot, postfix's)" \
	test -z "$(grep -i warning "$E2E_TMP/authorize.out")"
check "authorize: next steps show the Postfix password map line" grep -qF "$U:$TOK" "$E2E_TMP/authorize.out"

expire() {
	"$NODE" -e 'const fs = require("fs"); const f = process.argv[1];
		const o = JSON.parse(fs.readFileSync(f, "utf8")); o.expires_at = Math.floor(Date.now() / 1000) - 60;
		fs.writeFileSync(f, JSON.stringify(o));' "$TOK"
	chown postfix "$TOK"; chmod 600 "$TOK"
}
send() {
	SUBJECT="e2e-postfix-app-only $1 $$.$RANDOM"
	"$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$U" "$RCPT" "$SUBJECT" >"$E2E_TMP/send-$1.out" 2>&1 ||
		show_log "$E2E_TMP/send-$1.out" smtpsend
}

# ===== 1. renewal inside the chroot =========================================
expire
OLD_AT=$(json_field "$TOK" access_token)
oidc_admin POST /admin/reset-stats >/dev/null
# the delivering smtp process must be the chrooted one: record its root
( for _ in $(seq 1 300); do
	for p in $(pgrep -x smtp 2>/dev/null); do
		[ "$(readlink "/proc/$p/root" 2>/dev/null)" = "$QUEUE" ] && { echo "$p" >"$E2E_TMP/chroot-pid"; exit 0; }
	done
	sleep 0.05
done ) &
WATCH_PID=$!
E2E_PIDS+=("$WATCH_PID")
oidc_admin POST /admin/config '{"token_delay_ms":700}' >/dev/null
send renew
if wait_for 30 pf_delivered "$SUBJECT"; then
	ok "renew: the message reached the receiver's maildir"
else
	not_ok "renew: the message reached the receiver's maildir"
	show_log "$PF_CLIENT_LOG" "client maillog" 20
	show_log "$OIDC_LOG" oidcserver 10
fi
wait "$WATCH_PID" 2>/dev/null
oidc_admin POST /admin/config '{"token_delay_ms":0}' >/dev/null
check "renew: an smtp process ran chrooted in the queue directory" test -s "$E2E_TMP/chroot-pid"
check "renew: one client_credentials request, granted (private_key_jwt verified)" \
	test "$(jstr "$(oidc_stat grants)" client_credentials)|$(oidc_stat token_ok)" = "1|1"
check "renew: the token file holds a new access token" \
	test -n "$(json_field "$TOK" access_token)" -a "$(json_field "$TOK" access_token)" != "$OLD_AT"
check "renew: the token file is still postfix's, 0600, grant kept" \
	test "$(stat -c '%U %a' "$TOK")|$(json_field "$TOK" grant)" = "postfix 600|client_credentials"
check "renew: the receiver saw sasl_username=$U" grep -q "sasl_method=XOAUTH2, sasl_username=$U" "$PF_RECV_LOG"
check "renew: no plugin warning" test -z "$(grep -E 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG")"

# ===== 2. a group-readable key: refused, file unchanged =====================
expire
cp "$TOK" "$E2E_TMP/tok.before"
chmod 640 "$TOKDIR/relay-key.pem"
oidc_admin POST /admin/reset-stats >/dev/null
deferred_re="smtp-chroot/smtp\[[0-9]+\]: .*to=<$RCPT>, .*status=deferred"
before=$(log_count "$deferred_re" "$PF_CLIENT_LOG")
send badkey
if wait_for 30 log_more_than "$before" "$deferred_re" "$PF_CLIENT_LOG"; then
	ok "badkey: the message is deferred"
else
	not_ok "badkey: the message is deferred"
	show_log "$PF_CLIENT_LOG" "client maillog" 20
fi
sleep 0.3
w=$(grep -E 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG")
check "badkey: the warning names the key file by its real path and the chmod that fixes it" \
	grep -qF "private key file $TOKDIR/relay-key.pem is readable by group or others (mode 0640), refusing to use it; fix it with: chmod 600 $TOKDIR/relay-key.pem" <<<"$w"
check "badkey: no token request was made" test "$(oidc_stat token_requests)" = 0
check "badkey: the token file is byte-identical" cmp -s "$TOK" "$E2E_TMP/tok.before"
chmod 600 "$TOKDIR/relay-key.pem"
check "no token or key material in the client's log" \
	bash -c '! grep -qE -- "BEGIN|$1" "$2"' _ "$OLD_AT" "$PF_CLIENT_LOG"
tests_exit
