# Helpers for the multi-process refresh tests (test_concurrency.sh, test_crash.sh,
# tests/bench/refresh_storm.sh): a private authserver.js over HTTPS with a
# throwaway CA, token files, many tests/tools/sasl_auth processes.
#
#   rf_setup NAME               temp dir $RF_TMP, plugin dir $RF_PLUGINS,
#                               config $SASL_OAUTH2_CONF, CA $RF_CA/ca.pem,
#                               cleanup trap
#   rf_start_authserver ARGS... authserver.js on a free port: $RF_PORT,
#                               $RF_URL, $RF_AS_LOG (its stderr)
#   rf_api METHOD PATH [JSON]   talks to it (admin endpoints)
#   rf_stat NAME                one /admin/stats counter
#   rf_seed TTL                 a new grant for $RF_USER: sets $RF_SEED_RT,
#                               $RF_SEED_AT, $RF_SEED_EXP
#   rf_write_token_file PATH ACCESS_TOKEN EXPIRES_AT REFRESH_TOKEN
#   rf_tok CMD PATH ...         tokfile.js (rf_tokd: the same, one process)
#   rf_auth MECH TOKFILE        one sasl_auth (sets the fault shim if any)
#   rf_bg                       records "$!" for the cleanup trap
#
# FAULT=nolock|norename|inplace (see fault_shim.c) runs every sasl_auth with
# a guarantee of the token store broken on purpose: the test must then fail.

[ -z "${_TESTLIB_MULTIPROC:-}" ] || return 0
_TESTLIB_MULTIPROC=1
. "${BASH_SOURCE[0]%/*}/tap.sh"
. "${BASH_SOURCE[0]%/*}/tree.sh"
. "${BASH_SOURCE[0]%/*}/net.sh"
. "${BASH_SOURCE[0]%/*}/json.sh"

SASL_AUTH=${SASL_AUTH:-$BUILDDIR/tests/tools/sasl_auth}
RF_USER=alice@example.com
RF_CLIENT_ID=test-client
RF_PIDS=()
RF_TMP=
RF_PRELOAD=

rf_cleanup() {
	local p
	for p in "${RF_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${RF_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	# Background sasl_auth processes are children of this shell: stop any
	# still running (by pid, from jobs -p; they are ours).
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "$RF_TMP" ] && [ "$TESTS_FAILED" -eq 0 ] && [ -z "${KEEP_TMP:-}" ]; then
		rm -rf "$RF_TMP"
	elif [ -n "$RF_TMP" ]; then
		echo "# kept $RF_TMP" >&2
	fi
}

rf_bg() { RF_PIDS+=("$!"); }

# rf_setup NAME
rf_setup() {
	trap rf_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local c
	for c in "$NODE" curl openssl; do
		command -v "$c" >/dev/null 2>&1 || bail "setup: $c is not installed"
	done
	[ -x "$SASL_AUTH" ] || bail "setup: $SASL_AUTH missing (make check-programs)"
	[ -f "$PLUGIN_SO" ] || bail "setup: $PLUGIN_SO missing (make)"
	if [ ! -d "$E2E_DIR/node_modules/oauth2-mock-server" ]; then
		npm ci --prefix "$E2E_DIR" --no-audit --no-fund >/dev/null 2>&1 ||
			bail "setup: npm ci --prefix $E2E_DIR failed"
	fi
	RF_TMP=$(mktemp_dir "$1") || bail "setup: cannot make a temp dir"
	note "temp dir $RF_TMP"
	RF_CA="$RF_TMP/ca"
	bash "$E2E_DIR/make-ca.sh" "$RF_CA" >/dev/null || bail "setup: make-ca.sh failed"
	RF_PLUGINS="$RF_TMP/plugins"
	make_plugin_dir "$RF_PLUGINS"
	# A copy, not make_plugin_dir's symlink: a rebuild of the tree while the test
	# runs would otherwise make a process load a half-written plugin
	# (libsasl2 then reports only "No worthy mechs found").
	cp --remove-destination "$PLUGIN_SO" "$RF_PLUGINS/libsasl-oauth2.so" ||
		bail "setup: cannot copy $PLUGIN_SO"
	SASL_OAUTH2_CONF="$RF_TMP/sasl-oauth2.conf"
	printf "ca_bundle = %s\nlog_level = %s\nconnect_timeout = 5\ntimeout = 10\n" "$RF_CA/ca.pem" "${RF_LOG_LEVEL:-info}" \
		>"$SASL_OAUTH2_CONF"
	export SASL_OAUTH2_CONF
	if [ -n "${FAULT:-}" ]; then
		note "FAULT=$FAULT: a token store guarantee is broken on purpose; this run must FAIL"
		cc -shared -fPIC -O1 -o "$RF_TMP/fault_shim.so" "$E2E_DIR/fault_shim.c" -ldl ||
			bail "setup: cannot build fault_shim.so"
		RF_PRELOAD="$RF_TMP/fault_shim.so"
	fi
}

