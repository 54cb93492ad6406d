#!/bin/bash
# docs/postfix.md, end to end: the guide's main.cf lines, sasl_passwd line
# and commands, applied to the e2e sending Postfix, relay a message through
# the receiving Postfix (SASL through Dovecot, STARTTLS offered) with the
# token file in the chroot directory the guide names.
#
#   smtpsend.js -> [sending Postfix: guide's main.cf + sasl_passwd; smtp
#   chrooted in its queue directory, as Debian's master.cf has it]
#   -> XOAUTH2 via the plugin, token file read inside the chroot, over TLS
#   -> [receiving Postfix, SASL via Dovecot -> introspection] -> maildir
#
# Substitutions (guide -> test), each must still occur in the guide:
#   [smtp.office365.com]:587   [127.0.0.1]:RECEIVER_PORT
#   /var/spool/postfix         the sending instance's queue directory
#   /etc/postfix/              the sending instance's config directory
#   postfix reload             postfix -c CONFIG_DIR reload
# Not in the guide, test only: SASL_PATH (the build tree's plugin) and
# SASL_OAUTH2_CONF (chroot_dir = the queue directory) in import_environment;
# the receiver offers STARTTLS with the test CA's certificate.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
. "$HERE/../e2e/env.sh"
. "$HERE/docs_env.sh"

GUIDE=postfix.md
e2e_setup docs-postfix
command -v postfix >/dev/null 2>&1 || e2e_die "setup: postfix is not installed"
start_introspect
start_dovecot

AUTH_USER=alice@example.com
GOOD=$(e2e_token good)
add_token "$GOOD" "$AUTH_USER"
# the pair's own password map is replaced by the guide's
start_postfix_pair "$AUTH_USER" /nonexistent
CONF="$PF_CLIENT_DIR/etc"
SPOOL="$PF_CLIENT_DIR/queue"
NEXTHOP="[127.0.0.1]:$PF_RECV_PORT"
e2e_note "sending postfix $CONF (smtpd :$PF_CLIENT_PORT) -> receiver :$PF_RECV_PORT"

# the receiver offers STARTTLS (start_postfix_pair), which the guide's
# smtp_tls_security_level = encrypt needs

SUBS=("[smtp.office365.com]:587" "$NEXTHOP" /var/spool/postfix "$SPOOL" /etc/postfix/ "$CONF/")

# 1. the token directory, by the guide's commands
guide_config "$E2E_TMP/token-dir.sh" "$GUIDE" postfix-token-dir "${SUBS[@]:2:2}"
if bash -e "$E2E_TMP/token-dir.sh" >"$E2E_TMP/token-dir.out" 2>&1; then
	ok "the guide's commands create the token directory"
else
	not_ok "the guide's commands create the token directory"
	show_log "$E2E_TMP/token-dir.out" "token-dir commands"
fi
TOKDIR="$SPOOL/etc/sasl-oauth2"
check "token directory is owned by postfix, mode 0700 (writable for lock and refresh)" \
	test "$(stat -c '%U %a' "$TOKDIR" 2>/dev/null)" = "postfix 700"
# the token file, as `sasl-oauth2 authorize alice --for postfix` writes it
write_token_file "$TOKDIR/alice.json" "$GOOD" "$AUTH_USER" 3600 postfix

# 2. main.cf: each line of the guide's block, through postconf, on top of
# Postfix's defaults for TLS and the SASL security options (the pair sets its own)
postconf -c "$CONF" -X smtp_sasl_tls_security_options smtp_sasl_security_options \
	smtp_tls_security_level ||
	e2e_die "setup: postconf -X failed"
guide_config "$E2E_TMP/main.cf.add" "$GUIDE" postfix-main.cf "${SUBS[@]:0:2}" "${SUBS[@]:4:2}"
n=0
while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	postconf -c "$CONF" -e "$line" || e2e_die "postconf rejected the guide's line: $line"
	n=$((n + 1))
done <"$E2E_TMP/main.cf.add"
check "the guide's $n main.cf lines are in effect" \
	test "$(postconf -c "$CONF" -h relayhost smtp_sasl_mechanism_filter smtp_tls_security_level | tr '\n' ' ')" = \
	"$NEXTHOP xoauth2 encrypt "
check "tokens only over TLS: smtp_sasl_tls_security_options = noanonymous, smtp_sasl_security_options at its default" \
	test "$(postconf -c "$CONF" -h smtp_sasl_tls_security_options smtp_sasl_security_options | tr '\n' ' ')" = \
	"noanonymous noplaintext, noanonymous "
