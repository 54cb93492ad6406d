#!/bin/bash
# The guided demo of sasl-oauth2 (the README's first command). As root on a
# fresh Debian 12, everything on 127.0.0.1, no real account needed:
#
#   0. install the Debian packages and build in ./build (as tests/run-tests.sh
#      does), npm ci in tests/e2e
#   1. start a real OpenID Connect server (tests/e2e/oidcserver.js, HTTPS with
#      a throwaway test CA) and a Dovecot that validates tokens against it
#   2. sasl-oauth2 authorize --flow browser: headless Chromium plays the user
#      (signs in as alice@example.com, consents)
#   3. sasl-oauth2 status
#   4. Cyrus imtest logs in to Dovecot through the plugin with the token file
#   5. a private Postfix relays a message through a receiving Postfix that
#      authenticates via Dovecot; its chrooted smtp client uses the plugin with
#      a token file written by 'sasl-oauth2 authorize --for postfix'
#   6. both token files expire: the plugin refreshes them by itself
#   6b. an app-only relay next to it: 'sasl-oauth2 keygen' makes a key and
#      certificate, 'sasl-oauth2 authorize --app' fetches a client credentials
#      token (private_key_jwt, verified by the server) without any sign-in;
#      Postfix relays with it, and the plugin renews it inside the chroot
#   7. sasl-oauth2 doctor
#   8. everything it started is stopped (also on failure or Ctrl-C)
#
# Usage: bash tests/demo.sh
#   DEMO_SKIP_BUILD=1   skip step 0 (BUILDDIR must hold a built tree)
#   BUILDDIR=DIR        the build tree (default ./build; another one is used
#                       as it is, without building)
#   E2E_KEEP=1          keep the temporary directory (logs, token files)
# Exits 0 when every step worked; otherwise non-zero, with the failed step's
# logs (tokens redacted). No token is ever shown beyond its first 6 characters.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")
T_START=$(date +%s)

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
STEP=- STEP_TITLE="start" STEP_LOGS=() FAIL_SHOWN=
step() {
	STEP=$1; shift
	STEP_TITLE=$*
	STEP_LOGS=()
	printf '\n%s==> Step %s: %s%s\n' "$B" "$STEP" "$STEP_TITLE" "$N"
}
say() { printf '    %s\n' "$*"; }
cmd() { printf '    $ %s\n' "$*"; }
out() { sed 's/^/      /'; }
# step_log FILE TITLE: shown (tail, redacted) if the step fails
step_log() { STEP_LOGS+=("$1|$2"); }
show_step_logs() {
	local e
	for e in "${STEP_LOGS[@]}"; do
		if declare -F show_log >/dev/null; then
			show_log "${e%%|*}" "${e#*|}" 25
		elif [ -f "${e%%|*}" ]; then
			echo "# ---- ${e#*|} (${e%%|*})"; tail -n 25 "${e%%|*}" | sed 's/^/#   /'
		fi
	done
}
fail() {
	FAIL_SHOWN=1
	echo
	printf '%sDEMO FAILED at step %s (%s): %s%s\n' "$B" "$STEP" "$STEP_TITLE" "$*" "$N"
	show_step_logs
	exit 1
}
rel() { local p=$1; printf '%s\n' "${p#"$TOP"/}"; }

if [ "$(id -u)" != 0 ]; then
	echo "tests/demo.sh installs packages and runs private Dovecot and Postfix instances: run it as root" >&2
	exit 1
fi

echo "${B}sasl-oauth2 demo${N}: sign in once at an OAuth 2.0 / OpenID Connect server, then"
echo "log in to IMAP and relay mail through Postfix with the libsasl2 plugin, which"
echo "refreshes the token by itself. Everything runs on 127.0.0.1; nothing reaches"
echo "Microsoft or Google."

# ----- 0. build --------------------------------------------------------------
cd "$TOP" || exit 1
DEFAULT_BUILDDIR="$TOP/build"
BUILDDIR=${BUILDDIR:-$DEFAULT_BUILDDIR}
step 0 "build"
if [ "${DEMO_SKIP_BUILD:-}" = 1 ] || [ "$BUILDDIR" != "$DEFAULT_BUILDDIR" ]; then
	say "using the build tree $BUILDDIR as it is (DEMO_SKIP_BUILD=1 or BUILDDIR given)"
