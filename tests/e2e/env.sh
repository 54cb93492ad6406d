# Helpers for the end-to-end tests: private Dovecot, Postfix and node
# helper servers on free loopback ports. Source it (it sources ../lib.sh
# when that is not loaded yet):
#
#   . "$(dirname "$0")/env.sh"
#   e2e_setup NAME [PROG...] # temp dir, plugin dir, cleanup trap; stops
#                            # when a program the test runs is not installed
#   start_introspect         # token introspection endpoint (introspect.js)
#   start_dovecot            # IMAP + submission + auth socket
#   start_postfix_pair U S   # sending Postfix (SASL client) -> receiving Postfix
#   ...
#   e2e_finish               # stops everything, exits non-zero on any failure
#
# Everything started here is recorded and stopped by stop_all, which the
# EXIT trap runs even when a test dies half way.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -F not_ok >/dev/null || . "$E2E_DIR/../lib.sh"
IMTEST=${IMTEST:-/usr/lib/cyrus/bin/imtest}
SMTPTEST=${SMTPTEST:-/usr/lib/cyrus/bin/smtptest}
POP3TEST=${POP3TEST:-/usr/lib/cyrus/bin/pop3test}
NODE=${NODE:-node}
E2E_FAILS=0
E2E_PASSES=0
E2E_PIDS=()
E2E_POSTFIX_DIRS=()
E2E_TMP=

# Count results so the script can exit non-zero when anything failed.
ok() { E2E_PASSES=$((E2E_PASSES + 1)); echo "ok - $*"; }
not_ok() { E2E_FAILS=$((E2E_FAILS + 1)); echo "not ok - $*"; }

e2e_note() { echo "# $*"; }

# e2e_die MESSAGE: a setup step failed: report it and stop the test.
e2e_die() {
	not_ok "$*"
	exit 1
}

# e2e_setup NAME: temp dir ($E2E_TMP), plugin dir ($PLUGIN_DIR), traps.
e2e_setup() {
	trap stop_all EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for cmd in "$NODE" dovecot doveconf "${@:2}"; do
		command -v "$cmd" >/dev/null 2>&1 || e2e_die "setup: $cmd is not installed (run tests/install-deps.sh)"
	done
	if [ ! -f "$PLUGIN_SO" ]; then
		e2e_die "setup: $PLUGIN_SO is missing (build first: ./autogen.sh && ./configure && make)"
	fi
	E2E_TMP=$(mktemp_dir "e2e-$1") || e2e_die "setup: cannot make a temp dir"
	# Dovecot's mail processes (nobody) and Postfix (postfix) must reach
	# files in here; a build tree under a private directory (/root) is not
	# reachable for them: use /tmp then.
	if ! runuser -u nobody -- test -x "$E2E_TMP"; then
		rm -rf "$E2E_TMP"
		E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sasl-oauth2-e2e-$1.XXXXXX") || e2e_die "setup: cannot make a temp dir"
		chmod 755 "$E2E_TMP"
	fi
	PLUGIN_DIR="$E2E_TMP/sasl-plugins"
	make_plugin_dir "$PLUGIN_DIR"
	# ... and so must the plugin itself (Postfix loads it as user postfix)
	if ! runuser -u postfix -- test -r "$PLUGIN_DIR/libsasl-oauth2.so" 2>/dev/null; then
		cp --remove-destination "$PLUGIN_SO" "$PLUGIN_DIR/libsasl-oauth2.so"
		chmod 755 "$PLUGIN_DIR/libsasl-oauth2.so"
	fi
	e2e_note "temp dir $E2E_TMP"
}

# e2e_bg LOGFILE COMMAND...: starts a background process, records its pid.
e2e_bg() {
	local log=$1; shift
	"$@" >>"$log" 2>&1 &
	E2E_PIDS+=("$!")
}

# e2e_token [PREFIX]: a fresh random token (URL-safe).
e2e_token() {
	echo "${1:-tok}-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
}

# redact FILE: prints FILE with long base64/token-looking strings hidden,
# for showing client traces in a failure report.
redact() {
	sed -E -e 's#((AUTHENTICATE|AUTH) [A-Z0-9_-]+ )[^ ]+#\1<redacted>#' \
		-e 's/(Bearer )[^ ]+/\1<redacted>/g' -e 's/[A-Za-z0-9+_=-]{20,}/<redacted>/g' "$1"
}

