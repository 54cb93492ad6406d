#!/bin/bash
# docs/clients.md, "neomutt and mutt built with Cyrus SASL": the guide's
# muttrc opens a Dovecot IMAPS INBOX with XOAUTH2 through the build tree's
# plugin, in neomutt and mutt linked with libsasl2 (tests/e2e/build-mutt-sasl.sh
# builds them from Debian's source tarballs), run in a terminal (tmux). The
# guide's other claims are checked too: `-v` shows the Cyrus SASL build, and
# with a revoked token the login fails at once with the plugin's line in the
# debug log (-d 5).
#
# Substitutions (guide -> test), each must still occur in the guide:
#   imaps://outlook.office365.com/        imaps://127.0.0.1:DOVECOT_IMAPS_PORT/
#   /home/alice/.local/state/sasl-oauth2/ $SASL_OAUTH2_STATE_DIR/
#   set ssl_force_tls = yes               the same + certificate_file (the test CA;
#                                         OpenSSL builds trust the certificates in it)
# Not in the guide, test only: HOME is a fresh directory; the programs run
# with -n (no system muttrc) and -e 'push <quit>'; SASL_PATH points at the
# build tree's plugin; the plugin's log_level is debug (SASL_OAUTH2_CONF), so
# its line about the step mutt and neomutt make after a success shows that
# libsasl2 ran it.
set -u
. "$(dirname "$0")/../lib/clients.sh"
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
e2e_setup docs-mutt-sasl tmux
start_tls_dovecot
SASL_OAUTH2_STATE_DIR="$E2E_TMP/state"
install -d -m 700 "$SASL_OAUTH2_STATE_DIR"
echo "log_level = debug" >"$E2E_TMP/sasl-oauth2.conf"

docs_work_account

MUTTRC="$E2E_TMP/muttrc"
guide_config "$MUTTRC" "$GUIDE" muttrc-sasl \
	imaps://outlook.office365.com/ "imaps://127.0.0.1:$DOVECOT_IMAPS_PORT/" \
	/home/alice/.local/state/sasl-oauth2/ "$SASL_OAUTH2_STATE_DIR/" \
	"set ssl_force_tls = yes" "set ssl_force_tls = yes
set certificate_file = \"$CA_DIR/ca.pem\""
check "the guide's muttrc leaves imap_oauth_refresh_command unset" \
	grep -qx 'unset imap_oauth_refresh_command' "$MUTTRC"
check "the guide's muttrc has no refresh command set" \
	bash -c '! grep -q "^set .*oauth_refresh_command" "$1"' _ "$MUTTRC"

# sasl_flag PROG: the guide's words for a Cyrus SASL build in `PROG -v`.
sasl_flag() { if [ "$1" = mutt ]; then echo +USE_SASL; else echo +sasl; fi; }

for prog in neomutt mutt; do
	if ! bin=$(bash "$SRCDIR/tests/e2e/build-mutt-sasl.sh" "$prog"); then
		not_ok "$prog linked with Cyrus SASL could be built (tests/e2e/build-mutt-sasl.sh $prog)"
		continue
	fi
	check "$prog -v lists $(sasl_flag "$prog"), as the guide says of a Cyrus SASL build" \
		bash -c '"$1" -v | grep -qwF -- "$2"' _ "$bin" "$(sasl_flag "$prog")"
	check "Debian's own $prog -v does not (it uses GNU SASL)" \
		bash -c '! command -v "$1" >/dev/null || ! "$1" -v | grep -qwF -- "$2"' _ "$prog" "$(sasl_flag "$prog")"

	# the guide's file, a good token
	logins=$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)
	before=$(introspect_count)
	mutt_run "$prog" "$bin" "$E2E_TMP/$prog-good" "$MUTTRC" 40 SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
	check "$prog: quits by itself with the guide's muttrc (exit $STATUS after $ELAPSED s)" \
		test "$STATUS" = 0
	check "$prog: Dovecot logged an XOAUTH2 login for $AUTH_USER over TLS" \
		test "$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)" -gt "$logins"
	check "$prog: the token was checked by the introspection endpoint" \
		test "$(introspect_count)" -gt "$before"
	check "$prog: the INBOX opened (SELECT completed, in the debug log)" \
		grep -qE "OK \[READ-(WRITE|ONLY)\] Select completed" "$DEBUG_LOG"
	check "$prog: libsasl2 ran the plugin (its lines are in the debug log)" \
		grep -q "sasl-oauth2 XOAUTH2" "$DEBUG_LOG"

	# the guide's troubleshooting paragraph: a rejected token
	echo '{}' >"$TOKENS_FILE"
	mutt_run "$prog" "$bin" "$E2E_TMP/$prog-revoked" "$MUTTRC" 40 SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
	check "$prog, revoked token: the login fails at once ($ELAPSED s, exit $STATUS)" \
		test "$STATUS" != hang -a "$ELAPSED" -lt 20
	check "$prog, revoked token: the debug log has the plugin's line the guide quotes" \
		grep -qE "sasl-oauth2 XOAUTH2: server 127.0.0.1 rejected the token for $AUTH_USER \(token file .*\): status 401" "$DEBUG_LOG"
	add_token "$GOOD" "$AUTH_USER"
done

tests_exit