else
	BUILD_LOG=$(mktemp "${TMPDIR:-/tmp}/sasl-oauth2-demo-build.XXXXXX")
	# kept when the build fails (its tail is shown), removed on Ctrl-C
	trap 'rm -f "$BUILD_LOG"; exit 130' INT
	trap 'rm -f "$BUILD_LOG"; exit 143' TERM
	step_log "$BUILD_LOG" "build output"
	say "the Debian packages the build and the demo need (installs only what is missing):"
	cmd "sh tests/install-deps.sh"
	sh "$HERE/install-deps.sh" >"$BUILD_LOG" 2>&1 || fail "tests/install-deps.sh failed"
	grep '^installing:' "$BUILD_LOG" | out
	cd "$TOP" || fail "cannot cd to $TOP"
	if [ -f config.status ]; then
		fail "the source tree is configured in place; run 'make distclean' first (the demo builds in ./build)"
	fi
	say "build in ./build, as tests/run-tests.sh does:"
	if [ ! -x configure ]; then
		cmd "./autogen.sh"
		./autogen.sh >>"$BUILD_LOG" 2>&1 || fail "./autogen.sh failed"
	fi
	cmd "mkdir -p build && cd build"
	mkdir -p build && cd build || fail "cannot make ./build"
	if [ ! -f Makefile ]; then
		cmd "../configure --enable-werror -q"
		../configure --enable-werror -q >>"$BUILD_LOG" 2>&1 || fail "../configure failed"
	fi
	cmd "make -s -j2 && make -s check-programs"
	{ make -s -j2 && make -s check-programs; } >>"$BUILD_LOG" 2>&1 || fail "make failed"
	cd "$TOP" || fail "cannot cd to $TOP"
	if [ ! -d "$HERE/e2e/node_modules/oidc-provider" ] || [ ! -d "$HERE/e2e/node_modules/playwright-core" ] ||
	   [ ! -d "$HERE/e2e/node_modules/oauth2-mock-server" ]; then
		say "the demo's node servers and browser driver (from tests/e2e/package-lock.json):"
		cmd "npm ci --prefix tests/e2e"
		npm ci --prefix "$HERE/e2e" --no-audit --no-fund >>"$BUILD_LOG" 2>&1 || fail "npm ci in tests/e2e failed"
	fi
	rm -f "$BUILD_LOG"
	trap - INT TERM
fi
# the servers and the browser driver are node programs (tests/e2e/package.json:
# "engines": node >= 20.19; Debian 12's own nodejs is 18)
nodev=$(node -p 'process.versions.node' 2>/dev/null)
if [ -z "$nodev" ] || ! node -e '
	const [a, b] = process.versions.node.split(".").map(Number);
	process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
	fail "Node.js >= 20.19 is needed (found: ${nodev:-none}); tests/install-deps.sh installs it (on Debian 12 from the npm registry)"
fi
export BUILDDIR
. "$HERE/lib/postfix.sh"
. "$HERE/lib/clients.sh"
. "$HERE/lib/oidc.sh"
CLI="$BUILDDIR/tools/sasl-oauth2"
for f in "$PLUGIN_SO" "$CLI"; do
	[ -e "$f" ] || fail "$f is missing: the build did not produce it"
done
[ -x "$IMTEST" ] || fail "$IMTEST is missing (package cyrus-clients: run tests/install-deps.sh)"
say "plugin: $(rel "$PLUGIN_SO")"
say "CLI:    $(rel "$CLI")  (called 'sasl-oauth2' below)"
export PATH="$BUILDDIR/tools:$PATH"

