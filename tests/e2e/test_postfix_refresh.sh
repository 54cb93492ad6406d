#!/bin/bash
# End to end: token refresh inside Postfix's CHROOTED smtp client.
#
#   smtpsend.js -> [client Postfix smtpd] -> qmgr -> smtp-chroot (chroot = y,
#   root = the client's queue directory; SASL XOAUTH2 through the build
#   tree's plugin, secret = a token file whose access token has EXPIRED)
#     -> plugin refreshes it: POST https://127.0.0.1:AUTH_PORT/token
#        (authserver.js, test CA) from inside the chroot
#   -> [receiver Postfix smtpd, SASL via Dovecot's auth socket; Dovecot
#      validates the token at authserver's /dovecot-introspect over HTTPS]
#   -> virtual -> maildir
#
# The plugin gets its configuration through SASL_OAUTH2_CONF, passed like
# SASL_PATH with the client's import_environment: ca_bundle = the test CA
# (read into memory at plugin init, before the chroot; no certificate is
# copied into the chroot), chroot_dir = the client's queue directory. The
# token file lives inside the chroot at QUEUE/etc/sasl-oauth2/alice.json
# (postfix, 0600, in a postfix-owned directory for the temp file and the
# lock); the password map names it by its real path, which the plugin maps
# into the chroot by stripping chroot_dir.
#
#   refresh  expired access token -> one refresh, rotated refresh token
#            stored, message delivered, Dovecot accepted the new token (the
#            old one is revoked at the server), no plugin warning
#   refused  the refresh token revoked -> invalid_grant: message deferred,
#            one "SASL authentication problem" warning naming invalid_grant
#            and the re-authorize command, file kept (refresh token kept,
#            last_error recorded)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tokens.sh"
. "$HERE/../lib/dovecot.sh"
. "$HERE/../lib/postfix.sh"

T0=$(date +%s)
e2e_setup postfix-refresh
command -v postfix >/dev/null 2>&1 || bail "setup: postfix is not installed"
start_authserver

U=alice@example.com
RCPT=dave@example.net # start_postfix_pair routes dave@ through smtp-chroot
# start_postfix_pair puts the sending instance here; the token file's real
# path must be known before it starts (it goes into the password map)
QUEUE="$E2E_TMP/pf-client/queue"
TOKDIR_IN=/etc/sasl-oauth2
TOKDIR="$QUEUE$TOKDIR_IN"
TOK="$TOKDIR/alice.json"

# The plugin's config, outside the chroot (read at plugin init).
CONF="$E2E_TMP/sasl-oauth2.conf"
postfix_plugin_conf "$CONF" "$QUEUE"

# both read by start_dovecot (tests/lib/dovecot.sh)
# shellcheck disable=SC2034
DOVECOT_INTROSPECT_URL="$AUTH_URL/dovecot-introspect"
# shellcheck disable=SC2034
DOVECOT_OAUTH2_CA=$CA_DIR/ca.pem
start_dovecot
start_postfix_pair "$U" "$TOK" "$TOK"
# SASL_OAUTH2_CONF reaches the smtp processes the way SASL_PATH does.
postfix_client_env "$QUEUE" "$CONF"
note "client postfix :$PF_CLIENT_PORT (queue $QUEUE) -> receiver :$PF_RECV_PORT -> dovecot -> authserver :$AUTH_PORT"

check "setup: the smtp-chroot transport runs chrooted (master.cf chroot = y)" \
	bash -c 'postconf -c "$1" -M smtp-chroot/unix | awk "{ exit !(\$5 == \"y\") }"' _ "$PCONF"
check "setup: import_environment passes SASL_OAUTH2_CONF" \
	bash -c 'postconf -c "$1" -h import_environment | grep -qF "SASL_OAUTH2_CONF=$2"' _ "$PCONF" "$CONF"
check "setup: the password map names the token file by its real path" \
	bash -c 'postconf -c "$1" -P smtp-chroot/unix/smtp_sasl_password_maps | grep -qF ":$2 }"' _ "$PCONF" "$TOK"

# The token file inside the chroot: postfix, 0600, in a postfix directory.
install -d -m 755 "$QUEUE/etc"
install -d -m 700 -o postfix "$TOKDIR"

no_certs_in_chroot() {
	[ -z "$(find "$QUEUE" \( -name '*.pem' -o -name '*.crt' \) -print 2>/dev/null | head -n 1)" ] &&
		[ ! -e "$QUEUE/etc/ssl" ]
}
check "setup: no *.pem/*.crt under the queue directory, no etc/ssl inside it" no_certs_in_chroot