# show_log FILE TITLE [LINES]: dumps the tail of a log, redacted, as "#" comments.
show_log() {
	[ -f "$1" ] || return 0
	echo "# ---- $2 ($1)"
	redact "$1" | tail -n "${3:-40}" | sed 's/^/#   /'
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
	local n=$(( $1 * 5 )); shift
	local i
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# ----- token introspection endpoint --------------------------------------

# start_introspect: sets INTROSPECT_PORT, TOKENS_FILE (token -> user map,
# re-read on every request), INTROSPECT_LOG.
start_introspect() {
	INTROSPECT_PORT=$(free_port) || e2e_die "setup: no free port"
	TOKENS_FILE="$E2E_TMP/introspect-tokens.json"
	INTROSPECT_LOG="$E2E_TMP/introspect.log"
	echo '{}' >"$TOKENS_FILE"
	e2e_bg "$INTROSPECT_LOG" "$NODE" "$E2E_DIR/introspect.js" "$INTROSPECT_PORT" "$TOKENS_FILE"
	wait_port "$INTROSPECT_PORT" 10 || { show_log "$INTROSPECT_LOG" introspect; e2e_die "setup: introspection endpoint did not start"; }
}

# add_token TOKEN USER: the endpoint will call TOKEN active for USER.
add_token() {
	"$NODE" -e '
		const fs = require("fs"); const [f, t, u] = process.argv.slice(1);
		const m = JSON.parse(fs.readFileSync(f, "utf8")); m[t] = u;
		fs.writeFileSync(f + ".new", JSON.stringify(m)); fs.renameSync(f + ".new", f);
	' "$TOKENS_FILE" "$1" "$2"
}

# introspect_count: how many introspection requests the endpoint answered.
introspect_count() {
	"$NODE" -e '
		require("http").get("http://127.0.0.1:" + process.argv[1] + "/stats", (r) => {
			let b = ""; r.on("data", (c) => b += c);
			r.on("end", () => console.log(JSON.parse(b).requests));
		}).on("error", () => console.log(-1));
	' "$INTROSPECT_PORT"
}

# write_token_file PATH TOKEN USER [EXPIRES_IN_SECS] [OWNER]: a token file
# as the plugin reads it, mode 0600 (owned by OWNER when given).
write_token_file() {
	local path=$1 token=$2 user=$3 ttl=${4:-3600} owner=${5:-}
	local exp=$(( $(date +%s) + ttl ))
	( umask 077
	  printf '{"access_token": "%s", "user": "%s", "expires_at": %s}\n' "$token" "$user" "$exp" >"$path" )
	chmod 600 "$path"
	[ -z "$owner" ] || chown "$owner" "$path"
}

# good_and_revoked_tokens USER: a token the endpoint accepts for USER ($GOOD,
# in the token file $TOKFILE) and one it does not know ($BAD, in $BADFILE).
good_and_revoked_tokens() {
	GOOD=$(e2e_token good)
	add_token "$GOOD" "$1"
	TOKFILE="$E2E_TMP/alice-token.json"
	write_token_file "$TOKFILE" "$GOOD" "$1"
	revoked_token_file "$1"
}

# revoked_token_file USER: a token the endpoint does not know ($BAD) in the
# token file $BADFILE for USER.
revoked_token_file() {
	BAD=$(e2e_token bad)
	BADFILE="$E2E_TMP/alice-revoked.json"
	write_token_file "$BADFILE" "$BAD" "$1"
}

# long_token_file USER [N]: a token of N (default 1,100) characters, as long
# as providers' real ones, that the endpoint accepts for USER ($LONG, in the
# token file $LONGFILE).
long_token_file() {
	LONG=$(long_token "${2:-1100}")
	add_token "$LONG" "$1"
	LONGFILE="$E2E_TMP/alice-long.json"
	write_token_file "$LONGFILE" "$LONG" "$1"
}

# long_token N: a JWT-shaped token of exactly N characters (three
# base64url parts joined by dots), as long as providers' real ones.
long_token() {
	local t
	t=$(head -c $(( $1 * 3 / 4 + 16 )) /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
	t="eyJ0eXAiOiJKV1QifQ.${t:0:$(( $1 - 19 - 24 ))}.${t: -23}"
	printf '%s' "${t:0:$1}"
}

# ----- saslserver.js: IMAP/SMTP/POP3 that take any line, or refuse long ones

# start_saslserver: saslserver.js checking tokens at the introspection
# endpoint (start_introspect first), with IMAP on SS_IMAP_PORT (lines of any
# length), SMTP on SS_SMTP_PORT refusing command lines over 512 octets as
# Gmail does, SMTP on SS_SMTP_ANY_PORT taking any length, POP3 on
# SS_POP_PORT refusing lines over 255 (RFC 2449). Messages land in SS_DIR;
# SS_LOG has one line per authentication (see saslserver.js).
start_saslserver() {
	SS_IMAP_PORT=$(free_port) && SS_SMTP_PORT=$(free_port) && SS_SMTP_ANY_PORT=$(free_port) &&
		SS_POP_PORT=$(free_port) || e2e_die "setup: no free port"
	SS_DIR="$E2E_TMP/saslserver-mail"
	SS_LOG="$E2E_TMP/saslserver.log"
	e2e_bg "$SS_LOG" "$NODE" "$E2E_DIR/saslserver.js" "$INTROSPECT_PORT" "$SS_DIR" \
		"imap:$SS_IMAP_PORT" "smtp:$SS_SMTP_PORT:512" "smtp:$SS_SMTP_ANY_PORT" "pop:$SS_POP_PORT:255"
	local p
	for p in "$SS_IMAP_PORT" "$SS_SMTP_PORT" "$SS_SMTP_ANY_PORT" "$SS_POP_PORT"; do
		wait_port "$p" 10 || { show_log "$SS_LOG" saslserver; e2e_die "setup: saslserver.js did not start"; }
	done
}

# ss_count [REGEX [AFTER]]: saslserver's authentication lines matching
# REGEX after the first AFTER of them (all lines when REGEX is empty).
ss_count() {
	grep -E '^[^ ]+ AUTH ' "$SS_LOG" | tail -n +$(( ${2:-0} + 1 )) | grep -cE -- "${1:-.}"
}

# ss_expect NAME AFTER PORT MECH WANT: after the first AFTER exchanges,
# saslserver logged exactly one more on PORT, a successful MECH login with
# the response where WANT (line or withheld) says, and refused no line.
ss_expect() {
	local name=$1 after=$2 port=$3 mech=$4 want=$5
	check "$name: the server took one $mech login, response $want" \
		test "$(ss_count ":$port $mech ir=$want .* ok\$" "$after")" = 1
	check "$name: no command line was too long for the server" \
		test "$(ss_count "too-long" "$after")" = 0
}

# ----- SMTP sink (Dovecot submission's relay) ----------------------------

# start_sink: sets SINK_PORT, SINK_DIR (one file per message received).
start_sink() {
	SINK_PORT=$(free_port) || e2e_die "setup: no free port"
	SINK_DIR="$E2E_TMP/sink"
	e2e_bg "$E2E_TMP/sink.log" "$NODE" "$E2E_DIR/smtpsink.js" "$SINK_PORT" "$SINK_DIR"
	wait_port "$SINK_PORT" 10 || e2e_die "setup: SMTP sink did not start"
}

# ----- Dovecot -----------------------------------------------------------

# dovecot_24: true when the installed Dovecot is 2.4 or later (Debian 13),
# whose configuration syntax differs from 2.3's (Debian 12).
dovecot_24() {
	local v; v=$(dovecot --version 2>/dev/null) || return 1
	v=${v%% *}
	[ "$(printf '%s\n' 2.4 "$v" | sort -V | head -n 1)" = 2.4 ]
}

# dovecot_login_re SERVICE USER MECH: an extended regex for Dovecot's log
# line of a successful login ("Login: " in 2.3, "Logged in: " in 2.4).
dovecot_login_re() {
	echo "$1: Info: (Login|Logged in): user=<$2>, method=$3"
}

# DOVECOT_BROKEN_RE: Dovecot's log lines of an exchange the client did not
# finish properly: cancelled, left unanswered, or answered with garbage.
DOVECOT_BROKEN_RE="auth aborted|Invalid base64|Unexpected|didn.t finish SASL auth"

# dovecot_count ERE: how many lines of Dovecot's log match ERE.
dovecot_count() { grep -cE "$1" "$DOVECOT_LOG"; }

# dovecot_fail_re USER MECH: an extended regex for Dovecot's log line of one
# failed login (2.4 adds the reason code: "(auth failed, ...) (auth_failed):").
dovecot_fail_re() {
	echo "\\(auth failed, 1 attempts in [0-9]+ secs\\)( \\(auth_failed\\))?: user=<$1>, method=$2"
}

# dovecot_free_port: a free port that start_dovecot has not taken yet.
dovecot_free_port() {
	local p
	for _ in 1 2 3 4 5 6 7 8; do
		p=$(free_port) || return 1
		case " ${DOVECOT_IMAP_PORT:-} ${DOVECOT_SUBMISSION_PORT:-} ${DOVECOT_IMAPS_PORT:-} ${DOVECOT_POP3_PORT:-} ${DOVECOT_POP3S_PORT:-} " in
		*" $p "*) continue ;;
		esac
		echo "$p"
		return 0
	done
	return 1
}

# start_dovecot: a private Dovecot validating XOAUTH2/OAUTHBEARER through
# the introspection endpoint (start_introspect first). Sets DOVECOT_CONF,
# DOVECOT_IMAP_PORT, DOVECOT_SUBMISSION_PORT, DOVECOT_LOG,
# DOVECOT_AUTH_SOCKET (for Postfix smtpd_sasl_type = dovecot).
# Submission relays to the SMTP sink (started here unless SINK_PORT is set).
# DOVECOT_INTROSPECT_URL points Dovecot at another endpoint, and
# DOVECOT_OAUTH2_CA (a PEM file) is the CA it verifies that endpoint's
# certificate with.
# DOVECOT_AUTH_MECHS (default "xoauth2 oauthbearer") and DOVECOT_PASSWD_FILE
# (a passwd-file of {PLAIN} passwords, for the PLAIN and LOGIN mechanisms)
# add password logins.
# The installed Dovecot's version picks the syntax (dovecot_24): 2.3
# (Debian 12) has an oauth2 passdb whose args name a file of settings; 2.4
# (Debian 13) starts with dovecot_config_version, validates tokens in the
# mechanism itself with an oauth2 { } block, and renamed several settings.
# DOVECOT_TLS_DIR (a make-ca.sh directory) turns TLS on: STARTTLS on both
# ports and implicit TLS IMAP on DOVECOT_IMAPS_PORT, with server.pem.
# DOVECOT_POP3=yes adds POP3 (dovecot-pop3d) on DOVECOT_POP3_PORT, and
# with TLS implicit TLS POP3 on DOVECOT_POP3S_PORT.
# DOVECOT_SSL_REQUIRED=yes (with TLS) refuses every login before TLS.
start_dovecot() {
	[ -n "${INTROSPECT_PORT:-}" ] || [ -n "${DOVECOT_INTROSPECT_URL:-}" ] || start_introspect
	[ -n "${SINK_PORT:-}" ] || start_sink
	local d="$E2E_TMP/dovecot"
	mkdir -p "$d/run" "$d/state" "$d/home"
	chmod 755 "$d" "$d/run"
	chown nobody:nogroup "$d/home"
	DOVECOT_IMAP_PORT=$(free_port) || e2e_die "setup: no free port"
	DOVECOT_SUBMISSION_PORT=$(free_port) || e2e_die "setup: no free port"
	while [ "$DOVECOT_SUBMISSION_PORT" = "$DOVECOT_IMAP_PORT" ]; do
		DOVECOT_SUBMISSION_PORT=$(free_port)
	done
	local ssl="ssl = no" imaps_port=0 v24= protocols="imap submission" pop3= pop3s_port=0
	if [ "${DOVECOT_POP3:-}" = yes ]; then
		DOVECOT_POP3_PORT=$(free_port) || e2e_die "setup: no free port"
		while [ "$DOVECOT_POP3_PORT" = "$DOVECOT_IMAP_PORT" ] ||
		      [ "$DOVECOT_POP3_PORT" = "$DOVECOT_SUBMISSION_PORT" ]; do
			DOVECOT_POP3_PORT=$(free_port)
		done
		protocols="$protocols pop3"
		pop3s_port=0
		if [ -n "${DOVECOT_TLS_DIR:-}" ]; then
			DOVECOT_POP3S_PORT=$(free_port) || e2e_die "setup: no free port"
			while [ "$DOVECOT_POP3S_PORT" = "$DOVECOT_IMAP_PORT" ] ||
			      [ "$DOVECOT_POP3S_PORT" = "$DOVECOT_SUBMISSION_PORT" ] ||
			      [ "$DOVECOT_POP3S_PORT" = "$DOVECOT_POP3_PORT" ]; do
				DOVECOT_POP3S_PORT=$(free_port)
			done
			pop3s_port=$DOVECOT_POP3S_PORT
		fi
	fi
	dovecot_24 && v24=1
	DOVECOT_IMAPS_PORT=
	if [ -n "${DOVECOT_TLS_DIR:-}" ]; then
		DOVECOT_IMAPS_PORT=$(dovecot_free_port) || e2e_die "setup: no free port"
		imaps_port=$DOVECOT_IMAPS_PORT
		if [ -n "$v24" ]; then
			ssl="ssl = yes
ssl_server_cert_file = $DOVECOT_TLS_DIR/server.pem
ssl_server_key_file = $DOVECOT_TLS_DIR/server-key.pem"
		else
			ssl="ssl = yes
ssl_cert = <$DOVECOT_TLS_DIR/server.pem
ssl_key = <$DOVECOT_TLS_DIR/server-key.pem"
		fi
		[ "${DOVECOT_SSL_REQUIRED:-}" != yes ] || ssl=${ssl/ssl = yes/ssl = required}
	fi
	DOVECOT_CONF="$d/dovecot.conf"
	DOVECOT_LOG="$d/dovecot.log"
	DOVECOT_AUTH_SOCKET="$d/run/auth-postfix"
	: >"$DOVECOT_LOG"

	# The token validation settings, the same in both versions but for the
	# CA file's name: 2.3 reads them as the passdb's args file, 2.4 includes
	# them in its oauth2 { } block.
	{
		echo "introspection_mode = post"
		echo "introspection_url = ${DOVECOT_INTROSPECT_URL:-http://127.0.0.1:$INTROSPECT_PORT/introspect}"
		if [ -n "${DOVECOT_OAUTH2_CA:-}" ]; then
			if [ -n "$v24" ]; then
				echo "ssl_client_ca_file = $DOVECOT_OAUTH2_CA"
			else
				echo "tls_ca_cert_file = $DOVECOT_OAUTH2_CA"
			fi
		fi
		echo "force_introspection = yes"
		echo "username_attribute = username"
		echo "active_attribute = active"
		echo "active_value = true"
	} >"$d/oauth2.conf"
	local head oauth2 userdb passwd= addr=address
	if [ -n "$v24" ]; then
		[ -z "${DOVECOT_PASSWD_FILE:-}" ] || passwd="passdb passwd-file {
  mechanisms_filter = plain login
  passwd_file_path = $DOVECOT_PASSWD_FILE
  default_password_scheme = PLAIN
}"
		addr=listen
		head="dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0"
		oauth2="auth_allow_cleartext = yes
mail_driver = maildir
mail_path = ~/Maildir
oauth2 {
  !include $d/oauth2.conf
}"
		userdb="userdb static {
  fields {
    uid = nobody
    gid = nogroup
    home = $d/home/%{user}
  }
}"
	else
		head=
		[ -z "${DOVECOT_PASSWD_FILE:-}" ] || passwd="passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u $DOVECOT_PASSWD_FILE
}"
		oauth2="disable_plaintext_auth = no
