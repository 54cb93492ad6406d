# The node test servers, each on a free loopback port, stopped by stop_all:
#
#   start_introspect            token introspection endpoint (introspect.js):
#                               INTROSPECT_PORT, TOKENS_FILE; add_token TOKEN
#                               USER; introspect_count
#   start_saslserver            IMAP/SMTP/POP3 that take any line or refuse
#                               long ones (saslserver.js); ss_count, ss_expect
#   start_sink                  an SMTP sink (Dovecot submission's relay)
#   start_authserver [ARGS...]  OAuth2 server over HTTPS (authserver.js):
#                               AUTH_PORT, AUTH_URL, CA_DIR; auth_admin METHOD PATH
#                               [JSON]; auth_stat KEY; token_requests;
#                               reset_stats

[ -z "${_TESTLIB_SERVERS:-}" ] || return 0
_TESTLIB_SERVERS=1
. "${BASH_SOURCE[0]%/*}/harness.sh"
. "${BASH_SOURCE[0]%/*}/json.sh"

# start_introspect: sets INTROSPECT_PORT, TOKENS_FILE (token -> user map,
# re-read on every request), INTROSPECT_LOG.
start_introspect() {
	INTROSPECT_PORT=$(free_port) || bail "setup: no free port"
	TOKENS_FILE="$E2E_TMP/introspect-tokens.json"
	INTROSPECT_LOG="$E2E_TMP/introspect.log"
	echo '{}' >"$TOKENS_FILE"
	e2e_bg "$INTROSPECT_LOG" "$NODE" "$E2E_DIR/introspect.js" "$INTROSPECT_PORT" "$TOKENS_FILE"
	wait_port "$INTROSPECT_PORT" 10 || { show_log "$INTROSPECT_LOG" introspect; bail "setup: introspection endpoint did not start"; }
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

# start_saslserver: saslserver.js checking tokens at the introspection
# endpoint (start_introspect first), with IMAP on SS_IMAP_PORT (lines of any
# length), SMTP on SS_SMTP_PORT refusing command lines over 512 octets as
# Gmail does, SMTP on SS_SMTP_ANY_PORT taking any length, POP3 on
# SS_POP_PORT refusing lines over 255 (RFC 2449). Messages land in SS_DIR;
# SS_LOG has one line per authentication (see saslserver.js).
start_saslserver() {
	SS_IMAP_PORT=$(free_port) && SS_SMTP_PORT=$(free_port) && SS_SMTP_ANY_PORT=$(free_port) &&
		SS_POP_PORT=$(free_port) || bail "setup: no free port"
	SS_DIR="$E2E_TMP/saslserver-mail"
	SS_LOG="$E2E_TMP/saslserver.log"
	e2e_bg "$SS_LOG" "$NODE" "$E2E_DIR/saslserver.js" "$INTROSPECT_PORT" "$SS_DIR" \
		"imap:$SS_IMAP_PORT" "smtp:$SS_SMTP_PORT:512" "smtp:$SS_SMTP_ANY_PORT" "pop:$SS_POP_PORT:255"
	local p
	for p in "$SS_IMAP_PORT" "$SS_SMTP_PORT" "$SS_SMTP_ANY_PORT" "$SS_POP_PORT"; do
		wait_port "$p" 10 || { show_log "$SS_LOG" saslserver; bail "setup: saslserver.js did not start"; }
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

# start_sink: sets SINK_PORT, SINK_DIR (one file per message received).
start_sink() {
	SINK_PORT=$(free_port) || bail "setup: no free port"
	SINK_DIR="$E2E_TMP/sink"
	e2e_bg "$E2E_TMP/sink.log" "$NODE" "$E2E_DIR/smtpsink.js" "$SINK_PORT" "$SINK_DIR"
	wait_port "$SINK_PORT" 10 || bail "setup: SMTP sink did not start"
}

start_authserver() {
	ensure_node_deps
	CA_DIR="$E2E_TMP/ca"
	bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || bail "setup: make-ca.sh failed"
	AUTH_PORT=$(free_port) || bail "setup: no free port"
	AUTH_URL="https://127.0.0.1:$AUTH_PORT"
	AUTH_LOG="$E2E_TMP/authserver.log"
	e2e_bg "$AUTH_LOG" "$NODE" "$E2E_DIR/authserver.js" "$AUTH_PORT" --tls-dir "$CA_DIR" "$@"
	wait_port "$AUTH_PORT" 15 || { show_log "$AUTH_LOG" authserver; bail "setup: authserver did not start"; }
}

# auth_admin METHOD PATH [JSON]: an admin call to the authserver; prints the body.
auth_admin() {
	curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 -X "$1" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$AUTH_URL$2"
}

auth_stat() {
	auth_admin GET /admin/stats | "$NODE" -e '
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => console.log(JSON.parse(b)[process.argv[1]]));' "$1"
}

# token_requests: the token requests the authserver has answered.
token_requests() { auth_stat token_requests; }
reset_stats() { auth_admin POST /admin/reset-stats >/dev/null; }