e2e_setup demo >/dev/null
T=$E2E_TMP
# e2e_setup's EXIT trap is stop_all; show the failed step's logs first
on_exit() {
	local rc=$?
	trap - EXIT
	if [ "$rc" = 130 ] || [ "$rc" = 143 ]; then
		echo
		printf '%sDEMO INTERRUPTED at step %s (%s)%s\n' "$B" "$STEP" "$STEP_TITLE" "$N"
	elif [ "$rc" != 0 ] && [ -z "$FAIL_SHOWN" ]; then
		echo
		printf '%sDEMO FAILED at step %s (%s) with status %s%s\n' "$B" "$STEP" "$STEP_TITLE" "$rc" "$N"
		show_step_logs
	fi
	if [ -n "${BROWSER_PID:-}" ]; then # browser-wrapper.sh's subshell and its browser.js
		pkill -TERM -P "$BROWSER_PID" 2>/dev/null
		kill "$BROWSER_PID" 2>/dev/null
	fi
	(exit "$rc")
	stop_all >/dev/null
	stop_masters_left
	echo "stopped everything the demo started; its files (logs, token files) are kept in $T"
	exit "$rc"
}
# Postfix masters by process id too: stop_all finds them through their pid
# files, which are gone if something removed the directory under the demo
PF_MASTER_PIDS=()
note_masters() {
	local d p
	for d in "$@"; do
		p=$(sed -n 's/ //gp;1q' "$d/queue/pid/master.pid" 2>/dev/null)
		[ -z "$p" ] || PF_MASTER_PIDS+=("$p")
	done
}
stop_masters_left() {
	local p
	for p in "${PF_MASTER_PIDS[@]}"; do
		# still ours: its working directory is a queue directory under $T
		case $(readlink "/proc/$p/cwd" 2>/dev/null) in
		"$T"/*) kill "$p" 2>/dev/null ;;
		esac
	done
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

U=alice@example.com
SEEN="$T/tokens.seen" # every token the demo handled, for tests/e2e/test_demo.sh
( umask 077; : >"$SEEN" )

# short_tok TOKEN: its first 6 characters
short_tok() { printf '%s...' "${1:0:6}"; }
# remember_tokens FILE: notes the token file's tokens in $SEEN
remember_tokens() {
	local k v
	for k in access_token refresh_token; do
		v=$(json_field "$1" "$k")
		[ -z "$v" ] || printf '%s\n' "$v" >>"$SEEN"
	done
}
# hide_tokens: stdin to stdout with every token in $SEEN cut to 6 characters
# (a safety net: the CLI prints none)
hide_tokens() {
	"$NODE" -e '
		const toks = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter((t) => t.length >= 8);
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => {
			for (const t of toks) b = b.split(t).join(t.slice(0, 6) + "...");
			process.stdout.write(b);
		});' "$SEEN"
}
# show_token_file FILE: the file with every token cut to 6 characters
show_token_file() {
	"$NODE" -e '
		const o = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		for (const k of Object.keys(o))
			if (/(^|_)token$|secret/.test(k) && typeof o[k] === "string") o[k] = o[k].slice(0, 6) + "...";
		console.log(JSON.stringify(o, null, 2));' "$1" | out
}
# expiry EPOCH: "2026-01-01 10:00:00 UTC (in 59 min)" / "(61 s ago)"
expiry() {
	local e=$1 now d
	now=$(date +%s)
	d=$(( e - now ))
	if [ "$d" -ge 0 ]; then
		printf '%s (in %d min %d s)' "$(date -u -d "@$e" '+%F %T UTC')" $((d / 60)) $((d % 60))
	else
		printf '%s (%d s ago)' "$(date -u -d "@$e" '+%F %T UTC')" $(( -d ))
	fi
}
file_state() { # FILE: access token prefix and expiry
	printf 'access_token %s expires_at %s' "$(short_tok "$(json_field "$1" access_token)")" "$(expiry "$(json_field "$1" expires_at)")"
}
refresh_grants() { local g; g=$(jstr "$(oidc_stat grants)" refresh_token); echo "${g:-0}"; }

# ----- 1. servers ------------------------------------------------------------
step 1 "start the authorization server and Dovecot"
step_log "$T/npm.log" "npm ci"
# the app-only relay of step 6b: its certificate is registered with the server
# (as an admin uploads one to the app registration)
RELAY=relay@example.com
APP_DIR="$T/app-keys"
mkdir -p "$APP_DIR"
step_log "$T/keygen.out" "sasl-oauth2 keygen"
"$CLI" keygen "$APP_DIR/relay-key.pem" "$APP_DIR/relay-cert.pem" --bits 2048 --days 365 \
	>"$T/keygen.out" 2>&1 || fail "sasl-oauth2 keygen failed"
printf '{ "clients": [ { "client_id": "demo-relay-app", "certificate": "%s", "mailbox": "%s" } ] }\n' \
	"$APP_DIR/relay-cert.pem" "$RELAY" >"$T/app.json"
start_oidcserver --app-config "$T/app.json"
step_log "$OIDC_LOG" "oidcserver.js"
say "a throwaway test CA signed the server's certificate (tests/e2e/make-ca.sh):"
cmd "bash tests/e2e/make-ca.sh $CA_DIR"
say "an OpenID Connect server (oidc-provider, with login and consent pages):"
cmd "node tests/e2e/oidcserver.js $OIDC_PORT --tls-dir $CA_DIR &"
say "issuer $OIDC_URL, public client 'test-public' (PKCE), scope openid email offline_access mail"

# Postfix's sending instance will live here; its smtp client is chrooted to
# the queue directory, where 'authorize --for postfix' puts its token file
PF_QUEUE="$T/pf-client/queue"
PF_TOKDIR="$PF_QUEUE/etc/sasl-oauth2"
PF_TOK="$PF_TOKDIR/demo-postfix.json"

export SASL_OAUTH2_CONF="$T/sasl-oauth2.conf"
export SASL_OAUTH2_STATE_DIR="$T/state"
cat >"$SASL_OAUTH2_CONF" <<EOF
# read by the CLI and by the plugin (in imtest and in Postfix's smtp client)
ca_bundle = $CA_DIR/ca.pem
chroot_dir = $PF_QUEUE
connect_timeout = 3
timeout = 10
provider.oidc.issuer = $OIDC_URL
provider.oidc.client_id = test-public
provider.oidc.scope = openid email offline_access mail
EOF
chmod 644 "$SASL_OAUTH2_CONF"
say "the configuration of the CLI and the plugin ($(rel "$SASL_OAUTH2_CONF")):"
cmd "export SASL_OAUTH2_CONF=$SASL_OAUTH2_CONF SASL_OAUTH2_STATE_DIR=$SASL_OAUTH2_STATE_DIR"
grep -v '^#' "$SASL_OAUTH2_CONF" | out
say "(ca_bundle: trust the test CA; chroot_dir: the private Postfix's chroot, step 5)"

start_imap_for_oidc
step_log "$DOVECOT_LOG" "dovecot log"
step_log "$T/dovecot/dovecot.stderr" "dovecot stderr"
say "Dovecot: IMAP on 127.0.0.1:$DOVECOT_IMAP_PORT, mechanisms XOAUTH2 and OAUTHBEARER; it asks the"
say "authorization server about each token (introspection, over HTTPS with the test CA):"
cmd "dovecot -F -c $DOVECOT_CONF &"
grep -E '^(introspection|tls_ca|ssl_client_ca|username_attr|active)' "$T/dovecot/oauth2.conf" | out

# ----- 2. authorize ----------------------------------------------------------
step 2 "sign in: sasl-oauth2 authorize (browser flow)"
WRAPPER="$E2E_DIR/browser-wrapper.sh"
unset DISPLAY WAYLAND_DISPLAY BROWSER
export E2E_LOGIN_USER=$U E2E_BROWSER_ARGS=
export E2E_BROWSER_LOG="$T/browser.log" E2E_BROWSER_PIDFILE="$T/browser.pid"
step_log "$T/authorize.out" "sasl-oauth2 authorize"
step_log "$E2E_BROWSER_LOG" "browser.js"
step_log "$OIDC_LOG" "oidcserver.js"

# authorize_with_browser NAME ARGS...: runs authorize with headless Chromium
# as $BROWSER; output in $T/NAME.out; status in AUTH_RC
authorize_with_browser() {
	local name=$1; shift
	: >"$E2E_BROWSER_LOG"; rm -f "$E2E_BROWSER_PIDFILE"
	BROWSER=$WRAPPER timeout 120 "$CLI" authorize "$@" --timeout 60 </dev/null >"$T/$name.out" 2>&1
	AUTH_RC=$?
	BROWSER_PID=$(cat "$E2E_BROWSER_PIDFILE" 2>/dev/null)
	wait_for 30 grep -q '^browser.js exit' "$E2E_BROWSER_LOG"
	BROWSER_PID=
}
# show_cli_output FILE: the CLI's output, the long authorization URL shortened
show_cli_output() {
	sed -E 's#(https://127\.0\.0\.1:[0-9]+/auth\?)[^[:space:]]+#\1client_id=test-public\&code_challenge=...\&state=...#' "$1" |
		hide_tokens | out
}
# show_browser: what the headless browser did
show_browser() {
	sed -n 's/^browser: //p' "$E2E_BROWSER_LOG" | sed -E -e 's#(/auth\?)[^ ]*#\1...#' \
		-e 's#(/interaction/)[^ ]*#\1...#' -e 's#(\?code=)[^ ]*#\1...#' | hide_tokens | sed 's/^/browser: /' | out
}

say "authorize opens \$BROWSER on the provider's sign-in page and waits on"
say "http://127.0.0.1:PORT/ for the redirect (RFC 8252, PKCE S256). Here \$BROWSER is"
say "headless Chromium that signs in as $U and presses Continue on the consent page."
cmd "BROWSER=$(rel "$WRAPPER") sasl-oauth2 authorize demo --provider oidc --flow browser --timeout 60"
authorize_with_browser authorize demo --provider oidc --flow browser
TOK="$SASL_OAUTH2_STATE_DIR/demo.json"
[ ! -f "$TOK" ] || remember_tokens "$TOK"
show_cli_output "$T/authorize.out"
[ "$AUTH_RC" = 0 ] || fail "sasl-oauth2 authorize exited with status $AUTH_RC"
say "meanwhile, in the browser:"
show_browser
[ -f "$TOK" ] || fail "authorize did not write $TOK"
say "the token file $(rel "$TOK") ($(stat -c '%a %U' "$TOK")), tokens cut to 6 characters:"
show_token_file "$TOK"
[ "$(json_field "$TOK" user)" = "$U" ] || fail "the token file's user is not $U"
[ -n "$(json_field "$TOK" refresh_token)" ] || fail "the token file has no refresh token"

# ----- 3. status -------------------------------------------------------------
step 3 "sasl-oauth2 status"
step_log "$T/status.out" "sasl-oauth2 status"
cmd "sasl-oauth2 status"
"$CLI" status >"$T/status.out" 2>&1
rc=$?
hide_tokens <"$T/status.out" | out
[ "$rc" = 0 ] || fail "sasl-oauth2 status exited with status $rc"
grep -q "^demo .*$U" "$T/status.out" || fail "status does not list the account demo"

# ----- 4. imtest -------------------------------------------------------------
# show_trace FILE: imtest's protocol lines, the initial response decoded with
# the token cut to 6 characters
show_trace() {
	local line b64 dec
	grep -E '^(S: |C: |Authenticated|Authentication failed|A02 )' "$1" | grep -vE '^S: \* OK \[CAPABILITY|^C: Q01 LOGOUT' |
	while IFS= read -r line; do
		line=${line%$'\r'}
		b64=$(sed -n -E 's/^C: A01 AUTHENTICATE [A-Z0-9]+ ([A-Za-z0-9+\/=]{8,})$/\1/p' <<<"$line")
		if [ -n "$b64" ]; then
			dec=$(base64 -d <<<"$b64" 2>/dev/null | sed 's/\x01/^A/g' |
				sed -E 's/(Bearer [^^]{6})[^^]*/\1.../')
			echo "${line%%"$b64"}<base64 of \"$dec\">"
		elif [[ $line == "A02 "* ]]; then
			echo "C: A02 SELECT INBOX"
			echo "S: $line" | sed -E 's/ \([0-9. +]+ secs\)//'
		else
			echo "$line" | sed -E 's/\[CAPABILITY [^]]*\] //' | cut -c1-100
		fi
	done | out
}
# imtest_login NAME MECH: imtest as alice with the token file; fails the step
# unless it says Authenticated.
imtest_login() {
	local name=$1 mech=$2
	step_log "$T/$name.out" "imtest output"
	step_log "$T/$name.syslog" "imtest's syslog (the plugin's log lines)"
	step_log "$DOVECOT_LOG" "dovecot log"
	cmd "SASL_PATH=$PLUGIN_DIR imtest -p $DOVECOT_IMAP_PORT -m $mech -a $U -w $TOK 127.0.0.1"
	run_cyrus_client "$T/$name.out" "$T/$name.syslog" "$IMTEST" "$DOVECOT_IMAP_PORT" "$mech" "$U" "$TOK" "$T/imap-input"
	show_trace "$T/$name.out"
	grep -q '^Authenticated\.' "$T/$name.out" || fail "imtest did not authenticate with $mech"
	grep -qE "$(dovecot_login_re imap-login "$U" "$mech")" "$DOVECOT_LOG" ||
		fail "Dovecot did not log the $mech login"
	say "Dovecot: $(grep -E "$(dovecot_login_re imap-login "$U" "$mech")" "$DOVECOT_LOG" | tail -n 1 |
		sed -E 's/^.*(imap-login: )/\1/; s/, rip=.*//')"
}
printf 'A02 SELECT INBOX\r\nA03 LOGOUT\r\n' >"$T/imap-input"

