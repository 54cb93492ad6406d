# Helpers for the `sasl-oauth2 tunnel` tests.
#
#   tunnel_setup NAME [PROG...]  the CLI on PATH as sasl-oauth2, the OAuth2
#                          server (2,000-character tokens), a TLS-only
#                          Dovecot with IMAP and POP3 that validates its
#                          tokens, a state directory; $T is the temp dir
#   tunnel_account NAME USER [TTL]  a refreshable account NAME.json
#   tokens_of NAME         appends the account's tokens to $T/seen-tokens
#   no_token_in FILE...    true when no token seen so far is in the files

[ -z "${_TESTLIB_TUNNEL:-}" ] || return 0
_TESTLIB_TUNNEL=1
. "${BASH_SOURCE[0]%/*}/servers.sh"
. "${BASH_SOURCE[0]%/*}/tokens.sh"
. "${BASH_SOURCE[0]%/*}/dovecot.sh"
. "${BASH_SOURCE[0]%/*}/plugin.sh"

tunnel_setup() {
	need_cli
	e2e_setup "$@"
	T=$E2E_TMP
	start_authserver --token-size 2000
	write_refresh_conf
	DOVECOT_INTROSPECT_URL="$AUTH_URL/dovecot-introspect" DOVECOT_OAUTH2_CA=$CA_DIR/ca.pem \
		DOVECOT_TLS_DIR=$CA_DIR DOVECOT_SSL_REQUIRED=yes DOVECOT_POP3=yes start_dovecot
	export SASL_OAUTH2_STATE_DIR="$T/state"
	mkdir -m 700 "$SASL_OAUTH2_STATE_DIR"
	mkdir -p "$T/bin"
	ln -sf "$CLI" "$T/bin/sasl-oauth2"
	export PATH="$T/bin:$PATH"
	: >"$T/seen-tokens"
}

tunnel_account() {
	seed_token_file "$SASL_OAUTH2_STATE_DIR/$1.json" "$2" "${3:-3600}"
	tokens_of "$1"
}

tokens_of() {
	json_field "$SASL_OAUTH2_STATE_DIR/$1.json" access_token >>"$T/seen-tokens"
	json_field "$SASL_OAUTH2_STATE_DIR/$1.json" refresh_token >>"$T/seen-tokens"
}

no_token_in() {
	local t
	while read -r t; do
		[ -n "$t" ] || continue
		grep -qF -- "$t" "$@" 2>/dev/null && return 1
	done <"$T/seen-tokens"
	return 0
}
