#!/bin/bash
# tests/demo.sh keeps working: runs the whole demo against the built tree
# (DEMO_SKIP_BUILD=1: no package installation, no build) and checks its exit
# status, the lines that show each step worked, that it printed no token
# beyond 6 characters, and that it left nothing running.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/tree.sh"

if [ "$(id -u)" != 0 ]; then
	skip "demo: tests/demo.sh needs root"
	tests_exit
fi
D=$(mktemp_dir demo-test)
OUT="$D/demo.out"
t0=$(date +%s)
E2E_KEEP=1 DEMO_SKIP_BUILD=1 BUILDDIR="$BUILDDIR" timeout 300 bash "$SRCDIR/tests/demo.sh" </dev/null >"$OUT" 2>&1
rc=$?
secs=$(( $(date +%s) - t0 ))
echo "# demo: exit status $rc after $secs s"
# the demo's temporary directory, kept (E2E_KEEP=1) for the checks below
T=$(sed -n -E 's/^ *(temporary files kept in|.*its files .* are kept in) (.*)$/\2/p' "$OUT" | tail -n 1)

check "demo: exits 0" test "$rc" = 0
has() { grep -qE -- "$1" "$OUT"; }
count() { grep -cE -- "$1" "$OUT"; }
for n in 0 1 2 3 4 5 6 6b 7 8; do
	check "demo: prints step $n" has "^==> Step $n: "
done
check "demo: authorize signed in through the browser" has '^ +Authorized alice@example\.com with oidc\.'
check "demo: the CLI printed its next steps" has '^ +Next steps: use the account in your mail programs\.'
check "demo: status lists the account" has '^ +demo +alice@example\.com +oidc +expires in'
check "demo: imtest says Authenticated. twice (XOAUTH2, then OAUTHBEARER)" test "$(count '^ +Authenticated\.$')" = 2
check "demo: the AUTHENTICATE lines are shown decoded, token cut to 6 characters" \
	test "$(count '^ +C: A01 AUTHENTICATE (XOAUTH2|OAUTHBEARER) <base64 of ".*auth=Bearer [^^]{6}\.\.\.\^A\^A">$')" = 2
check "demo: four messages delivered to dave@example.net (two by the app-only relay)" \
	test "$(count "^ +delivered to dave@example\.net's maildir")" = 4
check "demo: the receiver saw the SASL login (Authenticated sender)" \
	test "$(count '^[[:space:]]+\(Authenticated sender: alice@example\.com\)')" = 2
check "demo: the sender's smtp client used TLS and logged status=sent" \
	test "$(count 'smtp-chroot/smtp\[[0-9]+\]: Untrusted TLS connection established')" = 4 -a "$(count 'status=sent')" -ge 4
check "demo: the plugin refreshed the token in imtest" has '^ +refreshed by the plugin in imtest: '
check "demo: the plugin refreshed the token in Postfix's chrooted smtp client" \
	has "^ +refreshed by the plugin in Postfix's smtp client: "
check "demo: authorize --app fetched an app-only token without a sign-in" \
	has '^ +Authorized relay@example\.com app-only \(client_credentials grant, oidc\)\.'
check "demo: the app-only relay logged in as its mailbox" \
	test "$(count '^[[:space:]]+\(Authenticated sender: relay@example\.com\)')" = 2
check "demo: the plugin renewed the app-only token with one client_credentials grant" \
	has '^ +client_credentials grants at the server: ([0-9]+) -> ([0-9]+);'
check "demo: doctor found no problem, twice" test "$(count '^ +0 problems, ')" = 2
check "demo: the summary line" has '^Demo OK in [0-9]+ s: .*4 messages relayed by Postfix \(2 with an app-only token, no sign-in\), 3 tokens renewed by the plugin'
check "demo: no DEMO FAILED line" bash -c '! grep -q "DEMO FAILED" "$1"' _ "$OUT"
if [ "$rc" != 0 ]; then
	echo "# ---- the demo's output (last 40 lines)"
	tail -n 40 "$OUT" | sed 's/^/#   /'
fi

# every token the demo handled is listed in its tokens.seen: none may appear,
# nor any 7 of its characters in a row from its start
if [ -n "$T" ] && [ -f "$T/tokens.seen" ]; then
	n=0 leaked=0
	while IFS= read -r tok; do
		[ -n "$tok" ] || continue
		n=$((n + 1))
		grep -qF -- "${tok:0:7}" "$OUT" && leaked=$((leaked + 1))
	done <"$T/tokens.seen"
	check "demo: handled at least 6 tokens (got $n)" test "$n" -ge 6
	check "demo: printed none of them beyond its first 6 characters" test "$leaked" = 0
else
	not_ok "demo: its temporary directory (with tokens.seen) was kept: '$T'"
fi
if [ -n "$T" ]; then
	# (a function, not bash -c: that shell's own command line would name $T)
	nothing_left() { ! pgrep -f -- "$T" >/dev/null; }
	check "demo: left no process running with its directory on the command line" nothing_left
fi
check "demo: took at most 90 s ($secs s)" test "$secs" -le 90
if [ "$TESTS_FAILED" = 0 ]; then
	rm -rf "$D" ${T:+"$T"}
else
	echo "# kept $D${T:+ and $T} for inspection"
fi
tests_exit
