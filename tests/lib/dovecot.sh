# A private Dovecot validating XOAUTH2/OAUTHBEARER tokens (2.3 on Debian 12,
# 2.4 on Debian 13), and reading its log.
#
#   start_dovecot, start_tls_dovecot    (see below for the settings)
#   dovecot_24, dovecot_login_re, dovecot_fail_re, dovecot_count ERE,
#   DOVECOT_BROKEN_RE, dovecot_tls_logins SERVICE USER MECH
#   put_imap_message USER SUBJECT

[ -z "${_TESTLIB_DOVECOT:-}" ] || return 0
_TESTLIB_DOVECOT=1
. "${BASH_SOURCE[0]%/*}/servers.sh"

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
	DOVECOT_IMAP_PORT=$(free_port) || bail "setup: no free port"
	DOVECOT_SUBMISSION_PORT=$(free_port) || bail "setup: no free port"
	while [ "$DOVECOT_SUBMISSION_PORT" = "$DOVECOT_IMAP_PORT" ]; do
		DOVECOT_SUBMISSION_PORT=$(free_port)
	done
	local ssl="ssl = no" imaps_port=0 v24= protocols="imap submission" pop3= pop3s_port=0
	if [ "${DOVECOT_POP3:-}" = yes ]; then
		DOVECOT_POP3_PORT=$(free_port) || bail "setup: no free port"
		while [ "$DOVECOT_POP3_PORT" = "$DOVECOT_IMAP_PORT" ] ||
		      [ "$DOVECOT_POP3_PORT" = "$DOVECOT_SUBMISSION_PORT" ]; do
			DOVECOT_POP3_PORT=$(free_port)
		done
		protocols="$protocols pop3"
		pop3s_port=0
		if [ -n "${DOVECOT_TLS_DIR:-}" ]; then
			DOVECOT_POP3S_PORT=$(free_port) || bail "setup: no free port"
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
		DOVECOT_IMAPS_PORT=$(dovecot_free_port) || bail "setup: no free port"
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
# generated by tests/lib/dovecot.sh
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
		bail "setup: doveconf rejected the generated dovecot.conf"
	fi
	e2e_bg "$d/dovecot.stderr" dovecot -F -c "$DOVECOT_CONF"
	DOVECOT_PID=$!
	if ! wait_port "$DOVECOT_IMAP_PORT" 15 || ! wait_port "$DOVECOT_SUBMISSION_PORT" 5 ||
	   { [ "$imaps_port" != 0 ] && ! wait_port "$imaps_port" 5; } ||
	   { [ -n "$pop3" ] && ! wait_port "$DOVECOT_POP3_PORT" 5; } ||
	   { [ "$pop3s_port" != 0 ] && ! wait_port "$pop3s_port" 5; }; then
		show_log "$d/dovecot.stderr" "dovecot stderr"
		show_log "$DOVECOT_LOG" "dovecot log"
		bail "setup: dovecot did not start"
	fi
	wait_for 5 test -S "$DOVECOT_AUTH_SOCKET" || bail "setup: dovecot auth socket missing"
}

# start_tls_dovecot: the e2e Dovecot with TLS (STARTTLS on IMAP and
# submission, IMAPS on DOVECOT_IMAPS_PORT) under a fresh test CA in CA_DIR,
# plus the introspection endpoint. Sets everything start_dovecot sets.
start_tls_dovecot() {
	CA_DIR="$E2E_TMP/ca"
	bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || bail "setup: make-ca.sh failed"
	start_introspect
	DOVECOT_TLS_DIR=$CA_DIR start_dovecot
}

# put_imap_message USER SUBJECT: a message in USER's Dovecot INBOX.
put_imap_message() {
	local md="$E2E_TMP/dovecot/home/$1/Maildir"
	mkdir -p "$md/cur" "$md/new" "$md/tmp"
	printf 'From: bob@example.net\nTo: %s\nSubject: %s\nMessage-ID: <%s@e2e.test>\n\nHello from the docs test.\n' \
		"$1" "$2" "$RANDOM.$$" >"$md/new/$(date +%s).M$RANDOM.docs"
	chown -R nobody:nogroup "$E2E_TMP/dovecot/home/$1"
}

# dovecot_tls_logins SERVICE USER MECH: how many logins over TLS Dovecot's
# SERVICE (imap-login, submission-login) logged for USER with MECH.
dovecot_tls_logins() {
	grep -cE "$(dovecot_login_re "$1" "$2" "$3"), .*, TLS, " "$DOVECOT_LOG" 2>/dev/null || true
}
