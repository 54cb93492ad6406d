#!/bin/bash
# watch announces each change of an account's state once (issue 19):
#   notify_mail through the real /usr/sbin/sendmail -t into a private Postfix
#   instance that delivers locally into a Maildir: one notice when Postfix's
#   relay token is refused, none on the retries, one "recovered" after a
#   fresh sign-in; the notice names the account and the server's reason and
#   its re-authorize command runs as printed. watch runs --for postfix under
#   no_new_privs, as the shipped systemd unit runs it (NoNewPrivileges=yes).
#   notify_command: once per change, the documented variables; a command
#   that hangs is killed at notify_timeout; one that fails leaves the daemon
#   running. No token in any notice.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/postfix.sh"
. "$(dirname "$0")/../lib/cli.sh"

cli_setup notify
T=$E2E_TMP
[ "$(id -u)" = 0 ] && id postfix >/dev/null 2>&1 || bail "setup: needs root and a postfix user"
command -v setpriv >/dev/null || bail "setup: setpriv (util-linux) is missing"
[ -x /usr/sbin/sendmail ] || bail "setup: /usr/sbin/sendmail is missing"
CLI=$(for_user postfix "$SO" "$T")
chmod 755 "$T"
mkdir -p "$T/bin"
ln -sf "$CLI" "$T/bin/sasl-oauth2"   # "sasl-oauth2" as printed is the build's
export PATH="$T/bin:$PATH"
U=relay@example.com

# The mail hub: a private Postfix, root@localhost -> $T/pf/Maildir/.
PFD="$T/pf"
mkdir -p "$PFD/etc" "$PFD/Maildir"
chown nobody "$PFD/Maildir"   # alias deliveries run as default_privs
pf_master_cf "$PFD/etc" "$(free_port)"
{ pf_common_main_cf "$PFD" mailhub | grep -vE '^(mydestination|alias_maps) ='
  printf 'mydestination = $myhostname, localhost\nalias_maps = inline:{ {root=%s/Maildir/} }\n' "$PFD"
} >"$PFD/etc/main.cf"
pf_start "$PFD"
export MAIL_CONFIG="$PFD/etc"   # Postfix's sendmail: this instance

# sigblk PREFIX: the script's own blocked signals, read by the shell itself
# (builtins, no subshell): while dash forks (a pipe, a command substitution,
# grep) it blocks every signal for a moment, and a grep of /proc/$$/status
# caught it then (SigBlk fffffffe7ffbfeff, once in a CI run).
SIGBLK='sigblk() { while read -r k v; do [ "$k" = SigBlk: ] && echo "$1SigBlk: $v"; done </proc/$$/status; }'
cat >"$T/notify.sh" <<EOF
#!/bin/sh
$SIGBLK
{ printf 'account=%s|state=%s|previous=%s|user=%s|command=%s|file=%s|host=%s\n' \\
  "\$SASL_OAUTH2_ACCOUNT" "\$SASL_OAUTH2_STATE" "\$SASL_OAUTH2_PREVIOUS_STATE" "\$SASL_OAUTH2_USER" \\
  "\$SASL_OAUTH2_COMMAND" "\$SASL_OAUTH2_TOKEN_FILE" "\$SASL_OAUTH2_HOST"
  printf 'reason=%s\n' "\$SASL_OAUTH2_REASON" | head -n 1
  printf 'message=%s\n' "\$SASL_OAUTH2_MESSAGE" | head -n 1
  env | grep -c '^SASL_OAUTH2_CLIENT_SECRET=' | sed 's/^/secrets=/'
  sigblk ""; } >>"$T/notify.log"
EOF
chmod 755 "$T/notify.sh"
: >"$T/notify.log"
chown postfix "$T/notify.log"

# Every token refreshes on every pass (refresh_margin 86400 > the 3600 s
# tokens): each watch run asks the server again.
write_refresh_conf "provider.test.issuer = $AUTH_URL
provider.test.client_id = test-client
provider.test.scope = mail offline_access
chroot_dir = $T/chroot
refresh_margin = 86400
notify_mail = root@localhost
notify_command = $T/notify.sh
notify_timeout = 10"
chmod 644 "$SASL_OAUTH2_CONF"
unset DISPLAY WAYLAND_DISPLAY
cat >"$T/browser.sh" <<EOF
#!/bin/bash
curl -sS -L --max-time 30 --cacert "$CA_DIR/ca.pem" -o /dev/null "\$1" >>"$T/browser.log" 2>&1
EOF
chmod 755 "$T/browser.sh"
export BROWSER="$T/browser.sh"