# rf_start_authserver ARGS...: starts authserver.js (extra ARGS), waits for it.
rf_start_authserver() {
	local out="$RF_TMP/authserver.out"
	RF_AS_LOG="$RF_TMP/authserver.log"
	for _ in 1 2 3 4 5; do
		RF_PORT=$(free_port) || bail "setup: no free port"
		: >"$out"
		"$NODE" "$E2E_DIR/authserver.js" "$RF_PORT" --tls-dir "$RF_CA" "$@" \
			>"$out" 2>>"$RF_AS_LOG" &
		RF_AS_PID=$!
		rf_bg
		for _ in $(seq 1 100); do
			grep -q '^listening ' "$out" && break
			kill -0 "$RF_AS_PID" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q '^listening ' "$out"; then
			RF_URL="https://127.0.0.1:$RF_PORT"
			return 0
		fi
		kill "$RF_AS_PID" 2>/dev/null; wait "$RF_AS_PID" 2>/dev/null
	done
	tail -n 5 "$RF_AS_LOG" >&2
	bail "setup: authserver.js did not start"
}

# rf_api METHOD PATH [JSON]: prints the response body.
rf_api() {
	if [ $# -ge 3 ]; then
		curl -sS --fail-with-body --cacert "$RF_CA/ca.pem" -X "$1" \
			-H 'Content-Type: application/json' -d "$3" "$RF_URL$2"
	else
		curl -sS --fail-with-body --cacert "$RF_CA/ca.pem" -X "$1" "$RF_URL$2"
	fi
}

rf_stat() { jstr "$(rf_api GET /admin/stats)" "$1"; }

# rf_seed TTL: a new grant for $RF_USER, issued to $RF_CLIENT_ID.
rf_seed() {
	local s
	s=$(rf_api POST /admin/seed "{\"user\":\"$RF_USER\",\"ttl\":$1,\"client_id\":\"$RF_CLIENT_ID\"}") ||
		bail "setup: /admin/seed failed"
	RF_SEED_RT=$(jstr "$s" refresh_token)
	RF_SEED_AT=$(jstr "$s" access_token)
	RF_SEED_EXP=$(jstr "$s" expires_at)
	if [ -z "$RF_SEED_RT" ] || [ -z "$RF_SEED_AT" ]; then
		bail "setup: /admin/seed gave no tokens"
	fi
}

# rf_write_token_file PATH ACCESS_TOKEN EXPIRES_AT REFRESH_TOKEN
rf_write_token_file() {
	"$NODE" "$E2E_DIR/tokfile.js" create "$1" <<EOF || bail "setup: cannot write $1"
{"version":1,"user":"$RF_USER","client_id":"$RF_CLIENT_ID","token_endpoint":"$RF_URL/token",
 "access_token":"$2","expires_at":$3,"refresh_token":"$4"}
EOF
}

# rf_tok CMD PATH ARGS...: tokfile.js.
rf_tok() { "$NODE" "$E2E_DIR/tokfile.js" "$@"; }

# rf_tokd CMD PATH ARGS...: the same through one long-running
# "tokfile.js serve" (started on first use), without node's start-up cost;
# sets RF_TOKD_RC and RF_TOKD_OUT.
rf_tokd() {
	local IFS=$'\t' line
	if [ -z "${RF_TOKD_PID:-}" ]; then
		coproc RF_TOKD { exec "$NODE" "$E2E_DIR/tokfile.js" serve; }
		RF_PIDS+=("$RF_TOKD_PID")
	fi
	printf '%s\n' "$*" >&"${RF_TOKD[1]}"
	if ! read -r line <&"${RF_TOKD[0]}"; then
		RF_TOKD_RC=2 RF_TOKD_OUT="tokfile.js serve died"
		return 2
	fi
	RF_TOKD_RC=${line%%$'\t'*}
	RF_TOKD_OUT=${line#*$'\t'}
	return "$RF_TOKD_RC"
}

# rf_auth MECH TOKFILE: one Postfix-style authentication (stdout/stderr as
# is). A shell function: "rf_auth ... &" is a subshell, not sasl_auth; to
# kill sasl_auth itself, start "$SASL_AUTH" directly (see test_crash.sh).
rf_auth() {
	LD_PRELOAD="$RF_PRELOAD" OA2_FAULT="${FAULT:-}" "$SASL_AUTH" "$RF_PLUGINS" "$1" "$RF_USER" "$2"
}

# rf_refresh_status RT: asks the token endpoint with RT (a direct
# refresh_token grant with curl; under strict rotation this uses RT up).
# Prints the HTTP status.
rf_refresh_status() {
	curl -sS -o /dev/null -w '%{http_code}' --cacert "$RF_CA/ca.pem" \
		--data-urlencode grant_type=refresh_token --data-urlencode "refresh_token=$1" \
		--data-urlencode "client_id=$RF_CLIENT_ID" "$RF_URL/token"
}

# rf_no_secret_in FILE... -- SECRET...: none of the secrets, nor a 16-char
# piece from the middle of any of them, occurs in the files.
rf_no_secret_in() {
	local files=() s piece
	while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$1"); shift; done
	shift
	for s in "$@"; do
		[ -n "$s" ] || continue
		piece=${s:$(( ${#s} / 2 )):16}
		if grep -qF -e "$s" -e "$piece" "${files[@]}" 2>/dev/null; then
			return 1
		fi
	done
	return 0
}
