#!/bin/bash
# The environment a set-id libsasl2 client inherits must not steer the
# plugin (issue 9, section 4): SASL_OAUTH2_CONF is read with secure_getenv,
# so in a setgid program the caller's choice of configuration file (which
# names the CA bundle, the token endpoint and the client secret) is ignored.
#
# sasl_auth (a libsasl2 client that finds the plugin through its GETPATH
# callback, which libsasl2 honours in set-id programs too) runs once as is
# and once as a setgid copy; the configuration file it is pointed at has a
# deliberate error, which the plugin reports when a refresh needs the
# configuration (the token file's access token has expired; its token
# endpoint refuses connections, so nothing leaves the machine).
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/refresh_env.sh"

e2e_setup plugin-env
[ "$(id -u)" = 0 ] || e2e_die "setup: needs root (to make a setgid copy of sasl_auth)"
U=alice@example.com
BAD_CONF="$E2E_TMP/planted.conf"
printf 'refresh_margin = planted-by-the-caller\n' >"$BAD_CONF"
F="$E2E_TMP/tok.json"
( umask 077; printf '{"version": 1, "user": "%s", "access_token": "%s", "expires_at": %s,
  "refresh_token": "rt-planted-0123456789", "client_id": "c",
  "token_endpoint": "https://127.0.0.1:1/token"}\n' "$U" "$(e2e_token planted)" \
	$(( $(date +%s) - 60 )) >"$F" )
SETGID="$E2E_TMP/sasl_auth-setgid"
cp "$SASL_AUTH_BIN" "$SETGID"
chgrp nogroup "$SETGID"
chmod 2755 "$SETGID"

SASL_OAUTH2_CONF="$BAD_CONF" "$SASL_AUTH_BIN" "$PLUGIN_DIR" XOAUTH2 "$U" "$F" >"$E2E_TMP/plain.out" 2>&1
check "an ordinary client: the plugin reads \$SASL_OAUTH2_CONF (its error is reported)" \
	grep -qF "$BAD_CONF" "$E2E_TMP/plain.out"
sed 's/^/#   /' "$E2E_TMP/plain.out"

SASL_OAUTH2_CONF="$BAD_CONF" "$SETGID" "$PLUGIN_DIR" XOAUTH2 "$U" "$F" >"$E2E_TMP/setgid.out" 2>&1
check "a setgid client: the plugin ignores \$SASL_OAUTH2_CONF (the planted file is never read)" \
	bash -c '! grep -qF "$1" "$2"' _ "$BAD_CONF" "$E2E_TMP/setgid.out"
check "a setgid client: it went on with the defaults (the refresh was tried)" \
	grep -q "127.0.0.1" "$E2E_TMP/setgid.out"
sed 's/^/#   /' "$E2E_TMP/setgid.out"

e2e_finish
