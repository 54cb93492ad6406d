#!/bin/bash
# Control characters in file names and file contents never reach the
# terminal raw (issue 9, section 4): `status` and `doctor` read directories
# another user can write (Postfix's token directory, when root runs them for
# postfix), so a planted name or a planted error message could otherwise
# rewrite root's terminal (ESC sequences, OSC title changes, BEL).
set -u
. "$(dirname "$0")/../lib/tree.sh"
CLI="$BUILDDIR/tools/sasl-oauth2"
T=$(mktemp_dir escape)
trap 'rm -rf "$T"' EXIT
export SASL_OAUTH2_STATE_DIR="$T/state"
export SASL_OAUTH2_CONF="$T/none.conf"
install -d -m 700 "$SASL_OAUTH2_STATE_DIR"
now=$(date +%s)

# a token file whose recorded refresh error carries escape sequences
( umask 077; cat >"$SASL_OAUTH2_STATE_DIR/esc.json" <<JSON
{ "version": 1, "user": "alice@example.com", "access_token": "at-0123456789abcdefghij",
  "expires_at": $(( now + 3000 )), "refresh_token": "rt-0123456789", "client_id": "c",
  "token_endpoint": "https://login.example.com/token",
  "last_error": { "at": $now, "error": "invalid_grant\u001b[31m",
                  "message": "refused\u001b]0;pwned\u0007 \u001b[2J\u009b1m end" } }
JSON
)
# and a file whose name carries them
( umask 077; printf '{"access_token": "at-0123456789abcdefghij"}\n' >"$SASL_OAUTH2_STATE_DIR/evil"$'\e[2J\a'".json" )

# raw FILE: the file holds an ESC, BEL, or C1 CSI byte
raw() { LC_ALL=C grep -q $'[\x1b\x07]\|\xc2\x9b' "$1"; }

"$CLI" status >"$T/status.out" 2>&1
check "status: no raw ESC/BEL/CSI in its output" bash -c "$(declare -f raw); ! raw \"\$1\"" _ "$T/status.out"
check "status: the planted bytes are shown escaped" grep -qF '\x1b' "$T/status.out"
sed 's/^/#   /' "$T/status.out" | cat -v

"$CLI" doctor esc >"$T/doctor.out" 2>&1
check "doctor: no raw ESC/BEL/CSI in its output" bash -c "$(declare -f raw); ! raw \"\$1\"" _ "$T/doctor.out"
check "doctor: the recorded error is shown, escaped" grep -qF 'refused\x1b]0;pwned\x07' "$T/doctor.out"
grep -F 'last refresh' "$T/doctor.out" | sed 's/^/#   /' | cat -v

"$CLI" doctor "evil"$'\e[2J\a' >"$T/doctor-name.out" 2>&1
check "doctor, account name with escapes: no raw ESC/BEL in its output" \
	bash -c "$(declare -f raw); ! raw \"\$1\"" _ "$T/doctor-name.out"

# --- issue 16: C1 controls (CSI as U+009B) and every command that prints file data ---
# forget: a revocation_endpoint carrying a CSI; the file is refused, naming the field
( umask 077; cat >"$SASL_OAUTH2_STATE_DIR/rev.json" <<JSON
{ "version": 1, "user": "alice@example.com", "access_token": "at-0123456789abcdefghij",
  "expires_at": $(( now + 3000 )), "refresh_token": "rt-0123456789", "client_id": "c",
  "token_endpoint": "https://127.0.0.1:9/token",
  "revocation_endpoint": "https://127.0.0.1:9/revoke\u009b2J\u001b]0;pwned\u0007" }
JSON
)
"$CLI" forget rev >"$T/forget.out" 2>&1
check "forget: no raw ESC/BEL/CSI in its output" bash -c "$(declare -f raw); ! raw \"\$1\"" _ "$T/forget.out"
check "forget: the revocation_endpoint with controls is refused, naming the field" \
	grep -qF '"revocation_endpoint" contains spaces or control characters' "$T/forget.out"
sed 's/^/#   /' "$T/forget.out" | cat -v

# import: a source whose user carries a CSI; refused (not a mailbox), shown escaped
printf '{"access_token":"at-0123456789abcdefghij","refresh_token":"rt-0123456789","user":"a\xc2\x9b2Jb@example.com","expiry":"%s"}' \
	$(( now + 3000 )) >"$T/src.json"
"$CLI" import "$T/src.json" imp --provider microsoft --client-id c >"$T/import.out" 2>&1
check "import: no raw ESC/BEL/CSI in its output" bash -c "$(declare -f raw); ! raw \"\$1\"" _ "$T/import.out"
check "import: the user that is no mailbox is refused, named escaped" \
	grep -qF 'field "user" is "a\xc2\x9b2Jb@example.com", not a mailbox' "$T/import.out"
check "import: nothing was written" test ! -e "$SASL_OAUTH2_STATE_DIR/imp.json"
sed 's/^/#   /' "$T/import.out" | cat -v

# watch: a token file (given by path) whose name carries a CSI
CSI="$SASL_OAUTH2_STATE_DIR/csi"$'\xc2\x9b'"2J.json"
( umask 077; printf '{"access_token": "at-0123456789abcdefghij", "expires_at": %s}\n' $(( now + 3000 )) >"$CSI" )
timeout 30 "$CLI" watch --once --stderr "$CSI" >"$T/watch.out" 2>&1
check "watch: no raw ESC/BEL/CSI in its log lines" bash -c "$(declare -f raw); ! raw \"\$1\"" _ "$T/watch.out"
check "watch: the account is named, escaped" grep -qF 'csi\xc2\x9b2J' "$T/watch.out"
sed 's/^/#   /' "$T/watch.out" | cat -v
tests_exit
