#!/bin/bash
# docs/clients.md, mbsync: the guide's ~/.mbsyncrc and commands sync a
# Dovecot INBOX over IMAPS with XOAUTH2 through the build tree's plugin,
# once with PassCmd "sasl-oauth2 token work" and once with the guide's
# `Pass /path/to/work.json` line (the plugin reads the token file).
#
# Substitutions (guide -> test), each must still occur in the guide:
#   Host outlook.office365.com                  Host 127.0.0.1, Port DOVECOT_IMAPS_PORT,
#                                               CertificateFile (the test server's certificate)
#   /home/alice/.local/state/sasl-oauth2/       $SASL_OAUTH2_STATE_DIR/
# Not in the guide, test only: HOME is a fresh directory; SASL_PATH points
# at the build tree's plugin; `sasl-oauth2` on PATH is the build tree's CLI
# (or, until `token` is built, a stand-in: see tests/lib/docs.sh).
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
docs_client_setup docs-mbsync mbsync
check_token_command work "$GOOD"

HOST_SUBS=("Host outlook.office365.com"
	"Host 127.0.0.1
Port $DOVECOT_IMAPS_PORT
CertificateFile $CA_DIR/server.pem")
# isync 1.4 (Debian 12) knows only SSLType: the guide's comment says so
MBSYNC_VERSION=$(mbsync --version | awk '{print $2}')
if [ "$(printf '%s\n' 1.5 "$MBSYNC_VERSION" | sort -V | head -n 1)" != 1.5 ]; then
	HOST_SUBS+=("TLSType IMAPS" "SSLType IMAPS")
	check "the guide tells isync 1.4 users to write SSLType" \
		grep -q "with isync 1.4 (Debian 12) write SSLType IMAPS" "$SRCDIR/docs/$GUIDE"
fi

# sync_case NAME RCFILE: runs the guide's commands with RCFILE as
# ~/.mbsyncrc in a fresh HOME, after putting a new message in the INBOX;
# the message must arrive in the local Maildir.
sync_case() {
	local name=$1 rc=$2 home="$E2E_TMP/home-$1" subject="docs-mbsync $1 $$.$RANDOM"
	local before logins
	mkdir -p "$home"
	cp "$rc" "$home/.mbsyncrc"
	put_imap_message "$AUTH_USER" "$subject"
	before=$(introspect_count)
	logins=$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)
	if HOME=$home SASL_PATH=$PLUGIN_DIR timeout 60 bash -e "$E2E_TMP/mbsync-run.sh" \
		>"$E2E_TMP/mbsync-$name.out" 2>&1; then
		ok "$name: the guide's 'mkdir -p ~/Mail/work; mbsync work' succeeds"
	else
		not_ok "$name: the guide's 'mkdir -p ~/Mail/work; mbsync work' succeeds"
		show_log "$E2E_TMP/mbsync-$name.out" "mbsync output"
	fi
	check "$name: mbsync $MBSYNC_VERSION takes the configuration without a deprecation notice" \
		bash -c '! grep -qi deprecated "$1"' _ "$E2E_TMP/mbsync-$name.out"
	check "$name: the local INBOX is a Maildir (cur, new, tmp)" \
		test -d "$home/Mail/work/INBOX/cur" -a -d "$home/Mail/work/INBOX/new" -a -d "$home/Mail/work/INBOX/tmp"
	check "$name: the server's message is in the local INBOX" \
		grep -rqsF "Subject: $subject" "$home/Mail/work/INBOX"
	check "$name: Dovecot logged an XOAUTH2 login for $AUTH_USER over TLS" \
		test "$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)" -gt "$logins"
	check "$name: the token was checked by the introspection endpoint" \
		test "$(introspect_count)" -gt "$before"
}

guide_config "$E2E_TMP/mbsync-run.sh" "$GUIDE" mbsync-run

# 1. PassCmd "sasl-oauth2 token work"
guide_config "$E2E_TMP/mbsyncrc-passcmd" "$GUIDE" mbsyncrc "${HOST_SUBS[@]}"
check "the guide's mbsyncrc gets the password from 'sasl-oauth2 token work'" \
	grep -qx 'PassCmd "sasl-oauth2 token work"' "$E2E_TMP/mbsyncrc-passcmd"
sync_case passcmd "$E2E_TMP/mbsyncrc-passcmd"
skip_if_stand_in "mbsync PassCmd"

# 2. Pass /path/to/work.json: the guide's line in place of PassCmd
guide_config "$E2E_TMP/pass-line" "$GUIDE" mbsyncrc-pass \
	/home/alice/.local/state/sasl-oauth2/ "$SASL_OAUTH2_STATE_DIR/"
check "the guide's Pass line is one line naming work.json" \
	test "$(grep -c . "$E2E_TMP/pass-line")" = 1 -a -f "$SASL_OAUTH2_STATE_DIR/work.json"
while IFS= read -r line; do
	case $line in
	PassCmd\ *) cat "$E2E_TMP/pass-line" ;;
	*) printf '%s\n' "$line" ;;
	esac
done <"$E2E_TMP/mbsyncrc-passcmd" >"$E2E_TMP/mbsyncrc-pass"
check "the token file form has no PassCmd left" bash -c '! grep -q "^PassCmd" "$1"' _ "$E2E_TMP/mbsyncrc-pass"
# the token command must not be what logs in: take it off PATH
PATH=${PATH#"$E2E_TMP/bin:"}
sync_case tokenfile "$E2E_TMP/mbsyncrc-pass"

tests_exit
