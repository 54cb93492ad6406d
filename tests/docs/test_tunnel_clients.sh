#!/bin/bash
# docs/clients.md, the tunnel variants: Debian's own mutt and neomutt (GNU
# SASL builds: the plugin cannot help them) with the guide's `set tunnel`,
# and mbsync with the guide's `Tunnel`, reach a Dovecot that takes only
# XOAUTH2/OAUTHBEARER over TLS through `sasl-oauth2 tunnel --preauth`:
# they list and fetch the INBOX. With a token the server refuses, each
# shows the server's answer (mutt on its screen, neomutt in its debug log,
# mbsync on stderr), fast.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   tunnel --preauth work"   tunnel --preauth work localhost DOVECOT_IMAPS_PORT
#                            --tls implicit" (the guide's account names its
#                            provider's server; the test's is local)
#   the mbsyncrc snippet's IMAPAccount block   the mbsyncrc-tunnel block
# Not in the guide, test only: HOME is a fresh directory; the configuration
# (SASL_OAUTH2_CONF) trusts the test CA; `sasl-oauth2` on PATH is the build
# tree's; the programs run with -n (no system muttrc) in tmux.
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
DOVECOT_SSL_REQUIRED=yes docs_client_setup docs-tunnel-clients mutt neomutt mbsync tmux
[ "$TOKEN_CMD" = real ] || bail "setup: the build tree's sasl-oauth2 is needed (tunnel)"
printf 'ca_bundle = %s\n' "$CA_DIR/ca.pem" >"$E2E_TMP/sasl-oauth2.conf"
export SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
TUNNEL_SUB=('tunnel --preauth work"' "tunnel --preauth work localhost $DOVECOT_IMAPS_PORT --tls implicit\"")
BAD=$(e2e_token refused)
refuse_token() { write_token_file "$SASL_OAUTH2_STATE_DIR/work.json" "$BAD" "$AUTH_USER"; }
good_token() { add_account work "$GOOD" "$AUTH_USER"; }

# ----- mutt and neomutt -----
guide_config "$E2E_TMP/muttrc" "$GUIDE" muttrc-tunnel "${TUNNEL_SUB[@]}"
check "the guide's muttrc runs the tunnel with --preauth" \
	grep -qxF 'set tunnel = "sasl-oauth2 tunnel --preauth work localhost '"$DOVECOT_IMAPS_PORT"' --tls implicit"' "$E2E_TMP/muttrc"
for prog in mutt neomutt; do
	bin=$(command -v $prog)
	if $bin -v 2>/dev/null | grep -qiE '\+(use_)?gsasl'; then
		ok "$prog: Debian's build (GNU SASL, no libsasl2)"
	else
		not_ok "$prog: $bin is not a GNU SASL build"
	fi
	good_token
	subject="docs-tunnel $prog $$.$RANDOM"
	put_imap_message "$AUTH_USER" "$subject"
	home="$E2E_TMP/home-$prog"
	logins=$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)
	MUTT_WAIT_SUBJECT=$subject
	sock="$home/tmux.sock"; mkdir -p "$home"
	tmux -S "$sock" new-session -d -x 160 -y 30 \
		"env HOME='$home' TERM=xterm $bin -n -F '$E2E_TMP/muttrc' -d 2 $( [ $prog = neomutt ] && echo "-l '$home/debug.log'" ); sleep 60" ||
		bail "setup: tmux did not start"
	E2E_PIDS+=("$(tmux -S "$sock" display-message -p '#{pid}')")
	screen() { tmux -S "$sock" capture-pane -p 2>/dev/null; }
	if wait_for 20 bash -c 'tmux -S "$1" capture-pane -p | grep -qF "$2"' _ "$sock" "$subject"; then
		ok "$prog: the index lists the INBOX message through the tunnel"
	else
		not_ok "$prog: the index lists the INBOX message through the tunnel"
		screen | sed -e '/^$/d' -e 's/^/#   /'
	fi
	# open it: the body is fetched through the tunnel
	tmux -S "$sock" send-keys Enter
	check "$prog: the message body is fetched" \
		wait_for 10 bash -c 'tmux -S "$1" capture-pane -p | grep -qF "Hello from the docs test."' _ "$sock"
	check "$prog: Dovecot logged an XOAUTH2 login over TLS" \
		test "$(dovecot_tls_logins imap-login "$AUTH_USER" XOAUTH2)" -gt "$logins"
	tmux -S "$sock" kill-server 2>/dev/null

	refuse_token
	start=$SECONDS
	tmux -S "$sock" new-session -d -x 160 -y 30 \
		"env HOME='$home' TERM=xterm $bin -n -F '$E2E_TMP/muttrc' -d 2 $( [ $prog = neomutt ] && echo "-l '$home/debug-bad.log'" ); sleep 60" ||
		bail "setup: tmux did not start"
	E2E_PIDS+=("$(tmux -S "$sock" display-message -p '#{pid}')")
	if [ $prog = mutt ]; then
		check "mutt, refused token: the screen shows the server's answer, within seconds" \
			wait_for 10 bash -c 'tmux -S "$1" capture-pane -p | grep -qF "[AUTHENTICATIONFAILED]"' _ "$sock"
	else
		check "neomutt, refused token: the debug log has the server's answer, within seconds" \
			wait_for 10 bash -c 'grep -qF "[AUTHENTICATIONFAILED]" "$1"* 2>/dev/null' _ "$home/debug-bad.log"
	fi
	check "$prog, refused token: decided within 10 s" test $((SECONDS - start)) -le 10
	tmux -S "$sock" kill-server 2>/dev/null