step 4 "IMAP login with imtest through the plugin"
say "libsasl2 loads the plugin from SASL_PATH (it holds only the build's plugin and PLAIN):"
ls "$PLUGIN_DIR" | out
say "the password given to imtest is the token file's path: the plugin reads the"
say "access token (and the mailbox) from it"
intro0=$(oidc_stat dovecot_introspect_requests)
imtest_login imtest-1 XOAUTH2
intro1=$(oidc_stat dovecot_introspect_requests)
say "the authorization server answered Dovecot's introspection: $((intro1 - intro0)) request(s), token active for $U"

# ----- 5. Postfix ------------------------------------------------------------
step 5 "relay a message through Postfix"
step_log "$T/pf-client/start.out" "postfix start (sender)"
step_log "$T/pf-receiver/start.out" "postfix start (receiver)"
start_postfix_pair "$U" "$PF_TOK" "$PF_TOK"
note_masters "$PF_RECV_DIR" "$PF_CLIENT_DIR"
[ "$PF_CLIENT_DIR/queue" = "$PF_QUEUE" ] || fail "the sending Postfix's queue is $PF_CLIENT_DIR/queue, not $PF_QUEUE"
PCONF="$PF_CLIENT_DIR/etc"
RCONF="$PF_RECV_DIR/etc"
step_log "$PF_CLIENT_LOG" "sending Postfix's maillog"
step_log "$PF_RECV_LOG" "receiving Postfix's maillog"
say "two private Postfix instances (configuration in $(rel "$T")/pf-*/etc):"
say "  sender   smtpd on 127.0.0.1:$PF_CLIENT_PORT takes mail from localhost and relays it to"
say "           [127.0.0.1]:$PF_RECV_PORT, logging in there through the plugin; mail for"
say "           dave@example.net goes out through an smtp client chrooted to the queue"
say "           directory, like Debian's default smtp service"
say "  receiver smtpd on 127.0.0.1:$PF_RECV_PORT: STARTTLS (the test CA's certificate), then AUTH,"
say "           checked through Dovecot's auth socket, so the token goes to the"
say "           authorization server's introspection; delivers to maildirs"

