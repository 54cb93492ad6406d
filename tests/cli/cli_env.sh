# Helpers for the account-command tests (test_cli_basic.sh, test_trust.sh);
# source after ../lib.sh, env.sh and refresh_env.sh, once $SO and
# $E2E_TMP are set.
#
#   cli ARGS...        runs the tool: stdout in $OUT (a file), stderr in $ERR,
#                      exit status in $RC
#   rc_is N, out_has RE, err_has RE, err_empty
#   requests           token requests the authserver has seen; reset_stats
#   check_cli DESC CMD...   check, printing the last command's output on failure

OUT="$E2E_TMP/cli.out"
ERR="$E2E_TMP/cli.err"
cli() {
	"$SO" "$@" >"$OUT" 2>"$ERR"
	RC=$?
}
rc_is() { test "$RC" = "$1"; }
out_has() { grep -q -- "$1" "$OUT"; }
err_has() { grep -q -- "$1" "$ERR"; }
err_empty() { test ! -s "$ERR"; }
requests() { auth_stat token_requests; }
reset_stats() { admin POST /admin/reset-stats >/dev/null; }
# show: the last command's output, as comments, when a check failed
show() { sed 's/^/#   out: /' "$OUT" | head -20; sed 's/^/#   err: /' "$ERR" | head -20; }
check_cli() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; show; fi
}