owner_mode() { stat -c '%U:%G %a' "$1"; }
# plugin_warns: the sending Postfix's plugin warnings so far
plugin_warns() { grep -E 'warning: .*sasl-oauth2' "$PF_CLIENT_LOG" 2>/dev/null; }
# tokens_not_in FILE TOKEN...: none of the tokens appears in FILE
tokens_not_in() {
	local f=$1 t; shift
	for t in "$@"; do
		[ -n "$t" ] && grep -qF -- "$t" "$f" && return 1
	done
	return 0
}

# send NAME: injects a message for $RCPT with a unique subject ($SUBJECT).
send() {
	SUBJECT="e2e-postfix-refresh $1 $$.$RANDOM"
	if "$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$U" "$RCPT" "$SUBJECT" \
		>"$E2E_TMP/send-$1.out" 2>&1; then
		ok "$1: client postfix accepted the message for relaying"
	else
		not_ok "$1: client postfix accepted the message for relaying"
		show_log "$E2E_TMP/send-$1.out" smtpsend
	fi
}

# watch_chroot OUT: in the background, records (in OUT) the pid of an smtp
# process whose root directory is the client's queue directory, i.e. the
# chrooted smtp client, seen while it delivers. Sets WATCH_PID.
watch_chroot() {
	local out=$1
	: >"$out"
	(
		for _ in $(seq 1 200); do
			for p in $(pgrep -x smtp 2>/dev/null); do
				if [ "$(readlink "/proc/$p/root" 2>/dev/null)" = "$QUEUE" ]; then
					echo "$p" >"$out"; exit 0
				fi
			done
			sleep 0.05
		done
	) &
	WATCH_PID=$!
	E2E_PIDS+=("$WATCH_PID")
}

# ===== 1. an expired access token is refreshed inside the chroot ===========
seed_token_file "$TOK" "$U" -60
chown postfix:postfix "$TOK"
OLD_AT=$(json_field "$TOK" access_token)
OLD_RT=$(json_field "$TOK" refresh_token)
check "refresh: the token file is 0600 owned by postfix, its access token expired" \
	test "$(owner_mode "$TOK")" = "postfix:postfix 600" -a "$(json_field "$TOK" expires_at)" -lt "$(date +%s)"
# Dovecot must not be able to accept the old access token: only the
# refreshed one gets the message through.
auth_admin POST /admin/revoke "{\"access_token\":\"$OLD_AT\"}" >/dev/null
auth_admin POST /admin/reset-stats >/dev/null
# hold the token request a moment: the chrooted smtp process is then
# certainly alive while the watcher looks for it
auth_admin POST /admin/config '{"delay_ms":700}' >/dev/null
sent_re="smtp-chroot/smtp\[[0-9]+\]: .*to=<$RCPT>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$PF_RECV_PORT, .*status=sent"
sent_before=$(log_count "$sent_re" "$PF_CLIENT_LOG")
recv_auth_before=$(log_count "sasl_method=XOAUTH2, sasl_username=$U" "$PF_RECV_LOG")

watch_chroot "$E2E_TMP/chroot-pid"
send refresh
if wait_for 20 pf_delivered "$SUBJECT"; then
	ok "refresh: the message reached the receiver's maildir"
else
	not_ok "refresh: the message reached the receiver's maildir"
	show_log "$PF_CLIENT_LOG" "client maillog" 20
	show_log "$PF_RECV_LOG" "receiver maillog" 10
	show_log "$AUTH_LOG" authserver 10
fi
wait "$WATCH_PID" 2>/dev/null
auth_admin POST /admin/config '{"delay_ms":0}' >/dev/null
check "refresh: the delivering smtp process ran chrooted in the queue directory" \
	test -s "$E2E_TMP/chroot-pid"
check "refresh: the client logged status=sent through smtp-chroot" \
	wait_for 5 log_more_than "$sent_before" "$sent_re" "$PF_CLIENT_LOG"

NEW_AT=$(json_field "$TOK" access_token)
NEW_RT=$(json_field "$TOK" refresh_token)
check "refresh: exactly one token request at the authserver" test "$(auth_stat token_requests)" = 1
check "refresh: the authserver granted it (refresh_ok = 1)" test "$(auth_stat refresh_ok)" = 1
check "refresh: the token file holds a new access token" test -n "$NEW_AT" -a "$NEW_AT" != "$OLD_AT"
check "refresh: the token file holds the new (rotated) refresh token" test -n "$NEW_RT" -a "$NEW_RT" != "$OLD_RT"
check "refresh: expires_at is in the future" test "$(json_field "$TOK" expires_at)" -gt "$(date +%s)"
check "refresh: the token file is still 0600, owned by postfix" test "$(owner_mode "$TOK")" = "postfix:postfix 600"
check "refresh: no temporary file left beside the token file" \
	test -z "$(find "$TOKDIR" -name '.alice.json.*' -print)"