mails() { find "$PFD/Maildir/new" -type f 2>/dev/null | sort; }
mail_count() { mails | wc -l; }
# W NAME: one `watch --for postfix --once` as the unit runs it.
W() {
	timeout 60 setpriv --no-new-privs "$CLI" watch --for postfix --once --stderr \
		>"$T/$1.out" 2>"$T/$1.err"
	WRC=$?
}
# delivered N: waits for N mails in the Maildir (local delivery is async).
delivered() { wait_for 15 test "$(mail_count)" -ge "$1"; sleep 1; }

timeout 90 sasl-oauth2 authorize relay --provider test --user "$U" --for postfix --flow browser \
	--timeout 60 </dev/null >"$T/auth1.out" 2>&1 || { show_file "$T/auth1.out" 30; bail "setup: authorize relay --for postfix failed"; }
P="$T/chroot/etc/sasl-oauth2/relay.json"
[ -f "$P" ] || bail "setup: no $P"

# --- a healthy account: nothing to announce ---------------------------------
W healthy
sleep 2
check "healthy: watch --once succeeds" test "$WRC" = 0 || show_file "$T/healthy.err" 30
check "healthy: no mail, notify_command not run" test "$(mail_count)" = 0 -a ! -s "$T/notify.log"
check "healthy: the state file is beside the token file, 0600, owned by postfix" \
	test "$(stat -c '%a %U' "$P.state" 2>/dev/null)" = "600 postfix"

# --- the grant is revoked: one notice ---------------------------------------
RT=$(json_field "$P" refresh_token)
auth_admin POST /admin/revoke "{\"refresh_token\":\"$RT\"}" >/dev/null
# The plugin meets the refusal first (inside Postfix's smtp client, as
# postfix): it records the state, and never mails.
runuser -u postfix -- env NODE="$NODE" bash -c "$(declare -f set_json_field); set_json_field \"\$1\" expires_at \"\$2\"" _ "$P" "$(( $(date +%s) - 10 ))"
runuser -u postfix -- env SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
	"$(for_user postfix "$SASL_AUTH_BIN" "$T")" "$PLUGIN_DIR" XOAUTH2 "$U" "$P" >"$T/plugin.out" 2>&1
st="$(json_field "$P.state" refused) $(json_field "$P.state" reason)"
check "plugin: the refusal is recorded in the state file (refused, the server's reason)" \
	grep -q "^true .*invalid_grant" <<<"$st"
sleep 2
check "plugin: no mail, no command (only watch announces)" test "$(mail_count)" = 0 -a ! -s "$T/notify.log"
W refused
check "refused: watch --once exits 69 (re-authorize)" test "$WRC" = 69 || show_file "$T/refused.err" 30
delivered 1
check "refused: exactly one mail" test "$(mail_count)" = 1
M=$(mails | head -n 1)
check "refused: the subject names the host, the account and the state" \
	grep -qE "^Subject: \[sasl-oauth2\] [A-Za-z0-9.-]+: relay needs re-authorization$" "$M" || show_file "$M" 30
check "refused: the mail says the server's reason (invalid_grant, revoked)" \
	bash -c 'grep -q "^Reason: .*invalid_grant" "$1" && grep -q "revoked" "$1"' _ "$M"
check "refused: the mail names the mailbox and the token file" \
	bash -c 'grep -qF "$2" "$1" && grep -qF "$3" "$1"' _ "$M" "$U" "$P"
HINT=$(grep -E '^    sasl-oauth2 ' "$M" | sed 's/^ *//')
check "refused: the command is the doctor's ('sasl-oauth2 authorize relay --for postfix')" \
	test "$HINT" = "sasl-oauth2 authorize relay --for postfix"
check "refused: notify_command ran once, with the documented variables" \
	grep -qxF "account=relay|state=reauth|previous=ok|user=$U|command=sasl-oauth2 authorize relay --for postfix|file=$P|host=$(grep -oE '^Subject: \[sasl-oauth2\] [^:]+' "$M" | sed 's/.*\] //')" "$T/notify.log"
check "refused: SASL_OAUTH2_REASON and _MESSAGE set" \
	bash -c 'grep -q "^reason=.*invalid_grant" "$1" && grep -q "^message=Account: *relay" "$1"' _ "$T/notify.log"
check "refused: the command got no client secret from watch's environment" grep -qx "secrets=0" "$T/notify.log"
check "refused: the command starts with no signal blocked (watch blocks the ones it reads)" \
	grep -qE "^SigBlk:[[:space:]]+0+$" "$T/notify.log"