# receiver: TLS before AUTH, the SASL login noted in the Received: header
tlsmgr="tlsmgr unix - - n 1000? 1 tlsmgr"
postconf -c "$RCONF" -e "smtpd_tls_cert_file = $CA_DIR/server.pem" "smtpd_tls_key_file = $CA_DIR/server-key.pem" \
	smtpd_tls_security_level=may smtpd_tls_auth_only=yes smtpd_tls_loglevel=1 \
	smtpd_sasl_authenticated_header=yes >>"$PF_RECV_DIR/start.out" 2>&1 &&
	postconf -c "$RCONF" -Me "tlsmgr/unix=$tlsmgr" >>"$PF_RECV_DIR/start.out" 2>&1 &&
	postfix -c "$RCONF" reload >>"$PF_RECV_DIR/start.out" 2>&1 || fail "cannot turn on TLS in the receiving Postfix"

say ""
say "Postfix reads its token file as the postfix user, inside the chroot:"
say "authorize --for postfix writes it there (chroot_dir in the configuration)."
say "Chromium signs in as $U again:"
cmd "BROWSER=$(rel "$WRAPPER") sasl-oauth2 authorize demo-postfix --provider oidc --for postfix --flow browser --timeout 60"
authorize_with_browser authorize-postfix demo-postfix --provider oidc --for postfix --flow browser
[ ! -f "$PF_TOK" ] || remember_tokens "$PF_TOK"
# up to the Postfix part of the next steps
awk '/^mbsync/ { exit } { print }' "$T/authorize-postfix.out" | show_cli_output /dev/stdin
say "      (... and the other programs' next steps, as in step 2)"
[ "$AUTH_RC" = 0 ] || fail "sasl-oauth2 authorize --for postfix exited with status $AUTH_RC"
show_browser
[ -f "$PF_TOK" ] || fail "authorize --for postfix did not write $PF_TOK"
cmd "ls -l $(rel "$PF_TOK")"
ls -l "$PF_TOK" | sed "s#$TOP/##" | out
[ "$(stat -c '%U %a' "$PF_TOK")" = "postfix 600" ] || fail "$PF_TOK is not postfix's, mode 0600"

