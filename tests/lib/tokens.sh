# Tokens and token files.
#
#   e2e_token [PREFIX]          a fresh random token
#   b64url < DATA               DATA in base64url, unpadded (JWT parts)
#   last_error_has FILE ERE     the token file's last_error matches
#   long_token N                a JWT-shaped token of N characters
#   write_token_file PATH TOKEN USER [TTL] [OWNER]   a plain token file
#   good_and_revoked_tokens USER, revoked_token_file USER, long_token_file USER [N]
#                               tokens the introspection endpoint accepts or not
#   seed_token_file PATH USER TTL [ENDPOINT]   a refreshable token file from
#                               the authserver

[ -z "${_TESTLIB_TOKENS:-}" ] || return 0
_TESTLIB_TOKENS=1
. "${BASH_SOURCE[0]%/*}/servers.sh"

# e2e_token [PREFIX]: a fresh random token (URL-safe).
e2e_token() {
	echo "${1:-tok}-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
}

# long_token N: a JWT-shaped token of exactly N characters (three
# base64url parts joined by dots), as long as providers' real ones.
long_token() {
	local t
	t=$(head -c $(( $1 * 3 / 4 + 16 )) /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')
	t="eyJ0eXAiOiJKV1QifQ.${t:0:$(( $1 - 19 - 24 ))}.${t: -23}"
	printf '%s' "${t:0:$1}"
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

# seed_token_file PATH USER TTL [ENDPOINT]: asks the authserver for a token
# pair and writes a version 1 token file whose access token expires in TTL s
# (negative: already expired).
seed_token_file() {
	local path=$1 user=$2 ttl=$3 endpoint=${4:-$AUTH_URL/token}
	auth_admin POST /admin/seed "{\"user\":\"$user\",\"ttl\":3600}" | "$NODE" -e '
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

# b64url: standard input in base64url without padding, as JWTs carry it.
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }

# last_error_has FILE ERE: the token file's last_error (the refusal the
# token store recorded) matches ERE.
last_error_has() { json_field "$1" last_error | grep -q -- "$2"; }
