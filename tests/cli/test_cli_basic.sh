#!/bin/bash
# The account commands of the sasl-oauth2 tool - token, refresh, status,
# forget, import - against the real OAuth2 server (tests/e2e/authserver.js)
# over HTTPS with a test CA, and a misbehaving one (badtoken.js) for
# revocation: fresh and expiring tokens, formats, exit codes and messages,
# bad files left untouched, other tools' token files, an unwritable
# directory.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/cli.sh"

cli_setup cli
write_refresh_conf
U=alice@example.com

now() { date +%s; }
# same_bytes A B: B is a byte-identical copy of A
same_bytes() { cmp -s "$1" "$2"; }
# Each case below writes the token files it starts from (seed_token_file,
# or fixture_account), so that one failing case does not make the ones
# after it fail too.
# fixture_account NAME USER TTL: a fresh refreshable account NAME in $S
# whose access token expires in TTL s, no lock file, statistics reset.
fixture_account() {
	rm -f "$S/$1.json" "$S/$1.json.lock"
	seed_token_file "$S/$1.json" "$2" "$3"
	reset_stats
}

# ----- token: a fresh token is printed without any request --------------------------
seed_token_file "$S/alice.json" "$U" 3600
at=$(json_field "$S/alice.json" access_token)
cp -p "$S/alice.json" "$E2E_TMP/alice.before"
reset_stats
cli token alice
check_cli "token fresh: exit 0, nothing on stderr" eval 'rc_is 0 && err_empty'
printf '%s\n' "$at" >"$E2E_TMP/expect"
check_cli "token fresh: prints exactly the access token and a newline" same_bytes "$E2E_TMP/expect" "$OUT"
check "token fresh: no token request" test "$(token_requests)" = 0
check "token fresh: the file is not touched" same_bytes "$E2E_TMP/alice.before" "$S/alice.json"
check "token fresh: no lock file is created" test ! -e "$S/alice.json.lock"

# ----- token: an expired token is refreshed first (one request, file updated) -------------
fixture_account alice "$U" -60
at=$(json_field "$S/alice.json" access_token)
old_rt=$(json_field "$S/alice.json" refresh_token)
cli token alice
new_at=$(json_field "$S/alice.json" access_token)
check_cli "token expired: exit 0" rc_is 0
check "token expired: exactly one token request" test "$(token_requests)" = 1
check "token expired: prints the new token, which the file now holds" \
	test -n "$new_at" -a "$new_at" != "$at" -a "$(cat "$OUT")" = "$new_at"
check "token expired: the rotated refresh token is stored" \
	test "$(json_field "$S/alice.json" refresh_token)" != "$old_rt"
check "token expired: expires_at is about an hour ahead" \
	test "$(json_field "$S/alice.json" expires_at)" -gt $(( $(now) + 3500 ))
check "token expired: the file stays 0600" test "$(stat -c %a "$S/alice.json")" = 600

# ----- token: within the refresh margin (600 s) it is refreshed ahead ---------------------
fixture_account alice "$U" 300
cli token alice
check_cli "token margin: a token valid for 300 s is refreshed (one request)" \
	eval 'rc_is 0 && test "$(token_requests)" = 1'

# ----- token --min-valid -------------------------------------------------------------------
fixture_account alice "$U" 3600
at=$(json_field "$S/alice.json" access_token)
cli token alice --min-valid 60
check_cli "token --min-valid 60: a token valid for an hour is printed as it is" \
	eval 'rc_is 0 && test "$(token_requests)" = 0 && test "$(cat "$OUT")" = "$at"'
fixture_account alice "$U" 3600
cli token alice --min-valid 7200
check_cli "token --min-valid 7200: forces a refresh (one request), prints the new token" \
	eval 'rc_is 0 && test "$(token_requests)" = 1 && test "$(cat "$OUT")" != "$at" &&
	      test "$(cat "$OUT")" = "$(json_field "$S/alice.json" access_token)"'
check_cli "token --min-valid 7200: warns that the new token lives less than asked" \
	err_has "valid for only"
cli token alice --min-valid abc
check_cli "token --min-valid abc: usage error (2)" eval 'rc_is 2 && err_has "min-valid"'

