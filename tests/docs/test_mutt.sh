#!/bin/bash
# docs/clients.md, neomutt and mutt: the guide's muttrc. Its refresh
# commands print the account's token; then for each program (neomutt, mutt):
# it sends a message in batch mode through Dovecot's submission service
# (STARTTLS, OAUTHBEARER from smtp_oauth_refresh_command), and opens the
# IMAPS INBOX (OAUTHBEARER from imap_oauth_refresh_command) in a terminal
# (tmux), showing the message there. Both programs have the mechanisms
# built in (Debian builds them with GNU SASL): the plugin is not involved.
#
# Substitutions (guide -> test), each must still occur in the guide:
#   imaps://outlook.office365.com/   imaps://127.0.0.1:DOVECOT_IMAPS_PORT/
#   smtp.office365.com:587           127.0.0.1:DOVECOT_SUBMISSION_PORT
#   set ssl_force_tls = yes          the same + ssl_ca_certificates_file (the test CA)
# Not in the guide, test only: HOME is a fresh directory; the programs run
# with -n (no system muttrc); `sasl-oauth2` on PATH is the build tree's CLI
# (or, until `token` is built, a stand-in).
set -u
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=clients.md
docs_client_setup docs-mutt

MUTTRC="$E2E_TMP/muttrc"
guide_config "$MUTTRC" "$GUIDE" muttrc \
	imaps://outlook.office365.com/ "imaps://127.0.0.1:$DOVECOT_IMAPS_PORT/" \
	smtp.office365.com:587 "127.0.0.1:$DOVECOT_SUBMISSION_PORT" \
	"set ssl_force_tls = yes" "set ssl_force_tls = yes
set ssl_ca_certificates_file = \"$CA_DIR/ca.pem\""
HOME="$E2E_TMP/home"
mkdir -p "$HOME"
export HOME

# 1. the refresh commands, run as neomutt runs them (sh -c)
for var in imap_oauth_refresh_command smtp_oauth_refresh_command; do
	cmd=$(sed -n "s/^set $var = \"\(.*\)\"$/\1/p" "$MUTTRC")
	if [ -z "$cmd" ]; then
		not_ok "the guide's muttrc sets $var"
		continue
	fi
	check "$var is 'sasl-oauth2 token work'" test "$cmd" = "sasl-oauth2 token work"
	check "$var prints the account's token ($(token_cmd_label))" \
		test "$(sh -c "$cmd" 2>/dev/null)" = "$GOOD"
done
skip_if_stand_in "the muttrc *_oauth_refresh_command"

# mutt_program PROG: batch send over SMTP, then the INBOX under tmux.
mutt_program() {
	local prog=$1 subject before logins
	if ! command -v "$prog" >/dev/null 2>&1; then
		skip "$prog: not installed (run tests/install-deps.sh)"
		return
	fi
	# 2. batch send over SMTP
	subject="docs-$prog smtp $$.$RANDOM"
	before=$(introspect_count)
	logins=$(dovecot_tls_logins submission-login "$AUTH_USER" OAUTHBEARER)
	echo "Sent by tests/docs/test_mutt.sh" >"$E2E_TMP/body.txt"
	if timeout 60 "$prog" -n -F "$MUTTRC" -s "$subject" bob@example.net \
		<"$E2E_TMP/body.txt" >"$E2E_TMP/$prog-send.out" 2>&1; then
		ok "$prog smtp: sends in batch mode"
	else
		not_ok "$prog smtp: sends in batch mode"
		show_log "$E2E_TMP/$prog-send.out" "$prog output"
	fi
	check "$prog smtp: the message reached the server" grep -rqsF "Subject: $subject" "$SINK_DIR"
	check "$prog smtp: Dovecot logged an OAUTHBEARER login for $AUTH_USER over TLS" \
		test "$(dovecot_tls_logins submission-login "$AUTH_USER" OAUTHBEARER)" -gt "$logins"
	check "$prog smtp: the token was checked by the introspection endpoint" \
		test "$(introspect_count)" -gt "$before"

	# 3. the IMAP INBOX, in a terminal (tmux)
	if ! command -v tmux >/dev/null 2>&1; then
		skip "$prog imap: the index: tmux is not installed (run tests/install-deps.sh)"
		return
	fi
	subject="docs-$prog imap $$.$RANDOM"
	put_imap_message "$AUTH_USER" "$subject"
	before=$(introspect_count)
	logins=$(dovecot_tls_logins imap-login "$AUTH_USER" OAUTHBEARER)
	TMUX_SOCK="$E2E_TMP/tmux-$prog.sock"
	tmux -S "$TMUX_SOCK" new-session -d -x 160 -y 30 \
		"env TERM=xterm $prog -n -F '$MUTTRC'; sleep 60" || bail "setup: tmux did not start"
	E2E_PIDS+=("$(tmux -S "$TMUX_SOCK" display-message -p '#{pid}')")
	SUBJECT=$subject
	if wait_for 20 shows_message; then
		ok "$prog imap: the index lists the INBOX message"
	else
		not_ok "$prog imap: the index lists the INBOX message"
		screen | sed -e '/^$/d' -e 's/^/#   /'
	fi
	check "$prog imap: Dovecot logged an OAUTHBEARER login for $AUTH_USER over TLS" \
		test "$(dovecot_tls_logins imap-login "$AUTH_USER" OAUTHBEARER)" -gt "$logins"
	check "$prog imap: the token was checked by the introspection endpoint" \
		test "$(introspect_count)" -gt "$before"
	tmux -S "$TMUX_SOCK" kill-server 2>/dev/null
}
screen() { tmux -S "$TMUX_SOCK" capture-pane -p 2>/dev/null; }
shows_message() { screen | grep -qF "$SUBJECT"; }

mutt_program neomutt
mutt_program mutt

tests_exit
