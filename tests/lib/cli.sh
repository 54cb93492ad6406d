# Running the sasl-oauth2 CLI in a test.
#
#   cli_setup NAME              need_cli, e2e_setup NAME, start_authserver and
#                               an empty state dir $SASL_OAUTH2_STATE_DIR ($S)
#   cli ARGS...                 the CLI: stdout in $OUT, stderr in $ERR (files,
#                               default $E2E_TMP/cli.{out,err}), status in $RC
#   rc_is N, out_has RE, err_has RE, err_empty
#   cli_show                    the last cli's output as "#" lines
#   check_cli DESC CMD...       check, showing the last output on failure
#   run_cli NAME ARGS...        the CLI with no terminal, stdin /dev/null, at
#                               most $CLI_TIMEOUT (150) s: output in
#                               $T/NAME.{out,err}, $RC, seconds in $SECS
#   show_cli NAME               run NAME's output as "#" lines, redacted

[ -z "${_TESTLIB_CLI:-}" ] || return 0
_TESTLIB_CLI=1
. "${BASH_SOURCE[0]%/*}/servers.sh"
. "${BASH_SOURCE[0]%/*}/plugin.sh"

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

cli() {
	OUT=${OUT:-$E2E_TMP/cli.out} ERR=${ERR:-$E2E_TMP/cli.err}
	"${SO:-$CLI}" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}
rc_is() { test "$RC" = "$1"; }
out_has() { grep -q -- "$1" "$OUT"; }
err_has() { grep -q -- "$1" "$ERR"; }
err_empty() { test ! -s "$ERR"; }
# cli_show: the last command's output, as comments, when a check failed
cli_show() { sed 's/^/#   out: /' "$OUT" | head -20; sed 's/^/#   err: /' "$ERR" | head -20; }
check_cli() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; cli_show; fi
}

run_cli() {
	local name=$1 t0; shift
	t0=$(date +%s)
	timeout "${CLI_TIMEOUT:-150}" "$CLI" "$@" </dev/null >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
	SECS=$(( $(date +%s) - t0 ))
}

show_cli() {
	echo "# ---- sasl-oauth2 output ($1, exit $RC)"
	redact "$T/$1.out" | head -n 30 | sed 's/^/#   out: /'
	redact "$T/$1.err" | head -n 30 | sed 's/^/#   err: /'
}