# ----- token --format ------------------------------------------------------------------------
fixture_account alice "$U" 3600
at=$(json_field "$S/alice.json" access_token)
cli token alice --format xoauth2
printf 'user=%s\001auth=Bearer %s\001\001' "$U" "$at" >"$E2E_TMP/expect"
base64 -d <"$OUT" >"$E2E_TMP/decoded" 2>/dev/null
check_cli "token --format xoauth2: base64 of user=U^Aauth=Bearer T^A^A, exact bytes" \
	eval 'rc_is 0 && same_bytes "$E2E_TMP/expect" "$E2E_TMP/decoded"'
check "token --format xoauth2: one line" test "$(wc -l <"$OUT")" = 1
cli token alice --format oauthbearer
printf 'n,a=%s,\001auth=Bearer %s\001\001' "$U" "$at" >"$E2E_TMP/expect"
base64 -d <"$OUT" >"$E2E_TMP/decoded" 2>/dev/null
check_cli "token --format oauthbearer: base64 of n,a=U,^Aauth=Bearer T^A^A, exact bytes" \
	eval 'rc_is 0 && same_bytes "$E2E_TMP/expect" "$E2E_TMP/decoded"'
cli token alice --format raw
check_cli "token --format raw: the token" eval 'rc_is 0 && test "$(cat "$OUT")" = "$at"'
cli token alice --format pem
check_cli "token --format pem: usage error (2)" rc_is 2
( umask 077; printf '{"access_token":"tok-nouser","expires_at":%s}\n' $(( $(now) + 3600 )) >"$S/nouser.json" )
cli token nouser --format xoauth2
check_cli "token --format xoauth2 without \"user\": exit 65, says so" \
	eval 'rc_is 65 && err_has "no \"user\"" && test ! -s "$OUT"'
rm -f "$S/nouser.json"

# ----- token: unknown account ---------------------------------------------------------------
cli token nobody
check_cli "token unknown account: exit 67" rc_is 67
check_cli "token unknown account: says how to create it" \
	err_has 'no account "nobody".*sasl-oauth2 authorize nobody --provider'
check "token unknown account: nothing created" test ! -e "$S/nobody.json" -a ! -e "$S/nobody.json.lock"
cli token "$E2E_TMP/nowhere.json"
check_cli "token unknown token file path: exit 67, names the file" \
	eval 'rc_is 67 && err_has "$E2E_TMP/nowhere.json"'
cli token "bad name"
check_cli "token invalid account name: exit 2" rc_is 2

# ----- token: bad and unsafe files are refused and left alone ----------------------------------
( umask 077; printf '{"access_token": "x", ' >"$S/broken.json" )
cp -p "$S/broken.json" "$E2E_TMP/broken.before"
cli token broken
check_cli "token malformed file: exit 65, the error names the file" \
	eval 'rc_is 65 && err_has "token file $S/broken.json: not valid JSON"'
check "token malformed file: untouched" same_bytes "$E2E_TMP/broken.before" "$S/broken.json"
seed_token_file "$S/open.json" "$U" -60
chmod 644 "$S/open.json"
cp -p "$S/open.json" "$E2E_TMP/open.before"
reset_stats
cli token open
check_cli "token unsafe file (0644): exit 77 with the chmod that fixes it" \
	eval 'rc_is 77 && err_has "mode 0644.*chmod 600 $S/open.json"'
check "token unsafe file: untouched, mode kept, no request" \
	eval 'same_bytes "$E2E_TMP/open.before" "$S/open.json" && test "$(stat -c %a "$S/open.json")" = 644 && test "$(token_requests)" = 0'
rm -f "$S/open.json"

# ----- token: a refused refresh while the token is still valid -----------------------------------
seed_token_file "$S/rev.json" "$U" 300
auth_admin POST /admin/revoke "{\"refresh_token\":\"$(json_field "$S/rev.json" refresh_token)\"}" >/dev/null
at=$(json_field "$S/rev.json" access_token)
cli token rev
check_cli "token refused but still valid: exit 0, prints the current token" \
	eval 'rc_is 0 && test "$(cat "$OUT")" = "$at"'
check_cli "token refused but still valid: warns with the provider's error" \
	err_has "warning: the access token was not refreshed.*invalid_grant"
set_json_field "$S/rev.json" expires_at "$(( $(now) - 10 ))"
cli token rev
check_cli "token refused and expired: exit 69, re-authorize advice, nothing printed" \
	eval 'rc_is 69 && err_has "sasl-oauth2 authorize rev" && test ! -s "$OUT"'