# --- the retries: no more notices -------------------------------------------
# (counted from where they start, so that a miscount above is not repeated)
m0=$(mail_count); n0=$(grep -c '^account=' "$T/notify.log"); f0=$(json_field "$P.state" failures)
W retry1
W retry2
sleep 2
check "retries: watch --once still exits 69" test "$WRC" = 69
check "retries: no more mail, the command did not run again" \
	test "$(mail_count) $(grep -c '^account=' "$T/notify.log")" = "$m0 $n0"
check "retries: the state file counts the failures" \
	test "$(json_field "$P.state" failures)" -ge $(( ${f0:-0} + 2 ))

# --- the plugin's view: it marks, never mails -------------------------------
# (the token endpoint refusing inside Postfix's smtp client: the plugin
# refreshes under the same lock and records the refusal too)

# --- a fresh sign-in lands: one "recovered" ---------------------------------
# It starts from the state watch leaves once it has announced the refusal,
# written here, so that a failure above does not fail these too.
now=$(date +%s)
as_postfix sh -c 'umask 077; printf "%s\n" "$2" >"$1.new" && mv "$1.new" "$1"' _ "$P.state" \
	"{\"version\": 1, \"refused\": true, \"failures\": 3, \"failing_since\": $((now - 120)),
	  \"last_failure\": $((now - 10)), \"rejected_at\": $((now - 120)), \"announced\": \"reauth\",
	  \"announced_at\": $((now - 110)), \"reason\": \"invalid_grant: the grant was revoked\"}"
(cd "$T" && timeout 90 bash -c "${HINT:-sasl-oauth2 authorize relay --for postfix}" </dev/null >"$T/reauth.out" 2>&1)
check "recovered: the printed command ran as printed and signed in again" test $? = 0 || show_file "$T/reauth.out" 30
m0=$(mail_count); n0=$(grep -c '^account=' "$T/notify.log")
W recovered
check "recovered: watch --once exits 0" test "$WRC" = 0 || show_file "$T/recovered.err" 30
delivered $((m0 + 1))
check "recovered: one more mail, 'recovered'" \
	bash -c 'test "$(find "$1" -type f | wc -l)" = "$2" && grep -lqE "^Subject: .*: relay recovered$" "$1"/*' _ "$PFD/Maildir/new" $((m0 + 1))
W after
sleep 2
check "recovered: nothing more on the next run" \
	test "$(mail_count) $(grep -c '^account=' "$T/notify.log")" = "$((m0 + 1)) $((n0 + 1))"
check "recovered: notify_command's second run says recovered (was reauth)" \
	grep -q "^account=relay|state=recovered|previous=reauth|" "$T/notify.log"
# no token in any notice
leak=0
for tok in "$RT" "$(json_field "$P" refresh_token)" "$(json_field "$P" access_token)"; do
	grep -rqF -- "$tok" "$PFD/Maildir" "$T/notify.log" && leak=1
done
check "no token in the mails or the command's environment" test "$leak" = 0
check "the mail is sent as postfix (the unit's user), not root" \
	grep -q "uid=$(id -u postfix) from=<postfix>" "$PFD/maillog"

# --- doctor ------------------------------------------------------------------------
# doctor's notify lines, with a watch --for postfix running on CONF.
doctor_notify() {   # doctor_notify NAME CONF
	SASL_OAUTH2_CONF="$2" timeout 60 "$SO" doctor relay --for postfix --postfix-config "$PFD/etc" \
		--plugin-dir "$PLUGIN_DIR" >"$T/$1.out" 2>&1
	grep -E '^(OK|WARN|FAIL) +(notify|watch):|^ +fix|^ +->' "$T/$1.out" >"$T/$1.notify" || true
}
sed -e '/^notify_/d' "$SASL_OAUTH2_CONF" >"$T/silent.conf"
chmod 644 "$T/silent.conf"
SASL_OAUTH2_CONF="$T/silent.conf" setpriv --no-new-privs "$CLI" watch --for postfix --foreground --stderr \
	>"$T/silent-watch.out" 2>&1 &
WPID=$!
E2E_PIDS+=("$WPID")
sleep 1
doctor_notify silent "$T/silent.conf"
check "doctor: WARNs that watch runs with no notification configured" \
	grep -q "^WARN.*notify: no notify_mail or notify_command" "$T/silent.out" || show_file "$T/silent.out" 30
check "doctor: the fix is notify_mail = root" grep -q 'notify_mail = root' "$T/silent.out"
doctor_notify configured "$SASL_OAUTH2_CONF"
check "doctor: notify_mail deliverable through /usr/sbin/sendmail" \
	grep -q "^OK.*notify: mail to root@localhost goes through /usr/sbin/sendmail" "$T/configured.out"
