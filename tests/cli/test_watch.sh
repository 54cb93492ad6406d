#!/bin/bash
# sasl-oauth2 watch against a real OAuth2 server (oauth2-mock-server over
# HTTPS, tests/e2e/authserver.js) and a misbehaving one (badtoken.js):
#   --once refreshes only what is within the margin, exit code = worst result
#   the daemon refreshes a short-lived token before its margin, again and
#   again, and picks up a new account file
#   temporary errors: retries with growing delays, the file untouched
#   a refusal (invalid_grant): logged once, not hammered; SIGHUP retries
#   keep-alive: an unexpired token whose refresh token is old is refreshed
#   SIGTERM: clean exit; logs to syslog; no token in any log
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/plugin.sh"
. "$(dirname "$0")/../lib/clients.sh"

CLI=${CLI:-$BUILDDIR/tools/sasl-oauth2}
e2e_setup cli-watch
[ -x "$CLI" ] || bail "setup: $CLI is not built (make tools/sasl-oauth2)"
T=$E2E_TMP
# Access tokens from the server live 12 s; the margin is 5 s.
start_authserver --access-ttl 12
write_refresh_conf "refresh_margin = 5"
BAD_PORT=$(free_port) || bail "setup: no free port"
e2e_bg "$T/badtoken.log" "$NODE" "$E2E_DIR/badtoken.js" "$BAD_PORT" --tls-dir "$CA_DIR"
wait_port "$BAD_PORT" 10 || bail "setup: badtoken.js did not start"
BAD_URL="https://127.0.0.1:$BAD_PORT"

# Every token that was ever in a file, to be sure none reaches a log.
SEEN="$T/seen-tokens"
: >"$SEEN"
remember() {
	local f
	for f in "$@"; do
		[ -f "$f" ] || continue
		json_field "$f" access_token >>"$SEEN"
		json_field "$f" refresh_token >>"$SEEN"
	done
}
bad_count() {
	curl -sS --cacert "$CA_DIR/ca.pem" "$BAD_URL/stats" | "$NODE" -e '
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => console.log(JSON.parse(b)[process.argv[1]] || 0));' "$1"
}
# state DIR: a fresh account directory, used from now on.
state() {
	export SASL_OAUTH2_STATE_DIR="$T/$1"
	mkdir -p "$SASL_OAUTH2_STATE_DIR"
	chmod 700 "$SASL_OAUTH2_STATE_DIR"
	S=$SASL_OAUTH2_STATE_DIR
}
# daemon LOG ARGS...: `watch --foreground --stderr ARGS` in the background ($DPID).
daemon() {
	local log=$1; shift
	"$CLI" watch --foreground --stderr "$@" >"$log" 2>&1 &
	DPID=$!
	E2E_PIDS+=("$DPID")
}
# stop_daemon: SIGTERM, and its exit status in $DRC.
stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	DRC=0
	wait "$DPID" || DRC=$?
}
field_changed() { test "$(json_field "$1" "$2")" != "$3"; }
# for wait_for: re-evaluated on every try
bad_count_is() { test "$(bad_count "$1")" = "$2"; }
token_requests_at_least() { test "$(auth_stat token_requests)" -ge "$1"; }
log_has() { grep -q -- "$2" "$1"; }

