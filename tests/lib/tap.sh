# TAP-style result lines, counted once for every test script. Each check
# prints one line, "ok - what", "not ok - what" or "skip - what: why";
# tests/run-suite.sh counts them. Diagnostics are "# ..." lines.
#
#   ok DESC / not_ok DESC / skip DESC   one result line (passes and failures
#                               are counted in TESTS_PASSED, TESTS_FAILED)
#   check DESC COMMAND...       runs COMMAND: ok when it succeeds
#   note TEXT                   a "# TEXT" line
#   bail TEXT                   a setup step failed: one "not ok", exit 1
#   tests_exit                  ends the script: the tally, non-zero when
#                               any check failed
#   redact FILE, show_log FILE TITLE [LINES]   a log's tail as "#" lines,
#                               token-looking strings hidden
#   show_file FILE [LINES]      a file's head (20 lines) as "#" lines, redacted

[ -z "${_TESTLIB_TAP:-}" ] || return 0
_TESTLIB_TAP=1

TESTS_PASSED=0
TESTS_FAILED=0
ok() { TESTS_PASSED=$((TESTS_PASSED + 1)); echo "ok - $*"; }
not_ok() { TESTS_FAILED=$((TESTS_FAILED + 1)); echo "not ok - $*"; }
skip() { echo "skip - $*"; }
note() { echo "# $*"; }

# check DESCRIPTION COMMAND...: runs the command, reports ok/not ok.
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# bail MESSAGE: a setup step failed: report it and stop the test.
bail() {
	not_ok "$*"
	exit 1
}

# tests_exit: prints the tally and ends the script, non-zero when any check
# failed.
tests_exit() {
	echo "# $(basename "$0"): $TESTS_PASSED passed, $TESTS_FAILED failed"
	exit $(( TESTS_FAILED > 0 ))
}

# redact FILE: prints FILE with long base64/token-looking strings hidden,
# for showing client traces in a failure report.
redact() {
	sed -E -e 's#((AUTHENTICATE|AUTH) [A-Z0-9_-]+ )[^ ]+#\1<redacted>#' \
		-e 's/(Bearer )[^ ]+/\1<redacted>/g' -e 's/[A-Za-z0-9+_=-]{20,}/<redacted>/g' "$1"
}

# show_log FILE TITLE [LINES]: dumps the tail of a log, redacted, as "#" comments.
show_log() {
	[ -f "$1" ] || return 0
	echo "# ---- $2 ($1)"
	redact "$1" | tail -n "${3:-40}" | sed 's/^/#   /'
}

# show_file FILE [LINES]: the first LINES (20) lines of FILE as "#" lines,
# token-looking strings hidden: what a command printed, when a check failed.
show_file() { sed 's/^/#   /' "$1" | redact /dev/stdin | head -n "${2:-20}"; }