say ""
say "the sender's configuration, as in the next steps above (relayhost, password map"
say "naming the token file, TLS) plus the plugin's configuration file, passed like"
say "SASL_PATH with import_environment:"
PF_PASSWD="$PCONF/sasl_passwd"
( umask 077; printf '[127.0.0.1]:%s %s:%s\n' "$PF_RECV_PORT" "$U" "$PF_TOK" >"$PF_PASSWD" )
imp=$(postconf -c "$PCONF" -h import_environment)
{
	postmap -c "$PCONF" "hash:$PF_PASSWD" &&
	postconf -c "$PCONF" -e "smtp_sasl_password_maps = hash:$PF_PASSWD" smtp_tls_security_level=encrypt \
		smtp_tls_loglevel=1 "import_environment = $imp SASL_OAUTH2_CONF=$SASL_OAUTH2_CONF" &&
	postconf -c "$PCONF" -PX smtp-chroot/unix/smtp_sasl_password_maps &&
	postconf -c "$PCONF" -Me "tlsmgr/unix=$tlsmgr"
} >>"$PF_CLIENT_DIR/start.out" 2>&1 || fail "cannot configure the sending Postfix"
cmd "cat $(rel "$PF_PASSWD")"
out <"$PF_PASSWD"
cmd "postmap hash:$(rel "$PF_PASSWD")"
PF_PARAMS="relayhost smtp_sasl_auth_enable smtp_sasl_password_maps smtp_sasl_mechanism_filter smtp_sasl_tls_security_options smtp_tls_security_level import_environment"
cmd "postconf -c $(rel "$PCONF") $PF_PARAMS"
# shellcheck disable=SC2086 # a list of parameter names
postconf -c "$PCONF" $PF_PARAMS | out
cmd "postconf -c $(rel "$PCONF") -M smtp-chroot/unix    # chroot column: y"
postconf -c "$PCONF" -M smtp-chroot/unix | out
# master applies import_environment when it starts: restart it
cmd "postfix -c $(rel "$PCONF") stop; postfix -c $(rel "$PCONF") start"
{ postfix -c "$PCONF" stop && postfix -c "$PCONF" start; } >>"$PF_CLIENT_DIR/start.out" 2>&1 ||
	fail "restarting the sending Postfix failed"
note_masters "$PF_CLIENT_DIR"
wait_port "$PF_CLIENT_PORT" 10 || fail "the sending Postfix's smtpd is not listening after its restart"
# ehlo_has PORT WORD: the smtpd on PORT offers WORD in its EHLO reply
ehlo_has() {
	local l r=1
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	IFS= read -r -t 3 l <&3 # the banner
	printf 'EHLO demo.test\r\n' >&3
	while IFS= read -r -t 3 l <&3; do
		l=${l%$'\r'}
		[[ $l == "250-$2"* || $l == "250 $2"* ]] && r=0
		[[ $l == "250 "* ]] && break
	done
	printf 'QUIT\r\n' >&3
	exec 3>&-
	return $r
}
wait_for 10 ehlo_has "$PF_RECV_PORT" STARTTLS 2>/dev/null || fail "the receiving Postfix does not offer STARTTLS"

# send N: injects message N for dave@example.net; waits for its delivery
send() {
	SUBJECT="sasl-oauth2 demo message $1"
	step_log "$T/send-$1.out" "smtpsend.js"
	cmd "node tests/e2e/smtpsend.js $PF_CLIENT_PORT $U dave@example.net '$SUBJECT'"
	"$NODE" "$E2E_DIR/smtpsend.js" "$PF_CLIENT_PORT" "$U" dave@example.net "$SUBJECT" >"$T/send-$1.out" 2>&1 ||
		fail "the sending Postfix did not accept message $1"
	grep -E '^S: 250 .*queued as' "$T/send-$1.out" | sed 's/\r$//' | out
	say "waiting for the relay ..."
	MSG=
	for _ in $(seq 1 100); do
		MSG=$(maildir_find "$SUBJECT" "$PF_RECV_VMAIL" | head -n 1)
		[ -n "$MSG" ] && break
		sleep 0.2
	done
	[ -n "$MSG" ] || fail "message $1 was not delivered within 20 s"
	wait_for 5 grep -qE "smtp-chroot/smtp\[[0-9]+\]: .*to=<dave@example.net>.*status=sent" "$PF_CLIENT_LOG"
	say "sender's log:"
	grep -E "smtp-chroot/smtp\[[0-9]+\]: .*(TLS connection established|to=<dave@example.net>.*status=sent)" \
		"$PF_CLIENT_LOG" | tail -n 2 | sed -E 's/^.*(postfix-e2e-client)/\1/' | fold -s -w 92 | out
	say "receiver's log:"
	grep -E "sasl_method=XOAUTH2, sasl_username=$U" "$PF_RECV_LOG" | tail -n 1 |
		sed -E 's/^.*(postfix-e2e-receiver)/\1/' | out
	if grep -qE '/smtp\[[0-9]+\]: warning: ' "$PF_CLIENT_LOG"; then
		grep -E '/smtp\[[0-9]+\]: warning: ' "$PF_CLIENT_LOG" | hide_tokens | out
		fail "the sending Postfix's smtp client logged a warning"
	fi
	say "delivered to dave@example.net's maildir ($(rel "$MSG" | sed -E 's#/[^/]+$#/#')); its headers:"
	sed -e '/^\r\?$/q' "$MSG" | sed 's/\r$//' | grep -v '^$' | out
}
say ""
say "now a message to dave@example.net, injected into the sender's smtpd:"
send 1
grep -q "Authenticated sender: $U" "$MSG" || fail "the delivered message does not show the authenticated sender $U"