done

# ----- mbsync -----
guide_config "$E2E_TMP/mbsyncrc" "$GUIDE" mbsyncrc
guide_config "$E2E_TMP/mbsync-account" "$GUIDE" mbsyncrc-tunnel "${TUNNEL_SUB[@]}"
# the guide's mbsyncrc with its IMAPAccount block replaced by the tunnel's
awk -v acct="$E2E_TMP/mbsync-account" '
	/^IMAPAccount / { while ((getline l < acct) > 0) print l; skip = 1; next }
	skip && /^$/ { skip = 0 }
	!skip' "$E2E_TMP/mbsyncrc" >"$E2E_TMP/mbsyncrc-tunnel"
check "mbsync: the account block is the guide's tunnel (no Host, no PassCmd)" \
	bash -c 'grep -q "^Tunnel \"sasl-oauth2 tunnel --preauth work" "$1" && ! grep -qE "^(Host|PassCmd|AuthMechs)" "$1"' _ "$E2E_TMP/mbsyncrc-tunnel"
home="$E2E_TMP/home-mbsync"
mkdir -p "$home/Mail/work"
cp "$E2E_TMP/mbsyncrc-tunnel" "$home/.mbsyncrc"
good_token
subject="docs-tunnel mbsync $$.$RANDOM"
put_imap_message "$AUTH_USER" "$subject"
if HOME=$home timeout 60 mbsync work >"$E2E_TMP/mbsync.out" 2>&1 &&
   grep -rqsF "Subject: $subject" "$home/Mail/work/INBOX"; then
	ok "mbsync: syncs the INBOX message through the tunnel"
else
	not_ok "mbsync: syncs the INBOX message through the tunnel"
	show_log "$E2E_TMP/mbsync.out" mbsync
fi
refuse_token
start=$SECONDS
rc=0; HOME=$home timeout 60 mbsync work >"$E2E_TMP/mbsync-bad.out" 2>&1 || rc=$?
check "mbsync, refused token: fails within seconds, showing the server's answer" \
	bash -c 'test "$1" != 0 && test "$2" -le 10 && grep -qF "[AUTHENTICATIONFAILED]" "$3"' _ \
	"$rc" $((SECONDS - start)) "$E2E_TMP/mbsync-bad.out"
check "mbsync, refused token: the tunnel's line names the account and the fix" \
	grep -q "tunnel: account work: localhost refused the token.*sasl-oauth2 authorize work" "$E2E_TMP/mbsync-bad.out"
# doctor recognises both files and finds nothing to fix
cp "$E2E_TMP/muttrc" "$home/.muttrc"
HOME=$home sasl-oauth2 doctor >"$E2E_TMP/doctor.out" 2>&1
check "doctor: the guide's muttrc and mbsyncrc use the tunnel with account work, nothing to fix" \
	bash -c 'grep -q "^OK .*/.muttrc:3: connects through sasl-oauth2 tunnel with account work" "$1" &&
		 grep -q "^OK .*/.mbsyncrc:2: connects through sasl-oauth2 tunnel with account work" "$1" &&
		 ! grep -E "^(WARN|FAIL)" "$1" | grep -qE "muttrc|mbsyncrc"' _ "$E2E_TMP/doctor.out"
check "no token in any output" bash -c '! grep -rqF -e "$1" -e "$2" "$3"/*.out "$3"/home-*/' _ "$GOOD" "$BAD" "$E2E_TMP"
tests_exit
