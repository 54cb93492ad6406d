# Mail clients driving the build tree's plugin, and what they sent.
#
#   run_cyrus_client OUT SYSLOG PROG PORT MECH USER SECRET [INPUT]   imtest,
#                               smtptest, pop3test ($IMTEST, $SMTPTEST, $POP3TEST)
#   with_syslog LOGFILE COMMAND...   COMMAND's syslog(3) lines in LOGFILE
#   client_ir, ir_withheld, server_challenge, client_reply_after_challenge OUT
#   plugin_warnings SYSLOG
#   expect_auth_ok, expect_auth_rejected   the imtest/smtptest checks
#   mbsync_conf, mutt_run, maildir_find

[ -z "${_TESTLIB_CLIENTS:-}" ] || return 0
_TESTLIB_CLIENTS=1
. "${BASH_SOURCE[0]%/*}/servers.sh"
. "${BASH_SOURCE[0]%/*}/dovecot.sh"

IMTEST=${IMTEST:-/usr/lib/cyrus/bin/imtest}
SMTPTEST=${SMTPTEST:-/usr/lib/cyrus/bin/smtptest}
POP3TEST=${POP3TEST:-/usr/lib/cyrus/bin/pop3test}


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
		note "$name: plugin warning: $(redact <(echo "$w"))"
	else
		skip "$name: plugin warning: cannot capture syslog here (no mount namespaces)"
	fi
	[ $bad = 0 ] || show_log "$out" "$CLIENT_NAME output"
}

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
		bail "setup: tmux did not start"
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

# maildir_find SUBJECT DIR: the delivered messages under DIR with that
# Subject. Only new/ counts: a file in tmp/ is still being written and is
# renamed away, so reading it races the delivery agent.
maildir_find() {
	find "$2" -path '*/new/*' -type f -exec grep -lsF "Subject: $1" {} +
}
