# Helpers for the refresh tests; source it (it sources env.sh, and so
# ../lib.sh, when that is not loaded yet).
#
#   cli_setup NAME               the account-command tests' start (below)
#   start_authserver [ARGS...]   oauth2-mock-server over HTTPS ($AUTH_PORT,
#                                $AUTH_URL, $CA_DIR); ARGS go to authserver.js
#   write_refresh_conf           $SASL_OAUTH2_CONF trusting the test CA
#   seed_token_file PATH USER TTL   a refreshable token file (mode 0600)
#   auth_stat KEY                a counter from /admin/stats
#   json_field FILE KEY          a member of a JSON file ("" when absent)
#   sasl_auth MECH USER SECRET [CHALLENGE]   one Postfix-style login;
#                                stdout+stderr in $AUTH_OUT

declare -F e2e_setup >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/env.sh"
SASL_AUTH_BIN="$BUILDDIR/tests/tools/sasl_auth"

ensure_node_deps() {
	[ -d "$E2E_DIR/node_modules/oauth2-mock-server" ] && return 0
	npm ci --prefix "$E2E_DIR" --no-audit --no-fund >"$E2E_TMP/npm.log" 2>&1 ||
		{ show_log "$E2E_TMP/npm.log" npm; e2e_die "setup: npm ci in tests/e2e failed"; }
}

start_authserver() {
	ensure_node_deps
	CA_DIR="$E2E_TMP/ca"
	bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || e2e_die "setup: make-ca.sh failed"
	AUTH_PORT=$(free_port) || e2e_die "setup: no free port"
	AUTH_URL="https://127.0.0.1:$AUTH_PORT"
	AUTH_LOG="$E2E_TMP/authserver.log"
	e2e_bg "$AUTH_LOG" "$NODE" "$E2E_DIR/authserver.js" "$AUTH_PORT" --tls-dir "$CA_DIR" "$@"
	wait_port "$AUTH_PORT" 15 || { show_log "$AUTH_LOG" authserver; e2e_die "setup: authserver did not start"; }
}

# admin METHOD PATH [JSON]: an admin call to the authserver; prints the body.
admin() {
	curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 -X "$1" \
		-H 'Content-Type: application/json' ${3:+--data "$3"} "$AUTH_URL$2"
}

auth_stat() {
	admin GET /admin/stats | "$NODE" -e '
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => console.log(JSON.parse(b)[process.argv[1]]));' "$1"
}

write_refresh_conf() {
	SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
	cat >"$SASL_OAUTH2_CONF" <<-CONF
	# test configuration: trust the test CA, fail fast
	ca_bundle = $CA_DIR/ca.pem
	connect_timeout = ${REFRESH_CONNECT_TIMEOUT:-2}
	timeout = ${REFRESH_TIMEOUT:-3}
	${1:-}
	CONF
	export SASL_OAUTH2_CONF
}

# cli_setup NAME: the start the account-command tests share: the CLI
# (need_cli), e2e_setup NAME, the OAuth2 server (start_authserver) and an
# empty state directory for named accounts, SASL_OAUTH2_STATE_DIR (exported,
# mode 0700), also named S. The test writes its config (write_refresh_conf).
cli_setup() {
	need_cli
	e2e_setup "$1"
	start_authserver
	export SASL_OAUTH2_STATE_DIR="$E2E_TMP/state"
	mkdir -m 700 "$SASL_OAUTH2_STATE_DIR"
	S=$SASL_OAUTH2_STATE_DIR
}

# seed_token_file PATH USER TTL [ENDPOINT]: asks the authserver for a token
# pair and writes a version 1 token file whose access token expires in TTL s
# (negative: already expired).
seed_token_file() {
	local path=$1 user=$2 ttl=$3 endpoint=${4:-$AUTH_URL/token}
	admin POST /admin/seed "{\"user\":\"$user\",\"ttl\":3600}" | "$NODE" -e '
		const fs = require("fs");
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => {
			const s = JSON.parse(b); const [path, user, ttl, ep] = process.argv.slice(1);
			const f = { version: 1, user, client_id: "test-client", token_endpoint: ep,
				access_token: s.access_token, refresh_token: s.refresh_token,
				expires_at: Math.floor(Date.now() / 1000) + Number(ttl) };
			fs.writeFileSync(path, JSON.stringify(f, null, 2) + "\n", { mode: 0o600 });
		});' "$path" "$user" "$ttl" "$endpoint"
	chmod 600 "$path"
}

json_field() {
	"$NODE" -e '
		const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
		console.log(v === undefined ? "" : (typeof v === "object" ? JSON.stringify(v) : v));' "$1" "$2"
}

# set_json_field FILE KEY VALUE_JSON: rewrites one member, keeping mode 0600.
set_json_field() {
	"$NODE" -e '
		const fs = require("fs"); const [f, k, v] = process.argv.slice(1);
		const o = JSON.parse(fs.readFileSync(f, "utf8")); o[k] = JSON.parse(v);
		fs.writeFileSync(f + ".new", JSON.stringify(o, null, 2) + "\n", { mode: 0o600 });
		fs.renameSync(f + ".new", f);' "$1" "$2" "$3"
}

json_valid() {
	"$NODE" -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1" 2>/dev/null
}

sasl_auth() {
	AUTH_OUT="$E2E_TMP/sasl_auth.out"
	"$SASL_AUTH_BIN" "$PLUGIN_DIR" "$@" >"$AUTH_OUT" 2>&1
}

# warn_lines: the plugin's WARN lines from the last sasl_auth.
warn_lines() {
	grep '^LOG 3 ' "$AUTH_OUT" | sed 's/^LOG 3 //'
}
