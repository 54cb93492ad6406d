#!/bin/bash
# The plugin's messages about a token file inside Postfix's chroot, through
# libsasl2 as Postfix's smtp uses it: tests/tools/sasl_auth loads the
# plugin, then chroots (SASL_AUTH_CHROOT), then authenticates.
#   - a message names the token file by the path the admin wrote (the host
#     path in the password map), so its chmod fix runs on the host;
#   - a failed refresh names the account and the token file, and a chroot
#     without etc/resolv.conf, hosts, services is named as the likely cause;
#   - "Permission denied" says which user needs what.
# Needs root (chroot, runuser); no server: the token endpoint's host is
# under .invalid, which never resolves.
set -u
. "$(dirname "$0")/../lib/tree.sh"
SASL_AUTH="$BUILDDIR/tests/tools/sasl_auth"
if [ "$(id -u)" != 0 ]; then
	skip "plugin in a chroot: needs root"
	tests_exit
fi
T=$(mktemp_dir plugin-chroot)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
PLUGINS="$T/plugins"; make_plugin_dir "$PLUGINS"
# the postfix user runs the program and loads the plugin below
SASL_AUTH=$(for_user postfix "$SASL_AUTH" "$T")
ln -sf "$(for_user postfix "$PLUGIN_SO" "$T")" "$PLUGINS/libsasl-oauth2.so"
CH="$T/spool"
TOKDIR="$CH/etc/sasl-oauth2"
TOK="$TOKDIR/relay.json"
mkdir -p "$TOKDIR"
export SASL_OAUTH2_CONF="$T/sasl-oauth2.conf"
printf 'ca_bundle = /etc/ssl/certs/ca-certificates.crt\nchroot_dir = %s\nconnect_timeout = 2\ntimeout = 3\n' "$CH" >"$SASL_OAUTH2_CONF"
chmod 644 "$SASL_OAUTH2_CONF"

# token_file EXPIRES_IN: a refreshable token file for alice
token_file() {
	local now; now=$(date +%s)
	( umask 077; cat >"$TOK" <<-JSON
	{ "version": 1, "user": "alice@example.com", "client_id": "c",
	  "token_endpoint": "https://token-endpoint.invalid/token",
	  "access_token": "at-$RANDOM$RANDOM-0123456789abcdef", "expires_at": $(( now + $1 )),
	  "refresh_token": "rt-x" }
	JSON
	)
}
# auth: authenticate with the host path as the secret, chrooted in $CH
auth() {
	SASL_AUTH_CHROOT=$CH "$SASL_AUTH" "$PLUGINS" XOAUTH2 alice@example.com "$TOK" >"$T/out" 2>"$T/log"
}
has() { grep -qE -- "$1" "$T/log" || { echo "# log:"; sed 's/^/#   /' "$T/log"; return 1; }; }
lacks() { ! grep -qE -- "$1" "$T/log" || { echo "# log:"; sed 's/^/#   /' "$T/log"; return 1; }; }

check "the host path of the token file does not exist inside the chroot" test ! -e "$CH$TOK"

# a token file others can read: the fix names the host path
token_file 3600; chmod 644 "$TOK"
auth
check "unsafe mode in the chroot: authentication fails" grep -q '^FAIL' "$T/out"
check "unsafe mode in the chroot: the chmod names the host path, as the admin wrote it" has "chmod 600 $TOK"
check "unsafe mode in the chroot: no in-chroot path in the message" lacks "[ ]/etc/sasl-oauth2/relay.json"
check "unsafe mode: the printed chmod runs on the host" chmod 600 "$TOK"

# an expired token, a refresh that cannot resolve the endpoint inside a
# chroot without resolv.conf
token_file -60; rm -f "$CH/etc/resolv.conf" "$CH/etc/hosts" "$CH/etc/services"
auth
check "refresh in a chroot without resolv.conf: authentication fails" grep -q '^FAIL' "$T/out"
check "refresh in a chroot without resolv.conf: names the account and the token file" \
	has "token-endpoint.invalid.*\(account relay, token file $TOK\)"
check "refresh in a chroot without resolv.conf: names the likely cause and where to copy" \
	has "likely cause: this process has no /etc/resolv.conf, /etc/hosts, /etc/services.*copy them into $CH/etc"
check "refresh in a chroot: the refresh token never appears" lacks "rt-x"
cp -p /etc/resolv.conf /etc/hosts /etc/services "$CH/etc/"
auth
check "refresh in a chroot with resolv.conf: still names account and token file" \
	has "\(account relay, token file $TOK\)"
check "refresh in a chroot with resolv.conf: does not blame the chroot" lacks "likely cause"

# a token file the reading user cannot open: which user needs what
token_file 3600; chown root:root "$TOK"; chmod 600 "$TOK"; chmod 755 "$TOKDIR" "$CH/etc" "$CH"
runuser -u postfix -- env SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
	"$SASL_AUTH" "$PLUGINS" XOAUTH2 alice@example.com "$TOK" >"$T/out" 2>"$T/log"
check "permission denied: authentication fails" grep -q '^FAIL' "$T/out"
check "permission denied: names the reading user's uid and what it needs" \
	has "Permission denied: the user reading it \(uid $(id -u postfix)\) needs read permission on it"

tests_exit