# ----- 6. refresh ------------------------------------------------------------
step 6 "the access tokens expire: the plugin refreshes them"
step_log "$OIDC_LOG" "oidcserver.js"
# expire FILE: expires_at one minute ago, in place (mode and owner unchanged)
expire() {
	"$NODE" -e '
		const fs = require("fs"); const f = process.argv[1];
		const o = JSON.parse(fs.readFileSync(f, "utf8"));
		o.expires_at = Math.floor(Date.now() / 1000) - 60;
		fs.writeFileSync(f, JSON.stringify(o, null, 2) + "\n");' "$1" || fail "cannot rewrite $1"
	[ "$(stat -c %a "$1")" = 600 ] || fail "$1 lost its mode 0600"
}
say "access tokens live an hour; to see a refresh now, set expires_at in both token"
say "files a minute into the past (the plugin then does not send the token: it"
say "refreshes it first, with the refresh token, under the file's lock):"
expire "$TOK"
expire "$PF_TOK"
cmd "sasl-oauth2 status"
"$CLI" status >"$T/status-expired.out" 2>&1
hide_tokens <"$T/status-expired.out" | out
cmd "sasl-oauth2 status --for postfix"
"$CLI" status --for postfix >"$T/status-expired-postfix.out" 2>&1
hide_tokens <"$T/status-expired-postfix.out" | out
grep -q '^demo-postfix .*expired' "$T/status-expired-postfix.out" ||
	fail "status --for postfix does not show demo-postfix's token expired"
REFRESHED=0

# show_refresh WHO FILE BEFORE_AT BEFORE_STATE REQS_BEFORE GRANTS_BEFORE
show_refresh() {
	local who=$1 f=$2 at0=$3 st0=$4 r0=$5 g0=$6 at1 exp1 r1 g1
	at1=$(json_field "$f" access_token); exp1=$(json_field "$f" expires_at)
	r1=$(oidc_token_requests); g1=$(refresh_grants)
	remember_tokens "$f"
	say "  before: $st0"
	say "  after:  $(file_state "$f")"
	say "  token requests at the authorization server: $r0 -> $r1 (refresh_token grants: $g0 -> $g1)"
	[ -n "$at1" ] && [ "$at1" != "$at0" ] || fail "$who: the access token in $f did not change"
	[ "$exp1" -gt "$(date +%s)" ] || fail "$who: expires_at in $f is not in the future"
	[ "$g1" = $((g0 + 1)) ] || fail "$who: expected one refresh_token grant, the server saw $((g1 - g0))"
	say "  refreshed by the plugin in $who: new access token, mode $(stat -c '%a %U' "$f") kept"
	REFRESHED=$((REFRESHED + 1))
}

say ""
say "imtest again, this time with OAUTHBEARER:"
at0=$(json_field "$TOK" access_token); st0=$(file_state "$TOK"); r0=$(oidc_token_requests); g0=$(refresh_grants)
imtest_login imtest-2 OAUTHBEARER
show_refresh imtest "$TOK" "$at0" "$st0" "$r0" "$g0"

say ""
say "a second message through Postfix (the plugin refreshes inside the chroot):"
at0=$(json_field "$PF_TOK" access_token); st0=$(file_state "$PF_TOK"); r0=$(oidc_token_requests); g0=$(refresh_grants)
send 2
show_refresh "Postfix's smtp client" "$PF_TOK" "$at0" "$st0" "$r0" "$g0"
[ "$(stat -c '%U %a' "$PF_TOK")" = "postfix 600" ] || fail "$PF_TOK is no longer postfix's, mode 0600"

# ----- 6b. app-only ----------------------------------------------------------
step 6b "an app-only relay: no one signs in (the recommended relay setup)"
say "a relay should not depend on a person's refresh token. App-only access (Microsoft's"
say "client credentials grant, Google's service accounts) needs no sign-in: the token file"
say "names its grant and the credential files, and the plugin renews the token itself."
say "A key and a self-signed certificate (made before step 1 and registered with the"
say "authorization server, as an admin uploads it to the app registration):"
cmd "sasl-oauth2 keygen relay-key.pem relay-cert.pem --bits 2048 --days 365"
sed -n '1,6p' "$T/keygen.out" | out
PF_RELAY_TOK="$PF_TOKDIR/demo-relay.json"
install -m 600 -o postfix "$APP_DIR/relay-key.pem" "$PF_TOKDIR/relay-key.pem" &&
	install -m 644 -o postfix "$APP_DIR/relay-cert.pem" "$PF_TOKDIR/relay-cert.pem" ||
	fail "cannot put the relay's key into the chroot"