# ----- token: a file with nothing to renew it with (no refresh token) ---------------------------
# The one policy (oa2_token_acquire) the plugin shares: no lock, no request, nothing written
# (the CLI used to record "cannot be renewed" as last_error at every use); a still valid token
# is printed with a warning, an expired one refused with what the file lacks.
seed_token_file "$E2E_TMP/norefresh.json" "$U" 300
"$NODE" -e 'const fs = require("fs"), p = process.argv[1];
	const o = JSON.parse(fs.readFileSync(p, "utf8")); delete o.refresh_token;
	fs.writeFileSync(p, JSON.stringify(o), { mode: 0o600 });' "$E2E_TMP/norefresh.json"
cp -p "$E2E_TMP/norefresh.json" "$S/noref.json"
at=$(json_field "$S/noref.json" access_token)
reset_stats
cli token noref
check_cli "token without a refresh token, within the margin: exit 0, the current token, says why" \
	eval 'rc_is 0 && test "$(cat "$OUT")" = "$at" &&
	      err_has "warning: the access token was not refreshed: .*cannot be renewed.*has no \"refresh_token\""'
check "token without a refresh token: no request, the file left byte for byte" \
	eval 'test "$(token_requests)" = 0 && same_bytes "$E2E_TMP/norefresh.json" "$S/noref.json"'
cp -p "$E2E_TMP/norefresh.json" "$S/noref.json"
set_json_field "$S/noref.json" expires_at "$(( $(now) - 10 ))"
cli token noref
check_cli "token without a refresh token, expired: exit 69, says what is missing, nothing printed" \
	eval 'rc_is 69 && err_has "has no \"refresh_token\".*sasl-oauth2 authorize noref" && test ! -s "$OUT"'
rm -f "$S/noref.json" "$S/noref.json.lock"