mail_location = maildir:~/Maildir
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $d/oauth2.conf
}"
		userdb="userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$d/home/%u
}"
	fi
	[ "${DOVECOT_POP3:-}" != yes ] || pop3="service pop3-login {
  inet_listener pop3 {
    $addr = 127.0.0.1
    port = $DOVECOT_POP3_PORT
  }
  inet_listener pop3s {
    $addr = 127.0.0.1
    port = $pop3s_port
  }
}"
	cat >"$DOVECOT_CONF" <<EOF
$head
# generated by tests/e2e/env.sh
base_dir = $d/run
state_dir = $d/state
instance_name = e2e-$(basename "$E2E_TMP")
protocols = $protocols
listen = 127.0.0.1
$ssl
auth_mechanisms = ${DOVECOT_AUTH_MECHS:-xoauth2 oauthbearer}
auth_failure_delay = 0
auth_verbose = yes
log_path = $DOVECOT_LOG
hostname = mail.e2e.test
submission_relay_host = 127.0.0.1
submission_relay_port = $SINK_PORT
submission_relay_trusted = yes
$oauth2
$passwd
$userdb
service imap-login {
  inet_listener imap {
    $addr = 127.0.0.1
    port = $DOVECOT_IMAP_PORT
  }
  inet_listener imaps {
    $addr = 127.0.0.1
    port = $imaps_port
  }
}
service submission-login {
  inet_listener submission {
    $addr = 127.0.0.1
    port = $DOVECOT_SUBMISSION_PORT
  }
}
$pop3
# no auth penalty (up to 15 s per failed login from one IP): the tests
# fail logins on purpose
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
	local err
	if ! err=$(doveconf -c "$DOVECOT_CONF" -n 2>&1 >/dev/null) || [ -n "$err" ]; then
		echo "$err" | sed 's/^/#   /'
		e2e_die "setup: doveconf rejected the generated dovecot.conf"
	fi
	e2e_bg "$d/dovecot.stderr" dovecot -F -c "$DOVECOT_CONF"
	DOVECOT_PID=$!
	if ! wait_port "$DOVECOT_IMAP_PORT" 15 || ! wait_port "$DOVECOT_SUBMISSION_PORT" 5 ||
	   { [ "$imaps_port" != 0 ] && ! wait_port "$imaps_port" 5; } ||
	   { [ -n "$pop3" ] && ! wait_port "$DOVECOT_POP3_PORT" 5; } ||
	   { [ "$pop3s_port" != 0 ] && ! wait_port "$pop3s_port" 5; }; then
		show_log "$d/dovecot.stderr" "dovecot stderr"
		show_log "$DOVECOT_LOG" "dovecot log"
		e2e_die "setup: dovecot did not start"
	fi
	wait_for 5 test -S "$DOVECOT_AUTH_SOCKET" || e2e_die "setup: dovecot auth socket missing"
}