say "both go inside Postfix's chroot, owned by postfix (the key 0600):"
cmd "install -m 600 -o postfix relay-key.pem $(rel "$PF_TOKDIR")/"
step_log "$T/authorize-app.out" "sasl-oauth2 authorize --app"
g0=$(jstr "$(oidc_stat grants)" client_credentials)
cmd "sasl-oauth2 authorize demo-relay --for postfix --app --provider oidc --scope mail --client-id demo-relay-app --user $RELAY --certificate .../relay-cert.pem --private-key .../relay-key.pem"
"$CLI" authorize demo-relay --for postfix --app --provider oidc --scope mail --client-id demo-relay-app \
	--user "$RELAY" --certificate "$PF_TOKDIR/relay-cert.pem" --private-key "$PF_TOKDIR/relay-key.pem" \
	>"$T/authorize-app.out" 2>&1 || fail "sasl-oauth2 authorize --app failed"
remember_tokens "$PF_RELAY_TOK"
awk '/^mbsync/ { exit } { print }' "$T/authorize-app.out" | hide_tokens | out
g1=$(jstr "$(oidc_stat grants)" client_credentials)
say "the server verified the signed client assertion and issued a token (client_credentials"
say "grants: ${g0:-0} -> $g1); the token file:"
show_token_file "$PF_RELAY_TOK"
say ""
say "the password map now names the app-only token file for the relay's mailbox:"
( umask 077; printf '[127.0.0.1]:%s %s:%s\n' "$PF_RECV_PORT" "$RELAY" "$PF_RELAY_TOK" >"$PF_PASSWD" )
postmap -c "$PCONF" "hash:$PF_PASSWD" || fail "postmap failed"
out <"$PF_PASSWD"
U_SAVED=$U
U=$RELAY
send 3
expire "$PF_RELAY_TOK"
say ""
say "its access token expires (set a minute into the past): the plugin renews it with the"
say "file's grant, inside the chroot, signing a new assertion with the key:"
at0=$(json_field "$PF_RELAY_TOK" access_token)
g0=$(jstr "$(oidc_stat grants)" client_credentials)
send 4
g1=$(jstr "$(oidc_stat grants)" client_credentials)
remember_tokens "$PF_RELAY_TOK"
say "  client_credentials grants at the server: $g0 -> $g1; $(file_state "$PF_RELAY_TOK")"
[ "$g1" = $((g0 + 1)) ] || fail "app-only: expected one client_credentials grant, the server saw $((g1 - g0))"
[ "$(json_field "$PF_RELAY_TOK" access_token)" != "$at0" ] || fail "app-only: the access token did not change"
[ "$(stat -c '%U %a' "$PF_RELAY_TOK")" = "postfix 600" ] || fail "$PF_RELAY_TOK is no longer postfix's, mode 0600"
REFRESHED=$((REFRESHED + 1))
U=$U_SAVED
# back to the signed-in account's entry, which step 7's doctor checks
( umask 077; printf '[127.0.0.1]:%s %s:%s\n' "$PF_RECV_PORT" "$U" "$PF_TOK" >"$PF_PASSWD" )
postmap -c "$PCONF" "hash:$PF_PASSWD" || fail "postmap failed"
cmd "sasl-oauth2 status --for postfix"
"$CLI" status --for postfix 2>&1 | hide_tokens | out

# ----- 7. doctor -------------------------------------------------------------
step 7 "health check: sasl-oauth2 doctor"
step_log "$T/doctor.out" "sasl-oauth2 doctor demo"
step_log "$T/doctor-postfix.out" "sasl-oauth2 doctor --for postfix"
say "doctor checks the plugin where libsasl2 loads it (here SASL_PATH's directory), the"
say "configuration, the token file and, with --for postfix, Postfix's settings:"
cmd "sasl-oauth2 doctor demo --plugin-dir $PLUGIN_DIR"
"$CLI" doctor demo --plugin-dir "$PLUGIN_DIR" >"$T/doctor.out" 2>&1
drc=$?
hide_tokens <"$T/doctor.out" | out
[ "$drc" = 0 ] || fail "sasl-oauth2 doctor demo exited with status $drc"
cmd "sasl-oauth2 doctor demo-postfix --for postfix --postfix-config $(rel "$PCONF") --plugin-dir $PLUGIN_DIR"
"$CLI" doctor demo-postfix --for postfix --postfix-config "$PCONF" --plugin-dir "$PLUGIN_DIR" >"$T/doctor-postfix.out" 2>&1
dprc=$?
hide_tokens <"$T/doctor-postfix.out" | out
[ "$dprc" = 0 ] || fail "sasl-oauth2 doctor --for postfix exited with status $dprc"
if grep -q '^WARN watch:' "$T/doctor-postfix.out"; then
	say "(the WARN is expected: the demo runs no 'sasl-oauth2 watch --for postfix' service;"
	say "on a real system, see docs/postfix.md)"
fi

# ----- 8. stop ---------------------------------------------------------------
step 8 "stop everything"
trap - EXIT
stop_all >/dev/null
stop_masters_left
say "Dovecot, both Postfix instances and the authorization server are stopped;"
if [ -n "${E2E_KEEP:-}" ]; then
	say "temporary files kept in $T"
else
	say "temporary files removed"
fi
echo
echo "${B}Demo OK${N} in $(( $(date +%s) - T_START )) s: browser sign-in as $U, IMAP login (XOAUTH2, OAUTHBEARER), 4 messages relayed by Postfix (2 with an app-only token, no sign-in), $REFRESHED tokens renewed by the plugin, doctor OK."