# ----- refresh ---------------------------------------------------------------------------------
rm -f "$S"/*.json "$S"/*.lock
seed_token_file "$S/alice.json" "$U" 3600
seed_token_file "$S/bob.json" bob@example.com 3600
a1=$(json_field "$S/alice.json" access_token); b1=$(json_field "$S/bob.json" access_token)
reset_stats
cli refresh --all
check_cli "refresh --all: exit 0, one line per account" \
	eval 'rc_is 0 && test "$(wc -l <"$OUT")" = 2 &&
	      out_has "^alice: refreshed, expires in" && out_has "^bob: refreshed, expires in"'
check "refresh --all: two token requests, both files renewed" \
	eval 'test "$(token_requests)" = 2 && test "$(json_field "$S/alice.json" access_token)" != "$a1" &&
	      test "$(json_field "$S/bob.json" access_token)" != "$b1"'
fixture_account alice "$U" 3600
fixture_account bob bob@example.com 3600
cp -p "$E2E_TMP/broken.before" "$S/broken.json"
reset_stats
cli refresh --all
check_cli "refresh --all with a malformed file: the others are refreshed, exit 65" \
	eval 'rc_is 65 && out_has "^alice: refreshed" && out_has "^bob: refreshed" &&
	      err_has "$S/broken.json" && test "$(token_requests)" = 2'
check "refresh --all: the malformed file is untouched" same_bytes "$E2E_TMP/broken.before" "$S/broken.json"
rm -f "$S/broken.json"
fixture_account alice "$U" 3600
cli refresh alice nobody
check_cli "refresh alice nobody: alice refreshed, exit 67 for nobody" \
	eval 'rc_is 67 && out_has "^alice: refreshed" && err_has "no account \"nobody\""'
cli refresh
check_cli "refresh without ACCOUNT or --all: usage error (2)" rc_is 2
fixture_account bob bob@example.com 3600
auth_admin POST /admin/revoke "{\"refresh_token\":\"$(json_field "$S/bob.json" refresh_token)\"}" >/dev/null
cli refresh bob
check_cli "refresh refused (invalid_grant): exit 69, the current token is still valid" \
	eval 'rc_is 69 && err_has "bob: not refreshed.*invalid_grant.*still valid"'
check "refresh refused: the file records the refusal (last_error invalid_grant)" \
	test "$(jstr "$(json_field "$S/bob.json" last_error)" error)" = invalid_grant

# ----- status ----------------------------------------------------------------------------------
# Its own accounts: alice (fine, refreshed 2 h ago), bob (a refusal
# recorded as the token store records it), broken, open (0644).
rm -f "$S"/*.json "$S"/*.lock
fixture_account alice "$U" 3600
set_json_field "$S/alice.json" refreshed_at "$(( $(now) - 7200 ))"
fixture_account bob bob@example.com 3600
set_json_field "$S/bob.json" last_error "{\"at\": $(( $(now) - 60 )), \"http_status\": 400,
	\"error\": \"invalid_grant\", \"error_description\": \"token revoked\",
	\"message\": \"the token endpoint refused the refresh token (invalid_grant)\"}"
cp -p "$E2E_TMP/broken.before" "$S/broken.json"
cp -p "$S/alice.json" "$S/open.json"; chmod 644 "$S/open.json"
cli status
check_cli "status: exit 65 (the malformed file), every account a row" \
	eval 'rc_is 65 && test "$(wc -l <"$OUT")" = 5'
check_cli "status: header" out_has "^ACCOUNT  *USER  *PROVIDER  *ACCESS TOKEN  *REFRESH TOKEN  *LAST ERROR"
check_cli "status: alice's row (user, endpoint host, expiry, refresh token age, no error)" \
	grep -Eq "^alice +$U +127\.0\.0\.1 +expires in (59m|1h) +2h old +-$" "$OUT"
check_cli "status: bob's row shows the refusal" grep -Eq "^bob +bob@example.com .*invalid_grant \(" "$OUT"
check_cli "status: the malformed file is a row with its error" \
	grep -q "^broken .*token file $S/broken.json: not valid JSON" "$OUT"
check_cli "status: the unsafe file is a row with its error" grep -q "^open .*mode 0644" "$OUT"
no_tokens_in() {
	local f t
	for f in "$S"/*.json; do
		for t in $(json_field "$f" access_token 2>/dev/null) $(json_field "$f" refresh_token 2>/dev/null); do
			grep -qF -- "$t" "$1" && return 1
		done
	done
	return 0
}
check "status: no token in the table" no_tokens_in "$OUT"
# status computes expires_in from its own clock: expires_at - expires_in is
# the moment it ran, between these two readings however slow the machine.
json_t0=$(date +%s)
cli status --json
json_t1=$(date +%s)
check_cli "status --json: exit 65 too" rc_is 65
check "status --json: no token in it" no_tokens_in "$OUT"
json_check() {
	"$NODE" -e '
		const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		const t0 = Number(process.argv[2]), t1 = Number(process.argv[3]), by = {};
		for (const r of a) by[r.account] = r;
		const al = by.alice, bo = by.bob, br = by.broken, op = by.open;
		const ok = Array.isArray(a) && a.length === 4 &&
			al.user === "alice@example.com" && al.provider === "127.0.0.1" &&
			al.error === null && al.exit_code === 0 &&
			al.access_token.expired === false && al.access_token.expires_in > 3500 &&
			al.access_token.expires_at - al.access_token.expires_in >= t0 - 1 &&
			al.access_token.expires_at - al.access_token.expires_in <= t1 + 1 &&
			al.refresh_token.present === true && al.refresh_token.age_from === "refreshed_at" &&
			Math.abs(al.refresh_token.age - 7200) < 10 && al.last_error === null &&
			bo.last_error.error === "invalid_grant" && typeof bo.last_error.at === "number" &&
			br.exit_code === 65 && /not valid JSON/.test(br.error) && br.user === null &&
			op.exit_code === 77 && /chmod 600/.test(op.error);
		if (!ok) { console.error(JSON.stringify(a)); process.exit(1); }' "$OUT" "$json_t0" "$json_t1"
}
check_cli "status --json: the same facts, parsed by node" json_check
cli status alice
check_cli "status alice: one account, exit 0" eval 'rc_is 0 && test "$(wc -l <"$OUT")" = 2'
cli status ghost --json
check_cli "status of an unknown account: a row, exit 67" \
	eval 'rc_is 67 && grep -q "no account .*ghost.*authorize ghost --provider" "$OUT"'
rm -f "$S/open.json" "$S/broken.json"

# ----- forget ----------------------------------------------------------------------------------
seed_token_file "$S/carol.json" carol@example.com 3600
touch "$S/carol.json.lock"
cli forget carol
check_cli "forget (no revocation endpoint): exit 0, says the token was not revoked" \
	eval 'rc_is 0 && out_has "no revocation endpoint" && out_has "removed $S/carol.json"'
check "forget: the file and its lock are gone" test ! -e "$S/carol.json" -a ! -e "$S/carol.json.lock"
rm -f "$S/carol.json" "$S/carol.json.lock"
cli forget carol
check_cli "forget again: exit 67" rc_is 67

BAD_PORT=$(free_port) || bail "setup: no free port"
e2e_bg "$E2E_TMP/badtoken.log" "$NODE" "$E2E_DIR/badtoken.js" "$BAD_PORT" --tls-dir "$CA_DIR"
wait_port "$BAD_PORT" 10 || { show_log "$E2E_TMP/badtoken.log" badtoken; bail "setup: badtoken.js did not start"; }
bad() { curl -sS --cacert "$CA_DIR/ca.pem" --max-time 10 -X "$1" "https://127.0.0.1:$BAD_PORT$2"; }
bad_last_field() {
	bad GET /last | "$NODE" -e 'let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => console.log((JSON.parse(b).form || {})[process.argv[1]] ?? ""));' "$1"
}
seed_token_file "$S/dave.json" dave@example.com 3600
set_json_field "$S/dave.json" revocation_endpoint "\"https://127.0.0.1:$BAD_PORT/500\""
rt=$(json_field "$S/dave.json" refresh_token)
cli forget dave
check_cli "forget, revocation endpoint answers 500: a warning, exit 0" \
	eval 'rc_is 0 && err_has "warning: dave: the refresh token was not revoked.*HTTP 500"'
check_cli "forget, failed revocation: the file is removed all the same" \
	eval 'test ! -e "$S/dave.json" && out_has "removed $S/dave.json"'
# (badtoken.js shows only the first 6 characters of fields named like *token*)
check "forget: RFC 7009 request (token, token_type_hint=refresh_token, client_id)" \
	eval 'test "$(bad_last_field token_type_hint)" = "refres..." &&
	      test "$(bad_last_field client_id)" = test-client &&
	      test "$(bad_last_field token)" = "${rt:0:6}..."'
check "forget: no token in the messages" eval '! grep -qF -- "$rt" "$OUT" "$ERR"'
seed_token_file "$S/erin.json" erin@example.com 3600
set_json_field "$S/erin.json" revocation_endpoint "\"https://127.0.0.1:$BAD_PORT/ok\""
cli forget erin
check_cli "forget, revocation endpoint answers 200: revoked, removed" \
	eval 'rc_is 0 && out_has "erin: revoked the refresh token at https://127.0.0.1:$BAD_PORT/ok" &&
	      test ! -e "$S/erin.json" && err_empty'
seed_token_file "$S/fred.json" fred@example.com 3600
set_json_field "$S/fred.json" revocation_endpoint "\"https://127.0.0.1:$BAD_PORT/ok\""
bad POST /reset >/dev/null
cli forget fred --keep-token
check_cli "forget --keep-token: no revocation request, file removed" \
	eval 'rc_is 0 && test "$(bad GET /stats)" = "{}" && test ! -e "$S/fred.json"'

# ----- import: tarickb/sasl-xoauth2 --------------------------------------------------------------
T="$E2E_TMP/tarickb.json"
auth_admin POST /admin/seed "{\"user\":\"$U\",\"ttl\":3600}" | "$NODE" -e '
	let b = ""; process.stdin.on("data", (c) => b += c);
	process.stdin.on("end", () => {
		const s = JSON.parse(b); const [path, ep, ca, access] = process.argv.slice(1);
		require("fs").writeFileSync(path, JSON.stringify({
			access_token: access === "empty" ? "" : s.access_token, refresh_token: s.refresh_token,
			expiry: access === "empty" ? "0" : String(Math.floor(Date.now() / 1000) + 3600),
			user: "alice@example.com", client_id: "test-client", client_secret: "unused-secret",
			token_endpoint: ep, ca_bundle_file: ca, refresh_window: "600", comment: "kept" }),
			{ mode: 0o600 });
	});' "$T" "$AUTH_URL/token" "$CA_DIR/ca.pem" full
cp -p "$T" "$E2E_TMP/tarickb.before"
reset_stats
cli import "$T" tk
check_cli "import tarickb: exit 0, says what it did" \
	eval 'rc_is 0 && out_has "tk: imported $T (tarickb/sasl-xoauth2) as $S/tk.json"'
f="$S/tk.json"
check "import tarickb: version 1, expires_at = expiry, mode 0600" \
	eval 'test "$(json_field "$f" version)" = 1 &&
	      test "$(json_field "$f" expires_at)" = "$(json_field "$T" expiry)" &&
	      test "$(stat -c %a "$f")" = 600'
missing=""
for k in access_token refresh_token expiry user client_id client_secret token_endpoint ca_bundle_file refresh_window comment; do
	[ "$(json_field "$f" $k)" = "$(json_field "$T" $k)" ] || missing="$missing $k"
done
check "import tarickb: every member kept ($missing )" test -z "$missing"
check "import tarickb: the source file is untouched, no request made" \
	eval 'same_bytes "$E2E_TMP/tarickb.before" "$T" && test "$(token_requests)" = 0'
cli token tk
check_cli "import tarickb: token prints its access token" \
	eval 'rc_is 0 && test "$(cat "$OUT")" = "$(json_field "$T" access_token)"'
cli token tk --min-valid 7200
check_cli "import tarickb: token refreshes it against the authserver" \
	eval 'rc_is 0 && test "$(token_requests)" = 1 && test "$(cat "$OUT")" = "$(json_field "$f" access_token)"'
fixture_account tk "$U" 3600
cli import "$T" tk
check_cli "import onto an existing account: exit 1, says --force" \
	eval 'rc_is 1 && err_has "exists.*--force"'
fixture_account tk "$U" 3600
cli import "$T" tk --force
check_cli "import --force: replaces it" eval 'rc_is 0 && test "$(json_field "$f" access_token)" = "$(json_field "$T" access_token)"'
cli import "$T"
check_cli "import without ACCOUNT: writes nothing, suggests the file's user as ACCOUNT (exit 2)" \
	eval 'rc_is 2 && test ! -e "$S/$U.json" && err_has "sasl-oauth2 import $T $U"'
"$NODE" -e 'const fs = require("fs"), [src, dst] = process.argv.slice(1);
	const o = JSON.parse(fs.readFileSync(src, "utf8")); o.access_token = ""; o.expiry = "0";
	fs.writeFileSync(dst, JSON.stringify(o), { mode: 0o600 });' "$T" "$E2E_TMP/tarickb-empty.json"
reset_stats
cli import "$E2E_TMP/tarickb-empty.json" tk2
check_cli "import tarickb without an access token: fetches the first one (one request)" \
	eval 'rc_is 0 && test "$(token_requests)" = 1 && test -n "$(json_field "$S/tk2.json" access_token)" &&
	      test "$(json_field "$S/tk2.json" expires_at)" -gt $(( $(now) + 3000 ))'

# ----- import: mutt_oauth2.py --------------------------------------------------------------------
write_refresh_conf "provider.test.token_endpoint = $AUTH_URL/token
provider.test.scope = mail"
M="$E2E_TMP/mutt.json"
mutt_file() { # mutt_file REGISTRATION [TENANT]: an unencrypted mutt_oauth2.py token file
	auth_admin POST /admin/seed "{\"user\":\"mutt@example.com\",\"ttl\":3600}" | "$NODE" -e '
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => {
			const s = JSON.parse(b); const [path, reg, tenant] = process.argv.slice(1);
			const exp = new Date(Date.now() + 3600 * 1000), p = (n, w = 2) => String(n).padStart(w, "0");
			const local = `${exp.getFullYear()}-${p(exp.getMonth() + 1)}-${p(exp.getDate())}T` +
				`${p(exp.getHours())}:${p(exp.getMinutes())}:${p(exp.getSeconds())}.` +
				p(exp.getMilliseconds() * 1000, 6);
			const t = { registration: reg, authflow: "authcode", email: "mutt@example.com",
				access_token: s.access_token, access_token_expiration: local,
				refresh_token: s.refresh_token, client_id: "test-client", client_secret: "" };
			if (tenant) t.tenant = tenant;
			require("fs").writeFileSync(path, JSON.stringify(t, null, 4), { mode: 0o600 });
		});' "$M" "$@"
}
mutt_file google
reset_stats
cli import "$M" mt --provider test
f="$S/mt.json"
check_cli "import mutt_oauth2.py --provider test: exit 0" \
	eval 'rc_is 0 && out_has "(mutt_oauth2.py)" && out_has "provider test"'
check "import mutt: user, provider, token endpoint and scope from the provider" \
	eval 'test "$(json_field "$f" user)" = mutt@example.com && test "$(json_field "$f" provider)" = test &&
	      test "$(json_field "$f" token_endpoint)" = "$AUTH_URL/token" && test "$(json_field "$f" scope)" = mail'
exp_ok() { local e; e=$(json_field "$f" expires_at); [ "$e" -ge $(( $(now) + 3590 )) ] && [ "$e" -le $(( $(now) + 3601 )) ]; }
check "import mutt: the local-time access_token_expiration becomes expires_at" exp_ok
check "import mutt: mutt's own names are gone, unknown members kept" \
	eval 'test -z "$(json_field "$f" registration)$(json_field "$f" email)$(json_field "$f" access_token_expiration)" &&
	      test "$(json_field "$f" authflow)" = authcode'
cli token mt
check_cli "import mutt: token prints its access token (no request)" \
	eval 'rc_is 0 && test "$(cat "$OUT")" = "$(json_field "$M" access_token)" && test "$(token_requests)" = 0'
cli token mt --min-valid 7200
check_cli "import mutt: token refreshes it against the authserver" \
	eval 'rc_is 0 && test "$(token_requests)" = 1 && test "$(cat "$OUT")" = "$(json_field "$f" access_token)"'
mutt_file microsoft contoso.example
cli import "$M" ms
check "import mutt microsoft: the tenant's token endpoint and Outlook scopes" \
	eval 'rc_is 0 && test "$(json_field "$S/ms.json" token_endpoint)" = https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token &&
	      json_field "$S/ms.json" scope | grep -q "IMAP.AccessAsUser.All" &&
	      test "$(json_field "$S/ms.json" provider)" = microsoft'
mutt_file google
cli import - gg <"$M"
check_cli "import mutt google from standard input: Google's token endpoint" \
	eval 'rc_is 0 && test "$(json_field "$S/gg.json" token_endpoint)" = https://oauth2.googleapis.com/token'
printf -- '-----BEGIN PGP MESSAGE-----\n\nhQEMA...\n-----END PGP MESSAGE-----\n' >"$E2E_TMP/enc.json"
cli import "$E2E_TMP/enc.json" enc
check_cli "import an encrypted mutt file: exit 65, says to pipe gpg --decrypt" \
	eval 'rc_is 65 && err_has "gpg --decrypt" && test ! -e "$S/enc.json"'
echo '{"hello": "world"}' >"$E2E_TMP/other.json"
cli import "$E2E_TMP/other.json" other
check_cli "import a file of another kind: exit 65" eval 'rc_is 65 && test ! -e "$S/other.json"'
write_refresh_conf

# ----- import: provider options, sasl-xoauth2's config, the refresh token's age ---------------------
mutt_file microsoft
cli import "$M" tn --tenant contoso.example
check_cli "import --tenant: a single-tenant app's token endpoint, not /common/" \
	eval 'rc_is 0 && test "$(json_field "$S/tn.json" token_endpoint)" = https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token &&
	      test "$(json_field "$S/tn.json" tenant)" = contoso.example'
# a tarickb file as its README has it: only the tokens; the client and the
# endpoint are in /etc/sasl-xoauth2.conf (here: --sasl-xoauth2-conf)
"$NODE" -e 'const fs = require("fs"), [src, dst] = process.argv.slice(1);
	const o = JSON.parse(fs.readFileSync(src, "utf8"));
	for (const k of ["client_id", "client_secret", "token_endpoint", "user"]) delete o[k];
	fs.writeFileSync(dst, JSON.stringify(o), { mode: 0o600 });' "$T" "$E2E_TMP/tarickb-bare.json"
X2CONF="$E2E_TMP/sasl-xoauth2.conf"
printf '{ "client_id": "test-client", "client_secret": "xo-secret", "token_endpoint": "%s/token",\n  "log_to_syslog_on_failure": "yes" }\n' "$AUTH_URL" >"$X2CONF"
touch -d '30 days ago' "$E2E_TMP/tarickb-bare.json"
src_mtime=$(stat -c %Y "$E2E_TMP/tarickb-bare.json")
cli import "$E2E_TMP/tarickb-bare.json" bare --sasl-xoauth2-conf "$X2CONF"
f="$S/bare.json"
check_cli "import tarickb with sasl-xoauth2.conf: client_id, client_secret and token_endpoint from it" \
	eval 'rc_is 0 && test "$(json_field "$f" client_id)" = test-client &&
	      test "$(json_field "$f" client_secret)" = xo-secret && test "$(json_field "$f" token_endpoint)" = "$AUTH_URL/token" &&
	      test -z "$(json_field "$f" log_to_syslog_on_failure)" && ! grep -q xo-secret "$OUT" "$ERR"'
check "import tarickb: the refresh token's age is the source file's (refreshed_at = its mtime)" \
	test "$(json_field "$f" refreshed_at)" = "$src_mtime"
reset_stats
cli token bare --min-valid 7200
check_cli "import tarickb with sasl-xoauth2.conf: the account refreshes" \
	eval 'rc_is 0 && test "$(token_requests)" = 1'
cli import "$E2E_TMP/tarickb-bare.json" bare2 --sasl-xoauth2-conf "$E2E_TMP/none.conf"
check_cli "import tarickb without any client_id: warns with the fix" \
	eval 'rc_is 0 && err_has "names no client_id.*--client-id ID"'
write_refresh_conf "provider.test.token_endpoint = $AUTH_URL/token
provider.test.scope = mail"
cli import "$E2E_TMP/tarickb-bare.json" bare3 --sasl-xoauth2-conf "$E2E_TMP/none.conf" --client-id test-client --provider test
check_cli "import --client-id --provider: the file gets both" \
	eval 'rc_is 0 && test "$(json_field "$S/bare3.json" client_id)" = test-client &&
	      test "$(json_field "$S/bare3.json" token_endpoint)" = "$AUTH_URL/token"'
write_refresh_conf
# an access token alone cannot be renewed: refused, with the reason
"$NODE" -e 'const fs = require("fs"), [src, dst] = process.argv.slice(1);
	const o = JSON.parse(fs.readFileSync(src, "utf8")); delete o.refresh_token;
	fs.writeFileSync(dst, JSON.stringify(o), { mode: 0o600 });' "$T" "$E2E_TMP/access-only.json"
cli import "$E2E_TMP/access-only.json" ao
check_cli "import an access-token-only file: exit 65, says why and to authorize, writes nothing" \
	eval 'rc_is 65 && err_has "access token but no refresh token.*never renew it.*sasl-oauth2 authorize ao" &&
	      test ! -e "$S/ao.json"'

# ----- an unwritable directory: a clear error, nothing lost ------------------------------------------
if [ "$(id -u)" = 0 ]; then
	D="$E2E_TMP/ro"
	mkdir -p "$D"
	seed_token_file "$D/nb.json" nobody@example.com 300
	chown -R nobody "$D"
	chmod 500 "$D"
	cp -p "$D/nb.json" "$E2E_TMP/nb.before"
	SO_NOBODY=$(for_user nobody "$SO" "$E2E_TMP")
	as_nobody() {
		runuser -u nobody -- env SASL_OAUTH2_STATE_DIR="$D" SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
			"$SO_NOBODY" "$@" >"$OUT" 2>"$ERR"
		RC=$?
	}
	as_nobody refresh nb
	check_cli "unwritable dir: refresh fails with exit 74, saying the directory must be writable" \
		eval 'rc_is 74 && err_has "token file $D/nb.json: cannot open lock file.*writable"'
	check "unwritable dir: the token file is unchanged" same_bytes "$E2E_TMP/nb.before" "$D/nb.json"
	as_nobody token nb
	check_cli "unwritable dir: token within the margin prints the current token, warns" \
		eval 'rc_is 0 && test "$(cat "$OUT")" = "$(json_field "$D/nb.json" access_token)" && err_has "warning:.*lock"'
	chmod 700 "$D"; set_json_field "$D/nb.json" expires_at "$(( $(now) - 5 ))"; chown nobody "$D/nb.json"
	chmod 500 "$D"; cp -p "$D/nb.json" "$E2E_TMP/nb.before"
	as_nobody token nb
	check_cli "unwritable dir: token of an expired file fails with exit 74, nothing printed" \
		eval 'rc_is 74 && test ! -s "$OUT" && same_bytes "$E2E_TMP/nb.before" "$D/nb.json"'
	cp "$T" "$E2E_TMP/tarickb-nobody.json"; chown nobody "$E2E_TMP/tarickb-nobody.json"; chmod 600 "$E2E_TMP/tarickb-nobody.json"
	as_nobody import "$E2E_TMP/tarickb-nobody.json" new
	check_cli "unwritable dir: import fails with exit 74, creates nothing" \
		eval 'rc_is 74 && test ! -e "$D/new.json" && err_has "$D"'
	as_nobody forget nb
	check_cli "unwritable dir: forget fails with exit 74, removes nothing" \
		eval 'rc_is 74 && err_has "nothing was removed" && same_bytes "$E2E_TMP/nb.before" "$D/nb.json"'
	chmod 700 "$D"
else
	skip "unwritable directory: needs root to run the tool as nobody"
fi

# ----- every command has a complete --help ---------------------------------------------------------
for c in token refresh status forget import; do
	cli "$c" --help
	check_cli "$c --help: exit 0, usage, options and exit status" \
		eval 'rc_is 0 && out_has "^Usage: sasl-oauth2 $c" && out_has "Options:" && out_has "Exit status"'
done

tests_exit