# the test's own additions: the build tree's plugin, and its chroot_dir
SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
printf 'chroot_dir = %s\n' "$SPOOL" >"$SASL_OAUTH2_CONF"
postconf -c "$CONF" -e "import_environment = $(postconf -c "$CONF" -h import_environment) SASL_OAUTH2_CONF=$SASL_OAUTH2_CONF"
# master sets the environment only when it starts: restart the instance
master_pid=$(sed -n 's/ //gp;1q' "$SPOOL/pid/master.pid")
postfix -c "$CONF" stop >/dev/null 2>&1
wait_for 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$master_pid" || e2e_die "setup: sending postfix did not stop"
postfix -c "$CONF" start >/dev/null 2>&1 || e2e_die "setup: sending postfix did not start again"
wait_port "$PF_CLIENT_PORT" 10 || e2e_die "setup: sending postfix smtpd not listening after restart"
# smtp chrooted, as in Debian's master.cf
postconf -c "$CONF" -F smtp/unix/chroot=y
check "the sending smtp service is chrooted (master.cf column 5 = y)" \
	test "$(postconf -c "$CONF" -Fh smtp/unix/chroot)" = y

# `--for postfix` accounts live in CHROOT/etc/sasl-oauth2, the directory the
# guide names (the CLI reads chroot_dir from the same config file)
if token_cmd_built; then
	check "'sasl-oauth2 token alice --for postfix' reads the guide's token file" \
		test "$(SASL_OAUTH2_CONF=$SASL_OAUTH2_CONF "$SASL_OAUTH2_BIN" token alice --for postfix 2>/dev/null)" = "$GOOD"
else
	skip "'sasl-oauth2 token alice --for postfix' reads the guide's token file: token command not built yet"
fi

# 3. sasl_passwd and the guide's commands (postmap, reload)
guide_config "$CONF/sasl_passwd" "$GUIDE" postfix-sasl_passwd "${SUBS[@]:0:4}"
guide_config "$E2E_TMP/postmap.sh" "$GUIDE" postfix-postmap "${SUBS[@]:4:2}" \
	"postfix reload" "postfix -c $CONF reload"
if bash -e "$E2E_TMP/postmap.sh" >"$E2E_TMP/postmap.out" 2>&1; then
	ok "the guide's postmap and reload commands run"
else
	not_ok "the guide's postmap and reload commands run"
	show_log "$E2E_TMP/postmap.out" "postmap commands"
fi
check "sasl_passwd is mode 0600" test "$(stat -c %a "$CONF/sasl_passwd")" = 600
check "postmap -q finds the relay host's entry: the mailbox and the token file path" \
	test "$(postmap -q "$NEXTHOP" "hash:$CONF/sasl_passwd")" = "$AUTH_USER:$TOKDIR/alice.json"
check "that path does not exist inside the chroot (the plugin drops the prefix)" \
	test ! -e "$SPOOL$TOKDIR/alice.json"
sleep 1 # let master restart its services with the new settings

# 4. relay a message
SUBJECT="docs-postfix $$.$RANDOM"
before=$(introspect_count)
if "$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$AUTH_USER" bob@example.net "$SUBJECT" \
	>"$E2E_TMP/send.out" 2>&1; then
	ok "sending postfix accepted the message"
else
	not_ok "sending postfix accepted the message"
	show_log "$E2E_TMP/send.out" smtpsend
fi
delivered() { grep -rlsF "Subject: $SUBJECT" "$PF_RECV_VMAIL" | head -n1; }
is_delivered() { [ -n "$(delivered)" ]; }
if wait_for 20 is_delivered; then
	ok "the message reached the receiver's maildir"
else
	not_ok "the message reached the receiver's maildir"
	show_log "$PF_CLIENT_LOG" "sending maillog" 20
	show_log "$PF_RECV_LOG" "receiving maillog" 20
fi
MSG=$(delivered)
check "the sending postfix logged status=sent via the relayhost" \
	grep -qE "to=<bob@example.net>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PF_RECV_PORT, .*status=sent" "$PF_CLIENT_LOG"
check "the receiver saw sasl_method=XOAUTH2, sasl_username=$AUTH_USER" \
	grep -q "sasl_method=XOAUTH2, sasl_username=$AUTH_USER" "$PF_RECV_LOG"
check "the message came over TLS (Received: ... using TLS)" \
	grep -qE '^\s+\(using TLS' "${MSG:-/dev/null}"
check "the token was checked by the introspection endpoint" test "$(introspect_count)" -gt "$before"
check "no SASL problem was logged" bash -c '! grep -qE "SASL authentication (problem|failed)" "$1"' _ "$PF_CLIENT_LOG"

e2e_finish