# --- watch --once: only what is within the margin ---------------------------
state once
seed_token_file "$S/soon.json" soon@example.com 3       # inside the 5 s margin
seed_token_file "$S/later.json" later@example.com 3600  # far from it
set_json_field "$S/later.json" refreshed_at "$(date +%s)"
cp -p "$S/later.json" "$T/later.before"
soon_exp=$(json_field "$S/soon.json" expires_at)
remember "$S"/*.json
auth_admin POST /admin/reset-stats >/dev/null
rc=0; "$CLI" watch --once --stderr >"$T/once.out" 2>"$T/once.log" || rc=$?
remember "$S"/*.json
check "once: exit status 0 when everything is fresh afterwards (got $rc)" test "$rc" = 0
check "once: exactly one token request (the token inside the margin)" \
	test "$(auth_stat token_requests)" = 1
check "once: the token inside the margin was refreshed (expires_at moved forward)" \
	test "$(json_field "$S/soon.json" expires_at)" -gt "$soon_exp"
check "once: the token outside the margin is byte-identical" cmp -s "$S/later.json" "$T/later.before"
check "once: the log says which was refreshed" log_has "$T/once.log" "soon: access token refreshed"
check "once: the log gives the other's schedule" log_has "$T/once.log" "later: access token valid until"
check "once: nothing on stdout" test ! -s "$T/once.out"

# exit code = the worst result: a temporary failure (75), then a refusal (69)
seed_token_file "$S/later.json" later@example.com 3600
seed_token_file "$S/flaky.json" flaky@example.com -60 "$BAD_URL/503"
rc=0; "$CLI" watch --once --stderr later flaky >/dev/null 2>"$T/once-503.log" || rc=$?
check "once: a temporary failure (HTTP 503) exits 75 (got $rc)" test "$rc" = 75
seed_token_file "$S/refused.json" refused@example.com -60 "$BAD_URL/invalid_grant"
rc=0; "$CLI" watch --once --stderr later flaky refused >/dev/null 2>"$T/once-refused.log" || rc=$?
check "once: a refusal is worse and exits 69 (got $rc)" test "$rc" = 69
remember "$S"/*.json

# --- keep-alive -----------------------------------------------------------------
state keepalive
now=$(date +%s)
seed_token_file "$S/idle.json" idle@example.com 3600
set_json_field "$S/idle.json" refreshed_at $((now - 8 * 86400))
seed_token_file "$S/used.json" used@example.com 3600
set_json_field "$S/used.json" refreshed_at $((now - 86400))
cp -p "$S/used.json" "$T/used.before"
idle_at=$(json_field "$S/idle.json" access_token)
remember "$S"/*.json
auth_admin POST /admin/reset-stats >/dev/null
rc=0; "$CLI" watch --once --stderr --keepalive 0 >/dev/null 2>"$T/ka0.log" || rc=$?
check "keep-alive 0: no token request" test "$(auth_stat token_requests)" = 0
rc=0; "$CLI" watch --once --stderr >/dev/null 2>"$T/ka.log" || rc=$?
remember "$S"/*.json
check "keep-alive: exit status 0 (got $rc)" test "$rc" = 0
check "keep-alive: one token request (the idle refresh token only)" \
	test "$(auth_stat token_requests)" = 1
check "keep-alive: the unexpired token with an 8-day-old refresh token was refreshed" \
	field_changed "$S/idle.json" access_token "$idle_at"
check "keep-alive: its refreshed_at is now" \
	test "$(json_field "$S/idle.json" refreshed_at)" -ge "$now"
check "keep-alive: the one used yesterday is byte-identical" cmp -s "$S/used.json" "$T/used.before"
check "keep-alive: the log names the reason" log_has "$T/ka.log" "idle: access token refreshed (keep-alive: the refresh token was last used 8d 0h ago"

# --- the daemon refreshes before the margin, again and again -------------------------
state daemon
seed_token_file "$S/short.json" short@example.com 12
exp0=$(json_field "$S/short.json" expires_at)
remember "$S"/*.json
auth_admin POST /admin/reset-stats >/dev/null
daemon "$T/daemon.log"
if wait_for 20 field_changed "$S/short.json" expires_at "$exp0"; then
	seen_at=$(date +%s)
	ref_at=$(json_field "$S/short.json" refreshed_at)
	remember "$S"/*.json
	check "daemon: refreshed before the old token expired ($seen_at < $exp0)" test "$seen_at" -lt "$exp0"
	check "daemon: refreshed when the margin was reached, not earlier (at $ref_at, expiry $exp0, margin 5)" \
		test "$ref_at" -ge $((exp0 - 7)) -a "$ref_at" -le $((exp0 - 3))
	check "daemon: the new expiry is later" test "$(json_field "$S/short.json" expires_at)" -gt "$exp0"
else
	not_ok "daemon: refreshed the token before it expired"
fi
# a new account file is picked up while running
seed_token_file "$S/newcomer.json" newcomer@example.com 3
new_exp=$(json_field "$S/newcomer.json" expires_at)
remember "$S"/*.json
check "daemon: a new account file is picked up and refreshed" \
	wait_for 15 field_changed "$S/newcomer.json" expires_at "$new_exp"
check "daemon: the short-lived token is refreshed again (3 token requests at least)" \
	wait_for 15 token_requests_at_least 3
remember "$S"/*.json
stop_daemon
remember "$S"/*.json
check "daemon: SIGTERM ends it with status 0 (got $DRC)" test "$DRC" = 0
check "daemon: it says it stops" log_has "$T/daemon.log" "SIGTERM: stopping"
check "daemon: every refresh was logged" \
	test "$(grep -c 'access token refreshed' "$T/daemon.log")" -ge 3

# --- temporary errors: growing back-off, file untouched -----------------------------------
state temp
seed_token_file "$S/flaky.json" flaky@example.com -60 "$BAD_URL/503"
cp -p "$S/flaky.json" "$T/flaky.before"
remember "$S"/*.json
curl -sS --cacert "$CA_DIR/ca.pem" -X POST "$BAD_URL/reset" >/dev/null
daemon "$T/temp.log" --retry-min 1 flaky
sleep 8
stop_daemon
delays=$(sed -n 's/.*flaky: cannot refresh the access token (access token expired): .*; retrying in \([0-9]*\)s$/\1/p' "$T/temp.log" | tr '\n' ' ')
check "temporary: retried with growing delays 1 2 4 ... (got: $delays)" \
	bash -c '[[ "$1" == "1 2 4 "* ]]' _ "$delays"
check "temporary: the token endpoint saw each retry ($(bad_count /503) requests)" \
	test "$(bad_count /503)" -ge 3
check "temporary: the message says HTTP 503" log_has "$T/temp.log" "answered HTTP 503"
check "temporary: the token file is byte-identical" cmp -s "$S/flaky.json" "$T/flaky.before"
check "temporary: SIGTERM exit status 0 (got $DRC)" test "$DRC" = 0

# a still valid token: the last retry lands before it expires
state temp-valid
# (its own refresh_window of 60 s puts it inside the margin for 30 s)
seed_token_file "$S/valid.json" valid@example.com 30 "$BAD_URL/503"
set_json_field "$S/valid.json" refresh_window 60
remember "$S"/*.json
daemon "$T/temp-valid.log" --retry-min 60 valid
wait_for 5 log_has "$T/temp-valid.log" "retrying in"
stop_daemon
check "temporary, token still valid: the first retry is moved before expiry (not 1m)" \
	grep -qE 'valid: cannot refresh the access token \(access token still valid for [0-9]+s\): .*retrying in [12]?[0-9]s$' "$T/temp-valid.log"

# --- a refusal: logged once, retried rarely; SIGHUP retries ----------------------------------
state refused
seed_token_file "$S/refused.json" refused@example.com -60 "$BAD_URL/invalid_grant"
remember "$S"/*.json
curl -sS --cacert "$CA_DIR/ca.pem" -X POST "$BAD_URL/reset" >/dev/null
daemon "$T/refused.log" --retry-min 1 refused
wait_for 10 log_has "$T/refused.log" "refused to refresh"
sleep 3
check "refused: one token request in 3 s (not retried like a temporary error)" \
	test "$(bad_count /invalid_grant)" = 1
kill -HUP "$DPID"
check "refused: SIGHUP re-reads the config" wait_for 10 log_has "$T/refused.log" "SIGHUP: re-read"
check "refused: SIGHUP retries at once" wait_for 10 bad_count_is /invalid_grant 2
sleep 1
stop_daemon
n=$(grep -c 'refused to refresh' "$T/refused.log")
check "refused: the refusal is logged once, not per attempt (got $n)" test "$n" = 1
check "refused: the log line has the provider's error in plain words" \
	log_has "$T/refused.log" "invalid_grant.*AADSTS70000.*the grant is not valid (InvalidGrant)"
check "refused: the log line gives the command to authorize again" \
	log_has "$T/refused.log" "sasl-oauth2 authorize refused"
check "refused: logged at error level" log_has "$T/refused.log" "watch: error: refused:"
check "refused: last_error recorded in the file" last_error_has "$S/refused.json" invalid_grant
check "refused: SIGTERM exit status 0 (got $DRC)" test "$DRC" = 0

# --- syslog --------------------------------------------------------------------------
state syslog
seed_token_file "$S/sys.json" sys@example.com 2
remember "$S"/*.json
with_syslog "$T/syslog.log" "$CLI" watch --once --syslog >/dev/null 2>"$T/syslog.stderr"
remember "$S"/*.json
if [ "$SYSLOG_CAPTURE" = yes ]; then
	check "syslog: the refresh is logged to syslog as sasl-oauth2 (info)" \
		grep -qE '^info sasl-oauth2\[[0-9]+\]: sys: access token refreshed' "$T/syslog.log"
	check "syslog: nothing on stderr" test ! -s "$T/syslog.stderr"
else
	skip "syslog: cannot capture syslog here (no mount namespaces)"
fi

# --- --for postfix: started as root, it works as the postfix user ----------------------
if id postfix >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	PF="$T/spool/etc/sasl-oauth2"
	mkdir -p "$PF"; chown postfix: "$PF"; chmod 700 "$PF"
	sed "/^chroot_dir/d" "$SASL_OAUTH2_CONF" >"$T/postfix.conf"
	echo "chroot_dir = $T/spool" >>"$T/postfix.conf"
	seed_token_file "$PF/relay.json" relay@example.com 2
	chown postfix: "$PF/relay.json"
	relay_exp=$(json_field "$PF/relay.json" expires_at)
	rc=0; "$CLI" --config "$T/postfix.conf" watch --for postfix --once --stderr \
		>/dev/null 2>"$T/postfix.log" || rc=$?
	remember "$PF"/*.json
	check "--for postfix: exit status 0 (got $rc)" test "$rc" = 0
	check "--for postfix: the token in CHROOT/etc/sasl-oauth2 was refreshed" \
		field_changed "$PF/relay.json" expires_at "$relay_exp"
	check "--for postfix: the file and its lock file belong to postfix (so the plugin can refresh too)" \
		test "$(stat -c %U "$PF/relay.json") $(stat -c %U "$PF/relay.json.lock")" = "postfix postfix"
else
	skip "--for postfix: needs root and a postfix user"
fi

# --- the systemd units ------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	for u in sasl-oauth2-watch.service sasl-oauth2-watch-user.service; do
		sed "s|@bindir@|$(dirname "$CLI")|g" "$SRCDIR/systemd/$u.in" >"$T/$u"
	done
	mkdir -p "$T/xdg"; chmod 700 "$T/xdg"
	check "systemd: the system unit passes systemd-analyze verify" \
		systemd-analyze verify --man=no "$T/sasl-oauth2-watch.service"
	check "systemd: the user unit passes systemd-analyze --user verify" \
		env XDG_RUNTIME_DIR="$T/xdg" systemd-analyze --user verify --man=no "$T/sasl-oauth2-watch-user.service"
	check "systemd: the system unit runs watch --for postfix as postfix, writing only the token directory" \
		bash -c 'grep -q "^ExecStart=.*/sasl-oauth2 watch --for postfix --foreground$" "$1" &&
			 grep -qx "User=postfix" "$1" && grep -qx "ProtectSystem=strict" "$1" &&
			 grep -qx "ReadWritePaths=/var/spool/postfix/etc/sasl-oauth2" "$1" &&
			 grep -qx "NoNewPrivileges=yes" "$1"' _ "$T/sasl-oauth2-watch.service"
else
	skip "systemd: systemd-analyze is not installed"
fi

# --- no token in any log -------------------------------------------------------------------
leaks=0
sort -u "$SEEN" | grep -v '^$' >"$SEEN.u"
for f in "$T"/*.log "$T"/*.out; do
	[ -f "$f" ] || continue
	case $f in */authserver.log|*/badtoken.log) continue ;; esac
	if grep -qF -f "$SEEN.u" "$f"; then
		leaks=$((leaks + 1)); note "token found in $f"
	fi
done
check "no access or refresh token in any log ($(wc -l <"$SEEN.u") tokens checked)" test "$leaks" = 0

[ "$TESTS_FAILED" = 0 ] || for f in once.log daemon.log temp.log temp-valid.log refused.log; do
	show_log "$T/$f" "$f" 30
done
tests_exit