# put_imap_message USER SUBJECT: a message in USER's Dovecot INBOX.
put_imap_message() {
	local md="$E2E_TMP/dovecot/home/$1/Maildir"
	mkdir -p "$md/cur" "$md/new" "$md/tmp"
	printf 'From: bob@example.net\nTo: %s\nSubject: %s\nMessage-ID: <%s@e2e.test>\n\nHello from the docs test.\n' \
		"$1" "$2" "$RANDOM.$$" >"$md/new/$(date +%s).M$RANDOM.docs"
	chown -R nobody:nogroup "$E2E_TMP/dovecot/home/$1"
}

# ----- mutt and neomutt ---------------------------------------------------

# mutt_run PROG BIN HOME MUTTRC SECONDS [VAR=VALUE...]: runs BIN (a mutt or
# neomutt) in a terminal (tmux) with HOME as its home, the build tree's
# plugin (SASL_PATH), the extra environment given, its debug log at level 5
# and `-e 'push <quit>'`, until it quits or SECONDS pass. Sets STATUS (its
# exit status, or "hang"), ELAPSED (seconds) and DEBUG_LOG; its last screen
# is left in HOME/screen.
mutt_run() {
	local prog=$1 bin=$2 home=$3 rc=$4 secs=$5 start=$SECONDS i args env_args=""
	local sock="$home/tmux.sock"
	shift 5
	for i in "$@"; do env_args="$env_args '$i'"; done
	mkdir -p "$home"
	rm -f "$home/exit"
	if [ "$prog" = neomutt ]; then
		args="-d 5 -l '$home/debug.log'" # it writes debug.log0
		DEBUG_LOG="$home/debug.log0"
	else
		args="-d 5" # mutt writes ~/.muttdebug0
		DEBUG_LOG="$home/.muttdebug0"
	fi
	tmux -S "$sock" new-session -d -x 160 -y 30 \
		"env HOME='$home' TERM=xterm SASL_PATH='$PLUGIN_DIR' $env_args \
		 '$bin' -n -F '$rc' $args -e 'push <quit>'; echo \$? >'$home/exit'; sleep 600" ||
		e2e_die "setup: tmux did not start"
	E2E_PIDS+=("$(tmux -S "$sock" display-message -p '#{pid}')")
	STATUS=hang
	for i in $(seq 1 $((secs * 5))); do
		if [ -s "$home/exit" ]; then STATUS=$(cat "$home/exit"); break; fi
		sleep 0.2
	done
	ELAPSED=$((SECONDS - start))
	tmux -S "$sock" capture-pane -p >"$home/screen" 2>/dev/null
	tmux -S "$sock" kill-server 2>/dev/null
}

