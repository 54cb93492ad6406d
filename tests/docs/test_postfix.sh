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
#   postconf                   postconf -c CONFIG_DIR
#   /var/log/postfix.log       the sending instance's log file
#   /etc/cron.d/...            a file in the test's directory
#   [smtp.office365.com]:587   [127.0.0.1]:RECEIVER_PORT
#   /var/spool/postfix         the sending instance's queue directory
#   /etc/postfix/              the sending instance's config directory
#   postfix reload             postfix -c CONFIG_DIR reload
# Not in the guide, test only: SASL_PATH (the build tree's plugin) and
# SASL_OAUTH2_CONF (chroot_dir = the queue directory) in import_environment;
# the receiver offers STARTTLS with the test CA's certificate.
set -u
. "$(dirname "$0")/../lib/postfix.sh"
. "$(dirname "$0")/../lib/clients.sh"
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=postfix.md
e2e_setup docs-postfix postfix
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
note "sending postfix $CONF (smtpd :$PF_CLIENT_PORT) -> receiver :$PF_RECV_PORT"

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

# 2. main.cf: the guide's postconf -e commands, on Debian's "Local only"
# transports (what postfix's postinst writes when that is chosen), then the
# guide's commands that undo them
postconf -c "$CONF" -e default_transport=error relay_transport=error ||
	bail "setup: cannot set the Local only transports"
PC=("postconf " "postconf -c $CONF ")
guide_config "$E2E_TMP/main.cf.sh" "$GUIDE" postfix-main.cf "${SUBS[@]:0:2}" "${SUBS[@]:4:2}" "${PC[@]}"
guide_config "$E2E_TMP/transports.sh" "$GUIDE" postfix-transports "${PC[@]}"
for f in main.cf transports; do
	if bash -e "$E2E_TMP/$f.sh" >"$E2E_TMP/$f.out" 2>&1; then
		ok "the guide's $f commands run"
	else
		not_ok "the guide's $f commands run"
		show_log "$E2E_TMP/$f.out" "$f commands"
	fi
done
check "the guide's main.cf settings are in effect" \
	test "$(postconf -c "$CONF" -h relayhost smtp_sasl_mechanism_filter smtp_tls_security_level | tr '\n' ' ')" = \
	"$NEXTHOP xoauth2 encrypt "
check "the guide's transport commands show the Local only values, then set smtp and relay" \
	bash -c 'grep -qx "default_transport = error" "$1" && grep -qx "relay_transport = error" "$1" &&
		test "$(postconf -c "$2" -h default_transport relay_transport | tr "\n" " ")" = "smtp relay "' \
	_ "$E2E_TMP/transports.out" "$CONF"
check "postconf -e left no duplicate settings (postconf warns about none)" \
	bash -c '! postconf -c "$1" -n 2>&1 >/dev/null | grep -q "overriding earlier entry"' _ "$CONF"
# the test's own additions: the build tree's plugin, and its chroot_dir
SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
printf 'chroot_dir = %s\n' "$SPOOL" >"$SASL_OAUTH2_CONF"
postconf -c "$CONF" -e "import_environment = $(postconf -c "$CONF" -h import_environment) SASL_OAUTH2_CONF=$SASL_OAUTH2_CONF"
# master sets the environment only when it starts: restart the instance
master_pid=$(sed -n 's/ //gp;1q' "$SPOOL/pid/master.pid")
postfix -c "$CONF" stop >/dev/null 2>&1
wait_for 10 bash -c '! kill -0 "$1" 2>/dev/null' _ "$master_pid" || bail "setup: sending postfix did not stop"
postfix -c "$CONF" start >/dev/null 2>&1 || bail "setup: sending postfix did not start again"
wait_port "$PF_CLIENT_PORT" 10 || bail "setup: sending postfix smtpd not listening after restart"
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
# the guide's own log file (Debian without rsyslog): the file this instance
# already logs to, so the checks below read what the snippet set up
guide_config "$E2E_TMP/maillog.sh" "$GUIDE" postfix-maillog "${PC[@]}" \
	/var/log/postfix.log "$PF_CLIENT_LOG" "postfix reload" "postfix -c $CONF reload"
if bash -e "$E2E_TMP/maillog.sh" >"$E2E_TMP/maillog.out" 2>&1; then
	ok "the guide's maillog_file commands run"
else
	not_ok "the guide's maillog_file commands run"
	show_log "$E2E_TMP/maillog.out" "maillog commands"
fi
check "maillog_file is the guide's setting (here: this instance's log)" \
	test "$(postconf -c "$CONF" -h maillog_file)" = "$PF_CLIENT_LOG"
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
delivered() { maildir_find "$SUBJECT" "$PF_RECV_VMAIL" | head -n1; }
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

# 5. without systemd: the guide's cron line, and its command as cron runs it
CRON="$E2E_TMP/cron.d-sasl-oauth2-watch"
guide_config "$E2E_TMP/cron.sh" "$GUIDE" postfix-watch-cron /etc/cron.d/sasl-oauth2-watch "$CRON"
PATH="$(dirname "$SASL_OAUTH2_BIN"):$PATH" bash -e "$E2E_TMP/cron.sh" >"$E2E_TMP/cron.out" 2>&1
check "the guide's cron line: five times, root, the program's full path, watch --once" \
	grep -qxE "\*/5 \* \* \* \* root /[^ ]+/sasl-oauth2 watch --for postfix --once" "$CRON"
cron_cmd=$(cut -d' ' -f7- "$CRON")
if env -i PATH=/usr/bin:/bin SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
	bash -c "$cron_cmd" >"$E2E_TMP/cron-run.out" 2>&1; then
	ok "the cron line's command runs with cron's PATH"
else
	not_ok "the cron line's command runs with cron's PATH"
	show_log "$E2E_TMP/cron-run.out" "watch --once"
fi

tests_exit
