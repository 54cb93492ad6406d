# Helpers for the tests of the setup guides (docs/*.md). The tests take each configuration
# block from the guide by name (snippet.sh), swap the guide's real-looking host
# names, ports and paths for the loopback ones with `subst`, and run the result
# against the e2e servers, so a guide cannot drift from what works.
# Each test sets GUIDE=file.md on a line of its own: test_guides.sh looks
# for it.

[ -z "${_TESTLIB_DOCS:-}" ] || return 0
_TESTLIB_DOCS=1
. "${BASH_SOURCE[0]%/*}/tokens.sh"
. "${BASH_SOURCE[0]%/*}/dovecot.sh"

DOCS_DIR="$SRCDIR/docs"
SNIPPET_SH="$SRCDIR/tests/docs/snippet.sh"
SASL_OAUTH2_BIN="$BUILDDIR/tools/sasl-oauth2"

# subst TEXT FROM TO [FROM TO...]: prints TEXT with every literal FROM
# replaced by TO, in order. A FROM that does not occur means the guide
# changed under the test: it fails (status 1, message on stderr) so the
# substitution list gets updated rather than silently testing less.
subst() {
	local t=$1; shift
	while [ $# -ge 2 ]; do
		case $t in
		*"$1"*) t=${t//"$1"/"$2"} ;;
		*) echo "substitution: '$1' does not occur in the snippet any more" >&2; return 1 ;;
		esac
		shift 2
	done
	printf '%s\n' "$t"
}

# guide_config FILE GUIDE NAME [FROM TO...]: writes the block marked
# snippet=NAME in docs/GUIDE, with the substitutions made, to FILE. Stops
# the test when the block is missing, duplicated, empty or unclosed, or a
# substitution no longer applies.
guide_config() {
	local file=$1 guide=$2 name=$3 text out
	shift 3
	text=$(bash "$SNIPPET_SH" "$DOCS_DIR/$guide" "$name" 2>"$E2E_TMP/snippet.err") ||
		bail "docs/$guide: snippet $name: $(cat "$E2E_TMP/snippet.err")"
	out=$(subst "$text" "$@" 2>"$E2E_TMP/snippet.err") ||
		bail "docs/$guide: snippet $name: $(cat "$E2E_TMP/snippet.err")"
	printf '%s\n' "$out" >"$file"
}

# docs_work_account: the guides' account "work": AUTH_USER's good token GOOD,
# known to the token server and in SASL_OAUTH2_STATE_DIR as work.json.
docs_work_account() {
	AUTH_USER=alice@example.com
	GOOD=$(e2e_token good)
	add_token "$GOOD" "$AUTH_USER"
	add_account work "$GOOD" "$AUTH_USER"
}

# docs_client_setup NAME [PROGRAM...]: the start the client guides' tests
# share: e2e_setup NAME PROGRAM..., Dovecot with TLS, `sasl-oauth2` on PATH
# (setup_token_command) and the account "work" (docs_work_account).
docs_client_setup() {
	e2e_setup "$@"
	start_tls_dovecot
	setup_token_command
	docs_work_account
}

# ----- the token command -------------------------------------------------

# token_cmd_built: the build tree's CLI implements `token`.
# DOCS_TOKEN_CMD=stand-in pretends it does not.
token_cmd_built() {
	[ "${DOCS_TOKEN_CMD:-}" != stand-in ] && [ -x "$SASL_OAUTH2_BIN" ] &&
		"$SASL_OAUTH2_BIN" token --help >"$E2E_TMP/token-help.out" 2>&1 &&
		! grep -qi 'not implemented' "$E2E_TMP/token-help.out"
}

# setup_token_command: puts `sasl-oauth2` on PATH for the guides' token
# commands ("sasl-oauth2 token work") and sets SASL_OAUTH2_STATE_DIR, where
# named accounts live. When the build tree's CLI implements `token`, that is
# what runs (TOKEN_CMD=real); until then a stand-in that prints the
# account's access_token does (TOKEN_CMD=stand-in), and each test reports a
# skip for the real command.
setup_token_command() {
	local bin="$E2E_TMP/bin"
	mkdir -p "$bin"
	SASL_OAUTH2_STATE_DIR="$E2E_TMP/state"
	install -d -m 700 "$SASL_OAUTH2_STATE_DIR"
	export SASL_OAUTH2_STATE_DIR
	if token_cmd_built; then
		TOKEN_CMD=real
		printf '#!/bin/sh\nexec "%s" "$@"\n' "$SASL_OAUTH2_BIN" >"$bin/sasl-oauth2"
	else
		TOKEN_CMD=stand-in
		cat >"$bin/sasl-oauth2" <<'EOF'
#!/bin/sh
# stand-in for `sasl-oauth2 token NAME` until the real command is built
[ "$1" = token ] && [ $# -eq 2 ] || { echo "stand-in sasl-oauth2: only 'token NAME'" >&2; exit 2; }
sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p' "$SASL_OAUTH2_STATE_DIR/$2.json"
EOF
	fi
	chmod 755 "$bin/sasl-oauth2"
	PATH="$bin:$PATH"
	export PATH
	note "token command: $TOKEN_CMD"
}

# token_cmd_label: how to name the token command in a check's description.
token_cmd_label() {
	if [ "$TOKEN_CMD" = real ]; then echo "sasl-oauth2 token"; else echo "stand-in token command"; fi
}

# skip_if_stand_in WHAT: the skip line for a case that ran with the
# stand-in instead of the real `sasl-oauth2 token`.
skip_if_stand_in() {
	[ "$TOKEN_CMD" = real ] || skip "$1 with the real 'sasl-oauth2 token': token command not built yet"
}

# add_account NAME TOKEN USER: the account's token file in the state
# directory, as `sasl-oauth2 authorize NAME` leaves it (mode 0600).
add_account() {
	write_token_file "$SASL_OAUTH2_STATE_DIR/$1.json" "$2" "$3" 3600
}

# check_token_command NAME TOKEN: `sasl-oauth2 token NAME`, as the guides
# run it, prints exactly the account's token.
check_token_command() {
	local got
	got=$(sasl-oauth2 token "$1" 2>"$E2E_TMP/token-cmd.err")
	if [ "$got" = "$2" ]; then
		ok "$(token_cmd_label) $1 prints the account's access token"
	else
		not_ok "$(token_cmd_label) $1 prints the account's access token"
		show_log "$E2E_TMP/token-cmd.err" "sasl-oauth2 token stderr"
	fi
}