# start_tls_dovecot: the e2e Dovecot with TLS (STARTTLS on IMAP and
# submission, IMAPS on DOVECOT_IMAPS_PORT) under a fresh test CA in CA_DIR,
# plus the introspection endpoint. Sets everything start_dovecot sets.
start_tls_dovecot() {
	CA_DIR="$E2E_TMP/ca"
	bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || e2e_die "setup: make-ca.sh failed"
	start_introspect
	DOVECOT_TLS_DIR=$CA_DIR start_dovecot
}

# ----- syslog capture ----------------------------------------------------

# with_syslog LOGFILE COMMAND...: runs COMMAND with its syslog(3) messages
# captured in LOGFILE. imtest and smtptest register no SASL log callback, so
# libsasl2 (and so the plugin's utils->log) writes to syslog. The command
# runs in a private mount namespace whose /dev is a fresh tmpfs holding the
# usual device nodes and a /dev/log that leads to syslogd.js; the host's
# /dev is untouched. Returns the command's exit status. If mount namespaces
# are unavailable, runs COMMAND as is and sets SYSLOG_CAPTURE=no.
SYSLOG_CAPTURE=
with_syslog() {
	local log=$1; shift
	if [ -z "$SYSLOG_CAPTURE" ]; then
		if unshare -m --propagation private true 2>/dev/null; then
			SYSLOG_CAPTURE=yes
		else
			SYSLOG_CAPTURE=no
		fi
	fi
	if [ "$SYSLOG_CAPTURE" = no ]; then
		: >"$log"
		"$@"
		return
	fi
	local ns; ns=$(mktemp -d "$E2E_TMP/syslog.XXXXXX")
	"$NODE" "$E2E_DIR/syslogd.js" "$ns/sock" "$log" >"$ns/syslogd.out" 2>&1 &
	local spid=$!
	E2E_PIDS+=("$spid")
	wait_for 5 test -S "$ns/sock" || { not_ok "syslog capture did not start"; return 1; }
	local rc=0
	unshare -m --propagation private -- bash -c '
		ns=$1; shift
		mkdir -p "$ns/olddev"
		mount --rbind /dev "$ns/olddev" 2>/dev/null || exit 125
		mount -t tmpfs -o mode=755 e2e-dev /dev 2>/dev/null || exit 125
		for n in null zero full random urandom tty; do
			[ -e "$ns/olddev/$n" ] || continue
			: >"/dev/$n" && mount --bind "$ns/olddev/$n" "/dev/$n"
		done
		ln -s /proc/self/fd /dev/fd
		ln -s /proc/self/fd/0 /dev/stdin
		ln -s /proc/self/fd/1 /dev/stdout
		ln -s /proc/self/fd/2 /dev/stderr
		mkdir /dev/shm /dev/pts
		ln -s "$ns/sock" /dev/log
		exec "$@"
	' e2e-syslog "$ns" "$@" || rc=$?
	sleep 0.2 # let syslogd.js write what it has received
	kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
	if [ $rc = 125 ] && [ ! -s "$log" ]; then
		# the namespace could not be set up (the command did not run):
		# run it without capture
		SYSLOG_CAPTURE=no
		"$@"
		return
	fi
	return $rc
}

# ----- Postfix pair ------------------------------------------------------

# pf_master_cf DIR SMTPD_PORT: a master.cf without chroot.
pf_master_cf() {
	cat >"$1/master.cf" <<EOF
# generated by tests/e2e/env.sh (chroot = n everywhere)
127.0.0.1:$2 inet n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
EOF
}

# pf_common_main_cf DIR NAME: main.cf settings shared by both instances.
pf_common_main_cf() {
	local dir=$1 name=$2
	cat <<EOF
# generated by tests/e2e/env.sh
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = $name.e2e.test
mydomain = e2e.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps =
biff = no
syslog_name = postfix-e2e-$name
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
smtp_connect_timeout = 5s
smtp_helo_timeout = 10s
delay_warning_time = 0
queue_run_delay = 300s
minimal_backoff_time = 300s
maximal_backoff_time = 600s
EOF
}

# pf_start DIR: starts a private instance (config in DIR/etc, queue in
# DIR/queue), records it for stop_all. Postfix's own checks run at start.
pf_start() {
	local dir=$1
	mkdir -p "$dir/queue" "$dir/data"
	chown postfix "$dir/data"
	: >"$dir/maillog"
	E2E_POSTFIX_DIRS+=("$dir")
	if ! postfix -c "$dir/etc" start >"$dir/start.out" 2>&1; then
		show_log "$dir/start.out" "postfix start"
		show_log "$dir/maillog" "maillog"
		e2e_die "setup: postfix start failed for $dir"
	fi
}