check "doctor: notify_command executable by postfix" \
	grep -q "^OK.*notify: notify_command $T/notify.sh is executable by postfix" "$T/configured.out"
check "doctor: no 'no notification' warning once configured" \
	bash -c '! grep -q "no notify_mail or notify_command" "$1"' _ "$T/configured.out"
cp "$T/notify.sh" "$T/private.sh"; chmod 700 "$T/private.sh"
sed -e "s|^notify_command = .*|notify_command = $T/private.sh|" "$SASL_OAUTH2_CONF" >"$T/private.conf"
chmod 644 "$T/private.conf"
doctor_notify private "$T/private.conf"
check "doctor: FAILs a notify_command postfix cannot run (mode 700, root's)" \
	grep -q "^FAIL.*notify: notify_command $T/private.sh is not executable by postfix" "$T/private.out"
kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

# --- notify_command: hangs, fails --------------------------------------------
# Root's own accounts from here on (SASL_OAUTH2_STATE_DIR).
cat >"$T/hang.sh" <<EOF
#!/bin/sh
echo \$\$ >"$T/hang.pid"
sleep 300 &
echo \$! >"$T/hang.child"
wait
EOF
cat >"$T/fail.sh" <<EOF
#!/bin/sh
$SIGBLK
echo "the pager is down" >&2
sigblk "run " >>"$T/fail.log"
exit 3
EOF
chmod 755 "$T/hang.sh" "$T/fail.sh"
conf2() {
	sed -e "/^notify_/d" "$T/sasl-oauth2.conf" >"$T/$1.conf"
	printf '%s\n' "$2" "notify_timeout = 2" >>"$T/$1.conf"
}
refused_account() {   # refused_account NAME: a token file whose grant is revoked
	seed_token_file "$S/$1.json" "$1@example.com" 3600
	auth_admin POST /admin/revoke "{\"refresh_token\":\"$(json_field "$S/$1.json" refresh_token)\"}" >/dev/null
}
conf2 hang "notify_command = $T/hang.sh"
refused_account hung
t0=$(date +%s)
SASL_OAUTH2_CONF="$T/hang.conf" timeout 60 "$SO" watch --once --stderr hung >"$T/hang.out" 2>"$T/hang.err"
secs=$(( $(date +%s) - t0 ))
check "hang: watch --once returned soon after notify_timeout (2 s), in ${secs}s" test "$secs" -lt 10
check "hang: the command ran" test -s "$T/hang.pid"
# gone = no such process, or a zombie waiting for init to reap it
gone() { ! grep -qv '^[^)]*) Z' "/proc/$(cat "$1")/stat" 2>/dev/null; }
wait_for 5 bash -c "$(declare -f gone); gone $T/hang.pid && gone $T/hang.child"
check "hang: it and its child were killed" bash -c "$(declare -f gone); gone $T/hang.pid && gone $T/hang.child"
check "hang: watch took at least notify_timeout (${secs}s)" test "$secs" -ge 2
check "hang: the log says so" grep -q "did not finish within 2 s (notify_timeout): killed" "$T/hang.err" || show_file "$T/hang.err" 30

conf2 fail "notify_command = $T/fail.sh"
refused_account failing
SASL_OAUTH2_CONF="$T/fail.conf" "$SO" watch --foreground --stderr failing >"$T/fail.out" 2>"$T/fail.err" &
DPID=$!
E2E_PIDS+=("$DPID")
wait_for 20 grep -q "notify_command $T/fail.sh failed (exit status 3): the pager is down" "$T/fail.err"
check "fail: the failure is logged with the command's stderr" \
	grep -q "notify_command $T/fail.sh failed (exit status 3): the pager is down" "$T/fail.err" || show_file "$T/fail.err" 30
kill -HUP "$DPID" 2>/dev/null
wait_for 10 grep -q "SIGHUP: re-read" "$T/fail.err"
check "fail: watch keeps running (answers SIGHUP afterwards)" \
	bash -c 'kill -0 "$1" && grep -q "SIGHUP: re-read" "$2"' _ "$DPID" "$T/fail.err"
sleep 1
check "fail: the command ran once (the retry after SIGHUP announces nothing new)" \
	test "$(wc -l <"$T/fail.log")" = 1
check "fail: the daemon's command starts with no signal blocked (watch blocks the ones it reads)" \
	grep -qE "^run SigBlk: 0+$" "$T/fail.log"
kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null

tests_exit
