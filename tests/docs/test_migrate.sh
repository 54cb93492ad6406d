#!/bin/bash
# docs/migrate-sasl-xoauth2.md on a relay set up as tarickb/sasl-xoauth2's
# README has it: a private Postfix configuration (Debian's main.cf and
# master.cf, smtp chrooted), an in-chroot token file path in sasl_passwd,
# the tokens in the file and the client in sasl-xoauth2.conf, and
# sasl-xoauth2's plugin beside ours. The guide's commands (import,
# sasl_passwd line, postconf, plugin removal) must leave `doctor --for
# postfix` with nothing to fix but the watch service. No server is needed:
# the imported file has a valid access token.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   /var/spool/postfix                 the test's queue directory
#   /etc/postfix/                      the test's config directory
#   postconf, postmap                  ... -c CONFIG_DIR
#   /usr/lib/x86_64-linux-gnu/sasl2    the test's plugin directory
#   "alice --for postfix"              + --sasl-xoauth2-conf TEST_FILE
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=migrate-sasl-xoauth2.md
e2e_setup docs-migrate postconf
SPOOL="$E2E_TMP/spool"
CONF="$E2E_TMP/postfix"
PLUGINS="$E2E_TMP/plugins"
make_plugin_dir "$PLUGINS"
mkdir -p "$CONF" "$SPOOL/etc"
cp -p /etc/resolv.conf /etc/hosts /etc/services "$SPOOL/etc/"
export SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
printf 'ca_bundle = /etc/ssl/certs/ca-certificates.crt\nchroot_dir = %s\n' "$SPOOL" >"$SASL_OAUTH2_CONF"
chmod 644 "$SASL_OAUTH2_CONF"

# ----- the sasl-xoauth2 relay, as its README sets it up ----------------------------
cp /usr/share/postfix/main.cf.debian "$CONF/main.cf"
cp /usr/share/postfix/master.cf.dist "$CONF/master.cf"
postconf -c "$CONF" -e "queue_directory = $SPOOL" 'relayhost = [smtp.office365.com]:587' \
	smtp_sasl_auth_enable=yes "smtp_sasl_password_maps = hash:$CONF/sasl_passwd" \
	'smtp_sasl_security_options =' smtp_sasl_mechanism_filter=xoauth2 smtp_tls_security_level=encrypt ||
	bail "setup: postconf failed"
echo '[smtp.office365.com]:587 alice@example.com:/etc/tokens/alice@example.com' >"$CONF/sasl_passwd"
postmap -c "$CONF" "hash:$CONF/sasl_passwd"
install -d -m 755 "$SPOOL/etc/tokens"
OLD="$SPOOL/etc/tokens/alice@example.com"
ACCESS="at-$RANDOM$RANDOM-migrate-0123456789"
( umask 077; printf '{"access_token":"%s","refresh_token":"rt-migrate","expiry":"%s"}\n' \
	"$ACCESS" $(( $(date +%s) + 3600 )) >"$OLD" )
chown postfix "$OLD"
touch -d '10 days ago' "$OLD"
X2CONF="$E2E_TMP/sasl-xoauth2.conf"
printf '{\n  "client_id": "app-id",\n  "client_secret": "x2-secret",\n  "token_endpoint": "https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"\n}\n' >"$X2CONF"
printf '\177ELF stand-in for sasl-xoauth2: XOAUTH2\n' >"$PLUGINS/libsasl-xoauth2.so"

doctor() {
	"$SASL_OAUTH2_BIN" doctor --for postfix --postfix-config "$CONF" --plugin-dir "$PLUGINS" >"$E2E_TMP/doctor.out" 2>&1
}
seen() { grep -qE -- "$1" "$E2E_TMP/doctor.out" || { sed 's/^/#   /' "$E2E_TMP/doctor.out"; return 1; }; }
doctor
check "before: doctor warns about sasl-xoauth2's plugin beside ours" \
	seen "^WARN plugin: $PLUGINS/libsasl-xoauth2.so also offers XOAUTH2"