# start_postfix_pair USER SECRET [CHROOT_SECRET]: a receiving Postfix
# (smtpd on PF_RECV_PORT requiring SASL through Dovecot's auth socket;
# virtual maildirs under PF_RECV_DIR/vmail) and a sending Postfix (smtpd on
# PF_CLIENT_PORT for injection from 127.0.0.1 without auth) relaying
# everything to the receiver, authenticating as USER with SECRET through
# the build tree's plugin. The recipient picks the client's smtp transport:
#   bob@example.net    smtp              XOAUTH2 only
#   carol@example.net  smtp-oauthbearer  OAUTHBEARER only
#   dave@example.net   smtp-chroot       XOAUTH2, chrooted to the client's
#                                        queue directory, secret CHROOT_SECRET
#                                        (a path as seen inside the chroot)
# The receiver offers STARTTLS (certificate from make-ca.sh in PF_CA_DIR);
# the client requires it and, as docs/postfix.md says, allows the OAuth
# mechanisms (plaintext credentials in libsasl2's sense) on TLS only:
# smtp_sasl_tls_security_options = noanonymous, smtp_sasl_security_options
# left at its default (noplaintext, noanonymous).
# Logs: PF_CLIENT_LOG, PF_RECV_LOG. Needs start_dovecot first.
start_postfix_pair() {
	local user=$1 secret=$2 chroot_secret=${3:-$2}
	command -v postfix >/dev/null 2>&1 || e2e_die "setup: postfix is not installed"
	[ -n "${DOVECOT_AUTH_SOCKET:-}" ] || e2e_die "setup: start_dovecot must run first"
	PF_RECV_DIR="$E2E_TMP/pf-receiver"
	PF_CLIENT_DIR="$E2E_TMP/pf-client"
	mkdir -p "$PF_RECV_DIR/etc" "$PF_CLIENT_DIR/etc"
	PF_RECV_PORT=$(free_port) || e2e_die "setup: no free port"
	PF_CLIENT_PORT=$(free_port) || e2e_die "setup: no free port"
	while [ "$PF_CLIENT_PORT" = "$PF_RECV_PORT" ]; do PF_CLIENT_PORT=$(free_port); done
	PF_RECV_LOG="$PF_RECV_DIR/maillog"
	PF_CLIENT_LOG="$PF_CLIENT_DIR/maillog"
	PF_RECV_VMAIL="$PF_RECV_DIR/vmail"
	mkdir -p "$PF_RECV_VMAIL"
	chown nobody:nogroup "$PF_RECV_VMAIL"
	local nexthop="[127.0.0.1]:$PF_RECV_PORT"
	PF_CA_DIR="$E2E_TMP/pf-ca"
	bash "$E2E_DIR/make-ca.sh" "$PF_CA_DIR" >/dev/null || e2e_die "setup: make-ca.sh failed"

	# receiver
	{
		pf_common_main_cf "$PF_RECV_DIR" receiver
		cat <<EOF
mynetworks = 192.0.2.0/24
smtp_tls_security_level = none
smtpd_tls_security_level = may
smtpd_tls_chain_files = $PF_CA_DIR/server-key.pem, $PF_CA_DIR/server.pem
smtpd_tls_received_header = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DOVECOT_AUTH_SOCKET
smtpd_sasl_security_options = noanonymous
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
virtual_mailbox_domains = example.net
virtual_mailbox_base = $PF_RECV_VMAIL
virtual_mailbox_maps = inline:{ bob@example.net=bob/, carol@example.net=carol/, dave@example.net=dave/ }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
EOF
	} >"$PF_RECV_DIR/etc/main.cf"
	pf_master_cf "$PF_RECV_DIR/etc" "$PF_RECV_PORT"

	# sending client
	{
		pf_common_main_cf "$PF_CLIENT_DIR" client
		cat <<EOF
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = $nexthop
transport_maps = inline:{ carol@example.net=smtp-oauthbearer:$nexthop, dave@example.net=smtp-chroot:$nexthop }
smtpd_tls_security_level = none
smtp_tls_security_level = encrypt
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = inline:{ { $nexthop = $user:$secret } }
smtp_sasl_mechanism_filter = xoauth2
smtp_sasl_tls_security_options = noanonymous
# one delivery per smtp process and no cached sessions: every message gets
# a fresh login
max_use = 1
smtp_connection_cache_on_demand = no
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C POSTLOG_SERVICE POSTLOG_HOSTNAME SASL_PATH=$PLUGIN_DIR
EOF
	} >"$PF_CLIENT_DIR/etc/main.cf"
	pf_master_cf "$PF_CLIENT_DIR/etc" "$PF_CLIENT_PORT"
	cat >>"$PF_CLIENT_DIR/etc/master.cf" <<EOF
smtp-oauthbearer unix - - n - - smtp
  -o syslog_name=postfix-e2e-client/smtp-oauthbearer
  -o smtp_sasl_mechanism_filter=oauthbearer
smtp-chroot unix - - y - - smtp
  -o syslog_name=postfix-e2e-client/smtp-chroot
  -o { smtp_sasl_password_maps = inline:{ { $nexthop = $user:$chroot_secret } } }
EOF

	pf_start "$PF_RECV_DIR"
	pf_start "$PF_CLIENT_DIR"
	wait_port "$PF_RECV_PORT" 10 || e2e_die "setup: receiving postfix smtpd not listening"
	wait_port "$PF_CLIENT_PORT" 10 || e2e_die "setup: sending postfix smtpd not listening"
}

# postfix_plugin_conf FILE QUEUE [LINE...]: the sending Postfix's plugin
# config in FILE (read at plugin init, outside the chroot; mode 0644):
# chroot_dir QUEUE, the test CA, short timeouts, then each LINE.
postfix_plugin_conf() {
	local file=$1 queue=$2
	shift 2
	{
		echo "# sending Postfix's plugin config ($(basename "$0"))"
		echo "ca_bundle = $CA_DIR/ca.pem"
		echo "chroot_dir = $queue"
		echo "connect_timeout = 2"
		echo "timeout = 10"
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$file"
	chmod 644 "$file"
}

# postfix_client_env QUEUE CONF: after start_postfix_pair, checks that the
# sending instance's queue (its smtp chroot) is QUEUE, sets PCONF to its
# config directory and hands its smtp processes SASL_OAUTH2_CONF=CONF the
# way SASL_PATH is: only master applies import_environment (when it starts;
# daemons inherit its environment and "postfix reload" does not redo it),
# so the instance is restarted.
postfix_client_env() {
	local queue=$1 conf=$2 imp
	[ "$PF_CLIENT_DIR/queue" = "$queue" ] ||
		e2e_die "setup: client queue is $PF_CLIENT_DIR/queue, expected $queue"
	PCONF="$PF_CLIENT_DIR/etc"
	imp=$(postconf -c "$PCONF" -h import_environment)
	postconf -c "$PCONF" -e "import_environment = $imp SASL_OAUTH2_CONF=$conf" ||
		e2e_die "setup: postconf -e import_environment failed"
	postfix -c "$PCONF" stop >"$PF_CLIENT_DIR/stop.out" 2>&1 || e2e_die "setup: postfix stop failed"
	postfix -c "$PCONF" start >"$PF_CLIENT_DIR/start.out" 2>&1 || {
		show_log "$PF_CLIENT_DIR/start.out" "postfix start"; e2e_die "setup: postfix restart failed"; }
	wait_port "$PF_CLIENT_PORT" 10 ||
		e2e_die "setup: sending postfix smtpd not listening after the restart"
}

# ----- teardown ----------------------------------------------------------

stop_all() {
	local rc=$? d p i
	for d in "${E2E_POSTFIX_DIRS[@]}"; do
		postfix -c "$d/etc" stop >/dev/null 2>&1 || true
	done
	for d in "${E2E_POSTFIX_DIRS[@]}"; do
		# master exits asynchronously; make sure it is gone
		p=$(sed -n 's/ //gp;1q' "$d/queue/pid/master.pid" 2>/dev/null)
		[ -n "$p" ] || continue
		for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	E2E_POSTFIX_DIRS=()
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${E2E_PIDS[@]}"; do
		for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	E2E_PIDS=()
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "$rc" = 0 ] && [ "$E2E_FAILS" = 0 ] && [ -z "${E2E_KEEP:-}" ]; then
			rm -rf "$E2E_TMP"
		else
			echo "# kept $E2E_TMP for inspection"
		fi
	fi
	return $rc
}