# the old access token is revoked at the server: an active answer can only
# be for the refreshed one
intro=$(auth_stat introspect_requests); active=$(auth_stat introspect_active)
check "refresh: dovecot introspected one token and the authserver called it active ($intro requests, $active active)" \
	test "$intro" = 1 -a "$active" = 1
check "refresh: receiver's smtpd saw sasl_method=XOAUTH2, sasl_username=$U" \
	log_more_than "$recv_auth_before" "sasl_method=XOAUTH2, sasl_username=$U" "$PF_RECV_LOG"
check "refresh: no plugin warning in the sending Postfix's log" test -z "$(plugin_warns)"
check "refresh: no SASL problem at all in the sending Postfix's log" \
	test "$(log_count 'SASL authentication (problem|failed)' "$PF_CLIENT_LOG")" = 0
check "refresh: no token in the sending Postfix's log" \
	tokens_not_in "$PF_CLIENT_LOG" "$OLD_AT" "$NEW_AT" "$OLD_RT" "$NEW_RT"
check "refresh: still no *.pem/*.crt under the queue directory, no etc/ssl inside it" no_certs_in_chroot

# ===== 2. the refresh is refused (invalid_grant) ===========================
auth_admin POST /admin/revoke "{\"refresh_token\":\"$NEW_RT\"}" >/dev/null
set_json_field "$TOK" expires_at "$(( $(date +%s) - 30 ))"
chown postfix:postfix "$TOK"
auth_admin POST /admin/reset-stats >/dev/null
deferred_re="smtp-chroot/smtp\[[0-9]+\]: .*to=<$RCPT>, .*status=deferred.*SASL authentication failed"
deferred_before=$(log_count "$deferred_re" "$PF_CLIENT_LOG")
warn_before=$(plugin_warns | grep -c .)

send refused
if wait_for 20 log_more_than "$deferred_before" "$deferred_re" "$PF_CLIENT_LOG"; then
	ok "refused: the client deferred the message: SASL authentication failed"
else
	not_ok "refused: the client deferred the message: SASL authentication failed"
	show_log "$PF_CLIENT_LOG" "client maillog" 20
fi
sleep 0.3 # the warning precedes the deferral; let postlogd write everything
w=$(plugin_warns | tail -n +$((warn_before + 1)))
nw=$(printf '%s' "$w" | grep -c .)
check "refused: exactly one plugin warning for the attempt (got $nw)" test "$nw" = 1
check "refused: it is 'warning: SASL authentication problem: sasl-oauth2 ... invalid_grant ... sasl-oauth2 authorize ...'" \
	grep -qE 'warning: SASL authentication problem: sasl-oauth2 .*invalid_grant.*sasl-oauth2 authorize ' <<<"$w"
note "refused: $(redact <(echo "$w") | sed 's/.*warning: //')"
grep -qF "sasl-oauth2 authorize $TOK" <<<"$w" ||
	note "refused: the advice does not name the password map's path $TOK (it names the path inside the chroot)"
check "refused: one token request, refused (refresh_failed = 1)" \
	test "$(auth_stat token_requests)" = 1 -a "$(auth_stat refresh_failed)" = 1
check "refused: the token file is still valid JSON" json_valid "$TOK"
check "refused: the refresh token is kept" test "$(json_field "$TOK" refresh_token)" = "$NEW_RT"
check "refused: last_error records invalid_grant" last_error_has "$TOK" invalid_grant
check "refused: the token file is still 0600, owned by postfix" test "$(owner_mode "$TOK")" = "postfix:postfix 600"
check "refused: the message is in the client's deferred queue" \
	test -n "$(find "$QUEUE/deferred" -type f 2>/dev/null)"
check "refused: the message did not reach the receiver" bash -c '! grep -rqsF -- "$1" "$2"' \
	_ "Subject: $SUBJECT" "$PF_RECV_VMAIL"
check "refused: no token in the sending Postfix's log" \
	tokens_not_in "$PF_CLIENT_LOG" "$OLD_AT" "$NEW_AT" "$OLD_RT" "$NEW_RT"
check "refused: still no *.pem/*.crt under the queue directory, no etc/ssl inside it" no_certs_in_chroot

note "runtime $(( $(date +%s) - T0 )) s"
tests_exit
