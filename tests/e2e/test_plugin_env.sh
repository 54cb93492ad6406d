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
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/plugin.sh"

e2e_setup plugin-env
[ "$(id -u)" = 0 ] || bail "setup: needs root (to make a setgid copy of sasl_auth)"
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

# --- issue 16: a set-uid-root client run by a real unprivileged user (nobody) -------------
# In a set-id program (getauxval(AT_SECURE)) the token file must be the REAL
# user's, and libcurl must not take the caller's https_proxy or SSLKEYLOGFILE.
SETUID="$E2E_TMP/sasl_auth-setuid"
cp "$SASL_AUTH_BIN" "$SETUID"; chown root:root "$SETUID"; chmod 4755 "$SETUID"
as_nobody() { runuser -u nobody -- env -u SASL_OAUTH2_CONF "$@"; }
# root's token file (root 0600): nobody names it as the password
ROOTTOK="$E2E_TMP/root-token.json"
( umask 077; printf '{"version": 1, "user": "%s", "access_token": "RootsAccessToken0123456789abcdef", "expires_at": %s}\n' \
	"$U" $(( $(date +%s) + 3000 )) >"$ROOTTOK" )
as_nobody "$SETUID" "$PLUGIN_DIR" XOAUTH2 "$U" "$ROOTTOK" >"$E2E_TMP/setuid-root.out" 2>&1
check "set-uid client run by nobody: root's token file is refused (owned by uid 0, not the real uid)" \
	grep -qE "belongs to uid 0, not to uid $(id -u nobody) .*real user" "$E2E_TMP/setuid-root.out"
check "set-uid client run by nobody: root's token is not used (no OK)" \
	bash -c '! grep -q "^OK" "$1"' _ "$E2E_TMP/setuid-root.out"
sed 's/^/#   /' "$E2E_TMP/setuid-root.out"

# nobody's own expired token file: the refresh must not go through the
# caller's proxy, nor write TLS keys where the caller says
install -d -m 700 -o nobody "$E2E_TMP/nobody-dir"
NTOK="$E2E_TMP/nobody-dir/nobody-token.json"
( umask 077; printf '{"version": 1, "user": "%s", "access_token": "%s", "expires_at": %s,
  "refresh_token": "rt-nobody-0123456789", "client_id": "c",
  "token_endpoint": "https://oauth.invalid/token"}\n' "$U" "$(e2e_token nobody)" $(( $(date +%s) - 60 )) >"$NTOK" )
chown nobody "$NTOK"
PROXY_LOG="$E2E_TMP/proxy.log"; : >"$PROXY_LOG"
PPORT=$(free_port)
"$NODE" -e '
	const fs = require("fs"), [log, port] = process.argv.slice(1);
	require("net").createServer(c => c.once("data", d => {
		fs.appendFileSync(log, d.toString().split("\r\n")[0] + "\n"); c.destroy();
	})).listen(+port, "127.0.0.1");' "$PROXY_LOG" "$PPORT" &
E2E_PIDS+=($!)
wait_port "$PPORT" || bail "setup: the recording proxy did not start"
KEYDIR="$E2E_TMP/keys"; mkdir -p "$KEYDIR"; chmod 755 "$KEYDIR"
proxy_env=(https_proxy="http://127.0.0.1:$PPORT" HTTPS_PROXY="http://127.0.0.1:$PPORT" all_proxy="http://127.0.0.1:$PPORT" no_proxy= NO_PROXY=)
# the same run without set-id shows the trap is real: the proxy is used, the key file made
env "${proxy_env[@]}" SSLKEYLOGFILE="$KEYDIR/plain.keys" "$SASL_AUTH_BIN" "$PLUGIN_DIR" XOAUTH2 "$U" "$F" \
	>"$E2E_TMP/plain-proxy.out" 2>&1
check "an ordinary client: libcurl takes https_proxy from the environment (the recording proxy was asked)" \
	grep -q "oauth.invalid\|127.0.0.1" "$PROXY_LOG"
check "an ordinary client: libcurl opens SSLKEYLOGFILE" test -e "$KEYDIR/plain.keys"
: >"$PROXY_LOG"
as_nobody env "${proxy_env[@]}" SSLKEYLOGFILE="$KEYDIR/setuid.keys" "$SETUID" "$PLUGIN_DIR" XOAUTH2 "$U" "$NTOK" \
	>"$E2E_TMP/setuid-proxy.out" 2>&1
check "set-uid client run by nobody: its own token file is accepted, and a refresh tried" \
	grep -q "oauth.invalid" "$E2E_TMP/setuid-proxy.out"
check "set-uid client run by nobody: the caller's https_proxy got no connection" test ! -s "$PROXY_LOG"
check "set-uid client run by nobody: no SSLKEYLOGFILE was created (with root's rights)" test ! -e "$KEYDIR/setuid.keys"
sed 's/^/#   /' "$E2E_TMP/setuid-proxy.out" "$PROXY_LOG"
# a set-gid copy (group postfix: a real change of group for nobody) keeps the
# real and effective uid equal, so the file is nobody's by either rule and
# the refresh is tried: the proxy alone is what is checked here
SETGID2="$E2E_TMP/sasl_auth-setgid-postfix"
cp "$SASL_AUTH_BIN" "$SETGID2"; chgrp postfix "$SETGID2"; chmod 2755 "$SETGID2"
: >"$PROXY_LOG"
as_nobody env "${proxy_env[@]}" "$SETGID2" "$PLUGIN_DIR" XOAUTH2 "$U" "$NTOK" >"$E2E_TMP/setgid-proxy.out" 2>&1
check "set-gid client run by nobody: a refresh was tried" grep -q "oauth.invalid" "$E2E_TMP/setgid-proxy.out"
check "set-gid client run by nobody: the caller's https_proxy got no connection" test ! -s "$PROXY_LOG"
sed 's/^/#   /' "$E2E_TMP/setgid-proxy.out" "$PROXY_LOG"

tests_exit