# e2e_finish: prints the tally and exits (0 only if nothing failed).
e2e_finish() {
	echo "# $(basename "$0"): $E2E_PASSES passed, $E2E_FAILS failed"
	[ "$E2E_FAILS" = 0 ]
	exit $?
}

# ----- mbsync -------------------------------------------------------------

# mbsync_conf NAME PORT MECH TLS PASSLINE: $E2E_TMP/NAME/mbsyncrc syncing
# AUTH_USER's INBOX at 127.0.0.1:PORT into $E2E_TMP/NAME/Mail with
# AuthMechs MECH; TLS is None or STARTTLS (CertificateFile is CA_DIR's CA
# when set); PASSLINE is "Pass SECRET" or "PassCmd ...". isync 1.5 (Debian
# 13) renamed SSLType to TLSType and warns about the old name; isync 1.4
# (Debian 12) knows only SSLType.
mbsync_conf() {
	local dir="$E2E_TMP/$1" key=TLSType v
	v=$(mbsync --version 2>/dev/null | awk '{print $2}')
	[ "$(printf '%s\n' 1.5 "$v" | sort -V | head -n 1)" = 1.5 ] || key=SSLType
	mkdir -p "$dir/Mail"
	cat >"$dir/mbsyncrc" <<EOF
IMAPAccount t
Host 127.0.0.1
Port $2
User $AUTH_USER
$5
AuthMechs $3
$key $4
${CA_DIR:+CertificateFile $CA_DIR/ca.pem}

IMAPStore t-remote
Account t

MaildirStore t-local
Path $dir/Mail/
Inbox $dir/Mail/INBOX

Channel t
Far :t-remote:
Near :t-local:
Patterns INBOX
Create Near
SyncState *
EOF
}

# ----- Cyrus test clients (imtest, smtptest) -----------------------------

# run_cyrus_client OUT SYSLOG PROG PORT MECH USER SECRET [INPUT]: runs
# imtest/smtptest against 127.0.0.1:PORT with the build tree's plugin
# (SASL_PATH), stdout+stderr to OUT, its syslog (where libsasl2 sends the
# plugin's log lines: these clients register no log callback) to SYSLOG.
# INPUT (a file, default none) is sent after authentication.
# `-o log_level=3` makes libsasl2 pass SASL_LOG_WARN lines to syslog at all:
# for client connections it drops everything above its log_level option,
# which defaults to SASL_LOG_ERR.
run_cyrus_client() {
	local out=$1 sys=$2 prog=$3 port=$4 mech=$5 user=$6 secret=$7 input=${8:-/dev/null}
	with_syslog "$sys" env SASL_PATH="$PLUGIN_DIR" timeout 20 \
		"$prog" -p "$port" -m "$mech" -a "$user" -w "$secret" -o log_level=3 127.0.0.1 \
		<"$input" >"$out" 2>&1
}

# client_ir OUT: the base64 initial response the client sent on its
# AUTHENTICATE/AUTH line, or, when the line had none (withheld: too long
# for it), right after the server's empty challenge; decoded, with \x01
# shown as '^A'.
client_ir() {
	awk '
		/^C: (A01 AUTHENTICATE|AUTH) [A-Z0-9_-]+ [A-Za-z0-9+\/=]+\r?$/ {
			sub(/\r$/, ""); print $NF; exit }
		/^C: (A01 AUTHENTICATE|AUTH) [A-Z0-9_-]+\r?$/ { bare = 1; next }
		bare && /^S: (\+|334) ?\r?$/ { empty = 1; next }
		bare && empty && /^C: / { sub(/\r$/, ""); print $2; exit }
	' "$1" | base64 -d 2>/dev/null | sed 's/\x01/^A/g'
}

# ir_withheld OUT: the client sent its AUTH/AUTHENTICATE line without an
# initial response.
ir_withheld() {
	grep -qE '^C: (A01 AUTHENTICATE|AUTH) [A-Z0-9_-]+'$'\r''?$' "$1"
}

# server_challenge OUT: the first server challenge ("+ b64" / "334 b64"), decoded.
server_challenge() {
	sed -n -E 's/^S: (\+|334) ([A-Za-z0-9+\/=]+)\r?$/\2/p' "$1" | head -n1 | base64 -d 2>/dev/null
}

# client_reply_after_challenge OUT: the line the client sent right after the
# server's challenge, without "C: " (empty for an empty response); fails if
# the client sent nothing there.
client_reply_after_challenge() {
	awk '
		found && /^C: ?/ { sub(/^C: ?/, ""); sub(/\r$/, ""); print; ok = 1; exit }
		found && /^S: / { exit }
		/^S: (\+|334) [A-Za-z0-9+\/=]+\r?$/ { found = 1 }
		END { exit !ok }
	' "$1"
}

# plugin_warnings SYSLOG: the plugin's lines logged at warning level.
plugin_warnings() {
	grep -E '^warning .*sasl-oauth2' "$1" 2>/dev/null
}