check "before: the in-chroot path in sasl_passwd is read as the chrooted smtp sees it" \
	seen "^OK +postfix: the password map sends .* the token file /etc/tokens/alice@example.com \(as the chrooted"

# run NAME SNIPPET: runs $E2E_TMP/SNIPPET.sh, the guide's commands
run() {
	local name=$1 snip=$2
	if bash -e "$E2E_TMP/$snip.sh" >"$E2E_TMP/$snip.out" 2>&1; then
		ok "$name"
	else
		not_ok "$name"
		show_log "$E2E_TMP/$snip.out" "$snip"
	fi
}

# ----- 2. import ---------------------------------------------------------------------
PATH="$(dirname "$SASL_OAUTH2_BIN"):$PATH"
guide_config "$E2E_TMP/migrate-import.sh" "$GUIDE" migrate-import /var/spool/postfix "$SPOOL" \
	"alice --for postfix" "alice --for postfix --sasl-xoauth2-conf $X2CONF"
run "the guide's import command runs" migrate-import
NEW="$SPOOL/etc/sasl-oauth2/alice.json"
check "import: the account is Postfix's: owned by postfix, mode 0600" \
	test "$(stat -c '%U %a' "$NEW" 2>/dev/null)" = "postfix 600"
check "import: tokens from the token file, client and endpoint from sasl-xoauth2.conf" \
	"$NODE" -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		process.exit(t.access_token === process.argv[2] && t.refresh_token === "rt-migrate" &&
			t.client_id === "app-id" && t.client_secret === "x2-secret" &&
			/contoso\.example/.test(t.token_endpoint) ? 0 : 1)' "$NEW" "$ACCESS"
check "import: the refresh token's age is the old file's" \
	test "$("$NODE" -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).refreshed_at' "$NEW")" = "$(stat -c %Y "$OLD")"

# ----- 3. and 4. sasl_passwd and Postfix's settings ----------------------------------------
guide_config "$CONF/sasl_passwd" "$GUIDE" migrate-sasl_passwd /var/spool/postfix "$SPOOL"
guide_config "$E2E_TMP/migrate-postconf.sh" "$GUIDE" migrate-postconf \
	"postconf " "postconf -c $CONF " "postmap " "postmap -c $CONF " /etc/postfix/ "$CONF/"
run "the guide's postconf and postmap commands run" migrate-postconf
check "smtp_sasl_security_options is back to Postfix's default" \
	bash -c '! postconf -c "$1" -n | grep -q "^smtp_sasl_security_options"' _ "$CONF"
check "smtp_sasl_tls_security_options = noanonymous" \
	test "$(postconf -c "$CONF" -h smtp_sasl_tls_security_options)" = noanonymous

# ----- 5. remove the other plugin ----------------------------------------------------------
guide_config "$E2E_TMP/migrate-remove-plugin.sh" "$GUIDE" migrate-remove-plugin \
	/usr/lib/x86_64-linux-gnu/sasl2 "$PLUGINS"
run "the guide's plugin removal runs" migrate-remove-plugin
check "sasl-xoauth2's plugin is gone, ours stays" \
	bash -c 'test ! -e "$1/libsasl-xoauth2.so" && test -e "$1/libsasl-oauth2.so"' _ "$PLUGINS"

# ----- after: doctor has nothing to fix ------------------------------------------------------
doctor
check "after: no FAIL" bash -c '! grep -q "^FAIL" "$1" || { sed "s/^/#   /" "$1"; exit 1; }' _ "$E2E_TMP/doctor.out"
check "after: the only warning, if any, is the watch service" \
	bash -c '! grep "^WARN" "$1" | grep -v "^WARN watch:" | grep -q . || { sed "s/^/#   /" "$1"; exit 1; }' _ "$E2E_TMP/doctor.out"
check "after: no other XOAUTH2 plugin" seen "^OK +plugin: no other XOAUTH2 or OAUTHBEARER plugin"
check "after: the map sends the imported token file" \
	seen "^OK +postfix: the password map sends \[smtp.office365.com\]:587 the token file $NEW"
check "after: doctor reports the refresh token's real age (10 days)" seen "refresh token: last used 10d"

tests_exit