# Shared checks for imtest/smtptest against Dovecot. The caller sets:
#   CLIENT_PROG   imtest or smtptest          CLIENT_PORT  Dovecot's port
#   CLIENT_NAME   "imtest" / "smtptest"       LOGIN_SVC    imap-login / submission-login
#   AUTH_OK_RE    server's success reply      AUTH_NO_RE   server's failure reply
#   AUTH_USER     the account
# Each leaves the client's output in $E2E_TMP/NAME.out for further checks.

# expect_auth_ok NAME MECH SECRET EXPECTED_IR [INPUT]: the client must
# authenticate; EXPECTED_IR is the decoded initial response (\x01 as ^A).
expect_auth_ok() {
	local name=$1 mech=$2 secret=$3 want_ir=$4 input=${5:-/dev/null}
	local out="$E2E_TMP/$name.out" sys="$E2E_TMP/$name.syslog"
	local before after good=1
	before=$(introspect_count)
	run_cyrus_client "$out" "$sys" "$CLIENT_PROG" "$CLIENT_PORT" "$mech" "$AUTH_USER" "$secret" "$input"
	after=$(introspect_count)
	if grep -q '^Authenticated\.' "$out"; then
		ok "$name: $CLIENT_NAME says Authenticated."
	else
		not_ok "$name: $CLIENT_NAME says Authenticated."; good=0
	fi
	check "$name: server accepted the login" grep -qE "^S: $AUTH_OK_RE" "$out"
	local ir; ir=$(client_ir "$out")
	if [ "$ir" = "$want_ir" ]; then
		ok "$name: initial response on the wire is exactly the $mech format"
	else
		not_ok "$name: initial response on the wire is exactly the $mech format"
		echo "#   got:  $(echo "$ir" | sed -E 's/Bearer [^^]*/Bearer <token>/')"
		echo "#   want: $(echo "$want_ir" | sed -E 's/Bearer [^^]*/Bearer <token>/')"
		good=0
	fi
	check "$name: no error challenge was needed" test -z "$(server_challenge "$out")"
	check "$name: dovecot logged the $mech login" \
		grep -qE "$(dovecot_login_re "$LOGIN_SVC" "$AUTH_USER" "$mech")" "$DOVECOT_LOG"
	check "$name: the endpoint introspected the token once" test "$after" = $((before + 1))
	check "$name: the plugin logged no warning" test -z "$(plugin_warnings "$sys")"
	[ $good = 1 ] || show_log "$out" "$CLIENT_NAME output"
}

# expect_auth_rejected NAME MECH SECRET WANT_STATUS WANT_REPLY: the server
# must reject the token with its JSON error challenge (status WANT_STATUS),
# the client must answer it with WANT_REPLY (base64 as the client prints it:
# "" for XOAUTH2's empty response, "AQ==" for OAUTHBEARER's \x01), and the
# plugin must log one warning about it.
expect_auth_rejected() {
	local name=$1 mech=$2 secret=$3 want_status=$4 want_reply=$5
	local out="$E2E_TMP/$name.out" sys="$E2E_TMP/$name.syslog"
	local pat; pat=$(dovecot_fail_re "$AUTH_USER" "$mech")
	local fails_before fails_after bad=0
	fails_before=$(grep -cE "$pat" "$DOVECOT_LOG")
	run_cyrus_client "$out" "$sys" "$CLIENT_PROG" "$CLIENT_PORT" "$mech" "$AUTH_USER" "$secret"
	if grep -q '^Authenticated\.' "$out"; then
		not_ok "$name: $CLIENT_NAME must not authenticate"; bad=1
	else
		ok "$name: $CLIENT_NAME did not authenticate"
	fi
	check "$name: $CLIENT_NAME reports Authentication failed" grep -q '^Authentication failed' "$out"
	check "$name: server failed the exchange" grep -qE "^S: $AUTH_NO_RE" "$out"
	local chal; chal=$(server_challenge "$out")
	if echo "$chal" | grep -q "\"status\":\"$want_status\""; then
		ok "$name: server sent its JSON error challenge (status $want_status)"
	else
		not_ok "$name: server sent its JSON error challenge (status $want_status): got '$chal'"; bad=1
	fi
	local reply
	if reply=$(client_reply_after_challenge "$out") && [ "$reply" = "$want_reply" ]; then
		ok "$name: client answered the error challenge with '${want_reply:-<empty>}'"
	else
		not_ok "$name: client answered the error challenge with '${want_reply:-<empty>}' (got '${reply-<nothing>}')"; bad=1
	fi
	fails_after=$(grep -cE "$pat" "$DOVECOT_LOG")
	check "$name: dovecot logged one failed $mech login" \
		test "$fails_after" = $((fails_before + 1))
	check "$name: dovecot saw no aborted exchange (client did not cancel)" \
		bash -c '! grep -q "auth aborted" "$1"' _ "$DOVECOT_LOG"
	check "$name: dovecot logged the introspection rejecting the token" \
		grep -q "($AUTH_USER,127.0.0.1,.*Introspection failed: Provided token is not valid" "$DOVECOT_LOG"
	if [ "$SYSLOG_CAPTURE" = yes ]; then
		local w n tok
		w=$(plugin_warnings "$sys")
		n=$(printf '%s' "$w" | grep -c .)
		check "$name: the plugin logged exactly one warning" test "$n" = 1
		check "$name: the warning says the server rejected the token" \
			grep -q 'rejected the token' <<<"$w"
		check "$name: the warning carries the server's status ($want_status)" \
			grep -q "status $want_status" <<<"$w"
		# the token itself: the secret, or the access_token in the file
		tok=$secret
		[ "${secret:0:1}" != / ] || tok=$(sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' "$secret")
		check "$name: the warning does not contain the token" \
			bash -c '! grep -qF -- "$1" <<<"$2"' _ "$tok" "$w"
		e2e_note "$name: plugin warning: $(redact <(echo "$w"))"
	else
		skip "$name: plugin warning: cannot capture syslog here (no mount namespaces)"
	fi
	[ $bad = 0 ] || show_log "$out" "$CLIENT_NAME output"
}

# maildir_find SUBJECT DIR: the delivered messages under DIR with that
# Subject. Only new/ counts: a file in tmp/ is still being written and is
# renamed away, so reading it races the delivery agent.
maildir_find() {
	find "$2" -path '*/new/*' -type f -exec grep -lsF "Subject: $1" {} +
}
